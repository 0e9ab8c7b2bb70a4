// rmq/testing's MiniCluster: one route over several brokers, one of them going down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Producer, PushConsumer, ConsumeResult, InvalidArgumentError, ClosedError } from 'rmq';
import { MiniCluster } from 'rmq/testing';
import { remotingCall } from './helpers.mjs';

test('a producer and a push consumer ride out a broker going down', async (t) => {
  const cluster = await MiniCluster.start({ brokers: 3, topics: { t: 'NORMAL' } });
  t.after(() => cluster.close());
  assert.equal(cluster.endpoints.split(';').length, 3);
  const producer = await new Producer({ endpoints: cluster.endpoints, topics: ['t'] }).start();
  const acked = [];
  for (let i = 0; i < 30; i++) acked.push((await producer.send({ topic: 't', body: `a${i}` })).messageId);
  for (const b of [0, 1, 2]) assert.ok(cluster.messages('t', b).length > 0, `broker ${b} got sends`);
  await cluster.brokerDown(1);
  const onDown = cluster.messages('t', 1).length;
  for (let i = 0; i < 30; i++) acked.push((await producer.send({ topic: 't', body: `b${i}` })).messageId);
  assert.equal(cluster.messages('t', 1).length, onDown, 'nothing reached the down broker');
  const stored = new Set(cluster.messages('t').map((m) => m.messageId));
  for (const id of acked) assert.ok(stored.has(id), `acknowledged ${id} is stored`);
  await producer.close();

  // The consumer comes in through a live broker; the down one's messages wait for brokerUp.
  const seen = [];
  let all;
  const done = new Promise((resolve) => { all = resolve; });
  const consumer = await new PushConsumer({ endpoints: cluster.endpoint(0), consumerGroup: 'g',
    subscriptions: { t: '*' }, messageListener: (view) => {
      seen.push(view.body.toString());
      if (seen.length === 60) all();
      return ConsumeResult.SUCCESS;
    } }).start();
  t.after(() => consumer.close());
  await cluster.brokerUp(1);
  await done;
  assert.equal(new Set(seen).size, 60);
  assert.ok(cluster.rpcCalls('SendMessage') >= 60);
});

test('bad indexes and names are refused; a closed cluster refuses its verbs', async () => {
  const cluster = await MiniCluster.start({ brokers: 2 });
  assert.throws(() => cluster.endpoint(2), RangeError);
  assert.throws(() => cluster.brokerDown(-1), RangeError);
  assert.throws(() => cluster.brokerDown('0'), TypeError);
  assert.throws(() => cluster.messages('t', 5), InvalidArgumentError);
  assert.throws(() => cluster.failRpc('SendMesage', 'TOO_MANY_REQUESTS'), InvalidArgumentError);
  cluster.setLatency(0, 20);
  cluster.clearFaults();
  await assert.rejects(MiniCluster.start({ brokers: 0 }), RangeError);
  await cluster.close();
  await cluster.close();
  assert.ok(cluster.closed);
  assert.throws(() => cluster.messages('t'), ClosedError);
});

test('the admin facade answers for every broker of the cluster', async (t) => {
  const cluster = await MiniCluster.start({ brokers: 2, admin: true });
  t.after(() => cluster.close());
  const [answer, body] = await remotingCall(cluster.adminEndpoint, 106, {});
  assert.equal(answer.code, 0);
  assert.deepEqual(JSON.parse(body.toString()).clusterAddrTable.DefaultCluster, ['broker-0', 'broker-1']);
});

test('a broker left out of the routes keeps serving but gets no sends of new producers', async (t) => {
  const cluster = await MiniCluster.start({ brokers: 3, topics: { t: 'NORMAL' } });
  t.after(() => cluster.close());
  assert.throws(() => cluster.setListed(1, 'no'), TypeError);
  assert.throws(() => cluster.setListed(-1, false), RangeError);
  const sendThirty = async (tag) => {
    const producer = await new Producer({ endpoints: cluster.endpoint(0), topics: ['t'] }).start();
    for (let i = 0; i < 30; i++) await producer.send({ topic: 't', body: `${tag}${i}` });
    await producer.close();
  };
  cluster.setListed(1, false);
  await sendThirty('hidden');
  assert.equal(cluster.messages('t', 1).length, 0, 'the unlisted broker got no sends');
  assert.ok(cluster.messages('t', 0).length > 0 && cluster.messages('t', 2).length > 0);
  cluster.setListed(1, true);
  await sendThirty('listed');
  assert.ok(cluster.messages('t', 1).length > 0, 'listed again, it gets sends');
});
