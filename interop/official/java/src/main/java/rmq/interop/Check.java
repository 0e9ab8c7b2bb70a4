package rmq.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientException;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.LitePushConsumer;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;

/** The official Java client against rmq-mini-broker. Usage: Check HOST:PORT. */
public final class Check {
  private static final ClientServiceProvider P = ClientServiceProvider.loadService();

  private static String body(MessageView view) {
    return StandardCharsets.UTF_8.decode(view.getBody()).toString();
  }

  private static List<MessageView> receive(SimpleConsumer consumer, int want) throws ClientException {
    List<MessageView> out = new ArrayList<>();
    long end = System.currentTimeMillis() + 30_000;
    while (out.size() < want && System.currentTimeMillis() < end) {
      out.addAll(consumer.receive(16, Duration.ofSeconds(30)));
    }
    return out;
  }

  private static SimpleConsumer simple(ClientConfiguration cfg, String group, String topic, FilterExpression filter)
      throws ClientException {
    return P.newSimpleConsumerBuilder().setClientConfiguration(cfg).setConsumerGroup(group)
        .setSubscriptionExpressions(Map.of(topic, filter)).setAwaitDuration(Duration.ofSeconds(5)).build();
  }

  public static void main(String[] args) throws Exception {
    String endpoint = args[0];
    // The client's defaults: TLS on, any server certificate trusted.
    ClientConfiguration tls = ClientConfiguration.newBuilder().setEndpoints(endpoint).build();
    ClientConfiguration plain = ClientConfiguration.newBuilder().setEndpoints(endpoint).enableSsl(false).build();
    try {
      run(tls, plain);
    } catch (Exception e) {
      e.printStackTrace(System.out);
      Tally.check(false, "unexpected " + e);
    }
    Tally.finish("java official client");
  }

  private static void run(ClientConfiguration tls, ClientConfiguration plain) throws Exception {
    Producer producer = P.newProducerBuilder().setClientConfiguration(tls).setTopics("normal", "fifo", "delay").build();
    for (int i = 0; i < 3; i++) {
      producer.send(P.newMessageBuilder().setTopic("normal").setTag("TagA").setKeys("k" + i)
          .addProperty("color", "red").setBody(("n" + i).getBytes(StandardCharsets.UTF_8)).build());
    }
    CountDownLatch three = new CountDownLatch(3);
    PushConsumer push = P.newPushConsumerBuilder().setClientConfiguration(tls).setConsumerGroup("java-push")
        .setSubscriptionExpressions(Map.of("normal", new FilterExpression("TagA", FilterExpressionType.TAG)))
        .setMessageListener(v -> { three.countDown(); return ConsumeResult.SUCCESS; }).build();
    Tally.check(three.await(30, TimeUnit.SECONDS), "push consumer over TLS receives 3 tagged messages");
    push.close();

    for (int i = 0; i < 5; i++) {
      producer.send(P.newMessageBuilder().setTopic("fifo").setMessageGroup("g1")
          .setBody(("f" + i).getBytes(StandardCharsets.UTF_8)).build());
    }
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch five = new CountDownLatch(5);
    PushConsumer fifo = P.newPushConsumerBuilder().setClientConfiguration(plain).setConsumerGroup("java-fifo")
        .setSubscriptionExpressions(Map.of("fifo", FilterExpression.SUB_ALL))
        .setMessageListener(v -> { order.add(body(v)); five.countDown(); return ConsumeResult.SUCCESS; }).build();
    Tally.check(five.await(30, TimeUnit.SECONDS) && order.equals(List.of("f0", "f1", "f2", "f3", "f4")),
        "FIFO push consumer in order " + order);
    fifo.close();

    long at = System.currentTimeMillis() + 1500;
    producer.send(P.newMessageBuilder().setTopic("delay").setDeliveryTimestamp(at).setBody("d".getBytes()).build());
    SimpleConsumer delayed = simple(plain, "java-delay", "delay", FilterExpression.SUB_ALL);
    List<MessageView> late = receive(delayed, 1);
    Tally.check(late.size() == 1 && System.currentTimeMillis() >= at, "delay message arrives after its time");
    for (MessageView v : late) delayed.ack(v);
    delayed.close();

    CountDownLatch asked = new CountDownLatch(1);
    Producer tx = P.newProducerBuilder().setClientConfiguration(plain).setTopics("tx")
        .setTransactionChecker(v -> { asked.countDown(); return TransactionResolution.COMMIT; }).build();
    Transaction committed = tx.beginTransaction();
    tx.send(P.newMessageBuilder().setTopic("tx").setBody("commit".getBytes()).build(), committed);
    committed.commit();
    Transaction orphan = tx.beginTransaction();
    tx.send(P.newMessageBuilder().setTopic("tx").setBody("orphan".getBytes()).build(), orphan);
    Tally.check(asked.await(30, TimeUnit.SECONDS), "transaction checker is asked about an undecided transaction");
    SimpleConsumer txReader = simple(plain, "java-tx", "tx", FilterExpression.SUB_ALL);
    List<MessageView> txs = receive(txReader, 2);
    Tally.check(txs.size() == 2, "committed and checked-then-committed transactions are delivered (" + txs.size() + ")");
    txReader.close();
    tx.close();

    String poison = producer.send(P.newMessageBuilder().setTopic("normal").setTag("Poison").setBody("p".getBytes()).build())
        .getMessageId().toString();
    AtomicInteger attempts = new AtomicInteger();
    PushConsumer failing = P.newPushConsumerBuilder().setClientConfiguration(plain).setConsumerGroup("java-dlq")
        .setSubscriptionExpressions(Map.of("normal", new FilterExpression("Poison", FilterExpressionType.TAG)))
        .setMessageListener(v -> { attempts.incrementAndGet(); return ConsumeResult.FAILURE; }).build();
    SimpleConsumer dlq = simple(plain, "dlq-reader", "%DLQ%java-dlq", FilterExpression.SUB_ALL);
    List<MessageView> dead = receive(dlq, 1);
    Tally.check(dead.size() == 1 && dead.get(0).getMessageId().toString().equals(poison),
        "a message failing its 2 attempts lands in %DLQ%java-dlq (attempts " + attempts.get() + ")");
    failing.close();
    dlq.close();

    producer.send(P.newMessageBuilder().setTopic("fifo").setMessageGroup("poison").setBody("fp".getBytes()).build());
    AtomicInteger fifoAttempts = new AtomicInteger();
    PushConsumer fifoFailing = P.newPushConsumerBuilder().setClientConfiguration(plain).setConsumerGroup("java-fifo-dlq")
        .setSubscriptionExpressions(Map.of("fifo", FilterExpression.SUB_ALL))
        .setMessageListener(v -> { fifoAttempts.incrementAndGet(); return ConsumeResult.FAILURE; }).build();
    SimpleConsumer fifoDlq = simple(plain, "dlq-reader-2", "%DLQ%java-fifo-dlq", FilterExpression.SUB_ALL);
    Tally.check(receive(fifoDlq, 1).size() >= 1, "failing FIFO messages are forwarded to the DLQ after local retries ("
        + fifoAttempts.get() + " listener calls)");
    fifoFailing.close();
    fifoDlq.close();

    producer.send(P.newMessageBuilder().setTopic("normal").setTag("Later").setBody("x".getBytes()).build());
    SimpleConsumer redo = simple(plain, "java-redo", "normal", new FilterExpression("Later", FilterExpressionType.TAG));
    List<MessageView> first = receive(redo, 1);
    if (!first.isEmpty()) redo.changeInvisibleDuration(first.get(0), Duration.ofSeconds(1));
    Thread.sleep(1500);
    List<MessageView> again = receive(redo, 1);
    Tally.check(first.size() == 1 && again.size() == 1 && again.get(0).getDeliveryAttempt() == 2,
        "changeInvisibleDuration(1s) brings the message back with attempt 2");
    for (MessageView v : again) redo.ack(v);
    boolean oldRefused;
    try {
      redo.ack(first.get(0));
      oldRefused = false;
    } catch (ClientException e) {
      oldRefused = true;
    }
    Tally.check(oldRefused, "acking with the replaced receipt handle is refused");
    redo.close();
    producer.close();
    priority(plain);
    lite(plain);
  }

  /**
   * Lite topics (Apache 5.5): a LitePushConsumer gets only the lite topics it subscribed, in order (its group is
   * orderly: the 5.2 client consumes a non-orderly group's batch concurrently), and nothing more of one it
   * unsubscribed.
   */
  private static void lite(ClientConfiguration cfg) throws Exception {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    LitePushConsumer consumer = P.newLitePushConsumerBuilder().setClientConfiguration(cfg).bindTopic("replies")
        .setConsumerGroup("java-lite").setMessageListener(v -> {
          seen.add(v.getLiteTopic().orElse("?") + ":" + body(v));
          return ConsumeResult.SUCCESS;
        }).build();
    consumer.subscribeLite("chat-a");
    Producer producer = P.newProducerBuilder().setClientConfiguration(cfg).setTopics("replies").build();
    for (int i = 0; i < 5; i++) {
      for (String lite : List.of("chat-a", "chat-b")) {
        producer.send(P.newMessageBuilder().setTopic("replies").setLiteTopic(lite)
            .setBody(String.valueOf(i).getBytes(StandardCharsets.UTF_8)).build());
      }
    }
    long end = System.currentTimeMillis() + 30_000;
    while (seen.size() < 5 && System.currentTimeMillis() < end) Thread.sleep(20);
    Tally.check(seen.equals(List.of("chat-a:0", "chat-a:1", "chat-a:2", "chat-a:3", "chat-a:4")),
        "a LitePushConsumer gets only its lite topic, in order " + seen);
    consumer.unsubscribeLite("chat-a");
    consumer.subscribeLite("chat-c");
    producer.send(P.newMessageBuilder().setTopic("replies").setLiteTopic("chat-a").setBody("late".getBytes()).build());
    producer.send(P.newMessageBuilder().setTopic("replies").setLiteTopic("chat-c").setBody("c".getBytes()).build());
    end = System.currentTimeMillis() + 30_000;
    while (!seen.contains("chat-c:c") && System.currentTimeMillis() < end) Thread.sleep(20);
    Tally.check(seen.contains("chat-c:c") && !seen.contains("chat-a:late")
        && consumer.getLiteTopicSet().equals(java.util.Set.of("chat-c")),
        "after unsubscribeLite nothing more of it arrives; the new lite topic does " + seen);
    consumer.close();
    producer.close();
  }

  /** A backlog of priority messages comes back highest priority first (Apache 5.4+ order). */
  private static void priority(ClientConfiguration cfg) throws Exception {
    Producer producer = P.newProducerBuilder().setClientConfiguration(cfg).setTopics("prio").build();
    List<Integer> sent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int priority = (i * 7) % 10;
      sent.add(priority);
      producer.send(P.newMessageBuilder().setTopic("prio").setPriority(priority)
          .setBody(("p" + i).getBytes(StandardCharsets.UTF_8)).build());
    }
    producer.close();
    SimpleConsumer reader = simple(cfg, "java-prio", "prio", FilterExpression.SUB_ALL);
    List<Integer> got = new ArrayList<>();
    long end = System.currentTimeMillis() + 30_000;
    while (got.size() < sent.size() && System.currentTimeMillis() < end) {
      for (MessageView v : reader.receive(4, Duration.ofSeconds(30))) {
        got.add(v.getPriority().orElse(-1));
        reader.ack(v);
      }
    }
    reader.close();
    List<Integer> expected = new ArrayList<>(sent);
    expected.sort(Collections.reverseOrder());
    Tally.check(got.equals(expected), "priority messages come back highest priority first " + got);
  }
}
