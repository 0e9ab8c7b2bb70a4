/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): an orderly
 * push consumer. Self-contained: after starting the consumer it sends ten
 * messages with sharding key "order-1" and bodies "0".."9", then waits (at
 * most 30 s) until they all arrived, and checks that they came in order.
 *
 *   cc push_consumer_orderly.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq -lpthread
 *   ./push_consumer_orderly [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyFifoTopic (FIFO) and legacy_fifo_group as a FIFO
 * consumer group: in 5.x, ordered delivery is a property of the group
 * (rmq-mini-broker: --topic LegacyFifoTopic:FIFO --group legacy_fifo_group:fifo).
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

#define TOPIC "LegacyFifoTopic"
#define SHARDING_KEY "order-1"
#define N 10
#define TIMEOUT_SECONDS 30

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char run_id[64];
static int next_expected; /* body of the next message in order */
static int out_of_order;

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

/* Called for one message group at a time; still guarded, as the callback
   runs on a library thread. */
static int on_message(CPushConsumer* consumer, CMessageExt* msg) {
  int body = atoi(GetMessageBody(msg));
  (void)consumer;

  if (strcmp(GetMessageProperty(msg, "run"), run_id) != 0) {
    printf("skipped a message of another run: msgId=%s\n", GetMessageId(msg));
    return E_CONSUME_SUCCESS;
  }
  pthread_mutex_lock(&lock);
  if (body == next_expected) {
    printf("consumed in order: body=%d msgId=%s reconsume=%d\n", body, GetMessageId(msg),
           GetMessageReconsumeTimes(msg));
    next_expected++;
    pthread_cond_broadcast(&changed);
  } else if (body < next_expected) {
    printf("redelivered: body=%d\n", body);
  } else {
    fprintf(stderr, "out of order: got body %d, expected %d\n", body, next_expected);
    out_of_order = 1;
    pthread_cond_broadcast(&changed);
  }
  pthread_mutex_unlock(&lock);
  return E_CONSUME_SUCCESS;
}

static CPushConsumer* start_consumer(const char* endpoints) {
  CPushConsumer* consumer = CreatePushConsumer("legacy_fifo_group");
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
  } else if ((status = RegisterMessageCallbackOrderly(consumer, on_message)) != OK) {
    report("RegisterMessageCallbackOrderly", status);
  } else if ((status = StartPushConsumer(consumer)) != OK) {
    report("StartPushConsumer", status);
  } else {
    return consumer;
  }
  DestroyPushConsumer(consumer);
  return NULL;
}

/* Sends bodies "0".."9" with one sharding key; 0 on success. */
static int produce(const char* endpoints) {
  CProducer* producer = CreateOrderlyProducer("legacy_fifo_producer_group");
  CMessage* msg;
  CSendResult result;
  char body[16];
  int i, status;

  if (producer == NULL) {
    return report("CreateOrderlyProducer", NULL_POINTER);
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
  SetMessageTags(msg, "orderly");
  SetMessageProperty(msg, "run", run_id);
  for (i = 0, status = OK; i < N && status == OK; i++) {
    snprintf(body, sizeof body, "%d", i);
    SetMessageBody(msg, body);
    status = SendMessageOrderlyByShardingKey(producer, msg, SHARDING_KEY, &result);
  }
  if (status == OK) {
    printf("sent %d messages to %s with sharding key %s (run %s)\n", N, TOPIC, SHARDING_KEY,
           run_id);
  } else {
    report("SendMessageOrderlyByShardingKey", status);
  }
  ShutdownProducer(producer);
  DestroyProducer(producer);
  DestroyMessage(msg);
  return status == OK ? 0 : 1;
}

/* Waits until all N messages arrived in order; 0 if they did. */
static int wait_for_messages(void) {
  struct timespec deadline;
  int timed_out = 0, got, bad;

  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += TIMEOUT_SECONDS;
  pthread_mutex_lock(&lock);
  while (next_expected < N && !out_of_order && !timed_out) {
    timed_out = pthread_cond_timedwait(&changed, &lock, &deadline) == ETIMEDOUT;
  }
  got = next_expected;
  bad = out_of_order;
  pthread_mutex_unlock(&lock);
  printf("received %d of %d messages in order%s\n", got, N, bad ? ", then one out of order" : "");
  return got == N && !bad ? 0 : 1;
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
  printf("orderly push consumer started on %s\n", TOPIC);
  rc = produce(endpoints);
  if (rc == 0) {
    rc = wait_for_messages();
  }
  ShutdownPushConsumer(consumer);
  DestroyPushConsumer(consumer);
  return rc;
}
