/* Unit tests for sim/kafka/cleaner and the segments of sim/kafka/log: the offset map, the
 * cleanable range rules (checkpoint, active segment, HW, min.compaction.lag.ms,
 * max.compaction.lag.ms, the dirty ratio), the seed guide's table compacted to K3@3 and
 * K1@5, tombstones kept until delete.retention.ms after the pass that first saw them, the
 * empty batch kept for a producer, segment rolling, grouping and deletion, and retention's
 * three rules (retention.ms, retention.bytes, the log start offset). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kafka/cleaner.h"
#include "sim/kafka/log.h"
#include "sim/kafka/producer_state.h"
#include "sim/kafka/retention.h"
#include "tests/unit/tap.h"

#define MS 1000LL

static bytes_t str(const char *s)
{
    return s ? (bytes_t){ s, (int32_t)strlen(s) } : BYTES_NULL;
}

/* Appends one single-record batch with Kafka's size for it. */
static int64_t put(plog_t *l, int64_t ts, const char *k, const char *v, int64_t pid)
{
    log_input_t in = { ts, str(k), str(v) };
    log_append_t m = { .producer_id = pid, .producer_epoch = pid >= 0 ? 0 : -1,
                       .base_sequence = pid >= 0 ? (int32_t)l->leo : -1,
                       .size = RECORD_BATCH_OVERHEAD +
                               record_size_in_batch(0, 0, in.key, in.value) };
    int64_t off = plog_append(l, &in, 1, &m);
    l->hw = l->leo;
    return off;
}

/* The log as "offset:key=value" words, tombstones as key=null. */
static const char *dump(const plog_t *l)
{
    static char buf[4096];
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n && n < sizeof buf - 64; i++) {
        const log_record_t *r = &l->recs[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld:%.*s=%.*s", i ? " " : "",
                              (long long)r->offset, r->key.len, r->key.p,
                              bytes_is_null(r->value) ? 4 : r->value.len,
                              bytes_is_null(r->value) ? "null" : r->value.p);
    }
    return buf;
}

static log_config_t compacted(int64_t segment_bytes)
{
    log_config_t c = log_config_default();
    c.compact = true;
    c.delete = false;
    c.segment_bytes = segment_bytes;
    c.delete_retention_us = 1000 * MS;
    return c;
}

static bool clean_now(plog_t *l, offset_map_t *m, int64_t now, clean_result_t *res)
{
    clean_range_t r;
    cleaner_range(l, now, &r);
    if (!cleaner_wants(l, &r))
        return false;
    /* The producer state as the broker keeps it: rebuilt from the log. */
    pstate_t ps;
    pstate_init(&ps);
    pstate_rebuild(&ps, l);
    bool done = cleaner_clean(l, m, &r, &ps, now, res);
    pstate_free(&ps);
    plog_check(l);
    free(res->removed); /* the tests read the counts only, except where they say */
    return done;
}

static void test_offset_map(void)
{
    offset_map_t *m = omap_new(3);
    is_int(omap_get(m, str("a")), -1, "an empty map knows no key");
    is_int(omap_latest(m), -1, "an empty map's latest offset is -1");
    ok(omap_put(m, str("a"), 0) && omap_put(m, str("b"), 1) && omap_put(m, str("a"), 2),
       "puts under the capacity succeed, a key put twice included");
    is_int(omap_get(m, str("a")), 2, "a key maps to the last offset put for it");
    is_int(omap_size(m), 2, "a key put twice counts once");
    ok(omap_put(m, str("c"), 3), "the third key fits a map of capacity 3");
    ok(!omap_put(m, str("d"), 4), "a fourth key does not: the map is full");
    ok(!omap_put(m, str("a"), 5), "once full, even a known key is refused (Kafka checks size first)");
    is_int(omap_latest(m), 3, "the latest offset is the last one put");
    ok(omap_get(m, str("")) == -1 && omap_put(m, str(""), 3) == false,
       "the empty key is a key like any other (absent here)");
    omap_clear(m);
    is_int(omap_get(m, str("a")), -1, "a cleared map forgets its keys");
    offset_map_t *big = omap_new(100000);
    /* The map points at the keys: they stay alive as long as it does (the log's arena). */
    static char keys[20000][8];
    for (int i = 0; i < 50000; i++) {
        int k = i % 20000;
        int len = snprintf(keys[k], sizeof keys[k], "k%d", k);
        omap_put(big, (bytes_t){ keys[k], len }, i);
    }
    is_int(omap_size(big), 20000, "20000 distinct keys in 50000 puts make 20000 entries");
    is_int(omap_get(big, str("k7")), 40007, "each key maps to its last put (k7 at 40007)");
    is_int(omap_capacity(134217728, 0.9), 5033164,
           "Kafka's defaults (128 MiB, load 0.9) hold 5033164 keys (24 bytes each)");
    omap_free(m);
    omap_free(big);
}

/* The table of the seed guide: K1,K2,K1,K3,K2(null),K1 at offsets 0..5. */
static void seed_table(plog_t *l)
{
    const char *k[6] = { "K1", "K2", "K1", "K3", "K2", "K1" };
    const char *v[6] = { "V1", "V2", "V3", "V4", NULL, "V5" };
    for (int i = 0; i < 6; i++)
        put(l, (int64_t)i * MS, k[i], v[i], -1);
}

static void test_seed_table(void)
{
    log_config_t c = compacted(100); /* every batch fills a segment */
    offset_map_t *m = omap_new(1000);
    clean_result_t res;
    plog_t l0;
    plog_init(&l0);
    plog_configure(&l0, &c);
    seed_table(&l0);
    is_int(l0.n_segs, 6, "six batches larger than half of segment.bytes make six segments");
    ok(clean_now(&l0, m, 10 * MS, &res) && res.end_offset == 5 &&
           l0.recs[l0.n - 1].offset == 5 && l0.clean_checkpoint == 5,
       "the active segment (offset 5) is never cleaned: the pass stops at its base offset");
    plog_free(&l0);

    plog_t l;
    plog_init(&l);
    plog_configure(&l, &c);
    seed_table(&l);
    put(&l, 10 * MS, "K4", "V6", -1); /* rolls the segment holding K1@5 */
    ok(clean_now(&l, m, 20 * MS, &res), "once offset 5 leaves the active segment, the log is cleaned");
    is_str(dump(&l), "3:K3=V4 4:K2=null 5:K1=V5 6:K4=V6",
           "after the first pass: K3@3, the tombstone K2@4 and K1@5 (K4@6 is the active segment)");
    is_int(res.end_offset, 6, "the cleaner checkpoint moves to 6");
    is_int(l.clean_checkpoint, 6, "the log records the checkpoint");
    is_int(res.tombstones_removed, 0, "no tombstone is removed by the pass that first sees it");
    is_int(l.batches[plog_find_batch(&l, 4)].delete_horizon, 20 * MS + 1000 * MS,
           "the tombstone's batch gets its delete horizon: now + delete.retention.ms");
    is_int(res.segments_after, 6,
           "segments are grouped by their sizes before cleaning: two of them pass segment.bytes, so none merge");
    is_int(l.log_start, 0, "cleaning does not move the log start offset");

    /* From here on a small dirty section is enough to start a pass. */
    l.cfg.min_cleanable_ratio = 0.1;
    put(&l, 500 * MS, "K4", "V7", -1); /* rolls K4@6 out of the active segment */
    ok(clean_now(&l, m, 500 * MS, &res), "a second pass before the horizon");
    is_str(dump(&l), "3:K3=V4 4:K2=null 5:K1=V5 6:K4=V6 7:K4=V7",
           "before delete.retention.ms has passed the tombstone K2@4 is still there");
    ok(res.segments_after == 4 && l.segs[0].base_offset == 0 && l.segs[1].base_offset == 4,
       "the emptied segments and K3@3's now fit one segment: it keeps the first base offset (0)");
    put(&l, 1100 * MS, "K4", "V8", -1);
    ok(clean_now(&l, m, 1100 * MS, &res), "a third pass after the horizon");
    is_str(dump(&l), "3:K3=V4 5:K1=V5 7:K4=V7 8:K4=V8",
           "after the horizon the tombstone is gone: of the seed's table exactly K3@3 and K1@5 remain");
    is_int(res.tombstones_removed, 1, "the pass counts one tombstone removed");
    omap_free(m);
    plog_free(&l);
}

static void test_cleanable_range(void)
{
    plog_t l;
    plog_init(&l);
    log_config_t c = compacted(100);
    plog_configure(&l, &c);
    for (int i = 0; i < 4; i++)
        put(&l, (int64_t)i * 1000 * MS, "k", "v", -1);
    clean_range_t r;
    cleaner_range(&l, 4000 * MS, &r);
    is_int(r.first_dirty, 0, "without a checkpoint the dirty range starts at the log start");
    is_int(r.first_uncleanable, 3, "it ends at the active segment's base offset (3)");
    ok(r.clean_bytes == 0 && r.cleanable_bytes == l.bytes - l.segs[3].bytes,
       "all bytes below the active segment are cleanable, none clean");
    ok(r.ratio == 1.0, "so the dirty ratio is 1");
    ok(cleaner_wants(&l, &r), "a ratio above min.cleanable.dirty.ratio asks for cleaning");
    l.hw = 1;
    cleaner_range(&l, 4000 * MS, &r);
    is_int(r.first_uncleanable, 1, "the cleaner stops at the last stable offset (the HW, 1)");
    l.hw = l.leo;
    l.cfg.min_lag_us = 2500 * MS;
    cleaner_range(&l, 4000 * MS, &r);
    is_int(r.first_uncleanable, 2,
           "min.compaction.lag.ms: the first segment with a record younger than the lag (offset 2) is uncleanable");
    l.cfg.min_lag_us = 0;
    l.clean_checkpoint = 2;
    cleaner_range(&l, 4000 * MS, &r);
    ok(r.first_dirty == 2 && r.clean_bytes == l.segs[0].bytes + l.segs[1].bytes,
       "from the checkpoint (2): the segments before it are clean");
    ok(r.ratio > 0.32 && r.ratio < 0.34, "one dirty segment of three: the ratio is 1/3");
    ok(!cleaner_wants(&l, &r), "1/3 is under the default 0.5: nothing to do");
    l.cfg.min_cleanable_ratio = 0.3;
    ok(cleaner_wants(&l, &r), "under min.cleanable.dirty.ratio = 0.3 it is cleanable");
    l.cfg.min_cleanable_ratio = 0.5;
    l.cfg.max_lag_us = 1000 * MS;
    cleaner_range(&l, 4000 * MS, &r);
    ok(r.compaction_delay == 1000 * MS && cleaner_wants(&l, &r),
       "max.compaction.lag.ms: a dirty segment older than the lag must be cleaned whatever the ratio");
    l.clean_checkpoint = 99;
    cleaner_range(&l, 4000 * MS, &r);
    is_int(r.first_dirty, 0, "a checkpoint past the log end is reset to the log start");
    plog_free(&l);
}

static void test_producer_batch_kept(void)
{
    plog_t l;
    plog_init(&l);
    log_config_t c = compacted(100);
    plog_configure(&l, &c);
    offset_map_t *m = omap_new(1000);
    put(&l, 0, "a", "1", 7);
    put(&l, 0, "a", "2", 7);
    put(&l, 0, "b", "1", 8);
    put(&l, 0, "a", "3", 8);
    put(&l, 0, "b", "2", 8);
    put(&l, 0, "z", "z", -1);
    clean_result_t res;
    ok(clean_now(&l, m, 10 * MS, &res), "a log of two producers is cleaned");
    is_str(dump(&l), "3:a=3 4:b=2 5:z=z", "each key keeps its latest value");
    size_t b1 = plog_find_batch(&l, 1);
    ok(l.batches[b1].base_offset == 1 && l.batches[b1].n == 0 && l.batches[b1].producer_id == 7,
       "producer 7's last batch (offset 1) stays as an empty batch header");
    ok(plog_find_batch(&l, 0) == b1, "its earlier batch (offset 0) is gone");
    ok(l.batches[plog_find_batch(&l, 2)].base_offset == 3,
       "producer 8's emptied batch at offset 2 is not its last: it goes");
    is_int(res.empty_batches, 1, "the pass reports one empty batch kept");
    /* Producer 7 expires (producer.id.expiration.ms): its empty batch may go now. */
    put(&l, 0, "z", "y", -1);
    clean_range_t r;
    cleaner_range(&l, 20 * MS, &r);
    pstate_t ps;
    pstate_init(&ps);
    pstate_rebuild(&ps, &l);
    pstate_expire(&ps, 20 * MS, 1);
    ok(cleaner_clean(&l, m, &r, &ps, 20 * MS, &res) && l.batches[0].base_offset == 3,
       "once its producer id has expired, producer 7's empty batch goes too");
    free(res.removed);
    pstate_free(&ps);
    omap_free(m);
    plog_free(&l);
}

static void test_segments(void)
{
    plog_t l;
    plog_init(&l);
    log_config_t c = log_config_default();
    c.segment_us = 1000 * MS;
    plog_configure(&l, &c);
    put(&l, 0, "a", "1", -1);
    put(&l, 900 * MS, "a", "1", -1);
    is_int(l.n_segs, 1, "within segment.ms of its first batch the segment keeps taking batches");
    put(&l, 1001 * MS, "a", "1", -1);
    ok(l.n_segs == 2 && l.segs[1].base_offset == 2,
       "a batch stamped more than segment.ms after the first rolls a segment at its offset");
    put(&l, 1500 * MS, "a", "1", -1);
    is_int(plog_seg_largest_ts(&l, 1), 1500 * MS, "a segment's largest timestamp is its newest batch's");
    plog_truncate(&l, 2);
    ok(l.n_segs == 2 && l.segs[1].bytes == 0 && l.leo == 2,
       "truncating to a segment's base offset leaves it empty and active");
    plog_truncate(&l, 1);
    is_int(l.n_segs, 1, "truncating below a segment's base offset removes it");
    put(&l, 3000 * MS, "a", "1", -1);
    put(&l, 5000 * MS, "a", "1", -1);
    int64_t removed = plog_delete_segments(&l, 1);
    ok(removed > 0 && l.log_start == 1 && l.recs[0].offset == 1,
       "deleting the first segment moves the log start to the next base offset");
    plog_delete_segments(&l, l.n_segs);
    ok(l.n == 0 && l.log_start == l.leo && l.n_segs == 1 && l.segs[0].base_offset == l.leo,
       "deleting every segment rolls an empty active segment at the log end first");
    plog_check(&l);
    plog_truncate_fully(&l, 42);
    ok(l.leo == 42 && l.log_start == 42 && l.hw == 42 && l.n_segs == 1,
       "a full truncation starts an empty log at the given offset");
    log_batch_t hdr = { .base_offset = 45, .last_offset = 47, .n = 0, .size = 61,
                        .producer_id = 3, .leader_epoch = 2, .max_timestamp = 0,
                        .delete_horizon = -1 };
    plog_append_copy(&l, &hdr, NULL);
    ok(l.leo == 48 && l.n_batches == 1 && l.n == 0,
       "a follower takes a cleaned batch with no records past a gap: the log end follows it");
    plog_check(&l);
    plog_truncate(&l, 44);
    ok(l.leo == 44 && l.n_batches == 0,
       "truncating to an offset in a gap ends the log at that offset, the batch after it gone");
    plog_check(&l);
    plog_free(&l);
}

/* Five segments of one record each, a second apart; segment.ms 1 s. */
static void five_segments(plog_t *l)
{
    plog_init(l);
    log_config_t c = log_config_default();
    c.segment_us = 1000 * MS;
    plog_configure(l, &c);
    for (int i = 0; i < 5; i++)
        put(l, (int64_t)i * 1001 * MS, "k", "v", -1);
}

static void test_retention(void)
{
    plog_t l;
    retention_result_t r;
    five_segments(&l);
    l.cfg.retention_us = 2500 * MS;
    ok(retention_delete(&l, RETENTION_TIME, 5000 * MS, &r) && r.segments == 3 &&
           l.log_start == 3,
       "retention.ms: at 5 s the segments whose newest record is older than 2.5 s go (0..2)");
    ok(!retention_delete(&l, RETENTION_TIME, 5000 * MS, &r), "a second run finds nothing more");
    l.cfg.retention_us = -1;
    ok(!retention_delete(&l, RETENTION_TIME, 1000000 * MS, &r), "retention.ms = -1 keeps everything");
    plog_free(&l);

    five_segments(&l);
    int64_t one = l.segs[0].bytes;
    l.cfg.retention_bytes = l.bytes - one - 1;
    ok(retention_delete(&l, RETENTION_SIZE, 0, &r) && r.segments == 1 && l.log_start == 1,
       "retention.bytes: one byte too many removes one whole segment");
    l.cfg.retention_bytes = l.bytes - 1;
    ok(!retention_delete(&l, RETENTION_SIZE, 0, &r),
       "a log over the limit by less than its oldest segment keeps it (it would go under)");
    l.cfg.retention_bytes = l.bytes;
    ok(!retention_delete(&l, RETENTION_SIZE, 0, &r), "a log exactly at the limit keeps all");
    plog_free(&l);

    five_segments(&l);
    l.cfg.retention_us = 0;
    l.hw = 3;
    ok(retention_delete(&l, RETENTION_TIME, 100000 * MS, &r) && r.segments == 3 && l.log_start == 3,
       "only segments wholly below the high watermark are deleted");
    l.hw = l.leo;
    ok(retention_delete(&l, RETENTION_TIME, 100000 * MS, &r) && l.n == 0 && l.log_start == 5 &&
           l.n_segs == 1,
       "when every segment is old, the log rolls an empty active segment and deletes them all");
    ok(!retention_delete(&l, RETENTION_TIME, 100000 * MS, &r),
       "the empty active segment is never deleted");
    plog_free(&l);

    five_segments(&l);
    plog_raise_log_start(&l, 3);
    ok(retention_delete(&l, RETENTION_LOG_START, 0, &r) && r.segments == 3 && l.recs[0].offset == 3,
       "segments wholly below a raised log start offset go");
    plog_free(&l);
}

int main(void)
{
    test_offset_map();
    test_seed_table();
    test_cleanable_range();
    test_producer_batch_kept();
    test_segments();
    test_retention();
    return tap_done();
}
