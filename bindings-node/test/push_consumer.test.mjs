// PushConsumer against an in-process mini-broker: the listener on the JS thread, retries after
// FAILURE and after a throw, FIFO order through a failure, close() semantics, logging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, PushConsumer, ConsumeResult, InvalidArgumentError, setLogger } from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { deferred, unique, waitFor } from './helpers.mjs';
import { createRequire } from 'node:module';

const native = createRequire(import.meta.url)('../lib/native.cjs');

let broker;
let producer;
before(async () => {
  broker = await MiniBroker.start({
    topics: { normal: 'NORMAL', fifo: 'FIFO' },
    groups: { 'push-fifo': { fifo: true, retryDelays: [10] } },
  });
  producer = await new Producer({ endpoints: broker.endpoint }).start();
});
after(async () => {
  await producer.close();
  await broker.close();
});

function pushConsumer(topic, tag, messageListener, extra = {}) {
  return new PushConsumer({
    endpoints: broker.endpoint, consumerGroup: extra.group ?? unique('g'), subscriptions: { [topic]: tag },
    messageListener, assignmentScanInterval: 50, ...extra.options,
  }).start();
}

test('the listener runs on the JS thread; undefined and SUCCESS ack', async (t) => {
  const jsThread = native.threadName();
  const tag = unique('tag');
  const threads = new Set();
  const got = [];
  const consumer = await pushConsumer('normal', tag, async (view) => {
    threads.add(native.threadName());
    got.push(view.body.toString());
    return got.length % 2 ? undefined : ConsumeResult.SUCCESS;
  });
  t.after(() => consumer.close());
  for (let i = 0; i < 6; i += 1) await producer.send({ topic: 'normal', body: `m${i}`, tag });
  await waitFor(() => got.length === 6, 20000, 'six messages');
  await waitFor(() => consumer.cachedMessages === 0, 20000, 'acks');
  assert.deepEqual([...threads], [jsThread]);
  assert.equal(new Set(got).size, 6);
});

test('FAILURE and a throw are redelivered with the next attempt; the throw is logged', async (t) => {
  const logged = [];
  setLogger((level, target, message) => logged.push({ level, target, message }), { level: 'warn' });
  try {
    const tag = unique('tag');
    const attempts = { fail: [], throw: [] };
    const done = deferred();
    const consumer = await pushConsumer('normal', tag, { consume: async (view) => {
      const kind = view.body.toString();
      attempts[kind].push(view.deliveryAttempt);
      if (attempts.fail.length >= 2 && attempts.throw.length >= 2) done.resolve();
      if (view.deliveryAttempt > 1) return ConsumeResult.SUCCESS;
      if (kind === 'throw') throw new Error('listener broke');
      return ConsumeResult.FAILURE;
    } }, { group: unique('g') });
    t.after(() => consumer.close());
    assert.equal(consumer.isFifo, false);
    await producer.send({ topic: 'normal', body: 'fail', tag });
    await producer.send({ topic: 'normal', body: 'throw', tag });
    await done.promise;
    assert.deepEqual(attempts.fail.slice(0, 2), [1, 2]);
    assert.deepEqual(attempts.throw.slice(0, 2), [1, 2]);
    assert.ok(logged.some((l) => l.level === 'error' && l.message.includes('listener broke')));
  } finally {
    setLogger(null);
  }
});

test('FIFO order holds through a failure', async (t) => {
  const tag = unique('tag');
  const seen = [];
  let failed = false;
  const done = deferred();
  const consumer = await pushConsumer('fifo', tag, (view) => {
    const n = Number(view.body.toString());
    if (n === 2 && !failed) {
      failed = true;
      return ConsumeResult.FAILURE;
    }
    seen.push(n);
    if (seen.length === 5) done.resolve();
    return ConsumeResult.SUCCESS;
  }, { group: 'push-fifo' });
  t.after(() => consumer.close());
  await waitFor(() => consumer.assignedQueues > 0, 20000, 'an assignment');
  assert.equal(consumer.isFifo, true);
  for (let i = 0; i < 5; i += 1) await producer.send({ topic: 'fifo', body: String(i), tag, messageGroup: 'one' });
  await done.promise;
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
});

test('close() waits for the listener calls in flight; from inside the listener it rejects', async (t) => {
  const tag = unique('tag');
  const entered = deferred();
  const release = deferred();
  let finished = false;
  let insideClose;
  const consumer = await pushConsumer('normal', tag, async () => {
    insideClose = consumer.close();
    insideClose.catch(() => {});
    entered.resolve();
    await release.promise;
    finished = true;
  });
  await producer.send({ topic: 'normal', body: 'slow', tag });
  await entered.promise;
  await assert.rejects(insideClose, InvalidArgumentError);
  const closing = consumer.close();
  setTimeout(() => release.resolve(), 50);
  await closing;
  assert.equal(finished, true);
  await consumer.close();
});

test('a listener of the wrong type is a TypeError', () => {
  assert.throws(() => new PushConsumer({ endpoints: broker.endpoint, consumerGroup: 'g', subscriptions: { normal: '*' }, messageListener: 3 }), TypeError);
});
