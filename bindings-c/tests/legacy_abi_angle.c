/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The second legacy include style: <rocketmq/X.h> with -I<prefix>/include
 * (as the cgo wrapper of rocketmq-client-go 1.x does). Syntax check only:
 *   cc -std=c11 -Wall -Wextra -fsyntax-only -I include tests/legacy_abi_angle.c
 */
#include <rocketmq/CBatchMessage.h>
#include <rocketmq/CCommon.h>
#include <rocketmq/CErrorMessage.h>
#include <rocketmq/CMQException.h>
#include <rocketmq/CMessage.h>
#include <rocketmq/CMessageExt.h>
#include <rocketmq/CMessageQueue.h>
#include <rocketmq/CProducer.h>
#include <rocketmq/CPullConsumer.h>
#include <rocketmq/CPullResult.h>
#include <rocketmq/CPushConsumer.h>
#include <rocketmq/CSendResult.h>
#include <rocketmq/CTransactionStatus.h>

int main(void) {
  struct CProducer* producer = 0;
  struct _SendResult_ result = {E_SEND_OK, {0}, 0};
  return producer == 0 && result.sendStatus == E_SEND_OK ? OK : NULL_POINTER;
}
