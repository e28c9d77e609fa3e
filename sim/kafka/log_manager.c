/* log_manager: the broker's log tasks, as Kafka's LogManager and LogCleaner run them: the
 * retention task every log.retention.check.interval.ms over the logs that are not
 * compacted, and the cleaner thread, which every log.cleaner.backoff.ms (or at once after
 * a pass) cleans the filthiest compacted log and applies retention to every compacted
 * one. Every replica cleans and deletes its own log. Also the append checks that a log's
 * settings decide (LogValidator: keys on compacted topics). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "broker_internal.h"
#include "cleaner.h"
#include "protocol.h"
#include "retention.h"

/* LogManager.InitialTaskDelayMs: the retention task first runs 30 s after start-up. */
#define RETENTION_INITIAL_DELAY (30 * 1000 * US_PER_MS)

void logmgr_init(broker_t *b, const config_t *cfg)
{
    b->retention_check = config_duration_us(cfg, "log.retention.check.interval.ms");
    b->cleaner_backoff = config_duration_us(cfg, "log.cleaner.backoff.ms");
    int64_t cap = omap_capacity(config_long(cfg, "log.cleaner.dedupe.buffer.size"),
                                config_double(cfg, "log.cleaner.io.buffer.load.factor"));
    b->clean_map = omap_new(cap);
}

void logmgr_free(broker_t *b)
{
    omap_free(b->clean_map);
    b->clean_map = NULL;
}

/* Says once per broker where ksim's cleaner or validator differs from Kafka's. */
static void note_simplification(broker_t *b, bool *noted, const char *what)
{
    if (*noted)
        return;
    *noted = true;
    cJSON *ev = world_trace(b->w, b->node, "simplification");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "what", what);
    world_emit(b->w, ev);
}

static double ratio4(double r)
{
    return round(r * 10000.0) / 10000.0;
}

/* ---- retention ---- */

static void trace_retention(broker_t *b, const bpartition_t *part, retention_reason_t why,
                            const retention_result_t *r)
{
    cJSON *ev = world_trace(b->w, b->node, "log_retention");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    cJSON_AddStringToObject(ev, "reason", retention_reason_name(why));
    trace_add_int(ev, "segments", r->segments);
    trace_add_int(ev, "base_offset", r->first_base);
    trace_add_int(ev, "end_offset", r->end);
    trace_add_int(ev, "records", r->records);
    trace_add_int(ev, "bytes", r->bytes);
    trace_add_int(ev, "log_start_offset", r->new_start);
    world_emit(b->w, ev);
}

/* UnifiedLog.deleteOldSegments: below the log start offset, then by size, then by time; a
 * log without the delete policy only loses what lies below its log start. */
static void delete_old_segments(broker_t *b, bpartition_t *part)
{
    static const retention_reason_t order[] = { RETENTION_LOG_START, RETENTION_SIZE,
                                                RETENTION_TIME };
    for (size_t i = 0; i < (part->log.cfg.delete ? 3u : 1u); i++) {
        retention_result_t r;
        if (retention_delete(&part->log, order[i], b->w->now, &r)) {
            trace_retention(b, part, order[i], &r);
            part_update_lso(b, part); /* the aborted index loses what was deleted */
        }
    }
}

/* Every hosted log, in topic creation then partition order. */
#define FOR_EACH_LOG(b, part)                                                     \
    for (int32_t t_ = 0; t_ < (b)->n_topics; t_++)                                \
        for (int32_t p_ = 0; p_ < (b)->topics[t_].n; p_++)                        \
            if (((part) = &(b)->topics[t_].parts[p_])->hosted)

static void retention_tick(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    bpartition_t *part;
    if (b->state == BROKER_RUNNING) {
        /* LogManager.cleanupLogs: with the cleaner running, the compacted logs are its. */
        FOR_EACH_LOG(b, part)
            if (!part->log.cfg.compact)
                delete_old_segments(b, part);
    }
    node_timer_bg(b->node, b->retention_check, retention_tick, b, NULL, 0);
}

/* ---- the cleaner ---- */

static void trace_clean(broker_t *b, const bpartition_t *part, const clean_range_t *before,
                        const clean_result_t *r)
{
    cJSON *ev = world_trace(b->w, b->node, "log_clean");
    if (!ev)
        return;
    clean_range_t after;
    cleaner_range(&part->log, b->w->now, &after);
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "first_dirty", r->first_dirty);
    trace_add_int(ev, "checkpoint", r->end_offset);
    trace_add_int(ev, "base_offset", r->first_base);
    trace_add_int(ev, "end_offset", r->last_end);
    trace_add_int(ev, "segments_before", r->segments_before);
    trace_add_int(ev, "segments_after", r->segments_after);
    trace_add_int(ev, "records_before", r->records_before);
    trace_add_int(ev, "records_after", r->records_after);
    trace_add_int(ev, "removed", r->records_before - r->records_after);
    trace_add_int(ev, "tombstones_removed", r->tombstones_removed);
    trace_add_int(ev, "bytes_before", r->bytes_before);
    trace_add_int(ev, "bytes_after", r->bytes_after);
    trace_add_int(ev, "keys_mapped", r->map_entries);
    cJSON *removed = cJSON_AddArrayToObject(ev, "removed_offsets");
    for (int64_t i = 0; i < r->records_before - r->records_after; i++)
        cJSON_AddItemToArray(removed, cJSON_CreateNumber((double)r->removed[i]));
    if (r->empty_batches)
        trace_add_int(ev, "empty_batches", r->empty_batches);
    if (r->aborted_removed)
        trace_add_int(ev, "aborted_removed", r->aborted_removed);
    if (r->markers_removed)
        trace_add_int(ev, "markers_removed", r->markers_removed);
    cJSON_AddNumberToObject(ev, "dirty_ratio_before", ratio4(before->ratio));
    cJSON_AddNumberToObject(ev, "dirty_ratio_after", ratio4(after.ratio));
    if (before->compaction_delay > 0)
        trace_add_int(ev, "max_compaction_delay_ms", before->compaction_delay / US_PER_MS);
    world_emit(b->w, ev);
}

/* LogCleanerManager.grabFilthiestCompactedLog, then Cleaner.clean. Ties go to the first
 * log in creation order. Returns whether a log was cleaned. */
static bool clean_filthiest(broker_t *b)
{
    bpartition_t *part, *best = NULL;
    clean_range_t best_r = { 0 };
    FOR_EACH_LOG(b, part) {
        if (!part->log.cfg.compact)
            continue;
        clean_range_t r;
        cleaner_range(&part->log, b->w->now, &r);
        if (cleaner_wants(&part->log, &r) && (!best || r.ratio > best_r.ratio)) {
            best = part;
            best_r = r;
        }
    }
    if (!best)
        return false;
    clean_result_t res;
    if (!cleaner_clean(&best->log, b->clean_map, &best_r, &best->pstate, b->w->now, &res))
        return false;
    note_simplification(b, &b->cleaner_noted,
                        "a cleaning pass takes no virtual time here; Kafka's cleaner thread "
                        "reads and rewrites segments on disk, which takes real time");
    trace_clean(b, best, &best_r, &res);
    clean_result_free(&res);
    return true;
}

static void cleaner_tick(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    bool cleaned = false;
    if (b->state == BROKER_RUNNING) {
        cleaned = clean_filthiest(b);
        /* CleanerThread.cleanFilthiestLog: then retention on every compacted log
         * (LogCleanerManager.deletableLogs); a compact-only log loses only what lies below
         * its log start. */
        bpartition_t *part;
        FOR_EACH_LOG(b, part)
            if (part->log.cfg.compact)
                delete_old_segments(b, part);
    }
    /* CleanerThread.doWork: pause for the backoff only when there was nothing to clean. */
    node_timer_bg(b->node, cleaned ? 0 : b->cleaner_backoff, cleaner_tick, b, NULL, 0);
}

void logmgr_start(broker_t *b)
{
    node_timer_bg(b->node, RETENTION_INITIAL_DELAY, retention_tick, b, NULL, 0);
    node_timer_bg(b->node, b->cleaner_backoff, cleaner_tick, b, NULL, 0);
}

/* ---- append checks ---- */

int16_t logmgr_check_append(broker_t *b, const bpartition_t *part, const log_input_t *recs,
                            int32_t n)
{
    if (!part->log.cfg.compact)
        return KERR_NONE;
    /* LogValidator.validateKey: one record error per keyless record; the exception's
     * message lists the first three. */
    char msg[1024];
    int len = 0, errors = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!bytes_is_null(recs[i].key))
            continue;
        if (errors++ < 3 && len < (int)sizeof msg)
            len += snprintf(msg + len, sizeof msg - (size_t)len,
                            "%sRecordError(batchIndex=%d, message='Compacted topic cannot accept "
                            "message without key in topic partition %s-%d')",
                            errors > 1 ? ", " : "", i, part->topic, part->partition);
    }
    if (!errors)
        return KERR_NONE;
    cJSON *ev = world_trace(b->w, b->node, "record_rejected");
    if (ev) {
        trace_add_tp(ev, part->topic, part->partition);
        cJSON_AddStringToObject(ev, "error", kerr_name(KERR_INVALID_RECORD));
        char full[1200];
        snprintf(full, sizeof full,
                 "One or more records have been rejected due to %d record errors in total, and "
                 "only showing the first three errors at most: [%s]",
                 errors, msg);
        cJSON_AddStringToObject(ev, "message", full);
        world_emit(b->w, ev);
    }
    note_simplification(b, &b->reject_noted,
                        "the Produce response carries INVALID_RECORD but not Kafka's error "
                        "message and record errors (they are in the record_rejected event)");
    return KERR_INVALID_RECORD;
}
