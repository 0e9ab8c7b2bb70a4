/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): a message
 * being built for sending. In rmq it is client-side state only; it becomes a
 * 5.x Message (topic, tag, keys, body, properties, delivery time) at send.
 */
#ifndef RMQ_LEGACY_CMESSAGE_H
#define RMQ_LEGACY_CMESSAGE_H

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque; the tag name is used by existing code (struct CMessage*). */
typedef struct CMessage CMessage;

/* A NULL topic is allowed and leaves the topic empty. */
ROCKETMQCLIENT_API CMessage* CreateMessage(const char* topic);
ROCKETMQCLIENT_API int DestroyMessage(CMessage* msg);

ROCKETMQCLIENT_API int SetMessageTopic(CMessage* msg, const char* topic);
/* One tag (5.x forbids '|' and blank tags). */
ROCKETMQCLIENT_API int SetMessageTags(CMessage* msg, const char* tags);
/* Several keys are separated by a single space. */
ROCKETMQCLIENT_API int SetMessageKeys(CMessage* msg, const char* keys);
/* strlen(body) bytes; use SetByteMessageBody for binary data. */
ROCKETMQCLIENT_API int SetMessageBody(CMessage* msg, const char* body);
ROCKETMQCLIENT_API int SetByteMessageBody(CMessage* msg, const char* body, int len);
/* Reserved 4.x keys (KEYS, TAGS, DELAY, __SHARDINGKEY) are mapped onto the
   typed 5.x fields; other reserved keys are dropped, never sent. */
ROCKETMQCLIENT_API int SetMessageProperty(CMessage* msg, const char* key, const char* value);
/* 4.x delay level 1..18 (1s .. 2h); rmq turns it into a delivery time at
   each send. Level <= 0 means no delay. */
ROCKETMQCLIENT_API int SetDelayTimeLevel(CMessage* msg, int level);

/* Getters return "" (never NULL) for an unset value and NULL for a NULL
   message. The pointer stays valid until the message changes or is freed. */
ROCKETMQCLIENT_API const char* GetOriginMessageTopic(CMessage* msg);
ROCKETMQCLIENT_API const char* GetOriginMessageTags(CMessage* msg);
ROCKETMQCLIENT_API const char* GetOriginMessageKeys(CMessage* msg);
ROCKETMQCLIENT_API const char* GetOriginMessageBody(CMessage* msg);
ROCKETMQCLIENT_API int GetOriginMessageBodyLength(CMessage* msg);
/* "UNIQ_KEY" gives the id of the latest send of this message. */
ROCKETMQCLIENT_API const char* GetOriginMessageProperty(CMessage* msg, const char* key);
/* 0 if unset, -1 for a NULL message. */
ROCKETMQCLIENT_API int GetOriginDelayTimeLevel(CMessage* msg);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CMESSAGE_H */
