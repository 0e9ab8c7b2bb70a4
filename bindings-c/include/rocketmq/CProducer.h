/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): producers.
 * In rmq a CProducer wraps a 5.x producer of the Rust core: the "name
 * server" address is used as the proxy endpoint list, as given (host:port
 * separated by ';'); without it, NAMESRV_ADDR is read.
 *
 * Every function returns a CStatus code; on failure GetLatestErrorMessage()
 * (CErrorMessage.h) tells why.
 */
#ifndef RMQ_LEGACY_CPRODUCER_H
#define RMQ_LEGACY_CPRODUCER_H

#include "CBatchMessage.h"
#include "CMQException.h"
#include "CMessage.h"
#include "CMessageExt.h"
#include "CSendResult.h"
#include "CTransactionStatus.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CProducer CProducer;

/* Picks a queue index in [0, size). rmq cannot choose 5.x queues: it sends
   the message as FIFO in a message group named after the chosen index, so
   the same index keeps the same order. */
typedef int (*QueueSelectorCallback)(int size, CMessage* msg, void* arg);
/* Async callbacks run on a library thread, never on the caller's. */
typedef void (*CSendSuccessCallback)(CSendResult result);
typedef void (*CSendExceptionCallback)(CMQException e);
/* SendAsync variants: msg is the caller's own message (keep it alive until
   a callback ran). */
typedef void (*COnSendSuccessCallback)(CSendResult result, CMessage* msg, void* userData);
typedef void (*COnSendExceptionCallback)(CMQException e, CMessage* msg, void* userData);
/* Answers a server check of a pending transaction (library thread). */
typedef CTransactionStatus (*CLocalTransactionCheckerCallback)(CProducer* producer, CMessageExt* msg, void* data);
/* Runs inside SendMessageTransaction, on the caller's thread. */
typedef CTransactionStatus (*CLocalTransactionExecutorCallback)(CProducer* producer, CMessage* msg, void* data);

/* Lifecycle. Configure before StartProducer. */
ROCKETMQCLIENT_API CProducer* CreateProducer(const char* groupId);
ROCKETMQCLIENT_API CProducer* CreateOrderlyProducer(const char* groupId);
ROCKETMQCLIENT_API CProducer* CreateTransactionProducer(const char* groupId,
                                                        CLocalTransactionCheckerCallback callback,
                                                        void* userData);
ROCKETMQCLIENT_API int DestroyProducer(CProducer* producer);
ROCKETMQCLIENT_API int StartProducer(CProducer* producer);
ROCKETMQCLIENT_API int ShutdownProducer(CProducer* producer);
ROCKETMQCLIENT_API const char* ShowProducerVersion(CProducer* producer);

/* Configuration. */
ROCKETMQCLIENT_API int SetProducerNameServerAddress(CProducer* producer, const char* namesrv);
/* No HTTP name-server discovery in 5.x: NOT_SUPPORT_NOW. */
ROCKETMQCLIENT_API int SetProducerNameServerDomain(CProducer* producer, const char* domain);
ROCKETMQCLIENT_API int SetProducerGroupName(CProducer* producer, const char* groupName);
ROCKETMQCLIENT_API int SetProducerInstanceName(CProducer* producer, const char* instanceName);
/* Access key and secret key sign 5.x requests; the channel is ignored. */
ROCKETMQCLIENT_API int SetProducerSessionCredentials(CProducer* producer,
                                                     const char* accessKey,
                                                     const char* secretKey,
                                                     const char* onsChannel);
ROCKETMQCLIENT_API int SetProducerLogPath(CProducer* producer, const char* logPath);
ROCKETMQCLIENT_API int SetProducerLogFileNumAndSize(CProducer* producer, int fileNum, long fileSize);
ROCKETMQCLIENT_API int SetProducerLogLevel(CProducer* producer, CLogLevel level);
/* Milliseconds. */
ROCKETMQCLIENT_API int SetProducerSendMsgTimeout(CProducer* producer, int timeout);
/* Accepted and ignored (5.x clients need not compress). */
ROCKETMQCLIENT_API int SetProducerCompressLevel(CProducer* producer, int level);
ROCKETMQCLIENT_API int SetProducerMaxMessageSize(CProducer* producer, int size);
/* Accepted and ignored. */
ROCKETMQCLIENT_API int SetProducerMessageTrace(CProducer* producer, CTraceModel openTrace);
ROCKETMQCLIENT_API int SetProducerSsl(CProducer* producer, int enableSsl);
ROCKETMQCLIENT_API int SetProducerSslPropertyFile(CProducer* producer, const char* sslPropertyFile);
/* Missing from the original header although the original library exports
   it (body size above which 4.x compressed). rmq exports it too and declares
   it here; like SetProducerCompressLevel it has no 5.x effect. */
ROCKETMQCLIENT_API int SetProducerCompressMsgBodyOverHowmuch(CProducer* producer, int howmuch);

/* Sending. result is written only when OK is returned. A delay level makes
   a 5.x DELAY message, a sharding key or selector a FIFO one; the topic's
   5.x message type must match (or be MIXED). */
ROCKETMQCLIENT_API int SendMessageSync(CProducer* producer, CMessage* msg, CSendResult* result);
ROCKETMQCLIENT_API int SendBatchMessage(CProducer* producer, CBatchMessage* msg, CSendResult* result);
ROCKETMQCLIENT_API int SendMessageAsync(CProducer* producer,
                                        CMessage* msg,
                                        CSendSuccessCallback cSendSuccessCallback,
                                        CSendExceptionCallback cSendExceptionCallback);
ROCKETMQCLIENT_API int SendAsync(CProducer* producer,
                                 CMessage* msg,
                                 COnSendSuccessCallback cSendSuccessCallback,
                                 COnSendExceptionCallback cSendExceptionCallback,
                                 void* userData);
/* 5.x has no oneway RPC: sent asynchronously, the result is dropped. */
ROCKETMQCLIENT_API int SendMessageOneway(CProducer* producer, CMessage* msg);
ROCKETMQCLIENT_API int SendMessageOnewayOrderly(CProducer* producer,
                                                CMessage* msg,
                                                QueueSelectorCallback selector,
                                                void* arg);
ROCKETMQCLIENT_API int SendMessageOrderly(CProducer* producer,
                                          CMessage* msg,
                                          QueueSelectorCallback callback,
                                          void* arg,
                                          int autoRetryTimes,
                                          CSendResult* result);
ROCKETMQCLIENT_API int SendMessageOrderlyAsync(CProducer* producer,
                                               CMessage* msg,
                                               QueueSelectorCallback callback,
                                               void* arg,
                                               CSendSuccessCallback cSendSuccessCallback,
                                               CSendExceptionCallback cSendExceptionCallback);
/* The sharding key becomes the 5.x message group. */
ROCKETMQCLIENT_API int SendMessageOrderlyByShardingKey(CProducer* producer,
                                                       CMessage* msg,
                                                       const char* shardingKey,
                                                       CSendResult* result);
/* Half message, then callback(producer, msg, userData), then commit or
   rollback. Needs a producer from CreateTransactionProducer. */
ROCKETMQCLIENT_API int SendMessageTransaction(CProducer* producer,
                                              CMessage* msg,
                                              CLocalTransactionExecutorCallback callback,
                                              void* userData,
                                              CSendResult* result);

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CPRODUCER_H */
