/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): the result of
 * Pull, returned by value and released with ReleasePullResult.
 */
#ifndef RMQ_LEGACY_CPULLRESULT_H
#define RMQ_LEGACY_CPULLRESULT_H

#include "CCommon.h"
#include "CMessageExt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* E_BROKER_TIMEOUT is the only error status: rmq also uses it for any
   failed pull RPC (e.g. a server without the 5.x pull RPCs) and sets
   GetLatestErrorMessage. */
typedef enum E_CPullStatus {
  E_FOUND,
  E_NO_NEW_MSG,
  E_NO_MATCHED_MSG,
  E_OFFSET_ILLEGAL,
  E_BROKER_TIMEOUT
} CPullStatus;

/* Layout is ABI (56 bytes on LP64). msgFoundList holds size messages that
   live until ReleasePullResult; pData is the library's own bookkeeping. */
typedef struct _CPullResult_ {
  CPullStatus pullStatus;
  long long nextBeginOffset;
  long long minOffset;
  long long maxOffset;
  CMessageExt** msgFoundList;
  int size;
  void* pData;
} CPullResult;

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CPULLRESULT_H */
