/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the modern API's test suite (test_rmq.c): clients on the suite's in-process
 * broker (or another one), messages, sends, and receives that wait for what they expect. */
#ifndef RMQ_TEST_HELPERS_H
#define RMQ_TEST_HELPERS_H

#include "check.h"

static rmq_mini_broker* broker;

/* A client configuration for `on` (the suite's broker when NULL). */
static inline rmq_conf* client_conf_for(rmq_mini_broker* on) {
  rmq_conf* conf = rmq_conf_new();
  char err[256];
  CHECK(rmq_conf_set(conf, "endpoints", rmq_mini_broker_endpoint(on ? on : broker), err,
                     sizeof err) == RMQ_CONF_OK);
  return conf;
}

static inline rmq_conf* client_conf(void) { return client_conf_for(NULL); }

static inline rmq_producer* producer_on(rmq_mini_broker* on) {
  rmq_conf* conf = client_conf_for(on);
  rmq_producer* p = NULL;
  OK(rmq_producer_new(conf, &p));
  rmq_conf_free(conf);
  return p;
}

static inline rmq_producer* producer_new(void) { return producer_on(NULL); }

static inline rmq_simple_consumer* simple_on(rmq_mini_broker* on, const char* group, const char* topic,
                                      const char* tag) {
  rmq_conf* conf = client_conf_for(on);
  char err[256];
  CHECK(rmq_conf_set(conf, "await_duration", "1s", err, sizeof err) == RMQ_CONF_OK);
  rmq_subscription sub = {topic, RMQ_FILTER_TAG, tag};
  rmq_simple_consumer* c = NULL;
  OK(rmq_simple_consumer_new(conf, group, &sub, 1, &c));
  rmq_conf_free(conf);
  return c;
}

static inline rmq_simple_consumer* simple_new(const char* group, const char* topic, const char* tag) {
  return simple_on(NULL, group, topic, tag);
}

static inline rmq_message* message(const char* topic, const char* body) {
  rmq_message* m = NULL;
  OK(rmq_message_new(topic, (const uint8_t*)body, strlen(body), &m));
  return m;
}

static inline void send(rmq_producer* p, rmq_message* m, char* id_out) {
  rmq_send_receipt* r = NULL;
  OK(rmq_producer_send(p, m, &r));
  CHECK(strlen(rmq_send_receipt_message_id(r)) > 0);
  if (id_out) strcpy(id_out, rmq_send_receipt_message_id(r));
  rmq_send_receipt_free(r);
}

/* Receives until `want` messages arrived or 10 s passed, into `views`; returns how many. */
static inline size_t receive(const rmq_simple_consumer* c, rmq_message_view** views, size_t want,
                      int64_t invisible_ms) {
  size_t got = 0;
  long long deadline = now_ms() + 10000;
  while (got < want && now_ms() < deadline) {
    size_t n = 0;
    OK(rmq_simple_consumer_receive(c, (uint32_t)(want - got), invisible_ms, views + got, &n));
    got += n;
  }
  return got;
}

static inline void free_views(rmq_message_view** views, size_t n) {
  for (size_t i = 0; i < n; i++) rmq_message_view_free(views[i]);
}

#endif
