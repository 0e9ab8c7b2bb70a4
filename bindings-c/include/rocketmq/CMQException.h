/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): the error
 * passed by value to the async send exception callbacks.
 */
#ifndef RMQ_LEGACY_CMQEXCEPTION_H
#define RMQ_LEGACY_CMQEXCEPTION_H

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The misspelling ("EXEPTION") is part of the API. */
#define MAX_EXEPTION_MSG_LENGTH 512
#define MAX_EXEPTION_FILE_LENGTH 256
#define MAX_EXEPTION_TYPE_LENGTH 128

/* Layout is ABI (904 bytes). rmq sets error (a CStatus code or a 5.x Code),
   msg and type; line is 0 and file is empty. */
typedef struct _CMQException_ {
  int error;
  int line;
  char file[MAX_EXEPTION_FILE_LENGTH];
  char msg[MAX_EXEPTION_MSG_LENGTH];
  char type[MAX_EXEPTION_TYPE_LENGTH];
} CMQException;

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CMQEXCEPTION_H */
