// SimpleConsumer against an in-process mini-broker: filters, redelivery, invisible duration,
// ack batches, the dead-letter queue, async iteration and cancellation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, SimpleConsumer, FilterExpression, BadRequestError, InvalidArgumentError, AbortError } from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { receiveN, unique } from './helpers.mjs';

let broker;
let producer;
before(async () => {
  broker = await MiniBroker.start({ topics: { normal: 'NORMAL' }, virtualClock: true, groups: { 'dlq-group': { maxAttempts: 2 } } });
  producer = await new Producer({ endpoints: broker.endpoint }).start();
});
after(async () => {
  await producer.close();
  await broker.close();
});

const consumer = (subscriptions, group = unique('g')) =>
  new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: group, subscriptions, awaitDuration: 200 }).start();

test('tag and SQL filters select messages', async (t) => {
  const tag = unique('tag');
  const other = unique('other');
  await producer.send({ topic: 'normal', body: 'small', tag, properties: { n: '1' } });
  await producer.send({ topic: 'normal', body: 'big', tag: other, properties: { n: '7' } });
  const byTag = await consumer({ normal: FilterExpression.tag(`${tag}||nothing`) });
  t.after(() => byTag.close());
  assert.deepEqual((await receiveN(byTag, 1)).map((v) => v.body.toString()), ['small']);
  const bySql = await consumer(new Map([['normal', FilterExpression.sql(`TAGS IN ('${tag}', '${other}') AND n > 3`)]]));
  t.after(() => bySql.close());
  assert.deepEqual((await receiveN(bySql, 1)).map((v) => v.body.toString()), ['big']);
});

test('an unacked message comes back with the next attempt; its old handle is refused', async (t) => {
  const tag = unique('tag');
  await producer.send({ topic: 'normal', body: 'again', tag });
  const c = await consumer({ normal: tag });
  t.after(() => c.close());
  const [first] = await c.receive(1, 10000);
  assert.equal(first.deliveryAttempt, 1);
  const staleHandle = first.receiptHandle;
  broker.advance(11000);
  const [second] = await receiveN(c, 1);
  assert.equal(second.messageId, first.messageId);
  assert.equal(second.deliveryAttempt, 2);
  assert.notEqual(second.receiptHandle, staleHandle);
  await assert.rejects(c.ack(first), (err) => err instanceof BadRequestError && err.status >= 40000 && err.operation === 'ack');
  await c.ack(second);
});

test('changeInvisibleDuration moves the view to its new handle', async (t) => {
  const tag = unique('tag');
  await producer.send({ topic: 'normal', body: 'hold', tag });
  const c = await consumer({ normal: tag });
  t.after(() => c.close());
  const [view] = await c.receive({ maxMessages: 1, invisibleDuration: 10000 });
  const before_ = view.receiptHandle;
  await c.changeInvisibleDuration(view, 60000);
  assert.notEqual(view.receiptHandle, before_);
  broker.advance(20000);
  assert.deepEqual(await c.receive(), []);
  await c.ack(view);
});

test('ackBatch reports each view', async (t) => {
  const tag = unique('tag');
  await producer.sendBatch([1, 2, 3].map((i) => ({ topic: 'normal', body: `a${i}`, tag })));
  const c = await consumer({ normal: tag });
  t.after(() => c.close());
  const [stale] = await receiveN(c, 3, { invisibleDuration: 10000 });
  broker.advance(11000);
  const again = await receiveN(c, 3, { invisibleDuration: 10000 });
  const results = await c.ackBatch([stale, ...again]);
  assert.equal(results.length, 4);
  assert.ok(results[0] instanceof BadRequestError, String(results[0]));
  assert.deepEqual(results.slice(1), [undefined, undefined, undefined]);
});

test('a message never acked goes to the dead-letter queue after its attempts', async (t) => {
  const tag = unique('tag');
  const sent = await producer.send({ topic: 'normal', body: 'doomed', tag });
  const c = await consumer({ normal: tag }, 'dlq-group');
  t.after(() => c.close());
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    const [view] = await receiveN(c, 1, { invisibleDuration: 10000 });
    assert.equal(view.deliveryAttempt, attempt);
    broker.advance(11000);
  }
  assert.deepEqual(await c.receive(), []);
  assert.deepEqual(broker.deadLetters('dlq-group').map((m) => m.messageId), [sent.messageId]);
});

test('async iteration long-polls; break and an AbortSignal end it', async (t) => {
  const tag = unique('tag');
  await producer.sendBatch([1, 2, 3].map((i) => ({ topic: 'normal', body: `i${i}`, tag })));
  const c = await consumer({ normal: tag });
  t.after(() => c.close());
  const seen = [];
  for await (const view of c) {
    seen.push(view.body.toString());
    await c.ack(view);
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen.sort(), ['i1', 'i2', 'i3']);
  const controller = new AbortController();
  const iterating = (async () => {
    for await (const view of c.messages({ signal: controller.signal })) seen.push(view);
  })();
  controller.abort();
  await iterating;
  assert.equal(seen.length, 3);
});

test('an AbortSignal cancels a pending receive', async (t) => {
  const c = await new SimpleConsumer({
    endpoints: broker.endpoint, consumerGroup: unique('g'), subscriptions: { normal: unique('none') }, awaitDuration: 30000,
  }).start();
  t.after(() => c.close());
  const started = Date.now();
  await assert.rejects(c.receive({ signal: AbortSignal.timeout(50) }), AbortError);
  assert.ok(Date.now() - started < 5000);
});

test('receive arguments are checked before anything else', async (t) => {
  const c = new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: unique('g'), subscriptions: { normal: '*' } });
  await assert.rejects(c.receive({ maxMessages: 0 }), InvalidArgumentError);
  await assert.rejects(c.receive({ maxMessages: '3' }), TypeError);
  await assert.rejects(c.receive(1, -5), InvalidArgumentError);
  assert.throws(() => new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: 'g', subscriptions: ['normal'] }), TypeError);
  await assert.rejects(new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: 'g', subscriptions: {} }).start(), InvalidArgumentError);
});
