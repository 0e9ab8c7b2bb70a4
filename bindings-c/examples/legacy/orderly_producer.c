/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): ordered
 * sends, by sharding key and through a queue selector.
 *
 *   cc orderly_producer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq
 *   ./orderly_producer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyFifoTopic (FIFO). A sharding key becomes the 5.x
 * message group; a selector's queue index becomes a group per index.
 */
#include <stdio.h>

#include "CErrorMessage.h"
#include "CMessage.h"
#include "CProducer.h"
#include "CSendResult.h"

#define TOPIC "LegacyFifoTopic"

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

/* Same order id, same queue. */
static int select_queue(int size, CMessage* msg, void* arg) {
  int* order_id = (int*)arg;
  (void)msg;
  return size > 0 ? *order_id % size : 0;
}

static CProducer* start_producer(const char* endpoints) {
  CProducer* producer = CreateOrderlyProducer("legacy_orderly_group");
  int status;

  if (producer == NULL) {
    report("CreateOrderlyProducer", NULL_POINTER);
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

/* 10 messages over two sharding keys: each key's messages stay in order. */
static int send_by_sharding_key(CProducer* producer) {
  static const char* const sharding_keys[] = {"shard-even", "shard-odd"};
  CMessage* msg = CreateMessage(TOPIC);
  CSendResult result;
  char body[64];
  int i, status = OK;

  SetMessageTags(msg, "sharded");
  for (i = 0; i < 10 && status == OK; i++) {
    const char* key = sharding_keys[i % 2];
    snprintf(body, sizeof body, "%s step %d", key, i / 2);
    SetMessageBody(msg, body);
    status = SendMessageOrderlyByShardingKey(producer, msg, key, &result);
    if (status == OK) {
      printf("sent by sharding key %s: %s msgId=%s\n", key, body, result.msgId);
    }
  }
  DestroyMessage(msg);
  return status == OK ? 0 : report("SendMessageOrderlyByShardingKey", status);
}

/* 4 messages for two orders, the queue picked by select_queue. */
static int send_by_selector(CProducer* producer) {
  CMessage* msg = CreateMessage(TOPIC);
  CSendResult result;
  char body[64];
  int i, order_id, status = OK;

  SetMessageTags(msg, "selected");
  for (i = 0; i < 4 && status == OK; i++) {
    order_id = 1000 + i % 2;
    snprintf(body, sizeof body, "order %d step %d", order_id, i / 2);
    SetMessageBody(msg, body);
    status = SendMessageOrderly(producer, msg, select_queue, &order_id, 3, &result);
    if (status == OK) {
      printf("sent by selector for order %d: %s msgId=%s\n", order_id, body, result.msgId);
    }
  }
  DestroyMessage(msg);
  return status == OK ? 0 : report("SendMessageOrderly", status);
}

int main(int argc, char* argv[]) {
  CProducer* producer = start_producer(argc > 1 ? argv[1] : NULL);
  int rc;

  if (producer == NULL) {
    return 1;
  }
  rc = send_by_sharding_key(producer);
  if (rc == 0) {
    rc = send_by_selector(producer);
  }
  ShutdownProducer(producer);
  DestroyProducer(producer);
  if (rc == 0) {
    printf("orderly sends done\n");
  }
  return rc;
}
