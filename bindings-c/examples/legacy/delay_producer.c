/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): a delayed
 * message. Level 1 of the 4.x delay table is 1 s; rmq turns the level into
 * a 5.x delivery time (send time + delay).
 *
 *   cc delay_producer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq
 *   ./delay_producer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyDelayTopic (DELAY).
 */
#include <stdio.h>

#include "CErrorMessage.h"
#include "CMessage.h"
#include "CProducer.h"
#include "CSendResult.h"

#define TOPIC "LegacyDelayTopic"
#define LEVEL 1

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

static CProducer* start_producer(const char* endpoints) {
  CProducer* producer = CreateProducer("legacy_delay_group");
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

static int send_delayed(CProducer* producer, CMessage* msg) {
  CSendResult result;
  int status, level;

  SetMessageTags(msg, "delayed");
  SetMessageBody(msg, "deliver me one second later");
  if ((status = SetDelayTimeLevel(msg, LEVEL)) != OK) {
    return report("SetDelayTimeLevel", status);
  }
  if ((level = GetOriginDelayTimeLevel(msg)) != LEVEL) {
    fprintf(stderr, "GetOriginDelayTimeLevel returned %d, expected %d\n", level, LEVEL);
    return 1;
  }
  if ((status = SendMessageSync(producer, msg, &result)) != OK) {
    return report("SendMessageSync", status);
  }
  printf("sent with delay level %d: msgId=%s\n", level, result.msgId);
  return 0;
}

int main(int argc, char* argv[]) {
  CProducer* producer = start_producer(argc > 1 ? argv[1] : NULL);
  CMessage* msg;
  int rc;

  if (producer == NULL) {
    return 1;
  }
  msg = CreateMessage(TOPIC);
  rc = send_delayed(producer, msg);
  ShutdownProducer(producer);
  DestroyProducer(producer);
  DestroyMessage(msg);
  return rc;
}
