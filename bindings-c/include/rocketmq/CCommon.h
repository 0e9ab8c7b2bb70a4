/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header: the shared constants and enums of the legacy
 * rocketmq-client-cpp C API, re-declared by hand so that unchanged 4.x
 * applications build against rmq's librocketmq (a shim over the 5.x core).
 * Names, values and tags are part of that ABI: do not rename or renumber.
 */
#ifndef RMQ_LEGACY_CCOMMON_H
#define RMQ_LEGACY_CCOMMON_H

#ifdef __cplusplus
extern "C" {
#endif

/* Buffer sizes used by the by-value structs (CSendResult, CMessageQueue). */
#define MAX_MESSAGE_ID_LENGTH 256
#define MAX_TOPIC_LENGTH 512
#define MAX_BROKER_NAME_ID_LENGTH 256
#define MAX_SDK_VERSION_LENGTH 256
#define DEFAULT_SDK_VERSION "DefaultVersion"

/* What every int-returning function returns. */
typedef enum _CStatus_ {
  OK = 0,
  NULL_POINTER = 1, /* NULL handle/argument, or an invalid count */
  MALLOC_FAILED = 2,
  PRODUCER_ERROR_CODE_START = 10,
  PRODUCER_START_FAILED = 10, /* also: a producer setter failed */
  PRODUCER_SEND_SYNC_FAILED = 11,
  PRODUCER_SEND_ONEWAY_FAILED = 12,
  PRODUCER_SEND_ORDERLY_FAILED = 13,
  PRODUCER_SEND_ASYNC_FAILED = 14,
  PRODUCER_SEND_ORDERLYASYNC_FAILED = 15,
  PRODUCER_SEND_TRANSACTION_FAILED = 16,
  PUSHCONSUMER_ERROR_CODE_START = 20,
  PUSHCONSUMER_START_FAILED = 20,
  PULLCONSUMER_ERROR_CODE_START = 30,
  PULLCONSUMER_START_FAILED = 30,
  PULLCONSUMER_FETCH_MQ_FAILED = 31,
  PULLCONSUMER_FETCH_MESSAGE_FAILED = 32,
  Not_Support = 500,
  /* rmq returns this for 4.x features without a 5.x equivalent
     (broadcasting, name-server domains). */
  NOT_SUPPORT_NOW = -1
} CStatus;

/* rmq maps these onto its own log filter; unknown values are ignored. */
typedef enum _CLogLevel_ {
  E_LOG_LEVEL_FATAL = 1,
  E_LOG_LEVEL_ERROR = 2,
  E_LOG_LEVEL_WARN = 3,
  E_LOG_LEVEL_INFO = 4,
  E_LOG_LEVEL_DEBUG = 5,
  E_LOG_LEVEL_TRACE = 6,
  E_LOG_LEVEL_LEVEL_NUM = 7
} CLogLevel;

/* Export/import decoration: empty everywhere except WIN32 DLL builds. */
#if defined(WIN32)
#if defined(ROCKETMQCLIENT_EXPORTS)
#if defined(_WINDLL)
#define ROCKETMQCLIENT_API __declspec(dllexport)
#else
#define ROCKETMQCLIENT_API
#endif
#elif defined(ROCKETMQCLIENT_IMPORT)
#define ROCKETMQCLIENT_API __declspec(dllimport)
#else
#define ROCKETMQCLIENT_API
#endif
#else
#define ROCKETMQCLIENT_API
#endif

/* 5.x consumption is clustering only: rmq refuses BROADCASTING. */
typedef enum _CMessageModel_ { BROADCASTING, CLUSTERING } CMessageModel;

/* 4.x trace topic switch; accepted and ignored by rmq. */
typedef enum _CTraceModel_ { OPEN, CLOSE } CTraceModel;

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CCOMMON_H */
