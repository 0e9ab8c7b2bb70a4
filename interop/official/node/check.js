// The official Node.js client (rocketmq-client-nodejs) against rmq-mini-broker.
// Usage: node check.js HOST:PORT
const { Producer, SimpleConsumer, PushConsumer, ConsumeResult } = require('rocketmq-client-nodejs');

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
}

main()
  .catch(err => { console.log('FAIL unexpected error: ' + (err && err.stack || err)); failed++; })
  .finally(() => {
    console.log(`node official client: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
