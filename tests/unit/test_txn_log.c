/* Unit tests of transactions in one partition's log and producer state: a transaction
 * opened by its first transactional batch, closed by its marker; the first unstable offset
 * and the last stable offset with the HW (a completed transaction holds the LSO until the
 * HW passes its marker); interleaved producers; the aborted-transaction index and what a
 * fetch collects from it; the marker checks (older producer epoch, older coordinator
 * epoch); non-transactional writes inside a transaction; the state rebuilt after a
 * truncation; expiry and the log start; the cleaner with transactions (aborted records
 * neither mapped nor kept, markers kept while their transaction has batches and then until
 * their delete horizon, the cleanable range stopping at an open transaction). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/kafka/api.h"
#include "sim/kafka/cleaner.h"
#include "sim/kafka/log.h"
#include "sim/kafka/producer_state.h"
#include "tests/unit/tap.h"

#define P1 1000
#define P2 2000
#define P3 3000

typedef struct part {
    plog_t l;
    pstate_t ps;
} part_t;

static void part_init(part_t *p)
{
    plog_init(&p->l);
    pstate_init(&p->ps);
}

static void part_free(part_t *p)
{
    plog_free(&p->l);
    pstate_free(&p->ps);
}

/* What the partition does after a change: settle, recompute the first unstable offset. */
static int64_t lso(part_t *p)
{
    pstate_hw_updated(&p->ps, p->l.hw);
    pstate_log_start_moved(&p->ps, p->l.log_start);
    p->l.first_unstable = pstate_first_unstable(&p->ps);
    return plog_lso(&p->l);
}

static void set_hw(part_t *p, int64_t hw)
{
    p->l.hw = hw;
    lso(p);
}

/* One record key=value of producer `pid` (-1: none), transactional or not. */
static int64_t kv(part_t *p, int64_t pid, const char *key, const char *value, bool txn)
{
    log_input_t rec = { 1000, { key, (int32_t)strlen(key) }, { value, (int32_t)strlen(value) } };
    log_append_t m = { .producer_id = pid, .producer_epoch = pid >= 0 ? 0 : -1,
                       .base_sequence = pid >= 0 ? (int32_t)p->l.leo : -1,
                       .flags = txn ? LOG_REC_TRANSACTIONAL : 0,
                       .size = RECORD_BATCH_OVERHEAD +
                               record_size_in_batch(0, 0, rec.key, rec.value) };
    int64_t base = plog_append(&p->l, &rec, 1, &m);
    if (pid >= 0)
        pstate_update(&p->ps, &p->l.batches[p->l.n_batches - 1]);
    p->l.hw = p->l.leo;
    lso(p);
    return base;
}

/* `n` records of producer `pid` (transactional or not); returns the base offset. */
static int64_t data(part_t *p, int64_t pid, int16_t epoch, int32_t seq, int32_t n, bool txn)
{
    log_input_t recs[8];
    for (int32_t i = 0; i < n; i++)
        recs[i] = (log_input_t){ 1000 + i, { "k", 1 }, { "v", 1 } };
    log_append_t m = { .producer_id = pid, .producer_epoch = epoch, .base_sequence = seq,
                       .flags = txn ? LOG_REC_TRANSACTIONAL : 0, .size = 80 };
    int64_t base = plog_append(&p->l, recs, n, &m);
    pstate_update(&p->ps, &p->l.batches[p->l.n_batches - 1]);
    lso(p);
    return base;
}

/* A marker, appended as a leader does after its checks; returns its offset. */
static int64_t marker(part_t *p, int64_t pid, int16_t epoch, bool commit, int32_t coord)
{
    char key[CONTROL_KEY_SIZE], value[CONTROL_VALUE_SIZE];
    int type = commit ? CONTROL_COMMIT : CONTROL_ABORT;
    control_marker_key((int16_t)type, key);
    control_marker_value(coord, value);
    log_input_t rec = { 2000, { key, CONTROL_KEY_SIZE }, { value, CONTROL_VALUE_SIZE } };
    log_append_t m = { .producer_id = pid, .producer_epoch = epoch, .base_sequence = -1,
                       .flags = LOG_REC_CONTROL | LOG_REC_TRANSACTIONAL,
                       .size = RECORD_BATCH_OVERHEAD +
                               record_size_in_batch(0, 0, rec.key, rec.value) };
    int64_t off = plog_append(&p->l, &rec, 1, &m);
    pstate_update_marker(&p->ps, &p->l.batches[p->l.n_batches - 1], type, coord);
    lso(p);
    return off;
}

static void test_open_and_commit(void)
{
    part_t p;
    part_init(&p);
    data(&p, P1, 0, 0, 2, false);
    set_hw(&p, 2);
    is_int(lso(&p), 2, "without transactions the LSO is the HW");
    int64_t first = data(&p, P1, 0, 2, 3, true);
    is_int(first, 2, "the transaction's first batch lands at offset 2");
    is_int(pstate_find(&p.ps, P1)->txn_first_offset, 2, "the producer's open transaction starts there");
    is_int(pstate_first_unstable(&p.ps), 2, "the first unstable offset is the transaction's first offset");
    set_hw(&p, 5);
    is_int(lso(&p), 2, "the HW passes the open transaction's records; the LSO stays at 2");
    data(&p, P1, 0, 5, 1, true);
    is_int(p.ps.n_ongoing, 1, "a second batch of the same transaction opens nothing new");
    int64_t m = marker(&p, P1, 0, true, 0);
    is_int(m, 6, "the COMMIT marker is at offset 6");
    is_int(p.ps.n_ongoing, 0, "the marker closes the transaction");
    is_int(p.ps.n_unreplicated, 1, "which waits as unreplicated until the HW passes its marker");
    is_int(pstate_find(&p.ps, P1)->txn_first_offset, -1, "the producer has no open transaction");
    set_hw(&p, 6);
    is_int(lso(&p), 2, "with the HW at the marker the LSO still stays at 2");
    set_hw(&p, 7);
    is_int(lso(&p), 7, "once the HW passes the marker the LSO jumps to the HW (7)");
    is_int(p.ps.n_aborted, 0, "a commit adds nothing to the aborted index");
    part_free(&p);
}

static void test_interleaved_abort(void)
{
    part_t p;
    part_init(&p);
    data(&p, P1, 0, 0, 2, true);  /* 0..1 */
    data(&p, P2, 0, 0, 2, true);  /* 2..3 */
    data(&p, P1, 0, 2, 1, true);  /* 4 */
    set_hw(&p, 5);
    is_int(lso(&p), 0, "two open transactions: the LSO is the earliest first offset (0)");
    int64_t abort_at = marker(&p, P2, 0, false, 3); /* 5 */
    is_int(p.ps.n_aborted, 1, "the ABORT enters the aborted index");
    const pstate_aborted_t *a = &p.ps.aborted[0];
    ok(a->producer_id == P2 && a->first_offset == 2 && a->last_offset == abort_at,
       "the entry holds producer 2000, first offset 2 and the marker's offset 5");
    is_int(a->last_stable_offset, 0,
           "its last stable offset is producer 1000's open transaction (0)");
    int64_t commit_at = marker(&p, P1, 0, true, 3); /* 6 */
    set_hw(&p, commit_at);
    is_int(lso(&p), 0, "the commit is not replicated yet: the LSO stays at 0");
    set_hw(&p, commit_at + 1);
    is_int(lso(&p), 7, "both markers below the HW: the LSO reaches the HW");
    data(&p, P2, 0, 2, 1, true); /* 7 */
    marker(&p, P2, 0, false, 3); /* 8 */
    is_int(p.ps.aborted[1].last_stable_offset, 9,
           "an abort with no other open transaction has the LSO just past its marker");

    pstate_aborted_t got[4];
    size_t n = pstate_collect_aborted(&p.ps, 0, 10, got, 4);
    ok(n == 2 && got[0].first_offset == 2 && got[1].first_offset == 7,
       "a fetch of 0..9 gets both aborted transactions, in marker order");
    n = pstate_collect_aborted(&p.ps, 6, 10, got, 4);
    ok(n == 1 && got[0].first_offset == 7,
       "a fetch from offset 6 skips the transaction whose marker (5) is before it");
    n = pstate_collect_aborted(&p.ps, 0, 2, got, 4);
    is_int(n, 0, "a fetch of 0..1 overlaps no aborted transaction (the first starts at 2)");
    n = pstate_collect_aborted(&p.ps, 0, 7, got, 4);
    ok(n == 1 && got[0].producer_id == P2 && got[0].first_offset == 2,
       "a fetch of 0..6 gets only the first (the second starts at 7)");
    part_free(&p);
}

static void test_marker_checks(void)
{
    part_t p;
    part_init(&p);
    data(&p, P1, 1, 0, 1, true);
    pstate_check_t c = pstate_check_marker(&p.ps, P1, 0, 5);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_INVALID_PRODUCER_EPOCH,
       "a marker with an older producer epoch is INVALID_PRODUCER_EPOCH");
    c = pstate_check_marker(&p.ps, P1, 1, 5);
    ok(c.verdict == PSTATE_APPEND, "a marker with the transaction's epoch is accepted");
    marker(&p, P1, 1, true, 5);
    is_int(pstate_find(&p.ps, P1)->coordinator_epoch, 5, "the producer remembers coordinator epoch 5");
    c = pstate_check_marker(&p.ps, P1, 1, 4);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_TRANSACTION_COORDINATOR_FENCED,
       "a marker from an older coordinator epoch (4 < 5) is TRANSACTION_COORDINATOR_FENCED");
    is_int(c.coordinator_epoch, 5, "the check reports the known coordinator epoch");
    c = pstate_check_marker(&p.ps, P2, 0, 0);
    ok(c.verdict == PSTATE_APPEND, "a marker for a producer without state is accepted");

    /* A fencing bump: the coordinator aborts with the bumped epoch. */
    data(&p, P1, 1, 1, 1, true);
    c = pstate_check_marker(&p.ps, P1, 2, 6);
    ok(c.verdict == PSTATE_APPEND, "an ABORT with a bumped epoch (2) is accepted");
    marker(&p, P1, 2, false, 6);
    const pstate_entry_t *e = pstate_find(&p.ps, P1);
    ok(e->epoch == 2 && e->n == 0, "the producer takes epoch 2 and forgets its old batches");
    ok(pstate_check_sequence(&p.ps, P1, 1, 2, 2).error == KERR_INVALID_PRODUCER_EPOCH,
       "the fenced producer's next batch (epoch 1) is refused");
    is_int(pstate_check_epoch(&p.ps, P1, 1), KERR_INVALID_PRODUCER_EPOCH,
           "so is a coordinator's append for it (a zombie's TxnOffsetCommit at epoch 1)");
    ok(pstate_check_epoch(&p.ps, P1, 2) == KERR_NONE && pstate_check_epoch(&p.ps, P1, 3) == 0 &&
       pstate_check_epoch(&p.ps, 99, 0) == KERR_NONE,
       "the current epoch, a newer one and an unknown producer pass the epoch check");

    /* An empty transaction: a marker without data. */
    set_hw(&p, p.l.leo);
    size_t aborted = p.ps.n_aborted;
    marker(&p, P2, 0, false, 6);
    ok(p.ps.n_aborted == aborted && p.ps.n_unreplicated == 0 && p.ps.n_ongoing == 0,
       "a marker closing no data adds no index entry and holds no LSO");
    part_free(&p);
}

static void test_txn_state(void)
{
    part_t p;
    part_init(&p);
    data(&p, P1, 0, 0, 1, true);
    is_int(pstate_check_txn(&p.ps, P1, false), KERR_INVALID_TXN_STATE,
           "a non-transactional batch while the transaction is open is INVALID_TXN_STATE");
    is_int(pstate_check_txn(&p.ps, P1, true), KERR_NONE, "a transactional one is fine");
    is_int(pstate_check_txn(&p.ps, P2, false), KERR_NONE, "another producer is not concerned");
    marker(&p, P1, 0, true, 0);
    is_int(pstate_check_txn(&p.ps, P1, false), KERR_NONE,
           "after the marker the producer may write outside a transaction");
    part_free(&p);
}

static void test_rebuild(void)
{
    part_t p;
    part_init(&p);
    data(&p, P1, 0, 0, 2, true);        /* 0..1 */
    data(&p, P2, 0, 0, 1, true);        /* 2 */
    int64_t m1 = marker(&p, P1, 0, false, 1); /* 3 */
    data(&p, P1, 0, 2, 1, true);        /* 4 */
    int64_t m2 = marker(&p, P2, 0, true, 1);  /* 5 */
    set_hw(&p, 6);
    is_int(lso(&p), 4, "before: producer 1000's second transaction (4) holds the LSO");
    pstate_t fresh;
    pstate_init(&fresh);
    pstate_rebuild(&fresh, &p.l);
    ok(fresh.n_ongoing == 1 && fresh.ongoing[0].first_offset == 4 && fresh.n_unreplicated == 0,
       "rebuilt from the log: the same open transaction, nothing unreplicated below the HW");
    ok(fresh.n_aborted == 1 && fresh.aborted[0].first_offset == 0 &&
           fresh.aborted[0].last_offset == m1 && fresh.aborted[0].last_stable_offset == 2,
       "and the same aborted index entry (0..3, LSO 2)");
    is_int(pstate_find(&fresh, P1)->coordinator_epoch, 1, "and the coordinator epoch");
    pstate_free(&fresh);

    plog_truncate(&p.l, m2);
    pstate_rebuild(&p.ps, &p.l);
    is_int(lso(&p), 2, "truncated below producer 2000's COMMIT: its transaction is open again");
    plog_truncate(&p.l, m1);
    pstate_rebuild(&p.ps, &p.l);
    ok(p.ps.n_aborted == 0 && p.ps.n_ongoing == 2,
       "truncated below the ABORT: no index entry, both transactions open");
    is_int(lso(&p), 0, "and the LSO back at 0");
    part_free(&p);
}

static void test_expiry_and_log_start(void)
{
    part_t p;
    part_init(&p);
    data(&p, P1, 0, 0, 1, true);
    data(&p, P2, 0, 0, 1, false);
    is_int(pstate_expire(&p.ps, 1000000000, 1000), 1,
           "expiry forgets the idle producer without a transaction");
    ok(pstate_find(&p.ps, P1) != NULL, "but keeps the one with an open transaction");
    marker(&p, P1, 0, false, 0); /* 2 */
    data(&p, P1, 0, 1, 1, true); /* 3 */
    marker(&p, P1, 0, false, 0); /* 4 */
    is_int(p.ps.n_aborted, 2, "two aborted transactions in the index");
    set_hw(&p, 5);
    plog_raise_log_start(&p.l, 3);
    lso(&p);
    ok(p.ps.n_aborted == 1 && p.ps.aborted[0].first_offset == 3,
       "with the log start at 3 the entry whose marker (2) is gone leaves the index");
    pstate_forget_aborted(&p.ps, 4);
    is_int(p.ps.n_aborted, 0, "the cleaner can drop an entry by its marker offset");
    part_free(&p);
}

/* The offsets left in the log, as "0 3 4 ..." */
static const char *offsets(const plog_t *l)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < l->n && n < sizeof buf - 24; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", i ? " " : "",
                              (long long)l->recs[i].offset);
    return buf;
}

static void fillers(part_t *p, int n)
{
    static const char *const keys[] = { "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7",
                                        "x8", "x9", "y0", "y1", "y2", "y3", "y4", "y5" };
    for (int i = 0; i < n; i++)
        kv(p, -1, keys[p->l.leo % 16], "f", false);
}

/* A cleaning pass whatever the dirty ratio (the tests choose when). */
static bool clean(part_t *p, offset_map_t *m, int64_t now)
{
    clean_range_t r;
    clean_result_t res;
    lso(p);
    cleaner_range(&p->l, now, &r);
    bool done = cleaner_clean(&p->l, m, &r, &p->ps, now, &res);
    clean_result_free(&res);
    return done;
}

static void test_cleaner(void)
{
    part_t p;
    part_init(&p);
    log_config_t cfg = log_config_default();
    cfg.compact = true;
    cfg.delete = false;
    cfg.segment_bytes = 220; /* three single-record batches a segment */
    cfg.delete_retention_us = 1000 * 1000;
    plog_configure(&p.l, &cfg);
    kv(&p, P1, "a", "1", true);  /* 0 */
    kv(&p, P2, "a", "2", true);  /* 1 */
    kv(&p, P2, "c", "3", true);  /* 2 */
    marker(&p, P2, 0, false, 0); /* 3 */
    kv(&p, P1, "b", "4", true);  /* 4 */
    marker(&p, P1, 0, true, 0);  /* 5 */
    fillers(&p, 8);              /* 6..13 */
    kv(&p, P2, "z", "9", true);  /* 14 */
    marker(&p, P2, 0, true, 0);  /* 15 */
    fillers(&p, 6);              /* 16..21 */
    p.l.hw = p.l.leo;
    offset_map_t *m = omap_new(1000);
    ok(clean(&p, m, 1000), "the first pass cleans");
    is_str(offsets(&p.l), "0 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
           "the aborted records (1, 2) are gone, a=1 at 0 stays: the aborted a=2 was not mapped");
    is_int(p.ps.n_aborted, 1, "the ABORT marker (3) had its batches in this pass: it stays indexed");
    fillers(&p, 3);
    p.l.hw = p.l.leo;
    ok(clean(&p, m, 2000), "a second pass");
    ok(strncmp(offsets(&p.l), "0 3 4 5", 7) == 0,
       "the ABORT marker stays: its delete horizon starts now");
    is_int(p.ps.n_aborted, 0, "but no batch of its transaction is left: the index forgets it");
    ok(p.l.batches[plog_find_batch(&p.l, 3)].delete_horizon == 2000 + 1000 * 1000,
       "its horizon is delete.retention.ms after this pass");
    fillers(&p, 3);
    p.l.hw = p.l.leo;
    ok(clean(&p, m, 2000 + 1000 * 1000), "a pass at the horizon");
    ok(strncmp(offsets(&p.l), "0 4 5", 5) == 0,
       "the ABORT marker is gone; the COMMIT (5) stays while a=1 and b=4 of its transaction do");
    omap_free(m);

    /* An open transaction bounds the cleanable range. */
    kv(&p, P3, "o", "1", true);
    fillers(&p, 9);
    p.l.hw = p.l.leo;
    int64_t open_at = p.ps.ongoing[0].first_offset;
    clean_range_t r;
    cleaner_range(&p.l, 10000000, &r);
    ok(plog_lso(&p.l) == open_at && r.first_uncleanable <= open_at,
       "the first uncleanable offset is at or below the open transaction's first offset");
    part_free(&p);
}

int main(void)
{
    test_open_and_commit();
    test_interleaved_abort();
    test_marker_checks();
    test_txn_state();
    test_rebuild();
    test_expiry_and_log_start();
    test_cleaner();
    return tap_done();
}
