// Compiled (never run) by `npm run types`: the public types accept what the README shows and
// refuse what they must.
import {
  Producer, SimpleConsumer, PushConsumer, LitePushConsumer, LiteSimpleConsumer, OffsetOption, FilterExpression, ConsumeResult, TransactionResolution,
  RmqError, NotFoundError, AbortError, setLogger, type MessageView, type SendReceipt,
} from 'rmq';
import { MiniBroker, MiniCluster, useMiniBroker } from 'rmq/testing';

export async function clusterUsage(): Promise<void> {
  const cluster = await MiniCluster.start({ brokers: 2, topics: { t: 'NORMAL' }, admin: true, retention: null, snapshotEvery: 1000 });
  const endpoints: string = cluster.endpoints;
  const admin: string | undefined = cluster.adminEndpoint;
  // @ts-expect-error the admin endpoint may be absent
  const adminAlways: string = cluster.adminEndpoint;
  void admin; void adminAlways;
  await cluster.brokerDown(1);
  await cluster.brokerUp(1);
  cluster.setLatency(0, 50);
  cluster.setListed(2, false);
  const calls: number = cluster.rpcCalls('SendMessage', 0);
  // @ts-expect-error RPC names are checked
  cluster.rpcCalls('SendMesage');
  void endpoints; void calls;
  await cluster.close();
}

export async function usage(): Promise<void> {
  const broker = await MiniBroker.start({ topics: { orders: 'NORMAL' }, groups: { billing: { fifo: false } }, virtualClock: true });
  const producer = await new Producer({ endpoints: broker.endpoint, topics: ['orders'], maxAttempts: 3,
    checker: async (_view: MessageView) => TransactionResolution.COMMIT }).start();
  const receipt: SendReceipt = await producer.send({ topic: 'orders', body: Buffer.from('o-1'), tag: 'new',
    keys: ['o-1'], properties: { region: 'eu' } }, { signal: AbortSignal.timeout(1000) });
  const id: string = receipt.messageId;
  const tx = producer.beginTransaction();
  await producer.send({ topic: 'orders', body: 'x' }, tx);
  await tx.commit();
  await producer.sendBatch([{ topic: 'orders', body: new Uint8Array(2), deliveryTimestamp: new Date() }]);
  const consumer = await new SimpleConsumer({ endpoints: broker.endpoint, consumerGroup: 'billing',
    subscriptions: { orders: '*', other: FilterExpression.sql('a > 1') }, awaitDuration: 5000 }).start();
  for (const view of await consumer.receive({ maxMessages: 16, invisibleDuration: 30000 })) await consumer.ack(view);
  const views: MessageView[] = await consumer.receive(10, 15000);
  const results: Array<RmqError | undefined> = await consumer.ackBatch(views);
  for await (const view of consumer) {
    const region: string | undefined = view.properties.get('region');
    const at: Date | undefined = view.bornTimestamp;
    void region; void at;
    break;
  }
  const push = new PushConsumer({ endpoints: broker.endpoint, consumerGroup: 'g', subscriptions: new Map([['orders', '*']]),
    messageListener: async (view) => (view.deliveryAttempt > 1 ? ConsumeResult.SUCCESS : undefined), consumptionThreads: 4 });
  await push.startup();
  push.unref().ref();
  await push.shutdown();
  setLogger((level, target, message) => console.log(level, target, message), { level: 'info' });
  try {
    await producer.recallMessage('orders', 'handle');
  } catch (err) {
    if (err instanceof NotFoundError) console.log(err.code, err.status, err.retriable);
    if (err instanceof AbortError) console.log(err.code);
  }
  {
    await using scoped = await new Producer({ endpoints: broker.endpoint }).start();
    void scoped;
  }
  broker.advance(1000);
  await consumer.close();
  await producer.close();
  await broker.close();
  void id; void results; void useMiniBroker;

  // @ts-expect-error the body must be bytes or a string
  await producer.send({ topic: 'orders', body: 42 });
  // @ts-expect-error durations are numbers of ms, consumerGroup is required
  new SimpleConsumer({ endpoints: 'x', subscriptions: {} });
  // @ts-expect-error a listener must be given
  new PushConsumer({ endpoints: 'x', consumerGroup: 'g', subscriptions: {} });

  const lite = await new LitePushConsumer({
    endpoints: 'x', consumerGroup: 'agents', topic: 'replies',
    messageListener: (view) => { const name: string | null = view.liteTopic; void name; },
  }).start();
  await lite.subscribeLite('session-1', OffsetOption.MIN);
  await lite.subscribeLite('session-2', OffsetOption.tailN(3));
  const held: string[] = lite.liteTopics;
  void held;
  await producer.send({ topic: 'replies', body: 'hi', liteTopic: 'session-1' });
  // @ts-expect-error a lite consumer has a topic, not subscriptions
  new LitePushConsumer({ endpoints: 'x', consumerGroup: 'g', subscriptions: {}, messageListener: () => {} });
  // @ts-expect-error an offset is an OffsetOption
  await lite.subscribeLite('session-3', 'min');

  const reader = await new LiteSimpleConsumer({
    endpoints: 'x', consumerGroup: 'readers', topic: 'replies', awaitDuration: 1000,
  }).start();
  await reader.subscribeLite('session-1', OffsetOption.MAX);
  for (const view of await reader.receive({ maxMessages: 8, invisibleDuration: 30000 })) {
    const name: string | null = view.liteTopic;
    void name;
    await reader.ack(view);
  }
  const reading: string[] = reader.liteTopics;
  void reading;
  // @ts-expect-error a lite simple consumer has a topic, not subscriptions
  new LiteSimpleConsumer({ endpoints: 'x', consumerGroup: 'g', subscriptions: {} });
}
