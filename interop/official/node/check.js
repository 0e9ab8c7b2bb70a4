// The official Node.js client (rocketmq-client-nodejs) against rmq-mini-broker.
// Usage: node check.js HOST:PORT
const { Producer, SimpleConsumer, PushConsumer, ConsumeResult } = require('rocketmq-client-nodejs');
const { TransactionResolution } = require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb');

const endpoints = process.argv[2];
let passed = 0;
let failed = 0;
const check = (ok, what) => {
  console.log((ok ? 'PASS ' : 'FAIL ') + what);
  if (ok) passed++; else failed++;
};
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function main() {
  const producer = new Producer({ endpoints, topics: ['normal', 'fifo'] });
  await producer.startup();
  for (let i = 0; i < 3; i++) {
    await producer.send({ topic: 'normal', tag: 'TagA', keys: ['k' + i], properties: new Map([['color', 'red']]), body: Buffer.from('n' + i) });
  }
  const simple = new SimpleConsumer({ endpoints, consumerGroup: 'node-simple', subscriptions: new Map([['normal', 'TagA']]), awaitDuration: 5000 });
  await simple.startup();
  const got = [];
  const until = Date.now() + 20000;
  while (got.length < 3 && Date.now() < until) {
    for (const view of await simple.receive(32, 15000)) {
      got.push(view);
      await simple.ack(view);
    }
  }
  check(got.length === 3 && got.every(v => v.properties.get('color') === 'red'), `simple consumer receives and acks 3 (${got.length})`);
  await simple.shutdown();

  for (let i = 0; i < 4; i++) await producer.send({ topic: 'fifo', messageGroup: 'g1', body: Buffer.from('f' + i) });
  const order = [];
  const push = new PushConsumer({
    endpoints, consumerGroup: 'node-fifo', subscriptions: new Map([['fifo', '*']]),
    messageListener: { consume: async view => { order.push(view.body.toString()); return ConsumeResult.SUCCESS; } },
  });
  await push.startup();
  const until2 = Date.now() + 20000;
  while (order.length < 4 && Date.now() < until2) await sleep(100);
  check(JSON.stringify(order) === JSON.stringify(['f0', 'f1', 'f2', 'f3']), `FIFO push consumer in order [${order}]`);
  await push.shutdown();
  await producer.shutdown();

  await delayAndRedelivery();
  await transactions();
}

// Receives with `consumer` until `want` views arrived or `ms` passed.
async function receive(consumer, want, ms, invisibleMs = 10000) {
  const got = [];
  const until = Date.now() + ms;
  while (got.length < want && Date.now() < until) got.push(...await consumer.receive(32, invisibleMs));
  return got;
}

async function delayAndRedelivery() {
  const producer = new Producer({ endpoints, topics: ['delay', 'normal'] });
  await producer.startup();
  const due = Date.now() + 1500;
  await producer.send({ topic: 'delay', tag: 'later', body: Buffer.from('d'), deliveryTimestamp: new Date(due) });
  const delayed = new SimpleConsumer({ endpoints, consumerGroup: 'node-delay', subscriptions: new Map([['delay', 'later']]), awaitDuration: 5000 });
  await delayed.startup();
  const got = await receive(delayed, 1, 20000);
  check(got.length === 1 && Date.now() >= due, `delay message delivered at its time (${got.length})`);
  for (const view of got) await delayed.ack(view);
  await delayed.shutdown();

  await producer.send({ topic: 'normal', tag: 'again', body: Buffer.from('r') });
  const consumer = new SimpleConsumer({ endpoints, consumerGroup: 'node-redelivery', subscriptions: new Map([['normal', 'again']]), awaitDuration: 5000 });
  await consumer.startup();
  const first = await receive(consumer, 1, 20000);
  const again = await receive(consumer, 1, 30000);
  check(first.length === 1 && again.length === 1 && again[0].messageId === first[0].messageId &&
    again[0].deliveryAttempt === 2, `unacked message redelivered with attempt 2 (${again.map(v => v.deliveryAttempt)})`);
  for (const view of again) await consumer.ack(view);
  await consumer.shutdown();
  await producer.shutdown();
}

async function transactions() {
  const checked = [];
  const producer = new Producer({
    endpoints, topics: ['tx'],
    checker: { check: async view => { checked.push(view.body.toString()); return TransactionResolution.COMMIT; } },
  });
  await producer.startup();
  const committed = producer.beginTransaction();
  await producer.send({ topic: 'tx', tag: 'node-tx', body: Buffer.from('committed') }, committed);
  await committed.commit();
  // Left undecided: the broker asks the checker, which commits.
  await producer.send({ topic: 'tx', tag: 'node-tx', body: Buffer.from('orphan') }, producer.beginTransaction());
  const consumer = new SimpleConsumer({ endpoints, consumerGroup: 'node-tx', subscriptions: new Map([['tx', 'node-tx']]), awaitDuration: 5000 });
  await consumer.startup();
  const got = await receive(consumer, 2, 30000);
  const bodies = got.map(v => v.body.toString()).sort();
  check(JSON.stringify(bodies) === JSON.stringify(['committed', 'orphan']) && checked.includes('orphan'),
    `transaction committed, orphan resolved by the checker [${bodies}]`);
  for (const view of got) await consumer.ack(view);
  await consumer.shutdown();
  await producer.shutdown();
}

main()
  .catch(err => { console.log('FAIL unexpected error: ' + (err && err.stack || err)); failed++; })
  .finally(() => {
    console.log(`node official client: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
