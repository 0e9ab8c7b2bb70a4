/* SPDX-License-Identifier: Apache-2.0 */
/* The legacy API's behaviour suite (librocketmq), against an in-process mini-broker started
 * through rmq.h (librocketmq carries the modern API too): the NULL contract, message reuse and
 * ids, reserved properties, delay levels, sharding keys and selectors, batches, async
 * callbacks, transactions (commit, rollback, an unknown one resolved by the checker), push
 * consumption with failure and redelivery, orderly consumption, what 5.x cannot do, and pull.
 * Run under valgrind by the test command. */
#include "check.h"

#include "CBatchMessage.h"
#include "CErrorMessage.h"
#include "CMessage.h"
#include "CMessageExt.h"
#include "CProducer.h"
#include "CPullConsumer.h"
#include "CPushConsumer.h"

static char endpoint[64];
static rmq_mini_broker* broker;

static CProducer* producer_new(const char* group) {
  CProducer* p = CreateProducer(group);
  CHECK(p != NULL);
  CHECK(SetProducerNameServerAddress(p, endpoint) == OK);
  CHECK(SetProducerSendMsgTimeout(p, 3000) == OK);
  CHECK(StartProducer(p) == OK);
  return p;
}

static void test_null_contract(void) {
  CHECK(CreateProducer(NULL) == NULL);
  CHECK(CreatePushConsumer(NULL) == NULL);
  CHECK(DestroyProducer(NULL) == NULL_POINTER);
  CHECK(DestroyMessage(NULL) == NULL_POINTER);
  CHECK(DestroyPushConsumer(NULL) == NULL_POINTER);
  CHECK(DestroyPullConsumer(NULL) == NULL_POINTER);
  CHECK(DestroyBatchMessage(NULL) == NULL_POINTER);
  CHECK(StartProducer(NULL) == NULL_POINTER);
  CHECK(SendMessageSync(NULL, NULL, NULL) == NULL_POINTER);
  CHECK(GetOriginMessageTopic(NULL) == NULL);
  CHECK(GetOriginDelayTimeLevel(NULL) == -1);
  CHECK(GetOriginMessageBodyLength(NULL) == 0);
  CHECK(GetMessageQueueId(NULL) == NULL_POINTER); /* the original's quirk */
  CHECK(strcmp(ShowProducerVersion(NULL), "") != 0);

  /* a message with nothing set answers "" for every string, never NULL */
  CMessage* m = CreateMessage(NULL);
  CHECK(strcmp(GetOriginMessageTopic(m), "") == 0);
  CHECK(strcmp(GetOriginMessageTags(m), "") == 0);
  CHECK(strcmp(GetOriginMessageKeys(m), "") == 0);
  CHECK(strcmp(GetOriginMessageBody(m), "") == 0);
  CHECK(strcmp(GetOriginMessageProperty(m, "absent"), "") == 0);
  CHECK(SetByteMessageBody(m, "abc", -1) == NULL_POINTER);
  CHECK(SetMessageBody(m, NULL) == NULL_POINTER);
  /* reserved names: KEYS, TAGS and DELAY are typed fields; others are dropped */
  CHECK(SetMessageProperty(m, "KEYS", "a b") == OK);
  CHECK(SetMessageProperty(m, "TAGS", "T") == OK);
  CHECK(SetMessageProperty(m, "DELAY", "3") == OK);
  CHECK(SetMessageProperty(m, "WAIT", "true") == OK);
  CHECK(strcmp(GetOriginMessageKeys(m), "a b") == 0);
  CHECK(strcmp(GetOriginMessageTags(m), "T") == 0);
  CHECK(GetOriginDelayTimeLevel(m) == 3);
  CHECK(strcmp(GetOriginMessageProperty(m, "WAIT"), "") == 0);
  DestroyMessage(m);

  /* what 5.x cannot do */
  CProducer* p = CreateProducer("legacy_null_group");
  CHECK(SetProducerNameServerDomain(p, "http://jmenv.example") == NOT_SUPPORT_NOW);
  CHECK(strstr(GetLatestErrorMessage(), "HTTP name-server") != NULL);
  /* no address and no NAMESRV_ADDR: start fails with the family's code and a reason */
  unsetenv("NAMESRV_ADDR");
  CHECK(StartProducer(p) == PRODUCER_START_FAILED);
  CHECK(strstr(GetLatestErrorMessage(), "NAMESRV_ADDR") != NULL);
  CHECK(DestroyProducer(p) == OK);

  CPushConsumer* c = CreatePushConsumer("legacy_broadcast_group");
  CHECK(SetPushConsumerMessageModel(c, BROADCASTING) == NOT_SUPPORT_NOW);
  CHECK(SetPushConsumerNameServerAddress(c, endpoint) == OK);
  CHECK(Subscribe(c, "LegacyTopic", "*") == OK);
  CHECK(StartPushConsumer(c) == PUSHCONSUMER_START_FAILED); /* no callback */
  CHECK(SetPushConsumerThreadCount(c, 0) == NULL_POINTER);
  CHECK(SetPushConsumerMaxCacheMessageSizeInMb(c, 16) == OK);
  CHECK(DestroyPushConsumer(c) == OK);
  printf("ok legacy NULL contract, empty strings, reserved properties, refusals\n");
}

static void test_sends(void) {
  setenv("NAMESRV_ADDR", endpoint, 1); /* read when the address is never set */
  CProducer* p = CreateProducer("legacy_send_group");
  CHECK(StartProducer(p) == OK);
  CMessage* m = CreateMessage("LegacyTopic");
  SetMessageTags(m, "TagA");
  SetMessageKeys(m, "k1 k2");
  SetMessageBody(m, "reused");
  SetMessageProperty(m, "region", "eu");
  CSendResult first, second;
  CHECK(SendMessageSync(p, m, &first) == OK);
  CHECK(first.sendStatus == E_SEND_OK);
  CHECK(strcmp(GetOriginMessageProperty(m, "UNIQ_KEY"), first.msgId) == 0);
  CHECK(SendMessageSync(p, m, &second) == OK);
  CHECK(strcmp(first.msgId, second.msgId) != 0); /* a new id on every send */

  /* a body over the producer's own limit fails with the send's code */
  CHECK(SetProducerMaxMessageSize(p, 3) == OK);
  CHECK(SendMessageSync(p, m, &first) == PRODUCER_SEND_SYNC_FAILED);
  CHECK(strstr(GetLatestErrorMessage(), "SetProducerMaxMessageSize") != NULL);
  CHECK(SetProducerMaxMessageSize(p, 4 * 1024 * 1024) == OK);

  /* batch: the ids joined with ',' */
  CBatchMessage* batch = CreateBatchMessage();
  for (int i = 0; i < 3; i++) CHECK(AddMessage(batch, m) == OK);
  DestroyMessage(m); /* the batch holds copies */
  CSendResult result;
  CHECK(SendBatchMessage(p, batch, &result) == OK);
  int commas = 0;
  for (const char* c = result.msgId; *c; c++) commas += *c == ',';
  CHECK(commas == 2);
  DestroyBatchMessage(batch);

  /* a FIFO message on a NORMAL topic is refused with the orderly code */
  CMessage* ordered = CreateMessage("LegacyTopic");
  SetMessageBody(ordered, "x");
  CHECK(SendMessageOrderlyByShardingKey(p, ordered, "key", &result) == PRODUCER_SEND_ORDERLY_FAILED);
  /* a delay with a sharding key is invalid in 5.x */
  SetMessageTopic(ordered, "LegacyFifoTopic");
  SetDelayTimeLevel(ordered, 2);
  CHECK(SendMessageOrderlyByShardingKey(p, ordered, "key", &result) == PRODUCER_SEND_ORDERLY_FAILED);
  CHECK(strstr(GetLatestErrorMessage(), "delay") != NULL);
  DestroyMessage(ordered);
  CHECK(ShutdownProducer(p) == OK);
  CHECK(DestroyProducer(p) == OK);
  printf("ok legacy sends: reuse, NAMESRV_ADDR, size limit, batch, orderly refusals\n");
}

static int pick_last(int size, CMessage* msg, void* arg) {
  (void)msg;
  *(int*)arg = size;
  return size - 1;
}

static int pick_outside(int size, CMessage* msg, void* arg) {
  (void)msg;
  (void)arg;
  return size;
}

static counter consumed;
static int last_order = -1;
static int out_of_order;

static int orderly_listener(CPushConsumer* consumer, CMessageExt* msg) {
  (void)consumer;
  int seq = atoi(GetMessageBody(msg));
  CHECK(strcmp(GetMessageProperty(msg, "__SHARDINGKEY"), "order-7") == 0);
  if (seq != last_order + 1) out_of_order++;
  last_order = seq;
  counter_add(&consumed, 1);
  return E_CONSUME_SUCCESS;
}

static void test_orderly(void) {
  counter_init(&consumed);
  CPushConsumer* c = CreatePushConsumer("legacy_fifo_group");
  SetPushConsumerNameServerAddress(c, endpoint);
  Subscribe(c, "LegacyFifoTopic", "*");
  CHECK(RegisterMessageCallbackOrderly(c, orderly_listener) == OK);
  CHECK(StartPushConsumer(c) == OK);
  CHECK(strcmp(GetPushConsumerGroupID(c), "legacy_fifo_group") == 0);

  CProducer* p = producer_new("legacy_orderly_group");
  CMessage* m = CreateMessage("LegacyFifoTopic");
  CSendResult result;
  for (int i = 0; i < 10; i++) {
    char body[8];
    snprintf(body, sizeof body, "%d", i);
    SetMessageBody(m, body);
    CHECK(SendMessageOrderlyByShardingKey(p, m, "order-7", &result) == OK);
  }
  /* a selector sees the number of writable queues and picks one; outside the range fails */
  int size = 0;
  CMessage* selected = CreateMessage("LegacySelectTopic");
  SetMessageBody(selected, "selected");
  CHECK(SendMessageOrderly(p, selected, pick_last, &size, 1, &result) == OK);
  CHECK(size == 4);
  CHECK(SendMessageOrderly(p, selected, pick_outside, &size, 1, &result) == PRODUCER_SEND_ORDERLY_FAILED);
  CHECK(strstr(GetLatestErrorMessage(), "outside") != NULL);
  DestroyMessage(selected);
  DestroyMessage(m);
  CHECK(counter_wait(&consumed, 10, 30) == 10);
  CHECK(out_of_order == 0);
  CHECK(ShutdownPushConsumer(c) == OK);
  DestroyPushConsumer(c);
  DestroyProducer(p);
  counter_destroy(&consumed);
  printf("ok legacy orderly: sharding key in order, queue selector\n");
}

typedef struct {
  counter calls;
  int reconsumed;
  int shutdown_inside;
} push_state;

static push_state push;

/* Fails the first delivery; the second arrives with a reconsume count of 1. */
static int failing_listener(CPushConsumer* consumer, CMessageExt* msg) {
  if (push.shutdown_inside == -100) push.shutdown_inside = ShutdownPushConsumer(consumer);
  CHECK(strcmp(GetMessageProperty(msg, "region"), "eu") == 0);
  CHECK(strcmp(GetMessageProperty(msg, "missing"), "") == 0);
  CHECK(strcmp(GetMessageKeys(msg), "kx ky") == 0);
  CHECK(strcmp(GetMessageProperty(msg, "KEYS"), "kx ky") == 0);
  CHECK(strcmp(GetMessageProperty(msg, "UNIQ_KEY"), GetMessageId(msg)) == 0);
  CHECK(GetMessageBornTimestamp(msg) > 0);
  int times = GetMessageReconsumeTimes(msg);
  if (times > 0) push.reconsumed = times;
  counter_add(&push.calls, 1);
  return times == 0 ? E_RECONSUME_LATER : E_CONSUME_SUCCESS;
}

static void test_push(void) {
  counter_init(&push.calls);
  push.shutdown_inside = -100;
  CPushConsumer* c = CreatePushConsumer("legacy_push_group");
  SetPushConsumerNameServerAddress(c, endpoint);
  Subscribe(c, "LegacyPushTopic", "TagA||TagB");
  SetPushConsumerThreadCount(c, 2);
  RegisterMessageCallback(c, failing_listener);
  CHECK(StartPushConsumer(c) == OK);
  CProducer* p = producer_new("legacy_push_producer");
  CMessage* m = CreateMessage("LegacyPushTopic");
  SetMessageTags(m, "TagB");
  SetMessageKeys(m, "kx ky");
  SetMessageProperty(m, "region", "eu");
  SetMessageBody(m, "fail once");
  CSendResult result;
  CHECK(SendMessageSync(p, m, &result) == OK);
  SetMessageTags(m, "TagC"); /* filtered out */
  CHECK(SendMessageSync(p, m, &result) == OK);
  CHECK(counter_wait(&push.calls, 2, 30) >= 2);
  CHECK(push.reconsumed == 1);
  CHECK(push.shutdown_inside == NULL_POINTER); /* refused inside its own callback */
  CHECK(ShutdownPushConsumer(c) == OK);
  CHECK(push.calls.value == 2); /* the TagC message never reached the callback */
  DestroyPushConsumer(c);
  DestroyMessage(m);
  DestroyProducer(p);
  counter_destroy(&push.calls);
  printf("ok legacy push: tag filter, failure redelivered with reconsume times 1\n");
}

static counter async_done;

static void on_success(CSendResult result) {
  CHECK(strlen(result.msgId) > 0);
  counter_add(&async_done, 1);
}

static void on_exception(CMQException e) {
  fprintf(stderr, "async exception %d: %s\n", e.error, e.msg);
  counter_add(&async_done, 1000);
}

static void on_success_with(CSendResult result, CMessage* msg, void* data) {
  CHECK(msg == data); /* the application's own message comes back */
  CHECK(strlen(result.msgId) > 0);
  counter_add(&async_done, 1);
}

static void on_exception_with(CMQException e, CMessage* msg, void* data) {
  (void)e;
  (void)msg;
  (void)data;
  counter_add(&async_done, 1000);
}

static void test_async(void) {
  counter_init(&async_done);
  CProducer* p = producer_new("legacy_async_group");
  CMessage* m = CreateMessage("LegacyTopic");
  SetMessageBody(m, "async");
  for (int i = 0; i < 5; i++) CHECK(SendMessageAsync(p, m, on_success, on_exception) == OK);
  for (int i = 0; i < 5; i++) CHECK(SendAsync(p, m, on_success_with, on_exception_with, m) == OK);
  CHECK(SendMessageOneway(p, m) == OK);
  CHECK(counter_wait(&async_done, 10, 30) == 10);
  /* ordered and async: the selector picks, the callback reports */
  CMessage* ordered = CreateMessage("LegacyFifoTopic");
  SetMessageBody(ordered, "ordered async");
  int size = 0;
  CHECK(SendMessageOrderlyAsync(p, ordered, pick_last, &size, on_success, on_exception) == OK);
  CHECK(counter_wait(&async_done, 11, 30) == 11);
  DestroyMessage(ordered);
  /* destroying the producer waits for the callbacks still to come */
  for (int i = 0; i < 10; i++) CHECK(SendMessageAsync(p, m, on_success, on_exception) == OK);
  DestroyMessage(m);
  CHECK(DestroyProducer(p) == OK);
  CHECK(counter_wait(&async_done, 21, 0) == 21);
  counter_destroy(&async_done);
  printf("ok legacy async: both callback styles, orderly, oneway, destroy waits\n");
}

static counter checks;

static CTransactionStatus executor(CProducer* p, CMessage* msg, void* data) {
  (void)p;
  (void)msg;
  return *(CTransactionStatus*)data;
}

static CTransactionStatus checker(CProducer* p, CMessageExt* msg, void* data) {
  (void)p;
  (void)data;
  CHECK(strcmp(GetMessageProperty(msg, "decide"), "commit") == 0);
  counter_add(&checks, 1);
  return E_COMMIT_TRANSACTION;
}

static counter tx_consumed;

static int count_tx(CPushConsumer* consumer, CMessageExt* msg) {
  (void)consumer;
  (void)msg;
  counter_add(&tx_consumed, 1);
  return E_CONSUME_SUCCESS;
}

static void test_transactions(void) {
  counter_init(&checks);
  counter_init(&tx_consumed);
  CPushConsumer* tx_consumer = CreatePushConsumer("legacy_tx_consumer");
  SetPushConsumerNameServerAddress(tx_consumer, endpoint);
  Subscribe(tx_consumer, "LegacyTxTopic", "*");
  RegisterMessageCallback(tx_consumer, count_tx);
  CHECK(StartPushConsumer(tx_consumer) == OK);
  setenv("RMQ_TRANSACTION_TOPICS", "LegacyTxTopic", 1);
  CProducer* p = CreateTransactionProducer("legacy_tx_group", checker, NULL);
  SetProducerNameServerAddress(p, endpoint);
  CHECK(StartProducer(p) == OK);
  CMessage* m = CreateMessage("LegacyTxTopic");
  SetMessageBody(m, "tx");
  SetMessageProperty(m, "decide", "commit");
  CSendResult result;
  CTransactionStatus commit = E_COMMIT_TRANSACTION, rollback = E_ROLLBACK_TRANSACTION,
                     unknown = E_UNKNOWN_TRANSACTION;
  CHECK(SendMessageTransaction(p, m, executor, &commit, &result) == OK);
  CHECK(SendMessageTransaction(p, m, executor, &rollback, &result) == OK);
  CHECK(SendMessageTransaction(p, m, executor, &unknown, &result) == OK);
  CHECK(counter_wait(&checks, 1, 30) >= 1); /* the unknown one is resolved by the checker */
  /* committed: the first and the checked one reach a consumer; the rolled-back one is gone */
  CHECK(counter_wait(&tx_consumed, 2, 30) >= 2);
  CHECK(rmq_mini_broker_message_count(broker, "LegacyTxTopic") == 2);
  CHECK(ShutdownPushConsumer(tx_consumer) == OK);
  CHECK(tx_consumed.value == 2);
  DestroyPushConsumer(tx_consumer);
  DestroyMessage(m);
  DestroyProducer(p);
  /* a plain producer cannot send transactions */
  CProducer* plain = producer_new("legacy_plain_group");
  m = CreateMessage("LegacyTxTopic");
  SetMessageBody(m, "tx");
  CHECK(SendMessageTransaction(plain, m, executor, &commit, &result) == PRODUCER_SEND_TRANSACTION_FAILED);
  DestroyMessage(m);
  DestroyProducer(plain);
  counter_destroy(&checks);
  counter_destroy(&tx_consumed);
  printf("ok legacy transactions: commit, rollback, unknown resolved by the checker\n");
}

static void test_delay_and_pull(void) {
  /* a broker of its own with a virtual clock: the delay is checked by moving the clock */
  rmq_option clocked[] = {{"topic", "LegacyDelayTopic:DELAY:4"}, {"topic", "LegacyTopic:NORMAL:1"},
                          {"virtual_clock", "true"}};
  rmq_mini_broker* timed = NULL;
  OK(rmq_mini_broker_start(clocked, 3, &timed));
  const char* at = rmq_mini_broker_endpoint(timed);
  CProducer* p = CreateProducer("legacy_delay_group");
  SetProducerNameServerAddress(p, at);
  CHECK(StartProducer(p) == OK);
  CMessage* m = CreateMessage("LegacyDelayTopic");
  SetMessageBody(m, "delayed");
  SetDelayTimeLevel(m, 3); /* 10 s */
  CSendResult result;
  CHECK(SendMessageSync(p, m, &result) == OK);
  /* a body is bytes as given: GBK text ("ni hao") stays intact; a tag that is not UTF-8 is
   * refused, never altered */
  CMessage* gbk = CreateMessage("LegacyTopic");
  const char gbk_body[] = "\xC4\xE3\xBA\xC3";
  CHECK(SetMessageBody(gbk, gbk_body) == OK);
  CHECK(GetOriginMessageBodyLength(gbk) == 4);
  CHECK(SetMessageTags(gbk, "\xC4\xE3") == NULL_POINTER);
  CHECK(strstr(GetLatestErrorMessage(), "UTF-8") != NULL);
  CHECK(SetMessageTags(gbk, "A") == OK);
  CHECK(SendMessageSync(p, gbk, &result) == OK);
  DestroyMessage(gbk);
  DestroyMessage(m);
  DestroyProducer(p);

  CPullConsumer* c = CreatePullConsumer("legacy_pull_group");
  SetPullConsumerNameServerAddress(c, at);
  CHECK(StartPullConsumer(c) == OK);
  CMessageQueue* mqs = NULL;
  int size = 0;
  CHECK(FetchSubscriptionMessageQueues(c, "LegacyDelayTopic", &mqs, &size) == OK);
  CHECK(size == 4 && mqs != NULL);
  for (int i = 0; i < size; i++) { /* not due yet */
    CPullResult r = Pull(c, &mqs[i], "*", 0, 32);
    CHECK(r.pullStatus == E_NO_NEW_MSG);
    CHECK(ReleasePullResult(r) == NULL_POINTER); /* nothing to release, as the original */
  }
  OK(rmq_mini_broker_advance(timed, 11000));
  int found = 0;
  for (int i = 0; i < size; i++) {
    CPullResult r = Pull(c, &mqs[i], "*", 0, 32);
    if (r.pullStatus != E_FOUND) continue;
    found += r.size;
    CHECK(strcmp(GetMessageBody(r.msgFoundList[0]), "delayed") == 0);
    CHECK(r.nextBeginOffset == 1 && r.maxOffset == 1 && r.minOffset == 0);
    CHECK(ReleasePullResult(r) == OK);
  }
  CHECK(found == 1);
  CHECK(Pull(c, &mqs[0], "*", 1000, 1).pullStatus == E_OFFSET_ILLEGAL);
  CHECK(ReleaseSubscriptionMessageQueue(mqs) == OK);

  /* the GBK body comes back byte for byte; a tag filter that matches nothing skips it */
  CHECK(FetchSubscriptionMessageQueues(c, "LegacyTopic", &mqs, &size) == OK && size == 1);
  CPullResult none = Pull(c, &mqs[0], "B", 0, 32);
  CHECK(none.pullStatus == E_NO_MATCHED_MSG && none.nextBeginOffset == 1);
  CPullResult r = Pull(c, &mqs[0], "A", 0, 32);
  CHECK(r.pullStatus == E_FOUND && r.size == 1);
  CHECK(GetMessageBodyLength(r.msgFoundList[0]) == 4);
  CHECK(memcmp(GetMessageBody(r.msgFoundList[0]), gbk_body, 4) == 0);
  CHECK(ReleasePullResult(r) == OK);
  CHECK(ReleaseSubscriptionMessageQueue(mqs) == OK);
  CHECK(ShutdownPullConsumer(c) == OK);
  DestroyPullConsumer(c);
  rmq_mini_broker_free(timed);
  printf("ok legacy delay level (virtual clock), bytes bodies, UTF-8 names, pull statuses\n");
}

int main(void) {
  rmq_option options[] = {
      {"topic", "LegacyTopic:NORMAL:4"},     {"topic", "LegacyFifoTopic:FIFO:4"},
      {"topic", "LegacySelectTopic:FIFO:4"}, {"topic", "LegacyDelayTopic:DELAY:4"},
      {"topic", "LegacyTxTopic:TRANSACTION:4"}, {"topic", "LegacyPushTopic:NORMAL:4"},
      {"group", "legacy_fifo_group:fifo"},   {"transaction_check_delay_ms", "500"},
      {"transaction_check_interval_ms", "500"},
  };
  OK(rmq_mini_broker_start(options, sizeof options / sizeof *options, &broker));
  snprintf(endpoint, sizeof endpoint, "%s", rmq_mini_broker_endpoint(broker));
  test_null_contract();
  test_sends();
  test_orderly();
  test_push();
  test_async();
  test_transactions();
  test_delay_and_pull();
  rmq_mini_broker_free(broker);
  printf("all legacy C tests passed\n");
  return 0;
}
