/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): the text of
 * the last failure on the calling thread ("" if none). rmq sets it on every
 * failing call and includes the 5.x status code and name when there is one.
 * The pointer stays valid until the next failure on the same thread.
 */
#ifndef RMQ_LEGACY_CERRORMESSAGE_H
#define RMQ_LEGACY_CERRORMESSAGE_H

#include "CCommon.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Declared with empty parentheses, exactly as the original header does. */
ROCKETMQCLIENT_API const char* GetLatestErrorMessage();

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CERRORMESSAGE_H */
