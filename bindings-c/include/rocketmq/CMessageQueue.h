/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): a queue as
 * returned by FetchSubscriptionMessageQueues (from the 5.x route: readable
 * queues of master brokers).
 */
#ifndef RMQ_LEGACY_CMESSAGEQUEUE_H
#define RMQ_LEGACY_CMESSAGEQUEUE_H

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Layout is ABI (772 bytes). */
typedef struct _CMessageQueue_ {
  char topic[MAX_TOPIC_LENGTH];
  char brokerName[MAX_BROKER_NAME_ID_LENGTH];
  int queueId;
} CMessageQueue;

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CMESSAGEQUEUE_H */
