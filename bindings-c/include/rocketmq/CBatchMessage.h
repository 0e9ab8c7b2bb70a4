/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): a batch of
 * messages for SendBatchMessage (one 5.x SendMessage request).
 */
#ifndef RMQ_LEGACY_CBATCHMESSAGE_H
#define RMQ_LEGACY_CBATCHMESSAGE_H

#include "CCommon.h"
#include "CMessage.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CBatchMessage CBatchMessage;

/* Deliberately declared without a prototype, as in the original: existing
   sources call it with an argument, which a (void) prototype would reject. */
ROCKETMQCLIENT_API CBatchMessage* CreateBatchMessage();
/* Stores a copy: msg may be destroyed afterwards. */
ROCKETMQCLIENT_API int AddMessage(CBatchMessage* batchMsg, CMessage* msg);
ROCKETMQCLIENT_API int DestroyBatchMessage(CBatchMessage* batchMsg);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CBATCHMESSAGE_H */
