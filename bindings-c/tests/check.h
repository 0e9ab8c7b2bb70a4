/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal test harness for rmq's C test programs: CHECK fails the program with the file,
 * line, expression and rmq's last error text; OK checks an rmq_err is RMQ_OK. */
#ifndef RMQ_TEST_CHECK_H
#define RMQ_TEST_CHECK_H

#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rmq.h"

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n  last error: %s\n", __FILE__, __LINE__, \
              #cond, rmq_last_error_message());                                          \
      exit(1);                                                                           \
    }                                                                                    \
  } while (0)

#define OK(call)                                                                          \
  do {                                                                                    \
    rmq_err ok_err_ = (call);                                                             \
    if (ok_err_ != RMQ_OK) {                                                              \
      fprintf(stderr, "%s:%d: %s returned %s (%d)\n  last error: %s\n", __FILE__, __LINE__, \
              #call, rmq_err2name(ok_err_), (int)ok_err_, rmq_last_error_message());      \
      exit(1);                                                                            \
    }                                                                                     \
  } while (0)

/* A counter other threads bump, waited on with a deadline (never a fixed sleep). */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int value;
  int failures;
} counter;

static inline void counter_init(counter* c) {
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->changed, NULL);
  c->value = 0;
  c->failures = 0;
}

static inline void counter_destroy(counter* c) {
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->changed);
}

static inline void counter_add(counter* c, int n) {
  pthread_mutex_lock(&c->lock);
  c->value += n;
  pthread_cond_broadcast(&c->changed);
  pthread_mutex_unlock(&c->lock);
}

/* Waits until the counter reaches at least `target`; returns its value (short on timeout). */
static inline int counter_wait(counter* c, int target, int seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += seconds;
  pthread_mutex_lock(&c->lock);
  while (c->value < target) {
    if (pthread_cond_timedwait(&c->changed, &c->lock, &deadline) != 0) break;
  }
  int value = c->value;
  pthread_mutex_unlock(&c->lock);
  return value;
}

static inline long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#endif
