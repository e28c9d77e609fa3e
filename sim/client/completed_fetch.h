/* completed_fetch: which records of one partition's Fetch answer reach the application,
 * as Kafka's consumer decides it (CompletedFetch.nextFetchedRecord): control records
 * (transaction markers) never do, in either isolation level; under read_committed the
 * batches of aborted transactions are dropped: a producer listed in the answer's aborted
 * transactions is skipped from that transaction's first offset until its ABORT marker. */
#ifndef KSIM_COMPLETED_FETCH_H
#define KSIM_COMPLETED_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../kafka/protocol.h"

/* Writes to out (room for pr->n) the indexes into pr->recs of the records to return, in
 * offset order, leaving out those before `position`; returns how many. */
size_t cfetch_select(const fetch_part_resp_t *pr, bool read_committed, int64_t position,
                     int32_t *out);

#endif
