/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy C API example (rmq's librocketmq compatibility layer): transactional
 * sends. The executor commits the first message and rolls back the second;
 * the checker answers later server checks the same way.
 *
 *   cc transaction_producer.c -I<prefix>/include/rocketmq -L<prefix>/lib -lrocketmq
 *   ./transaction_producer [endpoints]     (without an argument NAMESRV_ADDR is used)
 *
 * 5.x setup: topic LegacyTxTopic (TRANSACTION).
 */
#include <stdio.h>
#include <string.h>

#include "CErrorMessage.h"
#include "CMessage.h"
#include "CMessageExt.h"
#include "CProducer.h"
#include "CSendResult.h"
#include "CTransactionStatus.h"

#define TOPIC "LegacyTxTopic"

static int executed; /* executor calls; it runs on the sending thread */

static int report(const char* what, int status) {
  fprintf(stderr, "%s failed (status %d): %s\n", what, status, GetLatestErrorMessage());
  return 1;
}

static const char* name_of(CTransactionStatus status) {
  return status == E_COMMIT_TRANSACTION ? "commit" : "rollback";
}

/* Local transaction, run inside SendMessageTransaction; data is the
   message's index. */
static CTransactionStatus execute(CProducer* producer, CMessage* msg, void* data) {
  int index = *(int*)data;
  CTransactionStatus decision = index == 0 ? E_COMMIT_TRANSACTION : E_ROLLBACK_TRANSACTION;
  (void)producer;
  executed++;
  printf("executor: %s -> %s\n", GetOriginMessageBody(msg), name_of(decision));
  return decision;
}

/* Server check of a pending transaction, on a library thread. */
static CTransactionStatus check(CProducer* producer, CMessageExt* msg, void* data) {
  CTransactionStatus decision = strcmp(GetMessageProperty(msg, "index"), "0") == 0
                                    ? E_COMMIT_TRANSACTION
                                    : E_ROLLBACK_TRANSACTION;
  (void)producer;
  (void)data;
  printf("checker: msgId=%s -> %s\n", GetMessageId(msg), name_of(decision));
  return decision;
}

static CProducer* start_producer(const char* endpoints) {
  CProducer* producer = CreateTransactionProducer("legacy_tx_group", check, NULL);
  int status;

  if (producer == NULL) {
    report("CreateTransactionProducer", NULL_POINTER);
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

static int send_one(CProducer* producer, int index) {
  CMessage* msg = CreateMessage(TOPIC);
  CSendResult result;
  char text[64];
  int status, before = executed;

  snprintf(text, sizeof text, "%d", index);
  SetMessageProperty(msg, "index", text);
  snprintf(text, sizeof text, "transactional message %d", index);
  SetMessageBody(msg, text);
  SetMessageTags(msg, "tx");
  status = SendMessageTransaction(producer, msg, execute, &index, &result);
  DestroyMessage(msg);
  if (status != OK) {
    return report("SendMessageTransaction", status);
  }
  printf("sent transactional message %d: status=%d msgId=%s\n", index, (int)result.sendStatus,
         result.msgId);
  if (executed != before + 1) {
    fprintf(stderr, "the executor did not run for message %d\n", index);
    return 1;
  }
  return 0;
}

int main(int argc, char* argv[]) {
  CProducer* producer = start_producer(argc > 1 ? argv[1] : NULL);
  int rc;

  if (producer == NULL) {
    return 1;
  }
  rc = send_one(producer, 0); /* committed */
  if (rc == 0) {
    rc = send_one(producer, 1); /* rolled back */
  }
  ShutdownProducer(producer);
  DestroyProducer(producer);
  return rc;
}
