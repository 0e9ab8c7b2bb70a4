/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): asynchronous
 * sends. The callbacks run on library threads; main waits (at most 30 s)
 * until every send has reported back.
 *
 *   cc async_producer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq -lpthread
 *   ./async_producer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyTopic (NORMAL).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "CErrorMessage.h"
#include "CMQException.h"
#include "CMessage.h"
#include "CProducer.h"
#include "CSendResult.h"

#define TOPIC "LegacyTopic"
#define PER_KIND 5 /* sends with SendMessageAsync, then as many with SendAsync */
#define TIMEOUT_SECONDS 30

struct counter {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int issued;    /* sends that returned OK */
  int succeeded; /* success callbacks */
  int failed;    /* exception callbacks */
};

/* SendMessageAsync callbacks get no user data, so they use this one; the
   SendAsync callbacks get it as userData. */
static struct counter counter = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

static void count(struct counter* c, int ok) {
  pthread_mutex_lock(&c->lock);
  if (ok) {
    c->succeeded++;
  } else {
    c->failed++;
  }
  pthread_cond_broadcast(&c->changed);
  pthread_mutex_unlock(&c->lock);
}

static void on_success(CSendResult result) {
  printf("SendMessageAsync ok: msgId=%s\n", result.msgId);
  count(&counter, 1);
}

static void on_exception(CMQException e) {
  fprintf(stderr, "SendMessageAsync failed: error=%d %s\n", e.error, e.msg);
  count(&counter, 0);
}

static void on_send_success(CSendResult result, CMessage* msg, void* userData) {
  printf("SendAsync ok: msgId=%s body=%s\n", result.msgId, GetOriginMessageBody(msg));
  count((struct counter*)userData, 1);
}

static void on_send_exception(CMQException e, CMessage* msg, void* userData) {
  fprintf(stderr, "SendAsync failed for %s: error=%d %s\n", GetOriginMessageBody(msg), e.error,
          e.msg);
  count((struct counter*)userData, 0);
}

static CProducer* start_producer(const char* endpoints) {
  CProducer* producer = CreateProducer("legacy_async_group");
  int status;

  if (producer == NULL) {
    report("CreateProducer", NULL_POINTER);
    return NULL;
  }
  if (endpoints != NULL && (status = SetProducerNameServerAddress(producer, endpoints)) != OK) {
    report("SetProducerNameServerAddress", status);
  } else if ((status = StartProducer(producer)) != OK) {
    report("StartProducer", status);
  } else {
    return producer;
  }
  DestroyProducer(producer);
  return NULL;
}

/* Sends every message; msgs must stay alive until the callbacks ran. */
static int send_all(CProducer* producer, CMessage* msgs[]) {
  char body[64];
  int i, status;

  for (i = 0; i < 2 * PER_KIND; i++) {
    msgs[i] = CreateMessage(TOPIC);
    snprintf(body, sizeof body, "async message %d", i);
    SetMessageTags(msgs[i], "async");
    SetMessageBody(msgs[i], body);
    if (i < PER_KIND) {
      status = SendMessageAsync(producer, msgs[i], on_success, on_exception);
    } else {
      status = SendAsync(producer, msgs[i], on_send_success, on_send_exception, &counter);
    }
    if (status != OK) {
      return report(i < PER_KIND ? "SendMessageAsync" : "SendAsync", status);
    }
    pthread_mutex_lock(&counter.lock);
    counter.issued++;
    pthread_mutex_unlock(&counter.lock);
  }
  return 0;
}

/* Waits until every issued send has called back; 1 on timeout or failure. */
static int wait_for_callbacks(void) {
  struct timespec deadline;
  int rc = 0, timed_out = 0;

  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += TIMEOUT_SECONDS;
  pthread_mutex_lock(&counter.lock);
  while (counter.succeeded + counter.failed < counter.issued && !timed_out) {
    timed_out = pthread_cond_timedwait(&counter.changed, &counter.lock, &deadline) == ETIMEDOUT;
  }
  printf("issued %d, succeeded %d, failed %d\n", counter.issued, counter.succeeded,
         counter.failed);
  if (timed_out) {
    fprintf(stderr, "timed out after %d s waiting for callbacks\n", TIMEOUT_SECONDS);
    rc = 1;
  }
  if (counter.failed > 0) {
    rc = 1;
  }
  pthread_mutex_unlock(&counter.lock);
  return rc;
}

int main(int argc, char* argv[]) {
  CProducer* producer = start_producer(argc > 1 ? argv[1] : NULL);
  CMessage* msgs[2 * PER_KIND] = {NULL};
  int i, rc;

  if (producer == NULL) {
    return 1;
  }
  rc = send_all(producer, msgs);
  if (wait_for_callbacks() != 0) {
    rc = 1;
  }
  ShutdownProducer(producer);
  DestroyProducer(producer);
  /* Only now: no callback can still be using a message. */
  for (i = 0; i < 2 * PER_KIND; i++) {
    if (msgs[i] != NULL) {
      DestroyMessage(msgs[i]);
    }
  }
  return rc;
}
