/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): synchronous
 * sends of one reused CMessage. Each send must get its own message id.
 *
 *   cc producer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq
 *   ./producer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyTopic (NORMAL).
 */
#include <stdio.h>
#include <string.h>

#include "CErrorMessage.h"
#include "CMessage.h"
#include "CProducer.h"
#include "CSendResult.h"

#define TOPIC "LegacyTopic"
#define COUNT 10

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

/* Sends COUNT messages, reusing msg, and checks that the ids differ. */
static int send_all(CProducer* producer, CMessage* msg) {
  static char ids[COUNT][MAX_MESSAGE_ID_LENGTH];
  CSendResult result;
  char body[64], keys[64];
  int i, j, status;

  for (i = 0; i < COUNT; i++) {
    snprintf(body, sizeof body, "hello from the legacy C API #%d", i);
    snprintf(keys, sizeof keys, "key-%d legacy", i); /* two keys */
    SetMessageBody(msg, body);
    SetMessageKeys(msg, keys);
    if ((status = SendMessageSync(producer, msg, &result)) != OK) {
      return report("SendMessageSync", status);
    }
    printf("sent #%d: status=%d msgId=%s offset=%lld\n", i, (int)result.sendStatus, result.msgId,
           result.offset);
    snprintf(ids[i], sizeof ids[i], "%s", result.msgId);
    for (j = 0; j < i; j++) {
      if (strcmp(ids[i], ids[j]) == 0) {
        fprintf(stderr, "send #%d got the id of send #%d again: %s\n", i, j, ids[i]);
        return 1;
      }
    }
  }
  printf("all %d message ids are distinct\n", COUNT);
  return 0;
}

/* Creates, configures and starts the producer; NULL (reported) on failure. */
static CProducer* start_producer(const char* endpoints) {
  CProducer* producer = CreateProducer("legacy_producer_group");
  int status;

  if (producer == NULL) {
    report("CreateProducer", NULL_POINTER);
    return NULL;
  }
  if (endpoints != NULL && (status = SetProducerNameServerAddress(producer, endpoints)) != OK) {
    report("SetProducerNameServerAddress", status);
  } else if ((status = SetProducerSendMsgTimeout(producer, 5000)) != OK) {
    report("SetProducerSendMsgTimeout", status);
  } else if ((status = StartProducer(producer)) != OK) {
    report("StartProducer", status);
  } else {
    return producer;
  }
  DestroyProducer(producer);
  return NULL;
}

int main(int argc, char* argv[]) {
  CProducer* producer = start_producer(argc > 1 ? argv[1] : NULL);
  CMessage* msg;
  int rc;

  if (producer == NULL) {
    return 1;
  }
  printf("producer started, sending %d messages to %s\n", COUNT, TOPIC);
  /* One message object for every send, as legacy code does. */
  msg = CreateMessage(TOPIC);
  SetMessageTags(msg, "TagA");
  SetMessageProperty(msg, "region", "eu");
  rc = send_all(producer, msg);
  ShutdownProducer(producer);
  DestroyProducer(producer);
  DestroyMessage(msg);
  return rc;
}
