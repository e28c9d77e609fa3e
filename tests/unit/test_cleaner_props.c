/* A property test of the cleaner over random logs (SEEDS=N logs, default 300): random
 * keys, values and tombstones in batches of one to four records, random segment.bytes,
 * segment.ms, delete.retention.ms, min.cleanable.dirty.ratio and map capacity, a high
 * watermark that sometimes lags, and cleaning passes whenever the cleaner asks. After every
 * pass, against the same log never cleaned:
 * - offsets strictly increase and batches and segments stay consistent (plog_check);
 * - every record kept below the checkpoint is the latest for its key there;
 * - for every key, the latest record below the checkpoint is present, unless it is a
 *   tombstone whose delete horizon (as last seen) had passed;
 * - everything from the checkpoint on is untouched;
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
    int64_t *horizon; /* by offset: a kept tombstone's horizon at the last check, or -1 */
    char why[256];
} run_t;

static int key_of(bytes_t k)
{
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
        o->key = (int)rng_range(&r->rng, 0, r->keys - 1);
        o->tombstone = rng_unit(&r->rng) < 0.2;
        snprintf(o->value, sizeof o->value, "v%lld", (long long)(r->n + i));
        bytes_t v = o->tombstone ? BYTES_NULL : (bytes_t){ o->value, (int32_t)strlen(o->value) };
        in[i] = (log_input_t){ r->now, { key_text[o->key], (int32_t)strlen(key_text[o->key]) }, v };
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

/* The key -> value map a consumer ends with; -1: absent. */
static void replay_orig(const run_t *r, int64_t *val)
{
    for (int k = 0; k < MAX_KEYS; k++)
        val[k] = -1;
    for (int64_t off = 0; off < r->n; off++)
        val[r->o[off].key] = r->o[off].tombstone ? -1 : off;
}

static bool check(run_t *r, int64_t end)
{
    plog_check(&r->l);
    const plog_t *l = &r->l;
    int64_t latest[MAX_KEYS];
    for (int k = 0; k < MAX_KEYS; k++)
        latest[k] = -1;
    for (int64_t off = 0; off < end; off++)
        latest[r->o[off].key] = off;
    bool *present = calloc((size_t)r->n + 1, sizeof *present);
    int64_t val[MAX_KEYS], want[MAX_KEYS];
    for (int k = 0; k < MAX_KEYS; k++)
        val[k] = -1;
    bool good = true;
    for (size_t i = 0; i < l->n && good; i++) {
        const log_record_t *rec = &l->recs[i];
        int k = key_of(rec->key);
        present[rec->offset] = true;
        if (k != r->o[rec->offset].key || bytes_is_null(rec->value) != r->o[rec->offset].tombstone)
            good = fail(r, "offset %lld holds another record than was appended%lld", rec->offset, 0);
        else if (rec->offset < end && latest[k] != rec->offset)
            good = fail(r, "offset %lld is kept below the checkpoint %lld but is not its key's latest",
                        rec->offset, end);
        val[k] = bytes_is_null(rec->value) ? -1 : rec->offset;
    }
    for (int k = 0; k < r->keys && good; k++) {
        int64_t off = latest[k];
        if (off < 0 || present[off])
            continue;
        if (!r->o[off].tombstone)
            good = fail(r, "the latest value of a key (offset %lld) is gone below checkpoint %lld",
                        off, end);
        else if (r->horizon[off] < 0 || r->horizon[off] > r->now)
            good = fail(r, "tombstone %lld went before its horizon (%lld)", off, r->horizon[off]);
    }
    for (int64_t off = end; off < r->n && good; off++)
        if (!present[off])
            good = fail(r, "offset %lld of the uncleaned head (from %lld) is gone", off, end);
    replay_orig(r, want);
    for (int k = 0; k < MAX_KEYS && good; k++)
        if (val[k] != want[k])
            good = fail(r, "a consumer from the start ends with key %lld at %lld, not as uncleaned",
                        k, val[k]);
    /* Horizons as they now stand, remembered for records that a later pass removes. */
    for (size_t b = 0; b < l->n_batches; b++)
        for (int32_t i = 0; i < l->batches[b].n; i++)
            r->horizon[l->recs[l->batches[b].first + (size_t)i].offset] = l->batches[b].delete_horizon;
    free(present);
    return good;
}

static bool run_seed(unsigned seed, run_t *r, int *passes)
{
    rng_seed(&r->rng, seed);
    plog_init(&r->l);
    log_config_t c = log_config_default();
    c.compact = true;
    c.delete = false;
    c.segment_bytes = rng_range(&r->rng, 80, 700);
    c.segment_us = rng_range(&r->rng, 200, 5000) * MS;
    c.delete_retention_us = rng_range(&r->rng, 0, 4000) * MS;
    c.min_cleanable_ratio = rng_unit(&r->rng) * 0.7;
    c.min_lag_us = rng_unit(&r->rng) < 0.3 ? rng_range(&r->rng, 0, 2000) * MS : 0;
    plog_configure(&r->l, &c);
    r->keys = (int)rng_range(&r->rng, 1, MAX_KEYS);
    r->o = calloc(APPENDS * 4 + 1, sizeof *r->o);
    r->horizon = calloc(APPENDS * 4 + 1, sizeof *r->horizon);
    for (int i = 0; i < APPENDS * 4; i++)
        r->horizon[i] = -1;
    r->n = 0;
    r->now = 0;
    offset_map_t *map = omap_new(rng_unit(&r->rng) < 0.3 ? rng_range(&r->rng, 1, 8) : 1 << 20);
    bool good = true;
    for (int step = 0; step < APPENDS && good; step++) {
        r->now += rng_range(&r->rng, 0, 400) * MS;
        append_batch(r);
        int64_t lag = rng_unit(&r->rng) < 0.2 ? rng_range(&r->rng, 0, 6) : 0;
        r->l.hw = r->l.leo - lag > r->l.log_start ? r->l.leo - lag : r->l.log_start;
        clean_range_t cr;
        cleaner_range(&r->l, r->now, &cr);
        if (!cleaner_wants(&r->l, &cr))
            continue;
        clean_result_t res;
        pstate_t ps;
        pstate_init(&ps);
        pstate_rebuild(&ps, &r->l);
        bool cleaned = cleaner_clean(&r->l, map, &cr, &ps, r->now, &res);
        pstate_free(&ps);
        if (!cleaned)
            continue;
        clean_result_free(&res);
        (*passes)++;
        good = check(r, res.end_offset);
    }
    omap_free(map);
    plog_free(&r->l);
    free(r->o);
    free(r->horizon);
    return good;
}

int main(void)
{
    for (int i = 0; i < MAX_KEYS; i++)
        snprintf(key_text[i], sizeof key_text[i], "k%d", i);
    unsigned seeds = tap_seeds(300);
    unsigned bad = 0;
    int passes = 0;
    for (unsigned s = 1; s <= seeds; s++) {
        run_t r = { 0 };
        if (!run_seed(s, &r, &passes)) {
            if (bad++ < 5)
                tap_diag("seed %u: %s", s, r.why);
        }
    }
    ok(bad == 0, "after every cleaning pass of %u random logs the compaction guarantees hold", seeds);
    ok(passes > (int)seeds, "the random logs were cleaned many times (%d passes)", passes);
    return tap_done();
}
