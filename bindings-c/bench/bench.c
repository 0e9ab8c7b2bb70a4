/* SPDX-License-Identifier: Apache-2.0 */
/* rmq C binding benchmark: sequential sync sends and receive+ack through rmq.h against a
 * mini-broker at ENDPOINT. Prints one line per phase in the format the Rust core's peer
 * (peer.rs) prints, so run.sh can put them side by side.
 *
 *   bench ENDPOINT SENDS RECEIVES
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rmq.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void die(const char* what, rmq_err err) {
  fprintf(stderr, "%s: %s: %s\n", what, rmq_err2name(err), rmq_last_error_message());
  exit(1);
}

#define TRY(call)                       \
  do {                                  \
    rmq_err e_ = (call);                \
    if (e_ != RMQ_OK) die(#call, e_);   \
  } while (0)

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s ENDPOINT SENDS RECEIVES\n", argv[0]);
    return 2;
  }
  const char* endpoint = argv[1];
  int sends = atoi(argv[2]), receives = atoi(argv[3]);
  rmq_conf* conf = rmq_conf_new();
  char err[256];
  if (rmq_conf_set(conf, "endpoints", endpoint, err, sizeof err) != RMQ_CONF_OK ||
      rmq_conf_set(conf, "topics", "bench", err, sizeof err) != RMQ_CONF_OK) {
    fprintf(stderr, "conf: %s\n", err);
    return 1;
  }
  rmq_producer* producer = NULL;
  TRY(rmq_producer_new(conf, &producer));
  uint8_t body[1024];
  memset(body, 'x', sizeof body);
  rmq_message* message = NULL;
  TRY(rmq_message_new("bench", body, sizeof body, &message));

  /* warm-up: a tenth of the work, unmeasured */
  for (int i = 0; i < sends / 10; i++) TRY(rmq_producer_send(producer, message, NULL));
  double* took = calloc((size_t)sends, sizeof *took);
  double started = now();
  for (int i = 0; i < sends; i++) {
    double t = now();
    TRY(rmq_producer_send(producer, message, NULL));
    took[i] = now() - t;
  }
  double elapsed = now() - started;
  qsort(took, (size_t)sends, sizeof *took, cmp);
  printf("c send %d %.0f %.1f %.1f\n", sends, sends / elapsed, took[sends / 2] * 1e6,
         took[sends * 99 / 100] * 1e6);
  free(took);

  /* receive+ack: a fresh group reads what is there from the start of the queues */
  for (int i = 0; i < receives; i++) TRY(rmq_producer_send(producer, message, NULL));
  rmq_conf* cconf = rmq_conf_new();
  rmq_conf_set(cconf, "endpoints", endpoint, err, sizeof err);
  rmq_conf_set(cconf, "await_duration", "1s", err, sizeof err);
  char group[64];
  snprintf(group, sizeof group, "bench-c-%ld", (long)getpid());
  rmq_subscription sub = {"bench", RMQ_FILTER_TAG, NULL};
  rmq_simple_consumer* consumer = NULL;
  TRY(rmq_simple_consumer_new(cconf, group, &sub, 1, &consumer));
  rmq_message_view* views[32];
  int got = 0;
  started = now();
  while (got < receives) {
    size_t n = 0;
    TRY(rmq_simple_consumer_receive(consumer, 32, 60000, views, &n));
    for (size_t i = 0; i < n; i++) {
      TRY(rmq_simple_consumer_ack(consumer, views[i]));
      rmq_message_view_free(views[i]);
    }
    got += (int)n;
    if (n == 0 && now() - started > 60) break;
  }
  elapsed = now() - started;
  printf("c receive %d %.0f\n", got, got / elapsed);

  rmq_simple_consumer_free(consumer);
  rmq_message_free(message);
  rmq_producer_free(producer);
  rmq_conf_free(conf);
  rmq_conf_free(cconf);
  return 0;
}
