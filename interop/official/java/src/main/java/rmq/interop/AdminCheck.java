package rmq.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.producer.Producer;

/**
 * The official Java client against a strict rmq-mini-broker whose topics and groups are made
 * by Apache's admin tool (interop/official/admin.sh). Usage: AdminCheck HOST:PORT before|after.
 * before: the topic the tool will create is refused (TOPIC_NOT_FOUND). after: FIFO messages
 * sent to it are consumed in order per message group by the orderly group the tool created,
 * and the topic the tool deleted is refused again.
 */
public final class AdminCheck {
  private static final ClientServiceProvider P = ClientServiceProvider.loadService();

  /** Whether sending to the topic is refused with TOPIC_NOT_FOUND (40402). */
  private static boolean refused(Producer producer, String topic) {
    try {
      producer.send(P.newMessageBuilder().setTopic(topic).setBody("x".getBytes(StandardCharsets.UTF_8)).build());
      return false;
    } catch (Exception e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        String text = String.valueOf(t.getMessage());
        if (text.contains("40402") || text.contains("TOPIC_NOT_FOUND")) return true;
      }
      e.printStackTrace(System.out);
      return false;
    }
  }

  public static void main(String[] args) throws Exception {
    ClientConfiguration cfg = ClientConfiguration.newBuilder().setEndpoints(args[0]).enableSsl(false)
        .setRequestTimeout(Duration.ofSeconds(5)).build();
    try {
      if (args[1].equals("before")) {
        before(cfg);
      } else {
        after(cfg);
      }
    } catch (Exception e) {
      e.printStackTrace(System.out);
      Tally.check(false, "unexpected " + e);
    }
    Tally.finish("java official client, admin-created resources (" + args[1] + ")");
  }

  private static void before(ClientConfiguration cfg) throws Exception {
    try (Producer producer = P.newProducerBuilder().setClientConfiguration(cfg).build()) {
      Tally.check(refused(producer, "admin-fifo"), "a strict broker refuses a topic nobody created (TOPIC_NOT_FOUND)");
    }
  }

  private static void after(ClientConfiguration cfg) throws Exception {
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    try (Producer producer = P.newProducerBuilder().setClientConfiguration(cfg).setTopics("admin-fifo").build()) {
      for (int i = 0; i < 5; i++) {
        for (String group : List.of("a", "b")) {
          producer.send(P.newMessageBuilder().setTopic("admin-fifo").setMessageGroup(group)
              .setBody((group + i).getBytes(StandardCharsets.UTF_8)).build());
        }
      }
      Tally.check(refused(producer, "admin-temp"), "the topic deleteTopic removed is refused again (TOPIC_NOT_FOUND)");
    }
    CountDownLatch ten = new CountDownLatch(10);
    // The first message of each group is slow: a group that does not consume in order would
    // finish the later ones first.
    PushConsumer consumer = P.newPushConsumerBuilder().setClientConfiguration(cfg).setConsumerGroup("admin-orderly")
        .setSubscriptionExpressions(Map.of("admin-fifo", FilterExpression.SUB_ALL))
        .setMessageListener(v -> {
          String body = StandardCharsets.UTF_8.decode(v.getBody()).toString();
          if (body.endsWith("0")) {
            try {
              Thread.sleep(500);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          order.add(body);
          ten.countDown();
          return ConsumeResult.SUCCESS;
        }).build();
    boolean all = ten.await(60, TimeUnit.SECONDS);
    consumer.close();
    List<String> a = new ArrayList<>();
    List<String> b = new ArrayList<>();
    for (String body : new ArrayList<>(order)) (body.startsWith("a") ? a : b).add(body);
    Tally.check(all && a.equals(List.of("a0", "a1", "a2", "a3", "a4")) && b.equals(List.of("b0", "b1", "b2", "b3", "b4")),
        "the orderly group made by updateSubGroup -o true consumes the FIFO topic made by updateTopic in order " + order);
  }
}
