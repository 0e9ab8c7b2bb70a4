/* SPDX-License-Identifier: Apache-2.0 */
/* The modern C API's behaviour suite, against an in-process mini-broker on a free port:
 * every message type, tag filter, ack, redelivery with the attempt count, change invisible
 * duration, push listener success and failure, transactions (commit, rollback, an orphan
 * resolved by the checker), async sends, errors for NULLs and bad values, free(NULL), and a
 * panic forced through the boundary. Run under valgrind by the test command. */
#include "check.h"

#include "helpers.h"

static void test_errors_and_nulls(void) {
  CHECK(strcmp(rmq_err2name(RMQ_ERR__TIMEOUT), "RMQ_ERR__TIMEOUT") == 0);
  CHECK(strcmp(rmq_err2name(RMQ_ERR_MESSAGE_PROPERTY_CONFLICT_WITH_TYPE),
               "RMQ_ERR_MESSAGE_PROPERTY_CONFLICT_WITH_TYPE") == 0);
  CHECK(strcmp(rmq_err2name(123456), "RMQ_ERR_UNKNOWN") == 0);
  CHECK(strlen(rmq_err2str(RMQ_ERR__NETWORK)) > 0);
  CHECK(rmq_err_is_retriable(RMQ_ERR__NETWORK) == 1);
  CHECK(rmq_err_is_retriable(RMQ_ERR_TOO_MANY_REQUESTS) == 1);
  CHECK(rmq_err_is_retriable(RMQ_ERR_ILLEGAL_TOPIC) == 0);
  CHECK(rmq_err_is_retriable(RMQ_ERR__INVALID_ARGUMENT) == 0);

  /* free(NULL) is a no-op everywhere */
  rmq_conf_free(NULL);
  rmq_message_free(NULL);
  rmq_message_view_free(NULL);
  rmq_send_receipt_free(NULL);
  rmq_producer_free(NULL);
  rmq_simple_consumer_free(NULL);
  rmq_push_consumer_free(NULL);
  rmq_transaction_free(NULL);
  rmq_mini_broker_free(NULL);

  /* NULL arguments are errors, and outputs stay untouched */
  rmq_producer* p = (rmq_producer*)0x1;
  CHECK(rmq_producer_new(NULL, &p) == RMQ_ERR__NULL_ARGUMENT);
  CHECK(p == (rmq_producer*)0x1);
  CHECK(strstr(rmq_last_error_message(), "conf is NULL") != NULL);
  CHECK(rmq_producer_send(NULL, NULL, NULL) == RMQ_ERR__NULL_ARGUMENT);
  rmq_message* m = NULL;
  CHECK(rmq_message_new(NULL, NULL, 0, &m) == RMQ_ERR__NULL_ARGUMENT);
  CHECK(rmq_message_new("t", NULL, 3, &m) == RMQ_ERR__NULL_ARGUMENT);
  CHECK(m == NULL);
  CHECK(rmq_message_topic(NULL) == NULL);
  CHECK(rmq_message_view_topic(NULL) == NULL);
  CHECK(rmq_message_view_delivery_attempt(NULL) == 0);

  /* configuration: unknown keys, bad values, the reason in errstr */
  rmq_conf* conf = rmq_conf_new();
  char err[128] = "";
  CHECK(rmq_conf_set(conf, "no_such_key", "1", err, sizeof err) == RMQ_CONF_UNKNOWN);
  CHECK(strstr(err, "no_such_key") != NULL);
  CHECK(rmq_conf_set(conf, "max_attempts", "0", err, sizeof err) == RMQ_CONF_INVALID);
  CHECK(strstr(err, "max_attempts") != NULL);
  char tiny[8];
  CHECK(rmq_conf_set(conf, "request_timeout", "soon", tiny, sizeof tiny) == RMQ_CONF_INVALID);
  CHECK(strlen(tiny) == sizeof tiny - 1); /* cut to fit, NUL-terminated */
  CHECK(rmq_conf_set(conf, "request_timeout", "2s", NULL, 0) == RMQ_CONF_OK);
  char value[16];
  CHECK(rmq_conf_get(conf, "request_timeout", value, sizeof value) == 2);
  CHECK(strcmp(value, "2s") == 0);
  CHECK(rmq_conf_get(conf, "namespace", value, sizeof value) == -1);
  /* no endpoints: the core refuses at build time */
  CHECK(rmq_producer_new(conf, &p) == RMQ_ERR__INVALID_ARGUMENT);
  /* a push-consumer key on a producer's conf is refused with the core's words */
  CHECK(rmq_conf_set(conf, "endpoints", rmq_mini_broker_endpoint(broker), NULL, 0) == RMQ_CONF_OK);
  CHECK(rmq_conf_set(conf, "consumption_threads", "4", NULL, 0) == RMQ_CONF_OK);
  CHECK(rmq_producer_new(conf, &p) == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(strstr(rmq_last_error_message(), "consumption_threads") != NULL);
  rmq_conf_free(conf);

  /* a push consumer without a listener, a bad filter type */
  conf = client_conf();
  rmq_subscription sub = {"c-normal", RMQ_FILTER_TAG, "*"};
  rmq_push_consumer* pc = NULL;
  CHECK(rmq_push_consumer_new(conf, "g-nolistener", &sub, 1, &pc) == RMQ_ERR__INVALID_ARGUMENT);
  rmq_subscription bad = {"c-normal", 7, "*"};
  rmq_simple_consumer* sc = NULL;
  CHECK(rmq_simple_consumer_new(conf, "g", &bad, 1, &sc) == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(strstr(rmq_last_error_message(), "filter_type 7") != NULL);
  rmq_conf_free(conf);
  printf("ok errors and NULLs\n");
}

static void test_messages_and_simple_consumer(void) {
  rmq_producer* p = producer_new();
  rmq_simple_consumer* c = simple_new("g-simple", "c-normal", "keep");

  /* a message with every field, reused for two sends: two ids */
  rmq_message* m = message("c-normal", "hello");
  OK(rmq_message_set_tag(m, "keep"));
  OK(rmq_message_add_key(m, "k1"));
  OK(rmq_message_add_key(m, "k2"));
  OK(rmq_message_set_property(m, "region", "eu"));
  CHECK(strcmp(rmq_message_property(m, "region"), "eu") == 0);
  CHECK(rmq_message_property(m, "missing") == NULL);
  CHECK(rmq_message_key_count(m) == 2);
  char id1[128], id2[128];
  send(p, m, id1);
  send(p, m, id2);
  CHECK(strcmp(id1, id2) != 0);
  rmq_message* other = message("c-normal", "filtered out");
  OK(rmq_message_set_tag(other, "drop"));
  send(p, other, NULL);

  rmq_message_view* views[4];
  size_t n = receive(c, views, 2, 30000);
  CHECK(n == 2);
  for (size_t i = 0; i < n; i++) {
    rmq_message_view* v = views[i];
    size_t len = 0;
    const uint8_t* body = rmq_message_view_body(v, &len);
    CHECK(len == 5 && memcmp(body, "hello", 5) == 0);
    CHECK(strcmp(rmq_message_view_topic(v), "c-normal") == 0);
    CHECK(strcmp(rmq_message_view_tag(v), "keep") == 0);
    CHECK(rmq_message_view_key_count(v) == 2);
    CHECK(strcmp(rmq_message_view_key(v, 1), "k2") == 0);
    CHECK(rmq_message_view_key(v, 2) == NULL);
    CHECK(strcmp(rmq_message_view_property(v, "region"), "eu") == 0);
    const char *key, *value;
    CHECK(rmq_message_view_property_at(v, 0, &key, &value) == 1);
    CHECK(strcmp(key, "region") == 0 && strcmp(value, "eu") == 0);
    CHECK(rmq_message_view_property_at(v, 1, &key, &value) == 0);
    CHECK(rmq_message_view_delivery_attempt(v) == 1);
    CHECK(rmq_message_view_message_group(v) == NULL);
    CHECK(rmq_message_view_corrupted(v) == NULL);
    CHECK(rmq_message_view_born_timestamp(v) > 0);
    CHECK(rmq_message_view_offset(v) >= 0);
    const char* id = rmq_message_view_message_id(v);
    CHECK(strcmp(id, id1) == 0 || strcmp(id, id2) == 0);
  }
  /* the first is acked; the second is left to come back with attempt 2 after a short
   * invisible duration set by change_invisible_duration (its old handle is then stale) */
  OK(rmq_simple_consumer_ack(c, views[0]));
  char old_handle[512];
  snprintf(old_handle, sizeof old_handle, "%s", rmq_message_view_receipt_handle(views[1]));
  /* pointers taken before the change stay valid (valgrind checks the reads) */
  const char* id_before = rmq_message_view_message_id(views[1]);
  const char* handle_before = rmq_message_view_receipt_handle(views[1]);
  const char* region_before = rmq_message_view_property(views[1], "region");
  OK(rmq_simple_consumer_change_invisible_duration(c, views[1], 1000));
  CHECK(strcmp(old_handle, rmq_message_view_receipt_handle(views[1])) != 0);
  CHECK(strcmp(handle_before, old_handle) == 0);
  CHECK(strcmp(id_before, rmq_message_view_message_id(views[1])) == 0);
  CHECK(strcmp(region_before, "eu") == 0);
  rmq_message_view* again[1];
  CHECK(receive(c, again, 1, 30000) == 1);
  CHECK(strcmp(rmq_message_view_message_id(again[0]), rmq_message_view_message_id(views[1])) == 0);
  CHECK(rmq_message_view_delivery_attempt(again[0]) == 2);
  /* the handle from before the redelivery no longer acks */
  rmq_err stale = rmq_simple_consumer_ack(c, views[1]);
  CHECK(stale != RMQ_OK);
  OK(rmq_simple_consumer_ack(c, again[0]));
  free_views(views, n);
  free_views(again, 1);

  /* a bad invisible duration and a bad batch size are refused before any I/O */
  size_t count = 0;
  CHECK(rmq_simple_consumer_receive(c, 1, -5, views, &count) == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(rmq_simple_consumer_receive(c, 0, 1000, views, &count) == RMQ_ERR__INVALID_ARGUMENT);

  rmq_message_free(m);
  rmq_message_free(other);
  OK(rmq_simple_consumer_close(c));
  CHECK(rmq_simple_consumer_receive(c, 1, 1000, views, &count) == RMQ_ERR__CLOSED);
  rmq_simple_consumer_free(c);
  rmq_producer_free(p);
  printf("ok messages, tag filter, ack, redelivery, change invisible duration\n");
}

static void test_message_types(void) {
  rmq_producer* p = producer_new();
  /* FIFO: in order per group */
  rmq_simple_consumer* fifo = simple_new("g-fifo", "c-fifo", "*");
  for (int i = 0; i < 3; i++) {
    char body[8];
    snprintf(body, sizeof body, "%d", i);
    rmq_message* m = message("c-fifo", body);
    OK(rmq_message_set_message_group(m, "order-1"));
    send(p, m, NULL);
    rmq_message_free(m);
  }
  for (int i = 0; i < 3; i++) {
    rmq_message_view* v[1];
    CHECK(receive(fifo, v, 1, 30000) == 1);
    size_t len;
    const uint8_t* body = rmq_message_view_body(v[0], &len);
    CHECK(len == 1 && body[0] == '0' + i);
    CHECK(strcmp(rmq_message_view_message_group(v[0]), "order-1") == 0);
    OK(rmq_simple_consumer_ack(fifo, v[0]));
    rmq_message_view_free(v[0]);
  }
  rmq_simple_consumer_free(fifo);

  /* a FIFO message to a NORMAL topic: refused before it is sent (the route says the type) */
  rmq_message* wrong = message("c-normal", "x");
  OK(rmq_message_set_message_group(wrong, "g"));
  CHECK(rmq_producer_send(p, wrong, NULL) == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(strstr(rmq_last_error_message(), "does not accept FIFO") != NULL);
  rmq_message_free(wrong);
  /* what only the server can judge comes back with the server's code */
  rmq_err refused = rmq_producer_recall(p, "c-delay", "not-a-recall-handle");
  CHECK(refused > 40000);

  /* delay, on a broker with a virtual clock: nothing before its time, the message after;
   * a second delayed message is recalled and never comes */
  rmq_option clocked[] = {{"topic", "c-delay:DELAY"}, {"virtual_clock", "true"}};
  rmq_mini_broker* timed = NULL;
  OK(rmq_mini_broker_start(clocked, 2, &timed));
  rmq_producer* tp = producer_on(timed);
  rmq_simple_consumer* delayed = simple_on(timed, "g-delay", "c-delay", "*");
  rmq_message* later = message("c-delay", "later");
  long long at = now_ms() + 600000;
  OK(rmq_message_set_delivery_timestamp(later, at));
  CHECK(rmq_message_delivery_timestamp(later) == at);
  send(tp, later, NULL);
  rmq_message* recalled = message("c-delay", "recalled");
  OK(rmq_message_set_delivery_timestamp(recalled, at));
  rmq_send_receipt* r = NULL;
  OK(rmq_producer_send(tp, recalled, &r));
  CHECK(strlen(rmq_send_receipt_recall_handle(r)) > 0);
  OK(rmq_producer_recall(tp, "c-delay", rmq_send_receipt_recall_handle(r)));
  rmq_send_receipt_free(r);
  rmq_message_view* v[2];
  size_t n = 0;
  OK(rmq_simple_consumer_receive(delayed, 2, 30000, v, &n)); /* a 1 s poll: not due */
  CHECK(n == 0);
  OK(rmq_mini_broker_advance(timed, 600000 + 2000));
  CHECK(receive(delayed, v, 1, 30000) == 1);
  size_t len;
  CHECK(memcmp(rmq_message_view_body(v[0], &len), "later", 5) == 0);
  CHECK(rmq_message_view_delivery_timestamp(v[0]) == at);
  OK(rmq_simple_consumer_ack(delayed, v[0]));
  rmq_message_view_free(v[0]);
  OK(rmq_simple_consumer_receive(delayed, 2, 30000, v, &n)); /* the recalled one never comes */
  CHECK(n == 0);
  CHECK(rmq_mini_broker_advance(broker, 1) == RMQ_ERR__INVALID_ARGUMENT); /* real clock */
  rmq_message_free(later);
  rmq_message_free(recalled);
  rmq_simple_consumer_free(delayed);
  rmq_producer_free(tp);
  rmq_mini_broker_free(timed);

  /* priority */
  rmq_simple_consumer* prio = simple_new("g-prio", "c-prio", "*");
  rmq_message* high = message("c-prio", "urgent");
  OK(rmq_message_set_priority(high, 7));
  send(p, high, NULL);
  CHECK(receive(prio, v, 1, 30000) == 1);
  int32_t priority = 0;
  CHECK(rmq_message_view_priority(v[0], &priority) == 1 && priority == 7);
  OK(rmq_simple_consumer_ack(prio, v[0]));
  rmq_message_view_free(v[0]);
  rmq_message_free(high);
  rmq_simple_consumer_free(prio);

  /* batch: one request, a receipt each */
  rmq_simple_consumer* batchc = simple_new("g-batch", "c-batch", "*");
  rmq_message* b1 = message("c-batch", "one");
  rmq_message* b2 = message("c-batch", "two");
  const rmq_message* batch[2] = {b1, b2};
  rmq_send_receipt* receipts[2] = {NULL, NULL};
  OK(rmq_producer_send_batch(p, batch, 2, receipts));
  CHECK(strcmp(rmq_send_receipt_message_id(receipts[0]), rmq_send_receipt_message_id(receipts[1])) != 0);
  CHECK(receive(batchc, v, 2, 30000) == 2);
  for (int i = 0; i < 2; i++) {
    OK(rmq_simple_consumer_ack(batchc, v[i]));
    rmq_message_view_free(v[i]);
  }
  rmq_send_receipt_free(receipts[0]);
  rmq_send_receipt_free(receipts[1]);
  rmq_message_free(b1);
  rmq_message_free(b2);
  rmq_simple_consumer_free(batchc);
  rmq_producer_free(p);
  printf("ok FIFO, type conflict, delay, recall, priority, batch\n");
}

static rmq_producer* _Atomic closing_inside; /* closed from inside its own send callback */
static rmq_err close_inside_result = RMQ_OK;

static void on_sent(void* opaque, rmq_err err, const rmq_send_receipt* receipt) {
  counter* done = opaque;
  rmq_producer* self = atomic_exchange(&closing_inside, NULL);
  if (self) close_inside_result = rmq_producer_close(self);
  if (err != RMQ_OK || receipt == NULL || strlen(rmq_send_receipt_message_id(receipt)) == 0) {
    pthread_mutex_lock(&done->lock);
    done->failures++;
    pthread_mutex_unlock(&done->lock);
  }
  counter_add(done, 1);
}

static void test_async_sends(void) {
  rmq_producer* p = producer_new();
  counter done;
  counter_init(&done);
  rmq_message* m = message("c-async", "a");
  for (int i = 0; i < 50; i++) OK(rmq_producer_send_async(p, m, on_sent, &done));
  rmq_message_free(m); /* sends copy the message */
  CHECK(counter_wait(&done, 50, 30) == 50);
  CHECK(done.failures == 0);
  CHECK(rmq_mini_broker_message_count(broker, "c-async") == 50);
  /* a message refused before any I/O fails the call itself */
  rmq_message* bad = message("c-async", "");
  CHECK(rmq_producer_send_async(p, bad, on_sent, &done) != RMQ_OK);
  rmq_message_free(bad);
  /* a close from inside the producer's own callback is refused; freeing waits for every
   * callback still to come, so nothing runs after free returns */
  m = message("c-async", "b");
  atomic_store(&closing_inside, p);
  for (int i = 0; i < 20; i++) OK(rmq_producer_send_async(p, m, on_sent, &done));
  rmq_message_free(m);
  rmq_producer_free(p);
  CHECK(counter_wait(&done, 70, 0) == 70); /* already: free waited for every callback */
  CHECK(close_inside_result == RMQ_ERR__WOULD_DEADLOCK);
  counter_destroy(&done);
  printf("ok async sends\n");
}

static int check_commits(void* opaque, const rmq_message_view* view) {
  counter_add(opaque, 1);
  return strcmp(rmq_message_view_property(view, "decide"), "commit") == 0
             ? RMQ_TRANSACTION_COMMIT
             : RMQ_TRANSACTION_ROLLBACK;
}

static void test_transactions(void) {
  counter checks;
  counter_init(&checks);
  rmq_conf* conf = client_conf();
  OK(rmq_conf_set_transaction_checker(conf, check_commits, &checks));
  rmq_producer* p = NULL;
  OK(rmq_producer_new(conf, &p));
  rmq_conf_free(conf);
  rmq_simple_consumer* c = simple_new("g-tx", "c-tx", "*");

  rmq_transaction* tx = NULL;
  rmq_message* m = message("c-tx", "committed");
  OK(rmq_producer_begin_transaction(p, &tx));
  rmq_send_receipt* r = NULL;
  OK(rmq_transaction_send(tx, m, &r));
  CHECK(strlen(rmq_send_receipt_transaction_id(r)) > 0);
  rmq_send_receipt_free(r);
  OK(rmq_transaction_commit(tx));
  CHECK(rmq_transaction_commit(tx) == RMQ_ERR__INVALID_ARGUMENT); /* decided once */
  rmq_transaction_free(tx);
  rmq_message_free(m);

  m = message("c-tx", "rolled back");
  OK(rmq_producer_begin_transaction(p, &tx));
  OK(rmq_transaction_send(tx, m, NULL));
  OK(rmq_transaction_rollback(tx));
  rmq_transaction_free(tx);
  rmq_message_free(m);

  /* an orphan: never decided, the broker asks the checker, which commits it */
  m = message("c-tx", "orphan");
  OK(rmq_message_set_property(m, "decide", "commit"));
  OK(rmq_producer_begin_transaction(p, &tx));
  OK(rmq_transaction_send(tx, m, NULL));
  rmq_transaction_free(tx);
  rmq_message_free(m);

  rmq_message_view* v[2];
  size_t n = receive(c, v, 2, 30000);
  CHECK(n == 2);
  CHECK(counter_wait(&checks, 1, 1) >= 1);
  int committed = 0, orphan = 0;
  for (size_t i = 0; i < n; i++) {
    size_t len;
    const char* body = (const char*)rmq_message_view_body(v[i], &len);
    if (len == 9 && memcmp(body, "committed", 9) == 0) committed++;
    if (len == 6 && memcmp(body, "orphan", 6) == 0) orphan++;
    OK(rmq_simple_consumer_ack(c, v[i]));
    rmq_message_view_free(v[i]);
  }
  CHECK(committed == 1 && orphan == 1);
  CHECK(rmq_mini_broker_message_count(broker, "c-tx") == 2); /* the rollback is gone */
  rmq_simple_consumer_free(c);
  rmq_producer_free(p);
  counter_destroy(&checks);
  printf("ok transactions: commit, rollback, orphan resolved by the checker\n");
}

typedef struct {
  counter calls;
  rmq_push_consumer* _Atomic self;
  rmq_err close_from_inside;
} push_state;

/* Fails each message's first delivery, accepts the second. */
static int32_t listen(void* opaque, const rmq_message_view* view) {
  push_state* s = opaque;
  rmq_push_consumer* self = atomic_load(&s->self);
  if (self) s->close_from_inside = rmq_push_consumer_close(self);
  counter_add(&s->calls, 1);
  return rmq_message_view_delivery_attempt(view) >= 2 ? RMQ_CONSUME_SUCCESS : RMQ_CONSUME_FAILURE;
}

static void test_push_consumer(void) {
  push_state state = {.close_from_inside = RMQ_OK};
  atomic_init(&state.self, NULL);
  counter_init(&state.calls);
  rmq_conf* conf = client_conf();
  OK(rmq_conf_set_message_listener(conf, listen, &state));
  char err[128];
  CHECK(rmq_conf_set(conf, "consumption_threads", "2", err, sizeof err) == RMQ_CONF_OK);
  rmq_subscription sub = {"c-push", RMQ_FILTER_TAG, NULL};
  rmq_push_consumer* c = NULL;
  OK(rmq_push_consumer_new(conf, "g-push", &sub, 1, &c));
  rmq_conf_free(conf);
  atomic_store(&state.self, c);

  rmq_producer* p = producer_new();
  rmq_message* m = message("c-push", "push me");
  send(p, m, NULL);
  rmq_message_free(m);
  /* first delivery fails (redelivered after the group's 1 s backoff), the second succeeds */
  CHECK(counter_wait(&state.calls, 2, 30) >= 2);
  CHECK(state.close_from_inside == RMQ_ERR__WOULD_DEADLOCK);
  atomic_store(&state.self, NULL);
  OK(rmq_push_consumer_close(c));
  rmq_push_consumer_free(c);
  rmq_producer_free(p);
  counter_destroy(&state.calls);
  printf("ok push consumer: failure redelivered, success, close from inside refused\n");
}

typedef struct {
  counter events;
  int from_client;
} log_state;

static void on_log(void* opaque, int32_t level, const char* logger, const char* message) {
  log_state* s = opaque;
  CHECK(level >= RMQ_LOG_ERROR && level <= RMQ_LOG_DEBUG);
  CHECK(strlen(message) > 0);
  if (strcmp(logger, "rmq.client") == 0 && strstr(message, "client started") != NULL) {
    s->from_client = 1;
    counter_add(&s->events, 1);
  }
}

static void test_logging(void) {
  log_state state = {.from_client = 0};
  counter_init(&state.events);
  CHECK(rmq_set_log_callback(on_log, &state, 9) == RMQ_ERR__INVALID_ARGUMENT);
  OK(rmq_set_log_callback(on_log, &state, RMQ_LOG_DEBUG));
  rmq_producer* p = producer_new();
  rmq_producer_free(p);
  CHECK(counter_wait(&state.events, 1, 10) >= 1);
  CHECK(state.from_client == 1); /* the core's "client started" at debug level */
  OK(rmq_set_log_callback(NULL, NULL, RMQ_LOG_WARN)); /* back to the default: stderr */
  counter_destroy(&state.events);
  printf("ok log callback: events with their logger, a bad level refused\n");
}

#ifdef RMQ_TEST_PANIC
rmq_err rmq_test_panic(void);
#endif

int main(void) {
  rmq_option options[] = {
      {"topic", "c-normal:NORMAL"}, {"topic", "c-fifo:FIFO"},    {"topic", "c-delay:DELAY"},
      {"topic", "c-prio:PRIORITY"}, {"topic", "c-batch:NORMAL"}, {"topic", "c-async:NORMAL"},
      {"topic", "c-tx:TRANSACTION"}, {"topic", "c-push:NORMAL"}, {"group", "g-fifo:fifo"},
      {"transaction_check_delay_ms", "500"}, {"transaction_check_interval_ms", "500"},
  };
  rmq_option bad[] = {{"topic", "x:NOPE"}};
  rmq_mini_broker* none = NULL;
  CHECK(rmq_mini_broker_start(bad, 1, &none) == RMQ_ERR__INVALID_ARGUMENT && none == NULL);
  CHECK(strstr(rmq_last_error_message(), "NOPE") != NULL);
  OK(rmq_mini_broker_start(options, sizeof options / sizeof *options, &broker));
  CHECK(strncmp(rmq_mini_broker_endpoint(broker), "127.0.0.1:", 10) == 0);
  CHECK(strcmp(rmq_version(), RMQ_VERSION) == 0);

  test_errors_and_nulls();
  test_messages_and_simple_consumer();
  test_message_types();
  test_async_sends();
  test_transactions();
  test_push_consumer();
  test_logging();
#ifdef RMQ_TEST_PANIC
  CHECK(rmq_test_panic() == RMQ_ERR__PANIC);
  CHECK(strstr(rmq_last_error_message(), "forced by rmq_test_panic") != NULL);
  printf("ok a panic stops at the boundary\n");
#endif
  rmq_mini_broker_free(broker);
  printf("all rmq C tests passed\n");
  return 0;
}
