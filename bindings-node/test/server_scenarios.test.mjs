// Scenarios that run against any RocketMQ 5 server: a real Apache RocketMQ when
// RMQ_NODE_SERVER_ENDPOINT names one (the test command does that with the Apache server it
// starts), otherwise an in-process strict mini-broker with the same topics and groups.
// The server must have the topics of TOPICS and the FIFO group FIFO_GROUP; scenarios share it,
// so each uses run-unique tags and groups.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, SimpleConsumer, PushConsumer, FilterExpression, ConsumeResult, NotFoundError, PayloadTooLargeError, BadRequestError } from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { deferred, receiveN, unique, RUN } from './helpers.mjs';

const TOPICS = { 'sc-normal': 'NORMAL', 'sc-fifo': 'FIFO', 'sc-delay': 'DELAY', 'sc-tx': 'TRANSACTION' };
const FIFO_GROUP = 'node-fifo-sc';
let endpoints = process.env.RMQ_NODE_SERVER_ENDPOINT;
let broker = null;

before(async () => {
  if (endpoints) return;
  broker = await MiniBroker.start({ topics: TOPICS, groups: { [FIFO_GROUP]: { fifo: true } }, strict: true });
  endpoints = broker.endpoint;
});
after(() => broker?.close());

const client = (extra) => ({ endpoints, requestTimeout: 5000, ...extra });
const simple = (subscriptions, group = unique('g')) =>
  new SimpleConsumer(client({ consumerGroup: group, subscriptions, awaitDuration: 5000 })).start();

test('message fields and filters', async (t) => {
  const tag = unique('tag');
  const other = unique('other');
  let sent;
  {
    const producer = await new Producer(client({ topics: ['sc-normal'] })).start();
    t.after(() => producer.close());
    sent = await producer.send({ topic: 'sc-normal', body: 'fields', tag, keys: ['k1', 'k2'], properties: { n: '1', region: 'eu' } });
    await producer.send({ topic: 'sc-normal', body: 'big n', tag: other, properties: { n: '7' } });
  }
  {
    const consumer = await simple({ 'sc-normal': tag });
    t.after(() => consumer.close());
    const [view] = await receiveN(consumer, 1);
    assert.equal(view.messageId, sent.messageId);
    assert.deepEqual([view.body.toString(), view.tag, view.keys], ['fields', tag, ['k1', 'k2']]);
    assert.equal(view.properties.get('region'), 'eu');
    assert.equal(view.deliveryAttempt, 1);
    assert.ok(view.bornHost && view.bornTimestamp instanceof Date);
    await consumer.ack(view);
  }
  const consumer = await simple({ 'sc-normal': FilterExpression.sql(`TAGS IN ('${tag}', '${other}') AND n > 3`) });
  t.after(() => consumer.close());
  const views = await receiveN(consumer, 1);
  assert.deepEqual(views.map((v) => v.body.toString()), ['big n']);
  assert.deepEqual(await consumer.ackBatch(views), [undefined]);
});

test('a batch arrives as separate messages', async (t) => {
  const tag = unique('tag');
  {
    const producer = await new Producer(client({ topics: ['sc-normal'] })).start();
    t.after(() => producer.close());
    assert.equal((await producer.sendBatch([0, 1, 2, 3, 4].map((i) => ({ topic: 'sc-normal', body: `b${i}`, tag })))).length, 5);
  }
  const consumer = await simple({ 'sc-normal': tag });
  t.after(() => consumer.close());
  const views = await receiveN(consumer, 5);
  // Bodies only: a local-mode Apache proxy gives every message of a batch the first one's id
  // and keys (interop/FIDELITY.md).
  assert.deepEqual(views.map((v) => v.body.toString()).sort(), ['b0', 'b1', 'b2', 'b3', 'b4']);
  await consumer.ackBatch(views);
});

test('FIFO order within a message group', async (t) => {
  const tag = unique('tag');
  {
    const producer = await new Producer(client({ topics: ['sc-fifo'] })).start();
    t.after(() => producer.close());
    for (let i = 0; i < 6; i += 1) await producer.send({ topic: 'sc-fifo', body: String(i), tag, messageGroup: `one-${RUN}` });
  }
  const consumer = await simple({ 'sc-fifo': tag }, FIFO_GROUP);
  t.after(() => consumer.close());
  const got = [];
  const deadline = Date.now() + 30000;
  while (got.length < 6 && Date.now() < deadline) {
    for (const view of await consumer.receive(32, 20000)) {
      got.push(Number(view.body.toString()));
      await consumer.ack(view);
    }
  }
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5]);
});

test('a delayed message arrives late and a recalled one never', async (t) => {
  const tag = unique('tag');
  const producer = await new Producer(client({ topics: ['sc-delay'] })).start();
  t.after(() => producer.close());
  const consumer = await simple({ 'sc-delay': tag });
  t.after(() => consumer.close());
  const at = Date.now() + 3000;
  const recalled = await producer.send({ topic: 'sc-delay', body: 'recalled', tag, deliveryTimestamp: at });
  assert.equal(await producer.recallMessage('sc-delay', recalled.recallHandle), recalled.messageId);
  const kept = await producer.send({ topic: 'sc-delay', body: 'kept', tag, deliveryTimestamp: new Date(at) });
  const views = await receiveN(consumer, 1, { timeoutMs: 30000 });
  // Apache's timer wheel has 1 s precision.
  assert.ok(Date.now() >= at - 1000);
  assert.deepEqual(views.map((v) => v.messageId), [kept.messageId]);
  await consumer.ack(views[0]);
});

test('transactions commit, roll back and are checked', async (t) => {
  const tag = unique('tag');
  const checked = [];
  const producer = await new Producer(client({ topics: ['sc-tx'], checker: (view) => {
    checked.push(view.body.toString());
    return 'COMMIT';
  } })).start();
  t.after(() => producer.close());
  const consumer = await simple({ 'sc-tx': tag });
  t.after(() => consumer.close());
  for (const [body, end] of [['committed', 'commit'], ['rolled back', 'rollback'], ['orphan', null]]) {
    const tx = producer.beginTransaction();
    await producer.send({ topic: 'sc-tx', body, tag }, { transaction: tx });
    if (end) await tx[end]();
  }
  // On a cluster the orphan's check waits for the proxy's transaction heartbeat to the
  // brokers (every 20 s by Apache's default, 1 s in our harness).
  const got = (await receiveN(consumer, 2, { timeoutMs: 90000 })).map((v) => v.body.toString()).sort();
  assert.deepEqual(got, ['committed', 'orphan']);
  assert.ok(checked.includes('orphan'));
});

test('a push consumer retries a failed message', async (t) => {
  const tag = unique('tag');
  const attempts = [];
  const done = deferred();
  const consumer = await new PushConsumer(client({ consumerGroup: unique('g'), subscriptions: { 'sc-normal': tag },
    messageListener: (view) => {
      attempts.push(view.deliveryAttempt);
      if (view.deliveryAttempt === 1) return ConsumeResult.FAILURE;
      done.resolve();
      return ConsumeResult.SUCCESS;
    } })).start();
  t.after(() => consumer.close());
  const producer = await new Producer(client({ topics: ['sc-normal'] })).start();
  t.after(() => producer.close());
  await producer.send({ topic: 'sc-normal', body: 'retry me', tag });
  await done.promise;
  assert.deepEqual(attempts.slice(0, 2), [1, 2]);
});

test('concurrent sends and ack batches', async (t) => {
  const tag = unique('tag');
  const producer = await new Producer(client({ topics: ['sc-normal'] })).start();
  t.after(() => producer.close());
  const consumer = await simple({ 'sc-normal': tag });
  t.after(() => consumer.close());
  const sent = await Promise.all(Array.from({ length: 50 }, () => producer.send({ topic: 'sc-normal', body: 'a', tag })));
  const seen = new Set();
  const deadline = Date.now() + 30000;
  while (seen.size < 50 && Date.now() < deadline) {
    const views = await consumer.receive(32, 20000);
    await consumer.ackBatch(views);
    for (const v of views) seen.add(v.messageId);
  }
  assert.deepEqual([...seen].sort(), sent.map((r) => r.messageId).sort());
});

test('server refusals are typed', async (t) => {
  await assert.rejects(new Producer(client({ topics: [unique('missing')] })).start(), NotFoundError);
  {
    const producer = await new Producer(client({ topics: ['sc-normal'] })).start();
    t.after(() => producer.close());
    await assert.rejects(producer.send({ topic: 'sc-normal', body: Buffer.alloc(4 * 1024 * 1024 + 1) }), PayloadTooLargeError);
  }
  const consumer = await simple({ 'sc-normal': unique('tag') });
  t.after(() => consumer.close());
  // Below the server's minimum invisible duration.
  await assert.rejects(consumer.receive(1, 500), BadRequestError);
});
