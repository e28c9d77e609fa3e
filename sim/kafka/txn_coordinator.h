/* txn_coordinator: a broker's transaction coordinator (Kafka's TransactionCoordinator,
 * TransactionStateManager and TransactionMarkerChannelManager). It owns the transactional
 * ids of the __transaction_state partitions this broker leads: it answers
 * FindCoordinator(TRANSACTION), InitProducerId with a transactional.id, AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn, writes every state transition to the partition's log before it
 * takes effect, sends WriteTxnMarkers to the leaders of a transaction's partitions, aborts
 * transactions past their timeout, and loads the ids back (finishing any Prepare* it finds)
 * when it becomes a partition's leader. */
#ifndef KSIM_TXN_COORDINATOR_H
#define KSIM_TXN_COORDINATOR_H

#include <stdint.h>

#include "../core/net.h"
#include "config.h"
#include "txn_state.h"

#define TXN_STATE_TOPIC "__transaction_state"

typedef struct broker broker_t;
typedef struct bpartition bpartition_t;
typedef struct tcoord tcoord_t;

tcoord_t *tcoord_new(broker_t *b, const config_t *cfg);
void tcoord_free(tcoord_t *tc);
/* Kafka's partitionFor: Utils.abs(transactionalId.hashCode) %
 * transaction.state.log.num.partitions. */
int32_t tcoord_partition_for(const char *transactional_id, int32_t partitions);

/* FindCoordinator(TRANSACTION), InitProducerId with a transactional id, AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn. */
void tcoord_handle(tcoord_t *tc, msg_t *m);
/* A WriteTxnMarkers response from a partition leader. */
void tcoord_response(tcoord_t *tc, const msg_t *m);
/* This broker became the leader of a partition / stopped leading it. */
void tcoord_elected(tcoord_t *tc, const bpartition_t *part);
void tcoord_resigned(tcoord_t *tc, const bpartition_t *part);
/* The HW of a partition this broker leads moved (transitions wait for replication). */
void tcoord_hw_advanced(tcoord_t *tc, const bpartition_t *part);
/* A connection to `peer` closed (markers in flight on it are resent). */
void tcoord_disconnect(tcoord_t *tc, int32_t peer, uint32_t conn);
/* The broker crashed: the coordinator's memory is gone (the log stays). */
void tcoord_crash(tcoord_t *tc);

/* Read-only inspection (kafka-transactions.sh): the ids this broker coordinates, sorted
 * by transactional id, and one by id (NULL when not here). */
int32_t tcoord_count(const tcoord_t *tc);
const txn_meta_t *tcoord_txn(const tcoord_t *tc, int32_t i);
const txn_meta_t *tcoord_find(const tcoord_t *tc, const char *id);

#endif
