/* SPDX-License-Identifier: Apache-2.0 */
/* Lite topics (Apache RocketMQ 5.5) through librmq: rmq_message_set_lite_topic, the lite
 * push consumer and the lite simple consumer, against an in-process broker. */
#include "helpers.h"

#define SENT 10

typedef struct {
  pthread_mutex_t lock;
  counter calls;
  char order[64][32]; /* bodies of lite topic "session-a", in arrival order */
  int n;
  int others; /* messages of any other lite topic */
} lite_state;

static int32_t on_lite(void* opaque, const rmq_message_view* view) {
  lite_state* s = opaque;
  size_t len = 0;
  const uint8_t* body = rmq_message_view_body(view, &len);
  const char* lite = rmq_message_view_lite_topic(view);
  pthread_mutex_lock(&s->lock);
  if (lite && strcmp(lite, "session-a") == 0 && s->n < 64 && len < 32) {
    memcpy(s->order[s->n], body, len);
    s->order[s->n][len] = '\0';
    s->n++;
  } else {
    s->others++;
  }
  pthread_mutex_unlock(&s->lock);
  counter_add(&s->calls, 1);
  return RMQ_CONSUME_SUCCESS;
}

static void send_lite(rmq_producer* p, const char* lite, const char* body) {
  rmq_message* m = message("replies", body);
  OK(rmq_message_set_lite_topic(m, lite));
  CHECK(strcmp(rmq_message_lite_topic(m), lite) == 0);
  send(p, m, NULL);
  rmq_message_free(m);
}

/* 1 if `view` is `body` of lite topic `lite`. */
static int is(const rmq_message_view* view, const char* lite, const char* body) {
  size_t len = 0;
  const uint8_t* got = rmq_message_view_body(view, &len);
  return len == strlen(body) && memcmp(got, body, len) == 0 &&
         strcmp(rmq_message_view_lite_topic(view), lite) == 0;
}

/* The lite simple consumer: its own subscriptions, the simple consumer's receive and acks. */
static void lite_simple_consumer(rmq_producer* p) {
  rmq_conf* conf = client_conf();
  char err[256];
  CHECK(rmq_conf_set(conf, "await_duration", "1s", err, sizeof err) == RMQ_CONF_OK);
  rmq_lite_simple_consumer* c = NULL;
  CHECK(rmq_lite_simple_consumer_new(conf, "readers", NULL, &c) == RMQ_ERR__NULL_ARGUMENT);
  OK(rmq_lite_simple_consumer_new(conf, "readers", "replies", &c));
  rmq_conf_free(conf);
  const rmq_simple_consumer* s = rmq_lite_simple_consumer_as_simple(c);
  CHECK(s != NULL && rmq_lite_simple_consumer_as_simple(NULL) == NULL);
  CHECK(rmq_lite_simple_consumer_subscribe(c, "bad name!") == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(rmq_lite_simple_consumer_subscribe_from(c, "x", 99, 0) == RMQ_ERR__INVALID_ARGUMENT);
  OK(rmq_lite_simple_consumer_subscribe(c, "chat"));
  CHECK(rmq_lite_simple_consumer_is_subscribed(c, "chat") == 1);
  CHECK(rmq_lite_simple_consumer_lite_topic_count(c) == 1);
  send_lite(p, "chat", "c-0");
  send_lite(p, "chat", "c-1");
  send_lite(p, "chat", "c-2");
  send_lite(p, "other", "o-0");

  /* two of chat; c-2 comes once they are settled */
  rmq_message_view* views[4];
  CHECK(receive(s, views, 2, 30000) == 2);
  CHECK(is(views[0], "chat", "c-0") && is(views[1], "chat", "c-1"));
  OK(rmq_simple_consumer_change_invisible_duration(s, views[1], 30000));
  OK(rmq_simple_consumer_ack(s, views[0]));
  OK(rmq_simple_consumer_ack(s, views[1]));
  free_views(views, 2);
  CHECK(receive(s, views, 1, 30000) == 1);
  CHECK(is(views[0], "chat", "c-2"));
  OK(rmq_simple_consumer_ack(s, views[0]));
  free_views(views, 1);

  /* another lite topic, from its oldest message */
  OK(rmq_lite_simple_consumer_unsubscribe(c, "chat"));
  CHECK(rmq_lite_simple_consumer_lite_topic_count(c) == 0);
  OK(rmq_lite_simple_consumer_subscribe_from(c, "other", RMQ_OFFSET_MIN, 0));
  CHECK(receive(s, views, 1, 30000) == 1);
  CHECK(is(views[0], "other", "o-0"));
  OK(rmq_simple_consumer_ack(s, views[0]));
  free_views(views, 1);

  OK(rmq_simple_consumer_close(s));
  CHECK(rmq_lite_simple_consumer_subscribe(c, "late") == RMQ_ERR__CLOSED);
  rmq_lite_simple_consumer_free(c);
  rmq_lite_simple_consumer_free(NULL);
}

int main(void) {
  rmq_option options[] = {{"topic", "replies:LITE"}, {"group", "agents:lite-topic=replies"}};
  OK(rmq_mini_broker_start(options, 2, &broker));

  lite_state state = {.n = 0, .others = 0};
  pthread_mutex_init(&state.lock, NULL);
  counter_init(&state.calls);
  rmq_conf* conf = client_conf();
  rmq_lite_push_consumer* c = NULL;
  CHECK(rmq_lite_push_consumer_new(conf, "agents", "replies", &c) == RMQ_ERR__INVALID_ARGUMENT);
  OK(rmq_conf_set_message_listener(conf, on_lite, &state));
  CHECK(rmq_lite_push_consumer_new(NULL, "agents", "replies", &c) == RMQ_ERR__NULL_ARGUMENT);
  OK(rmq_lite_push_consumer_new(conf, "agents", "replies", &c));
  rmq_conf_free(conf);

  /* bad arguments, before any I/O */
  CHECK(rmq_lite_push_consumer_subscribe(c, "bad name!") == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(rmq_lite_push_consumer_subscribe(c, NULL) == RMQ_ERR__NULL_ARGUMENT);
  CHECK(rmq_lite_push_consumer_subscribe_from(c, "x", 99, 0) == RMQ_ERR__INVALID_ARGUMENT);
  CHECK(rmq_lite_push_consumer_subscribe_from(c, "x", RMQ_OFFSET_TAIL_N, -1) ==
        RMQ_ERR__INVALID_ARGUMENT);
  CHECK(rmq_lite_push_consumer_lite_topic_count(c) == 0);
  rmq_message* bad = message("replies", "x");
  CHECK(rmq_message_set_lite_topic(bad, NULL) == RMQ_ERR__NULL_ARGUMENT);
  OK(rmq_message_set_lite_topic(bad, "l"));
  OK(rmq_message_set_message_group(bad, "g"));
  rmq_producer* p = producer_new();
  rmq_send_receipt* r = NULL;
  CHECK(rmq_producer_send(p, bad, &r) == RMQ_ERR__INVALID_ARGUMENT && r == NULL);
  rmq_message_free(bad);

  /* a backlog before subscribing comes with RMQ_OFFSET_MIN; then only session-a, in order */
  send_lite(p, "session-a", "a-0");
  OK(rmq_lite_push_consumer_subscribe_from(c, "session-a", RMQ_OFFSET_MIN, 0));
  OK(rmq_lite_push_consumer_subscribe(c, "session-a")); /* again: nothing to do */
  CHECK(rmq_lite_push_consumer_is_subscribed(c, "session-a") == 1);
  CHECK(rmq_lite_push_consumer_is_subscribed(c, "session-b") == 0);
  char body[32];
  for (int i = 1; i < SENT; i++) {
    snprintf(body, sizeof body, "a-%d", i);
    send_lite(p, "session-a", body);
    snprintf(body, sizeof body, "b-%d", i);
    send_lite(p, "session-b", body);
  }
  CHECK(counter_wait(&state.calls, SENT, 30) >= SENT);
  pthread_mutex_lock(&state.lock);
  CHECK(state.n == SENT && state.others == 0);
  for (int i = 0; i < SENT; i++) {
    snprintf(body, sizeof body, "a-%d", i);
    CHECK(strcmp(state.order[i], body) == 0);
  }
  pthread_mutex_unlock(&state.lock);

  OK(rmq_lite_push_consumer_unsubscribe(c, "session-a"));
  CHECK(rmq_lite_push_consumer_lite_topic_count(c) == 0);
  OK(rmq_lite_push_consumer_close(c));
  OK(rmq_lite_push_consumer_close(c)); /* twice is fine */
  rmq_lite_push_consumer_free(c);
  rmq_lite_push_consumer_free(NULL);
  lite_simple_consumer(p);
  rmq_producer_free(p);
  counter_destroy(&state.calls);
  pthread_mutex_destroy(&state.lock);
  rmq_mini_broker_free(broker);
  printf("all rmq lite C tests passed\n");
  return 0;
}
