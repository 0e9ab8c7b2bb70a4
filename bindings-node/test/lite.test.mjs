// Lite topics (Apache 5.5): LitePushConsumer and message.liteTopic on an in-process broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, LitePushConsumer, OffsetOption, InvalidArgumentError } from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { waitFor } from './helpers.mjs';

function recorder() {
  const seen = [];
  return {
    seen,
    listener: (view) => { seen.push([view.liteTopic, view.body.toString()]); },
    of: (lite) => seen.filter(([l]) => l === lite).map(([, b]) => b),
  };
}

async function setup(t) {
  const broker = await MiniBroker.start({ topics: { replies: 'LITE' } });
  t.after(() => broker.close());
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['replies'] }).start();
  t.after(() => producer.close());
  const consumer = async (group, rec) => {
    const c = await new LitePushConsumer({
      endpoints: broker.endpoint, consumerGroup: group, topic: 'replies', messageListener: rec.listener,
    }).start();
    t.after(() => c.close());
    return c;
  };
  const send = (liteTopic, body) => producer.send({ topic: 'replies', body, liteTopic });
  return { consumer, send };
}

test('each lite consumer gets only its lite topics, in order', async (t) => {
  const { consumer, send } = await setup(t);
  const alice = recorder();
  const bob = recorder();
  const a = await consumer('agents', alice);
  const b = await consumer('agents', bob);
  await a.subscribeLite('session-a');
  await b.subscribeLite('session-b');
  assert.deepEqual(a.liteTopics, ['session-a']);
  for (let i = 0; i < 10; i++) {
    for (const lite of ['session-a', 'session-b', 'session-c']) await send(lite, `${lite}-${i}`);
  }
  await waitFor(() => alice.of('session-a').length === 10 && bob.of('session-b').length === 10);
  assert.deepEqual(alice.of('session-a'), [...Array(10).keys()].map((i) => `session-a-${i}`));
  assert.deepEqual(bob.of('session-b'), [...Array(10).keys()].map((i) => `session-b-${i}`));
  assert.equal(alice.seen.length, 10);
  assert.equal(bob.seen.length, 10);
  await a.unsubscribeLite('session-a');
  await a.subscribeLite('session-d');
  await send('session-a', 'late');
  await send('session-d', 'd');
  await waitFor(() => alice.of('session-d').length === 1);
  assert.equal(alice.of('session-a').length, 10);
});

test('an offset option reads the backlog', async (t) => {
  const { consumer, send } = await setup(t);
  for (let i = 0; i < 3; i++) await send('backlog', `old-${i}`);
  const rec = recorder();
  const c = await consumer('readers', rec);
  await c.subscribeLite('backlog', OffsetOption.MIN);
  await waitFor(() => rec.of('backlog').length === 3);
  assert.deepEqual(rec.of('backlog'), ['old-0', 'old-1', 'old-2']);
});

test('a declared lite group serves lite consumers; a regular group refuses them', async (t) => {
  const broker = await MiniBroker.start({
    topics: { replies: 'LITE' }, groups: { plain: {}, agents: { liteTopic: 'replies' } }, strict: true,
  });
  t.after(() => broker.close());
  const start = (group) => new LitePushConsumer({
    endpoints: broker.endpoint, consumerGroup: group, topic: 'replies', messageListener: () => {},
  }).start();
  await assert.rejects(start('plain'), /regular group cannot use LITE mode/);
  const c = await start('agents');
  await c.subscribeLite('s1');
  await c.close();
});

test('bad lite arguments are refused before any I/O', async (t) => {
  const { consumer, send } = await setup(t);
  await assert.rejects(send('bad name!', 'x'), InvalidArgumentError);
  const c = await consumer('agents', recorder());
  await assert.rejects(c.subscribeLite('x'.repeat(65)), InvalidArgumentError);
  await assert.rejects(c.subscribeLite(5), TypeError);
  await assert.rejects(c.subscribeLite('ok', 'min'), TypeError);
  assert.throws(() => OffsetOption.tailN(-1), RangeError);
  assert.throws(() => new LitePushConsumer({ endpoints: 'x:1', consumerGroup: 'g', messageListener: () => {} }), TypeError);
  assert.deepEqual(c.liteTopics, []);
});
