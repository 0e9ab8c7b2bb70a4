/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): one batch of
 * five messages in a single request. rmq reports the ids of the batch
 * joined with ',' in CSendResult.msgId.
 *
 *   cc batch_producer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq
 *   ./batch_producer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyTopic (NORMAL).
 */
#include <stdio.h>

#include "CBatchMessage.h"
#include "CErrorMessage.h"
#include "CMessage.h"
#include "CProducer.h"
#include "CSendResult.h"

#define TOPIC "LegacyTopic"
#define COUNT 5

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

static CProducer* start_producer(const char* endpoints) {
  CProducer* producer = CreateProducer("legacy_batch_group");
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

/* AddMessage copies, so each message is destroyed right after adding it. */
static int fill_batch(CBatchMessage* batch) {
  char body[64], keys[64];
  int i, status;

  for (i = 0; i < COUNT; i++) {
    CMessage* msg = CreateMessage(TOPIC);
    snprintf(body, sizeof body, "batch message %d", i);
    snprintf(keys, sizeof keys, "batch-%d", i);
    SetMessageTags(msg, "batch");
    SetMessageKeys(msg, keys);
    SetMessageBody(msg, body);
    status = AddMessage(batch, msg);
    DestroyMessage(msg);
    if (status != OK) {
      return report("AddMessage", status);
    }
  }
  return 0;
}

int main(int argc, char* argv[]) {
  CProducer* producer = start_producer(argc > 1 ? argv[1] : NULL);
  CBatchMessage* batch;
  CSendResult result;
  int status, rc = 0;

  if (producer == NULL) {
    return 1;
  }
  batch = CreateBatchMessage();
  if (batch == NULL) {
    rc = report("CreateBatchMessage", NULL_POINTER);
  } else if ((rc = fill_batch(batch)) == 0) {
    if ((status = SendBatchMessage(producer, batch, &result)) != OK) {
      rc = report("SendBatchMessage", status);
    } else {
      printf("sent a batch of %d: status=%d msgId=%s\n", COUNT, (int)result.sendStatus,
             result.msgId);
    }
  }
  DestroyBatchMessage(batch);
  ShutdownProducer(producer);
  DestroyProducer(producer);
  return rc;
}
