/* txn_protocol: the bodies of the transaction requests and responses (AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, WriteTxnMarkers, TxnOffsetCommit) as typed structs, with the
 * ops that free them and describe them in the trace. InitProducerId is in protocol.h and
 * FindCoordinator in group_protocol.h. Strings are owned by the body (malloc'd); topic
 * names are interned by the world. */
#ifndef KSIM_TXN_PROTOCOL_H
#define KSIM_TXN_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/net.h"
#include "group_protocol.h"

/* A partition of a transaction, with its error in a response. */
typedef struct txn_part {
    const char *topic;
    int32_t partition;
    int16_t error;
} txn_part_t;

/* AddPartitionsToTxn (the client's form, v3): request and response share the body, the
 * response filling each partition's error. */
typedef struct add_parts_txn {
    char *transactional_id;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t n;
    txn_part_t *parts;
} add_parts_txn_t;

/* AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction.
 * EndTxn: commit or abort. Request and response share the body (the response fills
 * `error`). */
typedef struct txn_req {
    char *transactional_id;
    int64_t producer_id;
    int16_t producer_epoch;
    char *group;         /* AddOffsetsToTxn only */
    bool commit;         /* EndTxn only: true commit, false abort */
    int16_t error;
} txn_req_t;

/* WriteTxnMarkers: one entry per producer; each entry's partitions get a control batch
 * (COMMIT or ABORT) written by their leader, stamped with the coordinator epoch (the leader
 * epoch of the transactional id's __transaction_state partition). The response fills each
 * partition's error. */
typedef struct txn_marker_entry {
    int64_t producer_id;
    int16_t producer_epoch;
    bool commit;
    int32_t coordinator_epoch;
    int32_t n;
    txn_part_t *parts;
} txn_marker_entry_t;

typedef struct write_markers {
    int32_t n;
    txn_marker_entry_t *entries;
} write_markers_t;

/* TxnOffsetCommit (KIP-447 form: the consumer's group metadata travels with it). The
 * response fills each partition's error. */
typedef struct txn_offset_commit {
    char *transactional_id, *group, *member_id, *instance_id; /* instance_id: NULL */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t generation;
    int32_t n;
    offset_part_t *parts;
} txn_offset_commit_t;

extern const msg_body_ops_t add_parts_txn_req_ops, add_parts_txn_resp_ops;
extern const msg_body_ops_t add_offsets_txn_req_ops, add_offsets_txn_resp_ops;
extern const msg_body_ops_t end_txn_req_ops, end_txn_resp_ops;
extern const msg_body_ops_t write_markers_req_ops, write_markers_resp_ops;
extern const msg_body_ops_t txn_offset_commit_req_ops, txn_offset_commit_resp_ops;

/* Deep copies (a response starts as a copy of its request). */
add_parts_txn_t *add_parts_txn_copy(const add_parts_txn_t *r);
txn_req_t *txn_req_copy(const txn_req_t *r);
write_markers_t *write_markers_copy(const write_markers_t *r);
txn_offset_commit_t *txn_offset_commit_copy(const txn_offset_commit_t *r);

#endif
