/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): a delivered
 * message, read-only. It is valid only inside the consume callback or the
 * transaction checker call, or until ReleasePullResult; copy what you keep.
 */
#ifndef RMQ_LEGACY_CMESSAGEEXT_H
#define RMQ_LEGACY_CMESSAGEEXT_H

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CMessageExt CMessageExt;

/* String getters return "" for a missing value, NULL for a NULL message. */
ROCKETMQCLIENT_API const char* GetMessageTopic(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageTags(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageKeys(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageBody(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageBodyLength(CMessageExt* msgExt);
/* Also answers UNIQ_KEY, KEYS, TAGS, __SHARDINGKEY from the 5.x fields. */
ROCKETMQCLIENT_API const char* GetMessageProperty(CMessageExt* msgExt, const char* key);
/* Same id as the producer's CSendResult.msgId. */
ROCKETMQCLIENT_API const char* GetMessageId(CMessageExt* msgExt);
/* Integer getters return NULL_POINTER (1) for a NULL message, as 4.x did.
   Values absent from 5.x (delay level, store size, commit log and prepared
   transaction offsets) are 0. */
ROCKETMQCLIENT_API int GetMessageDelayTimeLevel(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageQueueId(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageReconsumeTimes(CMessageExt* msgExt);
ROCKETMQCLIENT_API int GetMessageStoreSize(CMessageExt* msgExt);
/* Milliseconds since the epoch. */
ROCKETMQCLIENT_API long long GetMessageBornTimestamp(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageStoreTimestamp(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageQueueOffset(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessageCommitLogOffset(CMessageExt* msgExt);
ROCKETMQCLIENT_API long long GetMessagePreparedTransactionOffset(CMessageExt* msgExt);
ROCKETMQCLIENT_API const char* GetMessageStoreHost(CMessageExt* msg);
ROCKETMQCLIENT_API const char* GetMessageBornHost(CMessageExt* msg);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CMESSAGEEXT_H */
