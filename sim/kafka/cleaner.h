/* cleaner: Kafka's log cleaner, applied to one log: the cleanable range and dirty ratio
 * (LogCleanerManager.cleanableOffsets / LogToClean), the key -> last offset map
 * (SkimpyOffsetMap) and the cleaning pass (Cleaner.doClean: map the dirty range, then
 * rewrite the segments from the log start, grouped by size). When to clean, and which
 * log, is the log manager's choice (log_manager.c). */
#ifndef KSIM_CLEANER_H
#define KSIM_CLEANER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "producer_state.h"

/* ---- the offset map ---- */

typedef struct offset_map offset_map_t;

/* Kafka sizes the map from log.cleaner.dedupe.buffer.size: 24 bytes a slot (an MD5 of the
 * key and an offset), filled up to log.cleaner.io.buffer.load.factor. */
int64_t omap_capacity(int64_t dedupe_buffer_bytes, double load_factor);
offset_map_t *omap_new(int64_t capacity);
void omap_free(offset_map_t *m);
void omap_clear(offset_map_t *m);
/* Records `offset` as the latest for `key`; false (and nothing done) when the map already
 * holds its capacity of keys. */
bool omap_put(offset_map_t *m, bytes_t key, int64_t offset);
/* The latest offset put for `key`, or -1. */
int64_t omap_get(const offset_map_t *m, bytes_t key);
/* The last offset the map covers (-1 after a clear). */
int64_t omap_latest(const offset_map_t *m);
void omap_update_latest(offset_map_t *m, int64_t offset);
int64_t omap_size(const offset_map_t *m);

/* ---- the cleanable range ---- */

typedef struct clean_range {
    int64_t first_dirty;       /* the checkpoint, or the log start when it is out of range */
    int64_t first_uncleanable; /* base offset of the first segment that cannot be cleaned */
    int64_t clean_bytes;       /* segments before the first dirty offset */
    int64_t cleanable_bytes;   /* segments from it to the first uncleanable one */
    double ratio;              /* cleanable / (clean + cleanable); 0 for an empty log */
    int64_t compaction_delay;  /* µs past max.compaction.lag.ms (> 0: clean now) */
} clean_range_t;

/* Where cleaning could happen now: from the checkpoint up to the first of the active
 * segment, the last stable offset (plog_lso: no open transaction is cleaned), and the first
 * segment with a record younger than min.compaction.lag.ms. */
void cleaner_range(const plog_t *l, int64_t now, clean_range_t *r);
/* LogCleanerManager.grabFilthiestCompactedLog's test: past max.compaction.lag.ms with
 * something to clean, or a dirty ratio above min.cleanable.dirty.ratio. */
bool cleaner_wants(const plog_t *l, const clean_range_t *r);

/* ---- the pass ---- */

typedef struct clean_result {
    int64_t first_dirty, end_offset; /* offsets mapped; end_offset is the new checkpoint */
    int64_t map_entries;
    int32_t segments_before, segments_after;
    int64_t first_base, last_end;    /* the offsets the rewritten segments span */
    int64_t records_before, records_after, tombstones_removed, horizons_set;
    int64_t empty_batches;           /* batches kept without records (producer state) */
    int64_t aborted_removed;         /* records of aborted transactions removed */
    int64_t markers_removed;         /* transaction markers removed */
    int64_t bytes_before, bytes_after;
    int64_t *removed;                /* the offsets removed, increasing (clean_result_free) */
} clean_result_t;

void clean_result_free(clean_result_t *r);

/* Cleans `l` over `r` at time `now` with the (reused) map; `producers` is the log's
 * producer state: its active producers keep their last batch, and its aborted index tells
 * which transactions' records go (CleanedTransactionMetadata). Aborted records are
 * neither mapped nor kept; a marker stays while its transaction still has batches in the
 * log, then until its delete horizon (delete.retention.ms); the aborted index forgets the
 * ABORT markers found without their transaction's batches. False when not even the first
 * record of the dirty range fits the map (the log is left as it was). */
bool cleaner_clean(plog_t *l, offset_map_t *map, const clean_range_t *r, pstate_t *producers,
                   int64_t now, clean_result_t *out);

#endif
