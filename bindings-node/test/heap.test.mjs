// What a closed client leaves in V8's heap: nothing. Each client is started, used and closed
// inside a function whose locals then go out of scope; its object, its listener and whatever
// the listener captured (a 16 MiB buffer, the views it was handed) must then be collected, and
// the external memory the buffers held given back. A native reference kept past close() (the
// listener's thread-safe function, a view's body, a pending promise) would keep them alive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Producer, PushConsumer, SimpleConsumer, LitePushConsumer } from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { deferred, unique } from './helpers.mjs';

// node --expose-gc, from inside the test (node --test runs each file in its own process).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

const BALLAST = 16 * 1024 * 1024;

let broker;
before(async () => {
  broker = await MiniBroker.start({ topics: { t: 'NORMAL', lite: 'LITE' }, groups: { 'heap-lite': { liteTopic: 'lite' } } });
});
after(async () => {
  await broker.close();
});

/** Tracks objects; `collected()` resolves to the names of those V8 has not collected yet. */
function tracker() {
  const alive = new Set();
  const registry = new FinalizationRegistry((name) => alive.delete(name));
  return {
    track(name, object) {
      alive.add(name);
      registry.register(object, name);
    },
    async uncollected(timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      // Closed clients settle their last native callbacks within a few turns of the event loop;
      // finalizers run on a later turn than the collection that found their object dead.
      while (alive.size > 0 && Date.now() < deadline) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [...alive].sort();
    },
  };
}

/** A listener that holds a large buffer and every view it is handed. */
function ballastListener(tracked, name, onMessage) {
  const ballast = Buffer.alloc(BALLAST, 1);
  const views = [];
  const listener = (view) => {
    views.push(view);
    onMessage(ballast.length);
  };
  tracked.track(`${name} listener`, listener);
  return listener;
}

async function useAndCloseEveryClient(tracked) {
  const endpoints = broker.endpoint;
  const producer = await new Producer({ endpoints, topics: ['t'] }).start();
  tracked.track('producer', producer);
  const tag = unique('tag');

  const got = deferred();
  const push = await new PushConsumer({
    endpoints, consumerGroup: unique('push'), subscriptions: { t: tag }, assignmentScanInterval: 50,
    messageListener: ballastListener(tracked, 'push', got.resolve),
  }).start();
  tracked.track('push consumer', push);
  await producer.send({ topic: 't', tag, body: Buffer.alloc(64 * 1024, 2) });
  await got.promise;
  await push.close();

  const simpleTag = unique('tag');
  const simple = await new SimpleConsumer({
    endpoints, consumerGroup: unique('simple'), subscriptions: { t: simpleTag }, awaitDuration: 200,
  }).start();
  tracked.track('simple consumer', simple);
  await producer.send({ topic: 't', tag: simpleTag, body: Buffer.alloc(64 * 1024, 3) });
  let views = [];
  while (views.length === 0) views = await simple.receive({ maxMessages: 1, invisibleDuration: 10000 });
  tracked.track('received view', views[0]);
  await simple.ack(views[0]);
  // A receive still waiting when close() is called settles, and lets go of its consumer.
  const pending = simple.receive({ maxMessages: 1, invisibleDuration: 10000 }).catch((error) => error);
  await simple.close();
  await pending;

  const lite = await new LitePushConsumer({
    endpoints, consumerGroup: 'heap-lite', topic: 'lite',
    messageListener: ballastListener(tracked, 'lite', () => {}),
  }).start();
  tracked.track('lite push consumer', lite);
  await lite.subscribeLite(unique('lite'));
  await lite.close();

  await producer.close();
}

test('closed clients, their listeners and what the listeners held are collected', async () => {
  const tracked = tracker();
  const externalBefore = process.memoryUsage().arrayBuffers;
  await useAndCloseEveryClient(tracked);
  assert.deepEqual(await tracked.uncollected(), []);
  const grown = process.memoryUsage().arrayBuffers - externalBefore;
  // Two listeners held 16 MiB each; what is left is far less than one of them.
  assert.ok(grown < BALLAST / 4, `array buffers grew by ${grown} bytes after close`);
});

test('the check sees an object that is still referenced', async () => {
  // The same watch, on a closed producer something still refers to: it must be reported,
  // or the test above could not fail.
  const tracked = tracker();
  const kept = [];
  await (async () => {
    const producer = await new Producer({ endpoints: broker.endpoint }).start();
    tracked.track('kept producer', producer);
    kept.push(producer);
    await producer.close();
  })();
  assert.deepEqual(await tracked.uncollected(500), ['kept producer']);
  assert.equal(kept.length, 1);
});
