/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A push consumer: rmq calls a listener for every message, on the consumer's own threads
 * (`rmq-listener-N`), and acknowledges what it accepts. This program subscribes, sends 10
 * messages marked with a run id, and waits (30 s at most) until the listener has seen all 10;
 * messages of other runs are acknowledged and skipped.
 *
 * With no argument it starts an in-process mini-broker (topic `orders`); give an endpoint
 * (`127.0.0.1:8081`) to use a RocketMQ 5 server instead, where topic `orders` (NORMAL) and
 * consumer group `billing` must exist.
 *
 *   cc -std=c11 -Wall -Wextra -pthread push_consumer.c $(pkg-config --cflags --libs rmq) \
 *     -o push_consumer
 *   ./push_consumer [endpoint]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <rmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGES 10

/* What the listener shares with main: a counter behind a mutex, and a condition to wait on. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  const char* run;     /* this run's id, the `run` property of its messages */
  int seen[MESSAGES];  /* by the `seq` property: a redelivered message counts once */
  int received;        /* how many of seen[] are set */
} state;

/* The listener: runs on an rmq listener thread; `view` is borrowed for the call only. */
static int32_t on_message(void* opaque, const rmq_message_view* view) {
  state* s = opaque;
  const char* id = rmq_message_view_message_id(view);
  const char* run = rmq_message_view_property(view, "run");
  const char* seq = rmq_message_view_property(view, "seq");
  if (run == NULL || seq == NULL || strcmp(run, s->run) != 0) {
    printf("skipped %s (not from this run)\n", id);
    return RMQ_CONSUME_SUCCESS;
  }
  size_t len = 0;
  const uint8_t* body = rmq_message_view_body(view, &len);
  printf("received %s: %.*s (attempt %d)\n", id, (int)len, (const char*)body,
         (int)rmq_message_view_delivery_attempt(view));
  int n = atoi(seq);
  pthread_mutex_lock(&s->lock);
  if (n >= 0 && n < MESSAGES && !s->seen[n]) {
    s->seen[n] = 1;
    s->received++;
    pthread_cond_broadcast(&s->changed);
  }
  pthread_mutex_unlock(&s->lock);
  return RMQ_CONSUME_SUCCESS; /* acknowledge; RMQ_CONSUME_FAILURE would redeliver it later */
}

/* Waits until the listener has seen every message or `seconds` passed; returns the count. */
static int wait_for_all(state* s, int seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += seconds;
  pthread_mutex_lock(&s->lock);
  while (s->received < MESSAGES) {
    if (pthread_cond_timedwait(&s->changed, &s->lock, &deadline) != 0) break;
  }
  int received = s->received;
  pthread_mutex_unlock(&s->lock);
  return received;
}

static int failed(const char* what, rmq_err err) {
  fprintf(stderr, "push_consumer: %s failed: %s: %s\n", what, rmq_err2name(err),
          rmq_last_error_message());
  return 1;
}

int main(int argc, char** argv) {
  int status = 1;
  rmq_err err;
  char errstr[256];
  rmq_mini_broker* broker = NULL;
  rmq_conf* consumer_conf = NULL;
  rmq_conf* producer_conf = NULL;
  rmq_push_consumer* consumer = NULL;
  rmq_producer* producer = NULL;
  rmq_message* message = NULL;
  rmq_subscription subscription = {"orders", RMQ_FILTER_TAG, "*"};
  const char* endpoint;
  int received = 0;

  char run[64];
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  snprintf(run, sizeof run, "%ld-%lld", (long)getpid(),
           (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000);
  state s = {.run = run, .seen = {0}, .received = 0};
  pthread_mutex_init(&s.lock, NULL);
  pthread_cond_init(&s.changed, NULL);

  if (argc > 1) {
    endpoint = argv[1];
  } else {
    rmq_option options[] = {{"topic", "orders:NORMAL"}};
    if ((err = rmq_mini_broker_start(options, 1, &broker)) != RMQ_OK) {
      status = failed("rmq_mini_broker_start", err);
      goto done;
    }
    endpoint = rmq_mini_broker_endpoint(broker);
    printf("mini-broker listening on %s\n", endpoint);
  }

  /* The consumer first, so it is subscribed before the messages are sent. */
  consumer_conf = rmq_conf_new();
  if (rmq_conf_set(consumer_conf, "endpoints", endpoint, errstr, sizeof errstr) != RMQ_CONF_OK ||
      rmq_conf_set(consumer_conf, "consumption_threads", "4", errstr, sizeof errstr) !=
          RMQ_CONF_OK) {
    fprintf(stderr, "push_consumer: configuration: %s\n", errstr);
    goto done;
  }
  if ((err = rmq_conf_set_message_listener(consumer_conf, on_message, &s)) != RMQ_OK) {
    status = failed("rmq_conf_set_message_listener", err);
    goto done;
  }
  if ((err = rmq_push_consumer_new(consumer_conf, "billing", &subscription, 1, &consumer)) !=
      RMQ_OK) {
    status = failed("rmq_push_consumer_new", err);
    goto done;
  }

  producer_conf = rmq_conf_new();
  if (rmq_conf_set(producer_conf, "endpoints", endpoint, errstr, sizeof errstr) != RMQ_CONF_OK ||
      rmq_conf_set(producer_conf, "topics", "orders", errstr, sizeof errstr) != RMQ_CONF_OK) {
    fprintf(stderr, "push_consumer: configuration: %s\n", errstr);
    goto done;
  }
  if ((err = rmq_producer_new(producer_conf, &producer)) != RMQ_OK) {
    status = failed("rmq_producer_new", err);
    goto done;
  }
  for (int i = 0; i < MESSAGES; i++) {
    char body[128], seq[16];
    snprintf(body, sizeof body, "order %d of run %s", 1000 + i, run);
    snprintf(seq, sizeof seq, "%d", i);
    /* one message handle, reused: each send sends what it holds at the time */
    if (message == NULL) {
      err = rmq_message_new("orders", (const uint8_t*)body, strlen(body), &message);
    } else {
      err = rmq_message_set_body(message, (const uint8_t*)body, strlen(body));
    }
    if (err != RMQ_OK || (err = rmq_message_set_tag(message, "paid")) != RMQ_OK ||
        (err = rmq_message_set_property(message, "run", run)) != RMQ_OK ||
        (err = rmq_message_set_property(message, "seq", seq)) != RMQ_OK) {
      status = failed("building a message", err);
      goto done;
    }
    if ((err = rmq_producer_send(producer, message, NULL)) != RMQ_OK) {
      status = failed("rmq_producer_send", err);
      goto done;
    }
  }
  printf("sent %d messages of run %s\n", MESSAGES, run);

  received = wait_for_all(&s, 30);
  if (received < MESSAGES) {
    fprintf(stderr, "push_consumer: only %d of %d messages arrived within 30 s\n", received,
            MESSAGES);
    goto done;
  }
  /* Closing waits for listener calls in progress and their acks. */
  if ((err = rmq_push_consumer_close(consumer)) != RMQ_OK) {
    status = failed("rmq_push_consumer_close", err);
    goto done;
  }
  if ((err = rmq_producer_close(producer)) != RMQ_OK) {
    status = failed("rmq_producer_close", err);
    goto done;
  }
  printf("received all %d messages of run %s\n", MESSAGES, run);
  status = 0;

done:
  /* the consumer goes first: after it is freed, the listener is never called again */
  rmq_push_consumer_free(consumer);
  rmq_message_free(message);
  rmq_producer_free(producer);
  rmq_conf_free(producer_conf);
  rmq_conf_free(consumer_conf);
  rmq_mini_broker_free(broker);
  pthread_cond_destroy(&s.changed);
  pthread_mutex_destroy(&s.lock);
  return status;
}
