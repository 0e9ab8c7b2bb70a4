/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rmq compatibility header (legacy rocketmq-client-cpp C API): what the
 * transaction executor and checker callbacks return. COMMIT and ROLLBACK end
 * the 5.x transaction; UNKNOWN leaves it to a later server check.
 */
#ifndef RMQ_LEGACY_CTRANSACTIONSTATUS_H
#define RMQ_LEGACY_CTRANSACTIONSTATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum E_CTransactionStatus {
  E_COMMIT_TRANSACTION = 0,
  E_ROLLBACK_TRANSACTION = 1,
  E_UNKNOWN_TRANSACTION = 2
} CTransactionStatus;

#ifdef __cplusplus
}
#endif

#endif /* RMQ_LEGACY_CTRANSACTIONSTATUS_H */
