/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): a pull
 * consumer that reads every queue of a topic from offset 0 to the end.
 * Run it after producer.c; it succeeds if it found at least one message.
 *
 *   cc pull_consumer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq
 *   ./pull_consumer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * Pull needs a server with the 5.x pull RPCs (rmq-mini-broker); the Apache
 * proxy does not implement them, and Pull then reports E_BROKER_TIMEOUT.
 */
#include <stdio.h>

#include "CErrorMessage.h"
#include "CMessageExt.h"
#include "CMessageQueue.h"
#include "CPullConsumer.h"
#include "CPullResult.h"

#define TOPIC "LegacyTopic"
#define BATCH 32

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

static CPullConsumer* start_consumer(const char* endpoints) {
  CPullConsumer* consumer = CreatePullConsumer("legacy_pull_group");
  int status;

  if (consumer == NULL) {
    report("CreatePullConsumer", NULL_POINTER);
    return NULL;
  }
  if (endpoints != NULL &&
      (status = SetPullConsumerNameServerAddress(consumer, endpoints)) != OK) {
    report("SetPullConsumerNameServerAddress", status);
  } else if ((status = StartPullConsumer(consumer)) != OK) {
    report("StartPullConsumer", status);
  } else {
    return consumer;
  }
  DestroyPullConsumer(consumer);
  return NULL;
}

/* Reads one queue from offset 0 until there is nothing new. Returns the
   number of messages, or -1 on a failed pull. */
static int drain(CPullConsumer* consumer, const CMessageQueue* mq) {
  long long offset = 0;
  int i, total = 0;

  for (;;) {
    CPullResult result = Pull(consumer, mq, "*", offset, BATCH);
    CPullStatus status = result.pullStatus;
    long long next = result.nextBeginOffset;

    if (status == E_FOUND) {
      for (i = 0; i < result.size; i++) {
        CMessageExt* msg = result.msgFoundList[i];
        printf("  offset=%lld msgId=%s tags=%s keys=[%s] body=%s\n", GetMessageQueueOffset(msg),
               GetMessageId(msg), GetMessageTags(msg), GetMessageKeys(msg), GetMessageBody(msg));
      }
      total += result.size;
    }
    ReleasePullResult(result); /* every result, even an empty one */
    if (status == E_BROKER_TIMEOUT) {
      fprintf(stderr, "Pull failed on queue %d: %s\n", mq->queueId, GetLatestErrorMessage());
      return -1;
    }
    if (status == E_NO_NEW_MSG || next <= offset) {
      return total;
    }
    offset = next; /* E_FOUND, E_NO_MATCHED_MSG or E_OFFSET_ILLEGAL */
  }
}

int main(int argc, char* argv[]) {
  CPullConsumer* consumer = start_consumer(argc > 1 ? argv[1] : NULL);
  CMessageQueue* mqs = NULL;
  int i, size = 0, status, found, total = 0, rc = 0;

  if (consumer == NULL) {
    return 1;
  }
  status = FetchSubscriptionMessageQueues(consumer, TOPIC, &mqs, &size);
  if (status != OK) {
    rc = report("FetchSubscriptionMessageQueues", status);
  } else {
    printf("%s has %d queues\n", TOPIC, size);
    for (i = 0; i < size && rc == 0; i++) {
      printf("queue %d on %s:\n", mqs[i].queueId, mqs[i].brokerName);
      found = drain(consumer, &mqs[i]);
      if (found < 0) {
        rc = 1;
      } else {
        total += found;
      }
    }
    ReleaseSubscriptionMessageQueue(mqs);
  }
  ShutdownPullConsumer(consumer);
  DestroyPullConsumer(consumer);
  if (rc == 0) {
    printf("pulled %d messages from %s\n", total, TOPIC);
    if (total == 0) {
      fprintf(stderr, "no message found (run producer first)\n");
      rc = 1;
    }
  }
  return rc;
}
