/* group_offsets: a consumer group's offsets as Kafka's GroupMetadata keeps them: the
 * committed offset of each partition with the log offset of the batch that committed it,
 * and the transactional offsets each producer staged (TxnOffsetCommit) that wait for
 * their transaction's marker (pendingTransactionalOffsetCommits). Pure data: the group
 * coordinator decides when to call. */
#ifndef KSIM_GROUP_OFFSETS_H
#define KSIM_GROUP_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct group group_t;

typedef struct group_offset {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t appended; /* base offset of the __consumer_offsets batch that holds it */
} group_offset_t;

/* One producer's pending transactional offsets, sorted by topic, partition. */
typedef struct group_txn {
    int64_t producer_id;
    group_offset_t *v;
    int32_t n;
} group_txn_t;

/* onOffsetCommitAppend: the commit appended at `appended` replaces the partition's
 * committed offset unless that one was appended later (CommitRecordMetadataAndOffset
 * olderThan). */
void group_commit(group_t *g, const char *topic, int32_t partition, int64_t offset,
                  int64_t appended);
/* The committed offset, or -1. */
int64_t group_committed(const group_t *g, const char *topic, int32_t partition);

/* prepareTxnOffsetCommit and onTxnOffsetCommitAppend: producer `producer_id` staged
 * `offset` for the partition in a batch appended at `appended` (a newer staging of the
 * same partition replaces it). */
void group_txn_stage(group_t *g, int64_t producer_id, const char *topic, int32_t partition,
                     int64_t offset, int64_t appended);
/* failPendingTxnOffsetCommit: the staging's append failed. */
void group_txn_fail(group_t *g, int64_t producer_id, const char *topic, int32_t partition);
/* completePendingTxnOffsetCommit: the producer's pending offsets leave; a commit makes
 * each committed unless a newer commit already landed (olderThan). False when the
 * producer had none. `out` (may be NULL) takes what was pending; free with
 * group_txn_free. */
bool group_txn_complete(group_t *g, int64_t producer_id, bool commit, group_txn_t *out);
void group_txn_free(group_txn_t *t);
/* The producer's pending offsets, or NULL. */
const group_txn_t *group_txn_find(const group_t *g, int64_t producer_id);
/* hasPendingOffsetCommitsForTopicPartition (the transactional part): the newest pending
 * offset of any producer for the partition (by append), or -1 when none. */
int64_t group_txn_pending(const group_t *g, const char *topic, int32_t partition);

/* Frees the committed and pending offsets (group_free). */
void group_offsets_free(group_t *g);

#endif
