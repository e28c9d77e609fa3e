/* A property test of the cleaner over random logs (SEEDS=N logs, default 300): random
 * keys, values, tombstones and a few keyless records in batches of one to four records,
 * random segment.bytes,
 * segment.ms, delete.retention.ms, min.cleanable.dirty.ratio, min and max.compaction.lag.ms
 * and map capacity, a high watermark that sometimes lags, and cleaning passes whenever the
 * cleaner asks. Beside the leader's log, a follower's log copies the leader's batches as
 * they stand (plog_append_copy: gaps the leader's cleaner left, segments rolled at batches
 * after gaps, with its own segment settings) and is cleaned by its own cleaner. After every
 * pass, against the same log never cleaned:
 * - offsets strictly increase and batches and segments stay consistent (plog_check);
 * - a log the cleaner wants is cleaned: the pass makes progress (no stall in a gap);
 * - the batch that ended the round (next offset = first uncleanable offset) is still there;
 * - every record kept below the checkpoint is the latest for its key there;
 * - for every key, its latest record is present (below the checkpoint on the leader,
 *   anywhere on the follower), unless it is a tombstone whose delete horizon had passed;
 * - on the leader, everything from the checkpoint on is untouched;
 * - a consumer reading from the start ends with the same key -> value map. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/rng.h"
#include "sim/kafka/cleaner.h"
#include "sim/kafka/log.h"
#include "tests/unit/tap.h"

#define MS 1000LL
#define MAX_KEYS 40
#define APPENDS 220

static char key_text[MAX_KEYS][8];

typedef struct orig {
    int key;        /* index into key_text */
    bool tombstone;
    char value[24];
} orig_t;

typedef struct run {
    rng_t rng;
    plog_t l;
    orig_t *o;      /* by offset */
    int64_t n;
    int keys;
    int64_t now;
    char why[256];
} run_t;

/* The key index of keyless records (a topic that was not always compacted has them). */
#define KEYLESS MAX_KEYS

static int key_of(bytes_t k)
{
    if (bytes_is_null(k))
        return KEYLESS;
    for (int i = 0; i < MAX_KEYS; i++)
        if (k.len == (int32_t)strlen(key_text[i]) && memcmp(k.p, key_text[i], (size_t)k.len) == 0)
            return i;
    return -1;
}

static void append_batch(run_t *r)
{
    int32_t n = (int32_t)rng_range(&r->rng, 1, 4);
    log_input_t in[4];
    int32_t size = RECORD_BATCH_OVERHEAD;
    for (int32_t i = 0; i < n; i++) {
        orig_t *o = &r->o[r->n + i];
        o->key = rng_unit(&r->rng) < 0.05 ? KEYLESS : (int)rng_range(&r->rng, 0, r->keys - 1);
        o->tombstone = o->key != KEYLESS && rng_unit(&r->rng) < 0.2;
        snprintf(o->value, sizeof o->value, "v%lld", (long long)(r->n + i));
        bytes_t v = o->tombstone ? BYTES_NULL : (bytes_t){ o->value, (int32_t)strlen(o->value) };
        bytes_t k = o->key == KEYLESS ? BYTES_NULL
                                      : (bytes_t){ key_text[o->key], (int32_t)strlen(key_text[o->key]) };
        in[i] = (log_input_t){ r->now, k, v };
        size += record_size_in_batch(i, 0, in[i].key, v);
    }
    int64_t pid = rng_unit(&r->rng) < 0.5 ? rng_range(&r->rng, 0, 3) : -1;
    log_append_t m = { .producer_id = pid, .producer_epoch = pid >= 0 ? 0 : -1,
                       .base_sequence = pid >= 0 ? 0 : -1, .size = size };
    plog_append(&r->l, in, n, &m);
    r->n += n;
}

static bool fail(run_t *r, const char *fmt, long long a, long long b)
{
    snprintf(r->why, sizeof r->why, fmt, a, b);
    return false;
}

/* The key -> value map a consumer of offsets [0, upto) ends with; -1: absent. */
static void replay_orig(const run_t *r, int64_t *val, int64_t upto)
{
    for (int k = 0; k <= KEYLESS; k++)
        val[k] = -1;
    for (int64_t off = 0; off < upto; off++)
        val[r->o[off].key] = r->o[off].tombstone ? -1 : off;
}

/* One log under test: the leader's, or the follower's copy of it. */
typedef struct side {
    plog_t *l;
    int64_t *horizon; /* by offset: a kept tombstone's horizon at the last check, or -1 */
    bool follower;
} side_t;

/* Horizons as they now stand, remembered for records that a later pass removes. */
static void remember_horizons(const side_t *sd)
{
    const plog_t *l = sd->l;
    for (size_t b = 0; b < l->n_batches; b++)
        for (int32_t i = 0; i < l->batches[b].n; i++)
            sd->horizon[l->recs[l->batches[b].first + (size_t)i].offset] =
                l->batches[b].delete_horizon;
}

/* Kafka's known limit: a follower that copies a key's older value but not the tombstone
 * the leader removed before it got there keeps that value (docs/compaction.md). */
static bool missed_tombstone(const run_t *r, const side_t *sd, const side_t *other, int64_t off,
                             const bool *present)
{
    return sd->follower && off >= 0 && r->o[off].tombstone && !present[off] && other &&
           other->horizon[off] >= 0 && other->horizon[off] <= r->now;
}

static bool check(run_t *r, const side_t *sd, const side_t *other, int64_t end)
{
    plog_check(sd->l);
    const plog_t *l = sd->l;
    /* The follower holds what the leader had when it copied: the leader's cleaner may have
     * removed records there with later ones above the follower's checkpoint. */
    int64_t upto = sd->follower ? l->leo : end;
    int64_t latest[KEYLESS + 1], below[KEYLESS + 1];
    for (int k = 0; k <= KEYLESS; k++)
        latest[k] = below[k] = -1;
    for (int64_t off = 0; off < upto; off++)
        latest[r->o[off].key] = off;
    /* Below the checkpoint a key keeps its latest record there: of all appended on the
     * leader, of those the follower holds (it may never have seen one the leader removed). */
    for (int64_t off = 0; off < end && !sd->follower; off++)
        below[r->o[off].key] = off;
    for (size_t i = 0; i < l->n && sd->follower && l->recs[i].offset < end; i++)
        below[r->o[l->recs[i].offset].key] = l->recs[i].offset;
    bool *present = calloc((size_t)r->n + 1, sizeof *present);
    int64_t val[KEYLESS + 1], want[KEYLESS + 1];
    for (int k = 0; k <= KEYLESS; k++)
        val[k] = -1;
    bool good = true;
    for (size_t i = 0; i < l->n && good; i++) {
        const log_record_t *rec = &l->recs[i];
        int k = key_of(rec->key);
        present[rec->offset] = true;
        if (k != r->o[rec->offset].key || bytes_is_null(rec->value) != r->o[rec->offset].tombstone)
            good = fail(r, "offset %lld holds another record than was appended%lld", rec->offset, 0);
        else if (rec->offset < end && k == KEYLESS)
            good = fail(r, "keyless record %lld is kept below the checkpoint %lld", rec->offset, end);
        else if (rec->offset < end && below[k] != rec->offset)
            good = fail(r, "offset %lld is kept below the checkpoint %lld but is not its key's latest",
                        rec->offset, end);
        val[k] = bytes_is_null(rec->value) ? -1 : rec->offset;
    }
    for (int k = 0; k < r->keys && good; k++) {
        int64_t off = latest[k];
        if (off < 0 || present[off])
            continue;
        bool passed = (sd->horizon[off] >= 0 && sd->horizon[off] <= r->now) ||
                      (other && other->horizon[off] >= 0 && other->horizon[off] <= r->now);
        if (!r->o[off].tombstone)
            good = fail(r, "the latest value of a key (offset %lld) is gone below checkpoint %lld",
                        off, end);
        else if (!passed)
            good = fail(r, "tombstone %lld went before its horizon (%lld)", off, sd->horizon[off]);
    }
    for (int64_t off = end; off < r->n && good && !sd->follower; off++)
        if (!present[off])
            good = fail(r, "offset %lld of the uncleaned head (from %lld) is gone", off, end);
    replay_orig(r, want, l->leo);
    for (int k = 0; k < MAX_KEYS && good; k++)
        if (val[k] != want[k] && !missed_tombstone(r, sd, other, latest[k], present))
            good = fail(r, "a consumer from the start ends with key %lld at %lld, not as uncleaned",
                        k, val[k]);
    remember_horizons(sd);
    free(present);
    return good;
}

/* Whether a batch of the log ends just before `next`. */
static bool has_batch_ending(const plog_t *l, int64_t next)
{
    size_t b = plog_find_batch(l, next - 1);
    return b < l->n_batches && l->batches[b].last_offset + 1 == next;
}

/* Cleans the log if its cleaner wants to, and checks the pass. */
static bool clean_and_check(run_t *r, const side_t *sd, const side_t *other, offset_map_t *map,
                            int *passes)
{
    clean_range_t cr;
    cleaner_range(sd->l, r->now, &cr);
    if (!cleaner_wants(sd->l, &cr))
        return true;
    bool ends_round = has_batch_ending(sd->l, cr.first_uncleanable);
    clean_result_t res;
    pstate_t ps;
    pstate_init(&ps);
    pstate_rebuild(&ps, sd->l);
    bool cleaned = cleaner_clean(sd->l, map, &cr, &ps, r->now, &res);
    pstate_free(&ps);
    /* Only a map too small for one batch's keys makes no progress. */
    if (!cleaned && omap_size(map) == 0)
        return fail(r, "the cleaner wants the log (follower: %lld) but the pass from %lld makes "
                       "no progress",
                    sd->follower, cr.first_dirty);
    if (!cleaned)
        return true;
    clean_result_free(&res);
    (*passes)++;
    if (ends_round && !has_batch_ending(sd->l, cr.first_uncleanable))
        return fail(r, "the batch ending the round at %lld is gone (follower: %lld)",
                    cr.first_uncleanable, sd->follower);
    return check(r, sd, other, res.end_offset);
}

/* The follower's fetch: every leader batch at or after its log end, as it stands. */
static void copy_to_follower(const plog_t *leader, plog_t *f)
{
    for (size_t b = plog_find_batch(leader, f->leo); b < leader->n_batches; b++) {
        const log_batch_t *batch = &leader->batches[b];
        if (batch->base_offset >= f->leo)
            plog_append_copy(f, batch, leader->recs + batch->first);
    }
    int64_t hw = leader->hw < f->leo ? leader->hw : f->leo;
    f->hw = hw > f->log_start ? hw : f->log_start;
}

/* Random cleaner settings for one log. */
static log_config_t random_config(run_t *r)
{
    log_config_t c = log_config_default();
    c.compact = true;
    c.delete = false;
    c.segment_bytes = rng_range(&r->rng, 80, 700);
    c.segment_us = rng_range(&r->rng, 200, 5000) * MS;
    c.delete_retention_us = rng_range(&r->rng, 0, 4000) * MS;
    c.min_cleanable_ratio = rng_unit(&r->rng) * 0.7;
    c.min_lag_us = rng_unit(&r->rng) < 0.3 ? rng_range(&r->rng, 0, 2000) * MS : 0;
    if (rng_unit(&r->rng) < 0.4)
        c.max_lag_us = c.min_lag_us + rng_range(&r->rng, 0, 3000) * MS;
    return c;
}

static int64_t *new_horizons(void)
{
    int64_t *h = calloc(APPENDS * 4 + 1, sizeof *h);
    for (int i = 0; i < APPENDS * 4 + 1; i++)
        h[i] = -1;
    return h;
}

static bool run_seed(unsigned seed, run_t *r, int *passes, int *follower_passes)
{
    rng_seed(&r->rng, seed);
    plog_init(&r->l);
    log_config_t c = random_config(r);
    plog_configure(&r->l, &c);
    plog_t f;
    plog_init(&f);
    log_config_t fc = random_config(r);
    fc.delete_retention_us = c.delete_retention_us; /* a topic setting: the same on both */
    plog_configure(&f, &fc);
    side_t leader = { &r->l, new_horizons(), false }, follower = { &f, new_horizons(), true };
    r->keys = (int)rng_range(&r->rng, 1, MAX_KEYS);
    r->o = calloc(APPENDS * 4 + 1, sizeof *r->o);
    r->n = 0;
    r->now = 0;
    offset_map_t *map = omap_new(rng_unit(&r->rng) < 0.3 ? rng_range(&r->rng, 1, 8) : 1 << 20);
    offset_map_t *fmap = omap_new(rng_unit(&r->rng) < 0.3 ? rng_range(&r->rng, 1, 8) : 1 << 20);
    bool good = true;
    for (int step = 0; step < APPENDS && good; step++) {
        r->now += rng_range(&r->rng, 0, 400) * MS;
        append_batch(r);
        int64_t lag = rng_unit(&r->rng) < 0.2 ? rng_range(&r->rng, 0, 6) : 0;
        r->l.hw = r->l.leo - lag > r->l.log_start ? r->l.leo - lag : r->l.log_start;
        good = clean_and_check(r, &leader, NULL, map, passes);
        if (good && rng_unit(&r->rng) < 0.6) {
            copy_to_follower(&r->l, &f);
            good = clean_and_check(r, &follower, &leader, fmap, follower_passes);
        }
    }
    omap_free(map);
    omap_free(fmap);
    plog_free(&r->l);
    plog_free(&f);
    free(r->o);
    free(leader.horizon);
    free(follower.horizon);
    return good;
}

int main(void)
{
    for (int i = 0; i < MAX_KEYS; i++)
        snprintf(key_text[i], sizeof key_text[i], "k%d", i);
    unsigned seeds = tap_seeds(300);
    unsigned bad = 0;
    int passes = 0, follower_passes = 0;
    for (unsigned s = 1; s <= seeds; s++) {
        run_t r = { 0 };
        if (!run_seed(s, &r, &passes, &follower_passes)) {
            if (bad++ < 5)
                tap_diag("seed %u: %s", s, r.why);
        }
    }
    ok(bad == 0, "after every cleaning pass of %u random logs the compaction guarantees hold", seeds);
    ok(passes > (int)seeds, "the random logs were cleaned many times (%d passes)", passes);
    ok(follower_passes > (int)seeds,
       "and their followers' copies too (%d passes)", follower_passes);
    return tap_done();
}
