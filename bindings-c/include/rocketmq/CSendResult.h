/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): the result of
 * a send, returned through a pointer or by value to async callbacks.
 */
#ifndef RMQ_LEGACY_CSENDRESULT_H
#define RMQ_LEGACY_CSENDRESULT_H

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 5.x reports the three timeouts as errors; rmq may map them back here. */
typedef enum E_CSendStatus_ {
  E_SEND_OK = 0,
  E_SEND_FLUSH_DISK_TIMEOUT = 1,
  E_SEND_FLUSH_SLAVE_TIMEOUT = 2,
  E_SEND_SLAVE_NOT_AVAILABLE = 3
} CSendStatus;

/* Layout is ABI (272 bytes on LP64). msgId holds the 5.x message id,
   NUL-terminated; for a batch, the ids joined with ','. */
typedef struct _SendResult_ {
  CSendStatus sendStatus;
  char msgId[MAX_MESSAGE_ID_LENGTH];
  long long offset;
} CSendResult;

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CSENDRESULT_H */
