/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drift check for rmq's hand-written legacy headers (include/rocketmq/C*.h).
 *
 * Compile: cc -std=c11 -Wall -Wextra -I include/rocketmq -c tests/legacy_abi.c
 * Link it against librocketmq to prove that every legacy symbol is exported.
 *
 * Every function of the rocketmq-client-cpp C API (115 declared upstream plus
 * SetProducerCompressMsgBodyOverHowmuch) is listed once below with its exact
 * original type. A changed signature is a compile error (_Static_assert with
 * _Generic); a missing symbol is a link error (the tables below reference
 * every function from data with external linkage).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "CBatchMessage.h"
#include "CCommon.h"
#include "CErrorMessage.h"
#include "CMQException.h"
#include "CMessage.h"
#include "CMessageExt.h"
#include "CMessageQueue.h"
#include "CProducer.h"
#include "CPullConsumer.h"
#include "CPullResult.h"
#include "CPushConsumer.h"
#include "CSendResult.h"
#include "CTransactionStatus.h"

/* F(return type, name, parameter list) */
#define LEGACY_FUNCTIONS(F)                                                                      \
  /* CMessage.h (16) */                                                                          \
  F(CMessage*, CreateMessage, (const char*))                                                     \
  F(int, DestroyMessage, (CMessage*))                                                            \
  F(int, SetMessageTopic, (CMessage*, const char*))                                              \
  F(int, SetMessageTags, (CMessage*, const char*))                                               \
  F(int, SetMessageKeys, (CMessage*, const char*))                                               \
  F(int, SetMessageBody, (CMessage*, const char*))                                               \
  F(int, SetByteMessageBody, (CMessage*, const char*, int))                                      \
  F(int, SetMessageProperty, (CMessage*, const char*, const char*))                              \
  F(int, SetDelayTimeLevel, (CMessage*, int))                                                    \
  F(const char*, GetOriginMessageTopic, (CMessage*))                                             \
  F(const char*, GetOriginMessageTags, (CMessage*))                                              \
  F(const char*, GetOriginMessageKeys, (CMessage*))                                              \
  F(const char*, GetOriginMessageBody, (CMessage*))                                              \
  F(int, GetOriginMessageBodyLength, (CMessage*))                                                \
  F(const char*, GetOriginMessageProperty, (CMessage*, const char*))                             \
  F(int, GetOriginDelayTimeLevel, (CMessage*))                                                   \
  /* CMessageExt.h (18) */                                                                       \
  F(const char*, GetMessageTopic, (CMessageExt*))                                                \
  F(const char*, GetMessageTags, (CMessageExt*))                                                 \
  F(const char*, GetMessageKeys, (CMessageExt*))                                                 \
  F(const char*, GetMessageBody, (CMessageExt*))                                                 \
  F(int, GetMessageBodyLength, (CMessageExt*))                                                   \
  F(const char*, GetMessageProperty, (CMessageExt*, const char*))                                \
  F(const char*, GetMessageId, (CMessageExt*))                                                   \
  F(int, GetMessageDelayTimeLevel, (CMessageExt*))                                               \
  F(int, GetMessageQueueId, (CMessageExt*))                                                      \
  F(int, GetMessageReconsumeTimes, (CMessageExt*))                                               \
  F(int, GetMessageStoreSize, (CMessageExt*))                                                    \
  F(long long, GetMessageBornTimestamp, (CMessageExt*))                                          \
  F(long long, GetMessageStoreTimestamp, (CMessageExt*))                                         \
  F(long long, GetMessageQueueOffset, (CMessageExt*))                                            \
  F(long long, GetMessageCommitLogOffset, (CMessageExt*))                                        \
  F(long long, GetMessagePreparedTransactionOffset, (CMessageExt*))                              \
  F(const char*, GetMessageStoreHost, (CMessageExt*))                                            \
  F(const char*, GetMessageBornHost, (CMessageExt*))                                             \
  /* CBatchMessage.h (3); CreateBatchMessage has no prototype on purpose */                      \
  F(CBatchMessage*, CreateBatchMessage, ())                                                      \
  F(int, AddMessage, (CBatchMessage*, CMessage*))                                                \
  F(int, DestroyBatchMessage, (CBatchMessage*))                                                  \
  /* CProducer.h (31 + SetProducerCompressMsgBodyOverHowmuch) */                                 \
  F(CProducer*, CreateProducer, (const char*))                                                   \
  F(CProducer*, CreateOrderlyProducer, (const char*))                                            \
  F(CProducer*, CreateTransactionProducer, (const char*, CLocalTransactionCheckerCallback, void*)) \
  F(int, DestroyProducer, (CProducer*))                                                          \
  F(int, StartProducer, (CProducer*))                                                            \
  F(int, ShutdownProducer, (CProducer*))                                                         \
  F(const char*, ShowProducerVersion, (CProducer*))                                              \
  F(int, SetProducerNameServerAddress, (CProducer*, const char*))                                \
  F(int, SetProducerNameServerDomain, (CProducer*, const char*))                                 \
  F(int, SetProducerGroupName, (CProducer*, const char*))                                        \
  F(int, SetProducerInstanceName, (CProducer*, const char*))                                     \
  F(int, SetProducerSessionCredentials, (CProducer*, const char*, const char*, const char*))      \
  F(int, SetProducerLogPath, (CProducer*, const char*))                                          \
  F(int, SetProducerLogFileNumAndSize, (CProducer*, int, long))                                  \
  F(int, SetProducerLogLevel, (CProducer*, CLogLevel))                                           \
  F(int, SetProducerSendMsgTimeout, (CProducer*, int))                                           \
  F(int, SetProducerCompressLevel, (CProducer*, int))                                            \
  F(int, SetProducerMaxMessageSize, (CProducer*, int))                                           \
  F(int, SetProducerMessageTrace, (CProducer*, CTraceModel))                                     \
  F(int, SetProducerSsl, (CProducer*, int))                                                      \
  F(int, SetProducerSslPropertyFile, (CProducer*, const char*))                                  \
  F(int, SetProducerCompressMsgBodyOverHowmuch, (CProducer*, int))                               \
  F(int, SendMessageSync, (CProducer*, CMessage*, CSendResult*))                                 \
  F(int, SendBatchMessage, (CProducer*, CBatchMessage*, CSendResult*))                           \
  F(int, SendMessageAsync, (CProducer*, CMessage*, CSendSuccessCallback, CSendExceptionCallback)) \
  F(int, SendAsync,                                                                              \
    (CProducer*, CMessage*, COnSendSuccessCallback, COnSendExceptionCallback, void*))            \
  F(int, SendMessageOneway, (CProducer*, CMessage*))                                             \
  F(int, SendMessageOnewayOrderly, (CProducer*, CMessage*, QueueSelectorCallback, void*))        \
  F(int, SendMessageOrderly,                                                                     \
    (CProducer*, CMessage*, QueueSelectorCallback, void*, int, CSendResult*))                    \
  F(int, SendMessageOrderlyAsync,                                                                \
    (CProducer*, CMessage*, QueueSelectorCallback, void*, CSendSuccessCallback,                  \
     CSendExceptionCallback))                                                                    \
  F(int, SendMessageOrderlyByShardingKey, (CProducer*, CMessage*, const char*, CSendResult*))    \
  F(int, SendMessageTransaction,                                                                 \
    (CProducer*, CMessage*, CLocalTransactionExecutorCallback, void*, CSendResult*))             \
  /* CPushConsumer.h (27) */                                                                     \
  F(CPushConsumer*, CreatePushConsumer, (const char*))                                           \
  F(int, DestroyPushConsumer, (CPushConsumer*))                                                  \
  F(int, StartPushConsumer, (CPushConsumer*))                                                    \
  F(int, ShutdownPushConsumer, (CPushConsumer*))                                                 \
  F(const char*, ShowPushConsumerVersion, (CPushConsumer*))                                      \
  F(int, SetPushConsumerGroupID, (CPushConsumer*, const char*))                                  \
  F(const char*, GetPushConsumerGroupID, (CPushConsumer*))                                       \
  F(int, SetPushConsumerNameServerAddress, (CPushConsumer*, const char*))                        \
  F(int, SetPushConsumerNameServerDomain, (CPushConsumer*, const char*))                         \
  F(int, Subscribe, (CPushConsumer*, const char*, const char*))                                  \
  F(int, RegisterMessageCallbackOrderly, (CPushConsumer*, MessageCallBack))                      \
  F(int, RegisterMessageCallback, (CPushConsumer*, MessageCallBack))                             \
  F(int, UnregisterMessageCallbackOrderly, (CPushConsumer*))                                     \
  F(int, UnregisterMessageCallback, (CPushConsumer*))                                            \
  F(int, SetPushConsumerThreadCount, (CPushConsumer*, int))                                      \
  F(int, SetPushConsumerMessageBatchMaxSize, (CPushConsumer*, int))                              \
  F(int, SetPushConsumerInstanceName, (CPushConsumer*, const char*))                             \
  F(int, SetPushConsumerSessionCredentials,                                                      \
    (CPushConsumer*, const char*, const char*, const char*))                                     \
  F(int, SetPushConsumerLogPath, (CPushConsumer*, const char*))                                  \
  F(int, SetPushConsumerLogFileNumAndSize, (CPushConsumer*, int, long))                          \
  F(int, SetPushConsumerLogLevel, (CPushConsumer*, CLogLevel))                                   \
  F(int, SetPushConsumerMessageModel, (CPushConsumer*, CMessageModel))                           \
  F(int, SetPushConsumerMaxCacheMessageSize, (CPushConsumer*, int))                              \
  F(int, SetPushConsumerMaxCacheMessageSizeInMb, (CPushConsumer*, int))                          \
  F(int, SetPushConsumerMessageTrace, (CPushConsumer*, CTraceModel))                             \
  F(int, SetPushConsumerSsl, (CPushConsumer*, int))                                              \
  F(int, SetPushConsumerSslPropertyFile, (CPushConsumer*, const char*))                          \
  /* CPullConsumer.h (19) */                                                                     \
  F(CPullConsumer*, CreatePullConsumer, (const char*))                                           \
  F(int, DestroyPullConsumer, (CPullConsumer*))                                                  \
  F(int, StartPullConsumer, (CPullConsumer*))                                                    \
  F(int, ShutdownPullConsumer, (CPullConsumer*))                                                 \
  F(const char*, ShowPullConsumerVersion, (CPullConsumer*))                                      \
  F(int, SetPullConsumerGroupID, (CPullConsumer*, const char*))                                  \
  F(const char*, GetPullConsumerGroupID, (CPullConsumer*))                                       \
  F(int, SetPullConsumerNameServerAddress, (CPullConsumer*, const char*))                        \
  F(int, SetPullConsumerNameServerDomain, (CPullConsumer*, const char*))                         \
  F(int, SetPullConsumerSessionCredentials,                                                      \
    (CPullConsumer*, const char*, const char*, const char*))                                     \
  F(int, SetPullConsumerLogPath, (CPullConsumer*, const char*))                                  \
  F(int, SetPullConsumerLogFileNumAndSize, (CPullConsumer*, int, long))                          \
  F(int, SetPullConsumerLogLevel, (CPullConsumer*, CLogLevel))                                   \
  F(int, SetPullConsumerSsl, (CPullConsumer*, int))                                              \
  F(int, SetPullConsumerSslPropertyFile, (CPullConsumer*, const char*))                          \
  F(int, FetchSubscriptionMessageQueues, (CPullConsumer*, const char*, CMessageQueue**, int*))   \
  F(int, ReleaseSubscriptionMessageQueue, (CMessageQueue*))                                      \
  F(CPullResult, Pull, (CPullConsumer*, const CMessageQueue*, const char*, long long, int))      \
  F(int, ReleasePullResult, (CPullResult))                                                       \
  /* CErrorMessage.h (1); no prototype on purpose */                                             \
  F(const char*, GetLatestErrorMessage, ())

/* 1. Exact types: a header whose declaration drifted fails to compile. */
#define CHECK_TYPE(ret, name, params) \
  _Static_assert(_Generic(&name, ret(*) params: 1, default: 0), #name " changed its type");
LEGACY_FUNCTIONS(CHECK_TYPE)

/* 1b. CreateBatchMessage and GetLatestErrorMessage stay unprototyped "()":
   existing sources pass arguments to CreateBatchMessage, which a (void)
   prototype would reject. sizeof does not evaluate the calls. Before C23
   only, since C23 reads "()" as "(void)". */
#if !defined(__STDC_VERSION__) || __STDC_VERSION__ < 202000L
#if defined(__clang__) && defined(__has_warning)
#if __has_warning("-Wdeprecated-non-prototype")
#pragma clang diagnostic ignored "-Wdeprecated-non-prototype"
#endif
#endif
_Static_assert(sizeof(CreateBatchMessage("T_TestTopic")) == sizeof(CBatchMessage*),
               "CreateBatchMessage must be declared with ()");
_Static_assert(sizeof(GetLatestErrorMessage(0)) == sizeof(const char*),
               "GetLatestErrorMessage must be declared with ()");
#endif

/* 2. Typed pointers, one per function, e.g.
      int (*SendMessageSync)(CProducer*, CMessage*, CSendResult*) = SendMessageSync; */
#define TYPED_MEMBER(ret, name, params) ret(*name) params;
#define TYPED_INIT(ret, name, params) .name = name,
struct legacy_abi_typed {
  LEGACY_FUNCTIONS(TYPED_MEMBER)
};
const struct legacy_abi_typed legacy_abi_typed = {LEGACY_FUNCTIONS(TYPED_INIT)};

/* 3. Names and addresses, to count and print them. */
struct legacy_abi_entry {
  const char* name;
  void (*fn)(void);
};
#define ENTRY(ret, name, params) {#name, (void (*)(void))name},
const struct legacy_abi_entry legacy_abi_table[] = {LEGACY_FUNCTIONS(ENTRY)};
#define LEGACY_ABI_COUNT (sizeof legacy_abi_table / sizeof legacy_abi_table[0])

/* 115 upstream declarations + SetProducerCompressMsgBodyOverHowmuch. */
_Static_assert(LEGACY_ABI_COUNT == 116, "legacy function list changed size");
_Static_assert(sizeof(struct legacy_abi_typed) == LEGACY_ABI_COUNT * sizeof(void (*)(void)),
               "typed table and name table differ");

/* Constants. */
_Static_assert(MAX_MESSAGE_ID_LENGTH == 256, "MAX_MESSAGE_ID_LENGTH");
_Static_assert(MAX_TOPIC_LENGTH == 512, "MAX_TOPIC_LENGTH");
_Static_assert(MAX_BROKER_NAME_ID_LENGTH == 256, "MAX_BROKER_NAME_ID_LENGTH");
_Static_assert(MAX_SDK_VERSION_LENGTH == 256, "MAX_SDK_VERSION_LENGTH");
_Static_assert(sizeof DEFAULT_SDK_VERSION == sizeof "DefaultVersion", "DEFAULT_SDK_VERSION");
_Static_assert(MAX_EXEPTION_MSG_LENGTH == 512, "MAX_EXEPTION_MSG_LENGTH");
_Static_assert(MAX_EXEPTION_FILE_LENGTH == 256, "MAX_EXEPTION_FILE_LENGTH");
_Static_assert(MAX_EXEPTION_TYPE_LENGTH == 128, "MAX_EXEPTION_TYPE_LENGTH");
#ifndef ROCKETMQCLIENT_API
#error "ROCKETMQCLIENT_API must be defined by CCommon.h"
#endif

/* Enum values. */
#define ENUM_IS(e, v) _Static_assert((e) == (v), #e " must be " #v);
ENUM_IS(OK, 0)
ENUM_IS(NULL_POINTER, 1)
ENUM_IS(MALLOC_FAILED, 2)
ENUM_IS(PRODUCER_ERROR_CODE_START, 10)
ENUM_IS(PRODUCER_START_FAILED, 10)
ENUM_IS(PRODUCER_SEND_SYNC_FAILED, 11)
ENUM_IS(PRODUCER_SEND_ONEWAY_FAILED, 12)
ENUM_IS(PRODUCER_SEND_ORDERLY_FAILED, 13)
ENUM_IS(PRODUCER_SEND_ASYNC_FAILED, 14)
ENUM_IS(PRODUCER_SEND_ORDERLYASYNC_FAILED, 15)
ENUM_IS(PRODUCER_SEND_TRANSACTION_FAILED, 16)
ENUM_IS(PUSHCONSUMER_ERROR_CODE_START, 20)
ENUM_IS(PUSHCONSUMER_START_FAILED, 20)
ENUM_IS(PULLCONSUMER_ERROR_CODE_START, 30)
ENUM_IS(PULLCONSUMER_START_FAILED, 30)
ENUM_IS(PULLCONSUMER_FETCH_MQ_FAILED, 31)
ENUM_IS(PULLCONSUMER_FETCH_MESSAGE_FAILED, 32)
ENUM_IS(Not_Support, 500)
ENUM_IS(NOT_SUPPORT_NOW, -1)
ENUM_IS(E_LOG_LEVEL_FATAL, 1)
ENUM_IS(E_LOG_LEVEL_ERROR, 2)
ENUM_IS(E_LOG_LEVEL_WARN, 3)
ENUM_IS(E_LOG_LEVEL_INFO, 4)
ENUM_IS(E_LOG_LEVEL_DEBUG, 5)
ENUM_IS(E_LOG_LEVEL_TRACE, 6)
ENUM_IS(E_LOG_LEVEL_LEVEL_NUM, 7)
ENUM_IS(BROADCASTING, 0)
ENUM_IS(CLUSTERING, 1)
ENUM_IS(OPEN, 0)
ENUM_IS(CLOSE, 1)
ENUM_IS(E_SEND_OK, 0)
ENUM_IS(E_SEND_FLUSH_DISK_TIMEOUT, 1)
ENUM_IS(E_SEND_FLUSH_SLAVE_TIMEOUT, 2)
ENUM_IS(E_SEND_SLAVE_NOT_AVAILABLE, 3)
ENUM_IS(E_COMMIT_TRANSACTION, 0)
ENUM_IS(E_ROLLBACK_TRANSACTION, 1)
ENUM_IS(E_UNKNOWN_TRANSACTION, 2)
ENUM_IS(E_FOUND, 0)
ENUM_IS(E_NO_NEW_MSG, 1)
ENUM_IS(E_NO_MATCHED_MSG, 2)
ENUM_IS(E_OFFSET_ILLEGAL, 3)
ENUM_IS(E_BROKER_TIMEOUT, 4)
ENUM_IS(E_CONSUME_SUCCESS, 0)
ENUM_IS(E_RECONSUME_LATER, 1)

/* Typedef names are the documented struct and enum tags (cgo and old C code
   spell the tags, e.g. struct CProducer, struct _SendResult_). */
#define SAME_TYPE(tagged, name) \
  _Static_assert(_Generic((tagged*)0, name*: 1, default: 0), #name " is not " #tagged);
SAME_TYPE(struct CMessage, CMessage)
SAME_TYPE(struct CMessageExt, CMessageExt)
SAME_TYPE(struct CBatchMessage, CBatchMessage)
SAME_TYPE(struct CProducer, CProducer)
SAME_TYPE(struct CPushConsumer, CPushConsumer)
SAME_TYPE(struct CPullConsumer, CPullConsumer)
SAME_TYPE(struct _SendResult_, CSendResult)
SAME_TYPE(struct _CMQException_, CMQException)
SAME_TYPE(struct _CMessageQueue_, CMessageQueue)
SAME_TYPE(struct _CPullResult_, CPullResult)
SAME_TYPE(enum _CStatus_, CStatus)
SAME_TYPE(enum _CLogLevel_, CLogLevel)
SAME_TYPE(enum _CMessageModel_, CMessageModel)
SAME_TYPE(enum _CTraceModel_, CTraceModel)
SAME_TYPE(enum E_CSendStatus_, CSendStatus)
SAME_TYPE(enum E_CTransactionStatus, CTransactionStatus)
SAME_TYPE(enum E_CPullStatus, CPullStatus)
SAME_TYPE(enum E_CConsumeStatus, CConsumeStatus)

/* Callback types. */
#define CALLBACK_IS(name, type) \
  _Static_assert(_Generic((name)0, type: 1, default: 0), #name " is not " #type);
CALLBACK_IS(QueueSelectorCallback, int (*)(int, CMessage*, void*))
CALLBACK_IS(CSendSuccessCallback, void (*)(CSendResult))
CALLBACK_IS(CSendExceptionCallback, void (*)(CMQException))
CALLBACK_IS(COnSendSuccessCallback, void (*)(CSendResult, CMessage*, void*))
CALLBACK_IS(COnSendExceptionCallback, void (*)(CMQException, CMessage*, void*))
CALLBACK_IS(CLocalTransactionCheckerCallback, CTransactionStatus (*)(CProducer*, CMessageExt*, void*))
CALLBACK_IS(CLocalTransactionExecutorCallback, CTransactionStatus (*)(CProducer*, CMessage*, void*))
CALLBACK_IS(MessageCallBack, int (*)(CPushConsumer*, CMessageExt*))

/* Field types of the by-value structs. */
#define FIELD_IS(type, field, ftype) \
  _Static_assert(_Generic(((type*)0)->field, ftype: 1, default: 0), #type "." #field);
FIELD_IS(CSendResult, sendStatus, CSendStatus)
FIELD_IS(CSendResult, offset, long long)
FIELD_IS(CMQException, error, int)
FIELD_IS(CMQException, line, int)
FIELD_IS(CMessageQueue, queueId, int)
FIELD_IS(CPullResult, pullStatus, CPullStatus)
FIELD_IS(CPullResult, nextBeginOffset, long long)
FIELD_IS(CPullResult, minOffset, long long)
FIELD_IS(CPullResult, maxOffset, long long)
FIELD_IS(CPullResult, msgFoundList, CMessageExt**)
FIELD_IS(CPullResult, size, int)
FIELD_IS(CPullResult, pData, void*)
_Static_assert(sizeof(((CSendResult*)0)->msgId) == MAX_MESSAGE_ID_LENGTH, "CSendResult.msgId");
_Static_assert(sizeof(((CMQException*)0)->file) == MAX_EXEPTION_FILE_LENGTH, "CMQException.file");
_Static_assert(sizeof(((CMQException*)0)->msg) == MAX_EXEPTION_MSG_LENGTH, "CMQException.msg");
_Static_assert(sizeof(((CMQException*)0)->type) == MAX_EXEPTION_TYPE_LENGTH, "CMQException.type");
_Static_assert(sizeof(((CMessageQueue*)0)->topic) == MAX_TOPIC_LENGTH, "CMessageQueue.topic");
_Static_assert(sizeof(((CMessageQueue*)0)->brokerName) == MAX_BROKER_NAME_ID_LENGTH,
               "CMessageQueue.brokerName");

/* Sizes and offsets on the LP64 targets (x86-64, aarch64), which the Rust
   #[repr(C)] twins assert too. */
#if defined(__x86_64__) || defined(__aarch64__)
_Static_assert(sizeof(CSendResult) == 272, "sizeof CSendResult");
_Static_assert(offsetof(CSendResult, sendStatus) == 0, "CSendResult.sendStatus");
_Static_assert(offsetof(CSendResult, msgId) == 4, "CSendResult.msgId");
_Static_assert(offsetof(CSendResult, offset) == 264, "CSendResult.offset");
_Static_assert(sizeof(CMQException) == 904, "sizeof CMQException");
_Static_assert(offsetof(CMQException, line) == 4, "CMQException.line");
_Static_assert(offsetof(CMQException, file) == 8, "CMQException.file");
_Static_assert(offsetof(CMQException, msg) == 264, "CMQException.msg");
_Static_assert(offsetof(CMQException, type) == 776, "CMQException.type");
_Static_assert(sizeof(CMessageQueue) == 772, "sizeof CMessageQueue");
_Static_assert(offsetof(CMessageQueue, brokerName) == 512, "CMessageQueue.brokerName");
_Static_assert(offsetof(CMessageQueue, queueId) == 768, "CMessageQueue.queueId");
_Static_assert(sizeof(CPullResult) == 56, "sizeof CPullResult");
_Static_assert(offsetof(CPullResult, nextBeginOffset) == 8, "CPullResult.nextBeginOffset");
_Static_assert(offsetof(CPullResult, minOffset) == 16, "CPullResult.minOffset");
_Static_assert(offsetof(CPullResult, maxOffset) == 24, "CPullResult.maxOffset");
_Static_assert(offsetof(CPullResult, msgFoundList) == 32, "CPullResult.msgFoundList");
_Static_assert(offsetof(CPullResult, size) == 40, "CPullResult.size");
_Static_assert(offsetof(CPullResult, pData) == 48, "CPullResult.pData");
_Static_assert(sizeof(CStatus) == sizeof(int), "enums are int-sized");
#endif

int main(void) {
  /* The tag names must be usable on their own, as legacy code does. */
  struct CProducer* tp = 0;
  struct CPushConsumer* tc = 0;
  struct CPullConsumer* tl = 0;
  struct CMessage* tm = 0;
  struct CMessageExt* tx = 0;
  struct CBatchMessage* tb = 0;
  struct _SendResult_ sr;
  struct _CMQException_ ex;
  struct _CMessageQueue_ mq;
  struct _CPullResult_ pr;
  enum _CStatus_ st = OK;
  enum _CLogLevel_ ll = E_LOG_LEVEL_INFO;
  enum _CMessageModel_ mm = CLUSTERING;
  enum _CTraceModel_ tr = CLOSE;
  enum E_CSendStatus_ ss = E_SEND_OK;
  enum E_CTransactionStatus ts = E_COMMIT_TRANSACTION;
  enum E_CPullStatus ps = E_FOUND;
  enum E_CConsumeStatus cs = E_CONSUME_SUCCESS;
  size_t i, missing = 0;

  memset(&sr, 0, sizeof sr);
  memset(&ex, 0, sizeof ex);
  memset(&mq, 0, sizeof mq);
  memset(&pr, 0, sizeof pr);
  if (tp || tc || tl || tm || tx || tb || sr.offset || ex.error || mq.queueId || pr.size) {
    return 1;
  }
  if (st + ll + mm + tr + ss + ts + ps + cs != E_LOG_LEVEL_INFO + CLUSTERING + CLOSE) {
    return 1;
  }
  if (strcmp(DEFAULT_SDK_VERSION, "DefaultVersion") != 0) {
    return 1;
  }
  if (legacy_abi_typed.SendMessageSync != SendMessageSync) {
    return 1;
  }
  for (i = 0; i < LEGACY_ABI_COUNT; i++) {
    if (legacy_abi_table[i].fn == NULL) {
      fprintf(stderr, "missing: %s\n", legacy_abi_table[i].name);
      missing++;
    }
  }
  if (missing != 0) {
    return 1;
  }
  printf("legacy ABI: %zu functions\n", LEGACY_ABI_COUNT);
  return 0;
}
