/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq's C quickstart: send a message with a tag, a key and a property, then receive it with a
 * simple consumer, print it and acknowledge it.
 *
 * With no argument it starts an in-process mini-broker (topic `orders`); give an endpoint
 * (`127.0.0.1:8081`) to use a RocketMQ 5 server instead, where topic `orders` (NORMAL) and
 * consumer group `billing` must exist.
 *
 *   cc -std=c11 -Wall -Wextra quickstart.c $(pkg-config --cflags --libs rmq) -o quickstart
 *   ./quickstart [endpoint]
 */
#define _POSIX_C_SOURCE 200809L
#include <rmq.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Prints a failed call with rmq's words for it; returns 1, the program's failure status. */
static int failed(const char* what, rmq_err err) {
  fprintf(stderr, "quickstart: %s failed: %s: %s\n", what, rmq_err2name(err),
          rmq_last_error_message());
  return 1;
}

int main(int argc, char** argv) {
  int status = 1;
  rmq_err err;
  char errstr[256];
  /* Every handle starts NULL: freeing NULL is a no-op, so one cleanup path serves all exits. */
  rmq_mini_broker* broker = NULL;
  rmq_conf* conf = NULL;
  rmq_conf* consumer_conf = NULL;
  rmq_producer* producer = NULL;
  rmq_message* message = NULL;
  rmq_send_receipt* receipt = NULL;
  rmq_simple_consumer* consumer = NULL;
  static const char body[] = "order 1001: 42.00 EUR";
  rmq_subscription subscription = {"orders", RMQ_FILTER_TAG, "*"};
  char message_id[128] = "";
  int found = 0;
  const char* endpoint;

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

  /* The producer: configured by string keys (client-core/OPTIONS.md). */
  conf = rmq_conf_new();
  if (rmq_conf_set(conf, "endpoints", endpoint, errstr, sizeof errstr) != RMQ_CONF_OK ||
      rmq_conf_set(conf, "topics", "orders", errstr, sizeof errstr) != RMQ_CONF_OK) {
    fprintf(stderr, "quickstart: configuration: %s\n", errstr);
    goto done;
  }
  if ((err = rmq_producer_new(conf, &producer)) != RMQ_OK) {
    status = failed("rmq_producer_new", err);
    goto done;
  }

  if ((err = rmq_message_new("orders", (const uint8_t*)body, strlen(body), &message)) != RMQ_OK ||
      (err = rmq_message_set_tag(message, "paid")) != RMQ_OK ||
      (err = rmq_message_add_key(message, "order-1001")) != RMQ_OK ||
      (err = rmq_message_set_property(message, "region", "eu")) != RMQ_OK) {
    status = failed("building the message", err);
    goto done;
  }
  if ((err = rmq_producer_send(producer, message, &receipt)) != RMQ_OK) {
    status = failed("rmq_producer_send", err);
    goto done;
  }
  snprintf(message_id, sizeof message_id, "%s", rmq_send_receipt_message_id(receipt));
  printf("sent %s\n", message_id);

  /* The simple consumer: the same endpoints, and a long-polling receive of up to 5 s. */
  consumer_conf = rmq_conf_new();
  if (rmq_conf_set(consumer_conf, "endpoints", endpoint, errstr, sizeof errstr) != RMQ_CONF_OK ||
      rmq_conf_set(consumer_conf, "await_duration", "5s", errstr, sizeof errstr) != RMQ_CONF_OK) {
    fprintf(stderr, "quickstart: configuration: %s\n", errstr);
    goto done;
  }
  if ((err = rmq_simple_consumer_new(consumer_conf, "billing", &subscription, 1, &consumer)) !=
      RMQ_OK) {
    status = failed("rmq_simple_consumer_new", err);
    goto done;
  }

  /* Receive until our message arrives (30 s at most); other messages are printed, acked and
   * skipped (a server may hold messages from earlier runs). */
  for (long long deadline = now_ms() + 30000; !found && now_ms() < deadline;) {
    rmq_message_view* views[16];
    size_t count = 0;
    if ((err = rmq_simple_consumer_receive(consumer, 16, 30000, views, &count)) != RMQ_OK) {
      status = failed("rmq_simple_consumer_receive", err);
      goto done;
    }
    for (size_t i = 0; i < count; i++) {
      rmq_message_view* view = views[i];
      const char* id = rmq_message_view_message_id(view);
      if (!found && strcmp(id, message_id) == 0) {
        size_t len = 0;
        const uint8_t* data = rmq_message_view_body(view, &len);
        const char* region = rmq_message_view_property(view, "region");
        printf("received %s: %.*s (tag %s, key %s, region %s)\n", id, (int)len,
               (const char*)data, rmq_message_view_tag(view), rmq_message_view_key(view, 0),
               region ? region : "-");
        found = 1;
      } else {
        printf("skipped %s (not ours)\n", id);
      }
      err = rmq_simple_consumer_ack(consumer, view);
      rmq_message_view_free(view);
      if (err != RMQ_OK) {
        /* the views after this one are still ours to free */
        for (size_t j = i + 1; j < count; j++) rmq_message_view_free(views[j]);
        status = failed("rmq_simple_consumer_ack", err);
        goto done;
      }
    }
  }
  if (!found) {
    fprintf(stderr, "quickstart: %s did not arrive within 30 s\n", message_id);
    goto done;
  }
  printf("acked %s\n", message_id);

  /* Close explicitly to see errors (the _free functions close too, silently). */
  if ((err = rmq_simple_consumer_close(consumer)) != RMQ_OK) {
    status = failed("rmq_simple_consumer_close", err);
    goto done;
  }
  if ((err = rmq_producer_close(producer)) != RMQ_OK) {
    status = failed("rmq_producer_close", err);
    goto done;
  }
  status = 0;

done:
  rmq_simple_consumer_free(consumer);
  rmq_conf_free(consumer_conf);
  rmq_send_receipt_free(receipt);
  rmq_message_free(message);
  rmq_producer_free(producer);
  rmq_conf_free(conf);
  rmq_mini_broker_free(broker);
  return status;
}
