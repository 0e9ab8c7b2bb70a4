// Quickstart: send a message and receive it. With no argument it starts an in-process
// MiniBroker; give an endpoint ("127.0.0.1:8081") to use a real RocketMQ 5 proxy, whose topic
// `quickstart` (NORMAL) must exist.
//   node examples/quickstart.mjs [endpoint]
import { Producer, SimpleConsumer } from 'rmq';
import { MiniBroker } from 'rmq/testing';

let endpoints = process.argv[2];
let broker = null;
if (!endpoints) {
  broker = await MiniBroker.start({ topics: { quickstart: 'NORMAL' } });
  endpoints = broker.endpoint;
}
const tag = `qs-${process.pid}-${Date.now()}`;

const producer = await new Producer({ endpoints, topics: ['quickstart'] }).start();
const receipt = await producer.send({
  topic: 'quickstart', body: Buffer.from('hello, RocketMQ'), tag, keys: ['order-1'], properties: { region: 'eu' },
});
console.log(`sent ${receipt.messageId}`);

const consumer = await new SimpleConsumer({
  endpoints, consumerGroup: `quickstart-${tag}`, subscriptions: { quickstart: tag }, awaitDuration: 5000,
}).start();
let received = 0;
for await (const view of consumer.messages({ maxMessages: 16, invisibleDuration: 30000 })) {
  console.log(`received ${view.messageId}: ${view.body.toString()} (region ${view.properties.get('region')})`);
  await consumer.ack(view);
  received += 1;
  break;
}

await consumer.close();
await producer.close();
await broker?.close();
if (received !== 1) {
  console.error('quickstart: nothing received');
  process.exitCode = 1;
}
