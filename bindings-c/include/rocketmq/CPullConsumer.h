/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): pull
 * consumers that read queues from offsets they manage themselves. rmq maps
 * Pull onto the 5.x PullMessage RPC, which the Apache 5.x proxy does not
 * implement (rmq-mini-broker does); there Pull returns E_BROKER_TIMEOUT.
 */
#ifndef RMQ_LEGACY_CPULLCONSUMER_H
#define RMQ_LEGACY_CPULLCONSUMER_H

#include "CCommon.h"
#include "CMessageExt.h"
#include "CMessageQueue.h"
#include "CPullResult.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CPullConsumer CPullConsumer;

/* Lifecycle. */
ROCKETMQCLIENT_API CPullConsumer* CreatePullConsumer(const char* groupId);
ROCKETMQCLIENT_API int DestroyPullConsumer(CPullConsumer* consumer);
ROCKETMQCLIENT_API int StartPullConsumer(CPullConsumer* consumer);
ROCKETMQCLIENT_API int ShutdownPullConsumer(CPullConsumer* consumer);
ROCKETMQCLIENT_API const char* ShowPullConsumerVersion(CPullConsumer* consumer);

/* Configuration. */
ROCKETMQCLIENT_API int SetPullConsumerGroupID(CPullConsumer* consumer, const char* groupId);
ROCKETMQCLIENT_API const char* GetPullConsumerGroupID(CPullConsumer* consumer);
ROCKETMQCLIENT_API int SetPullConsumerNameServerAddress(CPullConsumer* consumer, const char* namesrv);
/* No HTTP name-server discovery in 5.x: NOT_SUPPORT_NOW. */
ROCKETMQCLIENT_API int SetPullConsumerNameServerDomain(CPullConsumer* consumer, const char* domain);
ROCKETMQCLIENT_API int SetPullConsumerSessionCredentials(CPullConsumer* consumer,
                                                         const char* accessKey,
                                                         const char* secretKey,
                                                         const char* channel);
ROCKETMQCLIENT_API int SetPullConsumerLogPath(CPullConsumer* consumer, const char* logPath);
ROCKETMQCLIENT_API int SetPullConsumerLogFileNumAndSize(CPullConsumer* consumer, int fileNum, long fileSize);
ROCKETMQCLIENT_API int SetPullConsumerLogLevel(CPullConsumer* consumer, CLogLevel level);
ROCKETMQCLIENT_API int SetPullConsumerSsl(CPullConsumer* consumer, int enableSsl);
ROCKETMQCLIENT_API int SetPullConsumerSslPropertyFile(CPullConsumer* consumer, const char* sslPropertyFile);

/* Queues of topic from the 5.x route, as a malloc'ed array of *size
   entries; release it with ReleaseSubscriptionMessageQueue. */
ROCKETMQCLIENT_API int FetchSubscriptionMessageQueues(CPullConsumer* consumer,
                                                      const char* topic,
                                                      CMessageQueue** mqs,
                                                      int* size);
ROCKETMQCLIENT_API int ReleaseSubscriptionMessageQueue(CMessageQueue* mqs);
/* Up to maxNums messages from offset that match subExpression ("*" or
   tags joined by "||"). Release every result with ReleasePullResult. */
ROCKETMQCLIENT_API CPullResult Pull(CPullConsumer* consumer,
                                    const CMessageQueue* mq,
                                    const char* subExpression,
                                    long long offset,
                                    int maxNums);
/* Returns NULL_POINTER for a result without messages, as 4.x did. */
ROCKETMQCLIENT_API int ReleasePullResult(CPullResult pullResult);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CPULLCONSUMER_H */
