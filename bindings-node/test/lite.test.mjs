// Lite topics (Apache 5.5): LitePushConsumer, LiteSimpleConsumer and message.liteTopic on an
// in-process broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Producer, SimpleConsumer, LitePushConsumer, LiteSimpleConsumer, OffsetOption, InvalidArgumentError, ClosedError,
} from 'rmq';
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

async function receive(consumer, maxMessages, want) {
  const got = [];
  const deadline = Date.now() + 20000;
  while (got.length < want && Date.now() < deadline) {
    got.push(...await consumer.receive({ maxMessages, invisibleDuration: 30000 }));
  }
  return got;
}

test('a lite simple consumer reads its lite topics one batch at a time', async (t) => {
  const broker = await MiniBroker.start({ topics: { replies: 'LITE' } });
  t.after(() => broker.close());
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['replies'] }).start();
  t.after(() => producer.close());
  const consumer = await new LiteSimpleConsumer({
    endpoints: broker.endpoint, consumerGroup: 'readers', topic: 'replies', awaitDuration: 1000,
  }).start();
  assert.ok(consumer instanceof SimpleConsumer);
  await consumer.subscribeLite('a');
  assert.deepEqual(consumer.liteTopics, ['a']);
  for (let i = 0; i < 3; i++) {
    await producer.send({ topic: 'replies', body: `a-${i}`, liteTopic: 'a' });
    await producer.send({ topic: 'replies', body: `b-${i}`, liteTopic: 'b' });
  }
  const first = await receive(consumer, 2, 2);
  assert.deepEqual(first.map((v) => v.body.toString()), ['a-0', 'a-1']);
  assert.deepEqual(first.map((v) => v.liteTopic), ['a', 'a']);
  const handle = first[1].receiptHandle;
  await consumer.changeInvisibleDuration(first[1], 30000);
  assert.notEqual(first[1].receiptHandle, handle);
  await consumer.ack(first[0]);
  await consumer.ack(first[1]);
  const rest = await receive(consumer, 32, 1);
  assert.deepEqual(rest.map((v) => v.body.toString()), ['a-2']);
  assert.deepEqual(await consumer.ackBatch(rest), [undefined]);
  await consumer.unsubscribeLite('a');
  await consumer.subscribeLite('b', OffsetOption.MIN);
  const b = await receive(consumer, 32, 3);
  assert.deepEqual(b.map((v) => v.body.toString()), ['b-0', 'b-1', 'b-2']);
  assert.deepEqual(consumer.liteTopics, ['b']);
  await assert.rejects(consumer.subscribeLite('bad name!'), InvalidArgumentError);
  await assert.rejects(consumer.subscribeLite('ok', 0), TypeError);
  await consumer.close();
  await assert.rejects(consumer.receive(1, 30000), ClosedError);
  assert.throws(() => new LiteSimpleConsumer({ endpoints: 'x:1', consumerGroup: 'g' }), TypeError);
});

test('a lite simple consumer needs a lite group', async (t) => {
  const broker = await MiniBroker.start({
    topics: { replies: 'LITE' }, groups: { plain: {}, agents: { liteTopic: 'replies' } }, strict: true,
  });
  t.after(() => broker.close());
  await assert.rejects(new LiteSimpleConsumer({
    endpoints: broker.endpoint, consumerGroup: 'plain', topic: 'replies',
  }).start(), /regular group cannot use LITE mode/);
  await assert.rejects(new SimpleConsumer({
    endpoints: broker.endpoint, consumerGroup: 'agents', subscriptions: { replies: '*' },
  }).start(), /must use LITE mode/);
});
