// Producer behaviour against an in-process mini-broker: every message type, batches, delay and
// recall, transactions with a checker, typed refusals and injected faults.
import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  Producer, SimpleConsumer, FilterExpression, TransactionResolution, RmqError, NotFoundError,
  InvalidArgumentError, ClosedError, TooManyRequestsError, AbortError,
} from 'rmq';
import { MiniBroker } from 'rmq/testing';
import { receiveN, unique, waitFor } from './helpers.mjs';

let broker;
before(async () => {
  broker = await MiniBroker.start({
    topics: { normal: 'NORMAL', fifo: 'FIFO', delay: 'DELAY', tx: 'TRANSACTION' },
    groups: { 'fifo-group': { fifo: true } },
    virtualClock: true,
    strict: true,
    transactionCheckDelay: 1000,
  });
});
after(() => broker.close());

const options = (extra = {}) => ({ endpoints: broker.endpoint, ...extra });
const consumerOf = (topic, filter = '*') =>
  new SimpleConsumer(options({ consumerGroup: unique('g'), subscriptions: { [topic]: filter }, awaitDuration: 200 })).start();

describe('sending', () => {
  test('a normal message arrives with every field', async (t) => {
    const producer = await new Producer(options({ topics: ['normal'] })).start();
    t.after(() => producer.close());
    const tag = unique('tag');
    const receipt = await producer.send({
      topic: 'normal', body: 'o-1', tag, keys: ['k1', 'k2'], properties: new Map([['region', 'eu']]),
    });
    assert.equal(typeof receipt.messageId, 'string');
    assert.equal(receipt.topic, 'normal');
    assert.equal(receipt.endpoint, broker.endpoint);
    assert.equal(receipt.transactionId, undefined);
    const consumer = await consumerOf('normal', tag);
    t.after(() => consumer.close());
    const [view] = await receiveN(consumer, 1);
    assert.equal(view.messageId, receipt.messageId);
    assert.deepEqual(view.body, Buffer.from('o-1'));
    assert.equal(view.tag, tag);
    assert.deepEqual(view.keys, ['k1', 'k2']);
    assert.equal(view.properties.get('region'), 'eu');
    assert.ok(view.properties instanceof Map);
    assert.equal(view.deliveryAttempt, 1);
    assert.ok(view.bornTimestamp instanceof Date);
    assert.ok(view.bornHost.length > 0);
    assert.equal(view.corrupted, false);
    assert.equal(view.priority, null);
    await consumer.ack(view);
  });

  test('a priority message carries its priority', async (t) => {
    broker.createTopic('ranked', 'PRIORITY');
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    await producer.send({ topic: 'ranked', body: 'urgent', priority: 7 });
    const consumer = await consumerOf('ranked');
    t.after(() => consumer.close());
    const [view] = await receiveN(consumer, 1);
    assert.deepEqual([view.body.toString(), view.priority], ['urgent', 7]);
  });

  test('bodies may be a Buffer, a Uint8Array or a string', async (t) => {
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    const tag = unique('tag');
    const bytes = new Uint8Array([0, 1, 2, 3, 255]).subarray(1, 4);
    for (const body of [Buffer.from([9, 9]), bytes, 'héllo']) await producer.send({ topic: 'normal', body, tag });
    const consumer = await consumerOf('normal', tag);
    t.after(() => consumer.close());
    const bodies = (await receiveN(consumer, 3)).map((v) => v.body.toString('hex')).sort();
    assert.deepEqual(bodies, [Buffer.from([9, 9]).toString('hex'), Buffer.from([1, 2, 3]).toString('hex'), Buffer.from('héllo').toString('hex')].sort());
  });

  test('a batch arrives as separate messages', async (t) => {
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    const tag = unique('tag');
    const receipts = await producer.sendBatch([0, 1, 2, 3].map((i) => ({ topic: 'normal', body: `b${i}`, tag })));
    assert.equal(receipts.length, 4);
    assert.equal(new Set(receipts.map((r) => r.messageId)).size, 4);
    const consumer = await consumerOf('normal', tag);
    t.after(() => consumer.close());
    const views = await receiveN(consumer, 4);
    assert.deepEqual(views.map((v) => v.body.toString()).sort(), ['b0', 'b1', 'b2', 'b3']);
    assert.deepEqual(await consumer.ackBatch(views), [undefined, undefined, undefined, undefined]);
  });

  test('FIFO messages of one group arrive in order', async (t) => {
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    const tag = unique('tag');
    for (let i = 0; i < 8; i += 1) await producer.send({ topic: 'fifo', body: String(i), tag, messageGroup: 'g1' });
    const consumer = await new SimpleConsumer(options({ consumerGroup: 'fifo-group', subscriptions: { fifo: tag }, awaitDuration: 200 })).start();
    t.after(() => consumer.close());
    const got = [];
    while (got.length < 8) {
      for (const view of await consumer.receive(32, 10000)) {
        assert.equal(view.messageGroup, 'g1');
        got.push(Number(view.body.toString()));
        await consumer.ack(view);
      }
    }
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('a delayed message waits for its time and a recalled one never comes', async (t) => {
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    const tag = unique('tag');
    const at = new Date(Date.now() + 60_000);
    const kept = await producer.send({ topic: 'delay', body: 'kept', tag, deliveryTimestamp: at });
    const recalled = await producer.send({ topic: 'delay', body: 'recalled', tag, delay: 60_000 });
    assert.equal(typeof recalled.recallHandle, 'string');
    assert.equal(await producer.recallMessage('delay', recalled.recallHandle), recalled.messageId);
    const consumer = await consumerOf('delay', tag);
    t.after(() => consumer.close());
    assert.deepEqual(await consumer.receive(), []);
    broker.advance(61_000);
    const views = await receiveN(consumer, 1);
    assert.deepEqual(views.map((v) => v.messageId), [kept.messageId]);
    assert.equal(views[0].deliveryTimestamp.getTime(), at.getTime());
  });

  test('transactions commit, roll back, and an orphan is resolved by the checker', async (t) => {
    const checked = [];
    const producer = await new Producer(options({
      checker: async (view) => {
        checked.push(view.body.toString());
        return TransactionResolution.COMMIT;
      },
    })).start();
    t.after(() => producer.close());
    const tag = unique('tag');
    for (const [body, end] of [['committed', 'commit'], ['rolled back', 'rollback'], ['orphan', null]]) {
      const tx = producer.beginTransaction();
      const receipt = await producer.send({ topic: 'tx', body, tag }, { transaction: tx });
      assert.equal(typeof receipt.transactionId, 'string');
      if (end) await tx[end]();
    }
    const consumer = await consumerOf('tx', tag);
    t.after(() => consumer.close());
    assert.deepEqual((await consumer.receive()).map((v) => v.body.toString()), ['committed']);
    broker.advance(2000);
    await waitFor(() => checked.includes('orphan'), 20000, 'the checker');
    const views = await receiveN(consumer, 1);
    assert.deepEqual(views.map((v) => v.body.toString()), ['orphan']);
    const ended = producer.beginTransaction();
    await ended.send({ topic: 'tx', body: 'x', tag });
    await ended.commit();
    await assert.rejects(ended.commit(), InvalidArgumentError);
  });

  test('the official send(message, transaction) form works', async (t) => {
    const producer = await new Producer(options({ checker: { check: () => 'ROLLBACK' } })).start();
    t.after(() => producer.close());
    const tx = producer.beginTransaction();
    const receipt = await producer.send({ topic: 'tx', body: 'official', tag: unique('t') }, tx);
    assert.equal(typeof receipt.transactionId, 'string');
    await tx.rollback();
  });
});

describe('refusals', () => {
  test('bad types are TypeErrors, bad values InvalidArgumentErrors, before any I/O', async (t) => {
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    const sends = broker.rpcCalls('SendMessage');
    await assert.rejects(producer.send({ topic: 'normal', body: 42 }), TypeError);
    await assert.rejects(producer.send({ topic: 'normal', body: 'x', keys: 'k' }), TypeError);
    await assert.rejects(producer.send({ topic: 'normal', body: 'x', properties: { n: 1 } }), TypeError);
    await assert.rejects(producer.send({ topic: 'normal', body: 'x', priority: 1.5 }), RangeError);
    await assert.rejects(producer.send(null), TypeError);
    await assert.rejects(producer.send({ topic: 'normal', body: 'x', messageGroup: 'g', deliveryTimestamp: Date.now() }),
      (err) => err instanceof InvalidArgumentError && err.code === 'RMQ_INVALID_ARGUMENT' && err instanceof RmqError);
    await assert.rejects(producer.send({ topic: '', body: 'x' }), InvalidArgumentError);
    await assert.rejects(producer.send({ topic: 'normal', body: '' }), RmqError);
    assert.equal(broker.rpcCalls('SendMessage'), sends);
    assert.throws(() => new Producer({ endpoints: 7 }), TypeError);
    assert.throws(() => new Producer(options({ maxAttempts: {} })), TypeError);
    await assert.rejects(new Producer(options({ maxAttempts: 'three' })).start(), InvalidArgumentError);
    await assert.rejects(new Producer(options({ maxAttempts: 0 })).start(), (err) => err instanceof InvalidArgumentError && /max_attempts/.test(err.message));
    await assert.rejects(new Producer(options({ noSuchOption: 1 })).start(), InvalidArgumentError);
    await assert.rejects(new Producer(options({ maxSendsInFlight: 0 })).start(), (err) => /max_sends_in_flight/.test(err.message));
    assert.throws(() => new Producer(options({ requestTimeout: -1 })), RangeError);
  });

  test('a missing topic is a NotFoundError with the server status', async (t) => {
    const missing = unique('missing');
    await assert.rejects(new Producer(options({ topics: [missing] })).start(), (err) => {
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.code, 'RMQ_NOT_FOUND');
      assert.equal(err.kind, 'not_found');
      assert.equal(err.status, 40402);
      assert.equal(err.topic, missing);
      assert.equal(err.retriable, false);
      return true;
    });
  });

  test('injected throttling is retried, and surfaces typed when it persists', async (t) => {
    const producer = await new Producer(options({ maxAttempts: 2 })).start();
    t.after(() => producer.close());
    broker.failRpc('SendMessage', 'TOO_MANY_REQUESTS', 1);
    await producer.send({ topic: 'normal', body: 'retried' });
    broker.failRpc('SendMessage', 'TOO_MANY_REQUESTS');
    try {
      await assert.rejects(producer.send({ topic: 'normal', body: 'refused' }), (err) =>
        err instanceof TooManyRequestsError && err.retriable === true && err.status === 42900 && err.operation === 'send');
    } finally {
      broker.clearFaults();
    }
  });

  test('a closed or unstarted client rejects with ClosedError', async (t) => {
    const producer = new Producer(options());
    await assert.rejects(producer.send({ topic: 'normal', body: 'x' }), ClosedError);
    await producer.start();
    await producer.close();
    await producer.close();
    await assert.rejects(producer.send({ topic: 'normal', body: 'x' }), (err) => err instanceof ClosedError && err.code === 'RMQ_CLOSED');
    await assert.rejects(producer.start(), ClosedError);
  });

  test('an AbortSignal rejects a pending send with AbortError', async (t) => {
    const producer = await new Producer(options()).start();
    t.after(() => producer.close());
    await assert.rejects(producer.send({ topic: 'normal', body: 'x' }, { signal: AbortSignal.abort() }), AbortError);
    // A server that accepts connections and never answers: the send waits for its route.
    const sockets = new Set();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      silent.close();
    });
    const stuck = await new Producer({ endpoints: `127.0.0.1:${silent.address().port}`, requestTimeout: 2000 }).start();
    t.after(() => stuck.close());
    const controller = new AbortController();
    const started = Date.now();
    const pending = stuck.send({ topic: 'normal', body: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('enough')), 20);
    await assert.rejects(pending, (err) => err instanceof AbortError && err.code === 'ABORT_ERR' && err.cause?.message === 'enough');
    assert.ok(Date.now() - started < 5000);
  });

  test('filters are checked when made', () => {
    assert.throws(() => FilterExpression.sql('  '), InvalidArgumentError);
    assert.throws(() => FilterExpression.tag(''), InvalidArgumentError);
    assert.throws(() => FilterExpression.tag(3), TypeError);
    assert.equal(FilterExpression.ALL.expression, '*');
  });
});
