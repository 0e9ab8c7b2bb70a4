// rmq/testing: the MiniBroker's verbs and the node:test helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, SimpleConsumer, InvalidArgumentError, ClosedError, InternalServerError } from 'rmq';
import { MiniBroker, useMiniBroker } from 'rmq/testing';
import { receiveN, unique, remotingCall, waitFor } from './helpers.mjs';

const ctx = useMiniBroker({ topics: { t: 'NORMAL' }, groups: { capped: { maxAttempts: 1 } } });

test('useMiniBroker gives the file a running broker', async (t) => {
  assert.match(ctx.broker.endpoint, /^127\.0\.0\.1:\d+$/);
  const producer = await new Producer({ endpoints: ctx.broker.endpoint }).start();
  t.after(() => producer.close());
  const receipt = await producer.send({ topic: 't', body: 'seen' });
  assert.deepEqual(ctx.broker.messages('t').map((m) => [m.messageId, m.body.toString()]), [[receipt.messageId, 'seen']]);
  assert.ok(ctx.broker.rpcCalls('SendMessage') >= 1);
  assert.ok(ctx.broker.connectedClients() >= 1);
});

test('declared topics and groups, dead letters, faults', async (t) => {
  const { broker } = ctx;
  broker.createTopic('later', 'delay');
  broker.createGroup('strict-g', { fifo: false, maxAttempts: 1, retryDelays: [10] });
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['later'] }).start();
  t.after(() => producer.close());
  broker.failRpc('QueryRoute', 'INTERNAL_SERVER_ERROR', 1);
  await assert.rejects(new Producer({ endpoints: broker.endpoint, topics: ['t'], maxAttempts: 1 }).start(),
    (err) => err instanceof InternalServerError && err.status === 50001);
  broker.failRpc('SendMessage', 'INTERNAL_SERVER_ERROR');
  broker.clearFaults();
  const tag = unique('tag');
  const sent = await producer.send({ topic: 't', body: 'dead', tag });
  const consumer = await new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: 'capped', subscriptions: { t: tag }, awaitDuration: 100 }).start();
  t.after(() => consumer.close());
  assert.deepEqual((await receiveN(consumer, 1, { invisibleDuration: 10000 })).map((v) => v.messageId), [sent.messageId]);
  assert.throws(() => broker.advance(1000), InvalidArgumentError);
  assert.throws(() => broker.failRpc('SendMessage', 'NO_SUCH_CODE'), InvalidArgumentError);
  assert.throws(() => broker.createTopic('x', 'SIDEWAYS'), RangeError);
  assert.throws(() => broker.createGroup('x', { retries: 3 }), RangeError);
  assert.throws(() => broker.createGroup('x', { maxAttempts: 0 }), InvalidArgumentError);
  assert.throws(() => broker.messages(5), TypeError);
  assert.throws(() => broker.rpcCalls(null), TypeError);
  assert.throws(() => broker.failRpc('SendMessage', 42), TypeError);
  assert.throws(() => broker.failRpc('SendMesage', 'TOO_MANY_REQUESTS'), (err) => err instanceof InvalidArgumentError && /SendMesage/.test(err.message));
  assert.throws(() => broker.rpcCalls('sendmessage'), InvalidArgumentError);
  assert.throws(() => broker.pushRpcErrors('SendMessage', 'TOO_MANY_REQUESTS'), TypeError);
  assert.throws(() => broker.pushRpcErrors('SendMessage', ['NOT_A_CODE']), InvalidArgumentError);
});

test('pushed errors answer the coming calls in order', async (t) => {
  const { broker } = ctx;
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['t'], maxAttempts: 1 }).start();
  t.after(() => producer.close());
  const before = broker.rpcCalls('SendMessage');
  broker.pushRpcErrors('SendMessage', ['TOO_MANY_REQUESTS', 'FORBIDDEN']);
  await assert.rejects(producer.send({ topic: 't', body: '1' }), (err) => err.code === 'RMQ_TOO_MANY_REQUESTS');
  await assert.rejects(producer.send({ topic: 't', body: '2' }), (err) => err.code === 'RMQ_FORBIDDEN');
  await producer.send({ topic: 't', body: '3' });
  assert.equal(broker.rpcCalls('SendMessage') - before, 3);
});

test('a virtual clock moves only with advance(); a closed broker refuses its verbs', async () => {
  const broker = await MiniBroker.start({ virtualClock: true, groups: { capped: { maxAttempts: 1 } } });
  const producer = await new Producer({ endpoints: broker.endpoint }).start();
  const sent = await producer.send({ topic: 'v', body: 'once' });
  const consumer = await new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: 'capped', subscriptions: { v: '*' }, awaitDuration: 100 }).start();
  assert.equal((await receiveN(consumer, 1, { invisibleDuration: 10000 })).length, 1);
  broker.advance(11000);
  await consumer.receive({ maxMessages: 1, invisibleDuration: 10000 });
  assert.deepEqual(broker.deadLetters('capped').map((m) => m.messageId), [sent.messageId]);
  await consumer.close();
  await producer.close();
  await broker.close();
  assert.equal(broker.closed, true);
  await broker.close();
  assert.throws(() => broker.messages('v'), ClosedError);
  await assert.rejects(MiniBroker.start({ topics: { x: 'SIDEWAYS' } }), RangeError);
  await assert.rejects(MiniBroker.start({ transactionCheckDelay: '1s' }), TypeError);
});


test('the admin facade creates topics a strict broker then serves', async (t) => {
  const broker = await MiniBroker.start({ strict: true, admin: true });
  t.after(() => broker.close());
  assert.match(broker.adminEndpoint, /^127\.0\.0\.1:\d+$/);
  const [answer] = await remotingCall(broker.adminEndpoint, 17, { topic: 'made', readQueueNums: '2', writeQueueNums: '2', attributes: '+message.type=FIFO' });
  assert.equal(answer.code, 0);
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['made'] }).start();
  t.after(() => producer.close());
  await producer.send({ topic: 'made', body: 'x', messageGroup: 'g' });
  assert.equal(broker.messages('made').length, 1);
  const plain = await MiniBroker.start();
  t.after(() => plain.close());
  assert.equal(plain.adminEndpoint, undefined);
});

test('retention drops what was consumed; snapshots cover the journal', async (t) => {
  const { mkdtempSync, existsSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = mkdtempSync(join(tmpdir(), 'rmq-node-retention-'));
  const broker = await MiniBroker.start({ topics: { t: 'NORMAL' }, dataDir, retention: 0, snapshotEvery: 1 });
  t.after(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['t'] }).start();
  t.after(() => producer.close());
  await producer.send({ topic: 't', body: 'consumed' });
  const consumer = await new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: unique('g'), subscriptions: { t: '*' }, awaitDuration: 5000 }).start();
  t.after(() => consumer.close());
  for (const view of await receiveN(consumer, 1)) await consumer.ack(view);
  await waitFor(() => broker.messages('t').length === 0, 20000, 'retention to drop the consumed message');
  await waitFor(() => existsSync(join(dataDir, 'snapshot')), 20000, 'a snapshot');
  await assert.rejects(MiniBroker.start({ retention: -1 }), InvalidArgumentError);
  await assert.rejects(MiniBroker.start({ snapshotEvery: 0 }), RangeError);
  const keeping = await MiniBroker.start({ retention: null, snapshotEvery: null });
  await keeping.close();
});
