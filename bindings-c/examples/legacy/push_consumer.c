/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): a concurrent
 * push consumer. Self-contained: after starting the consumer it sends N
 * messages tagged with a run id, then waits (at most 30 s) until it has
 * consumed all N of them. Messages of earlier runs are printed but not
 * counted.
 *
 *   cc push_consumer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq -lpthread
 *   ./push_consumer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyTopic (NORMAL), group legacy_consumer_group.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "CErrorMessage.h"
#include "CMessage.h"
#include "CMessageExt.h"
#include "CProducer.h"
#include "CPushConsumer.h"
#include "CSendResult.h"

#define TOPIC "LegacyTopic"
#define N 20
#define TIMEOUT_SECONDS 30

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char run_id[64];
static int seen[N]; /* redeliveries are counted once */
static int received;

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

/* Runs on the consumer's threads, possibly several at once. */
static int on_message(CPushConsumer* consumer, CMessageExt* msg) {
  const char* run = GetMessageProperty(msg, "run");
  int seq = atoi(GetMessageProperty(msg, "seq"));
  (void)consumer;

  printf("consumed topic=%s tags=%s keys=[%s] msgId=%s body=%s region=%s reconsume=%d\n",
         GetMessageTopic(msg), GetMessageTags(msg), GetMessageKeys(msg), GetMessageId(msg),
         GetMessageBody(msg), GetMessageProperty(msg, "region"), GetMessageReconsumeTimes(msg));
  if (strcmp(run, run_id) == 0 && seq >= 0 && seq < N) {
    pthread_mutex_lock(&lock);
    if (!seen[seq]) {
      seen[seq] = 1;
      received++;
      pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
  }
  return E_CONSUME_SUCCESS;
}

static CPushConsumer* start_consumer(const char* endpoints) {
  CPushConsumer* consumer = CreatePushConsumer("legacy_consumer_group");
  int status;

  if (consumer == NULL) {
    report("CreatePushConsumer", NULL_POINTER);
    return NULL;
  }
  if (endpoints != NULL &&
      (status = SetPushConsumerNameServerAddress(consumer, endpoints)) != OK) {
    report("SetPushConsumerNameServerAddress", status);
  } else if ((status = Subscribe(consumer, TOPIC, "*")) != OK) {
    report("Subscribe", status);
  } else if ((status = RegisterMessageCallback(consumer, on_message)) != OK) {
    report("RegisterMessageCallback", status);
  } else if ((status = SetPushConsumerThreadCount(consumer, 4)) != OK) {
    report("SetPushConsumerThreadCount", status);
  } else if ((status = StartPushConsumer(consumer)) != OK) {
    report("StartPushConsumer", status);
  } else {
    return consumer;
  }
  DestroyPushConsumer(consumer);
  return NULL;
}

/* Sends N messages of this run; 0 on success. */
static int produce(const char* endpoints) {
  CProducer* producer = CreateProducer("legacy_push_producer_group");
  CMessage* msg;
  CSendResult result;
  char text[128];
  int i, status;

  if (producer == NULL) {
    return report("CreateProducer", NULL_POINTER);
  }
  if (endpoints != NULL && (status = SetProducerNameServerAddress(producer, endpoints)) != OK) {
    DestroyProducer(producer);
    return report("SetProducerNameServerAddress", status);
  }
  if ((status = StartProducer(producer)) != OK) {
    DestroyProducer(producer);
    return report("StartProducer", status);
  }
  msg = CreateMessage(TOPIC);
  SetMessageTags(msg, "TagA");
  SetMessageProperty(msg, "region", "eu");
  SetMessageProperty(msg, "run", run_id);
  for (i = 0, status = OK; i < N && status == OK; i++) {
    snprintf(text, sizeof text, "%d", i);
    SetMessageProperty(msg, "seq", text);
    snprintf(text, sizeof text, "push-%d run-%s", i, run_id);
    SetMessageKeys(msg, text);
    snprintf(text, sizeof text, "push consumer test message %d", i);
    SetMessageBody(msg, text);
    status = SendMessageSync(producer, msg, &result);
  }
  if (status == OK) {
    printf("sent %d messages to %s (run %s)\n", N, TOPIC, run_id);
  } else {
    report("SendMessageSync", status);
  }
  ShutdownProducer(producer);
  DestroyProducer(producer);
  DestroyMessage(msg);
  return status == OK ? 0 : 1;
}

/* Waits until all N messages arrived; 0 if they did. */
static int wait_for_messages(void) {
  struct timespec deadline;
  int timed_out = 0, got;

  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += TIMEOUT_SECONDS;
  pthread_mutex_lock(&lock);
  while (received < N && !timed_out) {
    timed_out = pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT;
  }
  got = received;
  pthread_mutex_unlock(&lock);
  printf("received %d of %d messages\n", got, N);
  return got == N ? 0 : 1;
}

int main(int argc, char* argv[]) {
  const char* endpoints = argc > 1 ? argv[1] : NULL;
  CPushConsumer* consumer;
  int rc;

  snprintf(run_id, sizeof run_id, "%ld-%ld", (long)getpid(), (long)time(NULL));
  consumer = start_consumer(endpoints);
  if (consumer == NULL) {
    return 1;
  }
  printf("push consumer started on %s\n", TOPIC);
  rc = produce(endpoints);
  if (rc == 0) {
    rc = wait_for_messages();
  }
  ShutdownPushConsumer(consumer);
  DestroyPushConsumer(consumer);
  return rc;
}
