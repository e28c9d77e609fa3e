/* A randomized test of transactions on one partition over many seeds: three transactional
 * producers (raw requests from the test node) interleave batches, commit or abort at
 * random, among plain records, on a partition with three replicas; a read_committed
 * consumer polls now and then. Whatever the interleaving, a read_committed consumer never
 * returns a record of an aborted or open transaction nor a marker, and reading the whole
 * partition with small fetches (so that aborted transactions straddle fetch boundaries)
 * returns exactly the committed and plain records, in offset order; a read_uncommitted
 * consumer returns every data record. SEEDS=N sweeps more seeds (the default is 40). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/rng.h"
#include "tests/unit/tap.h"
#include "tests/unit/txn_fixture.h"

#define PRODUCERS 3
#define STEPS 40
#define MAX_RECS 200

enum fate { OPEN, COMMITTED, ABORTED, PLAIN };

typedef struct rec {
    char key[8];
    int owner;        /* producer index, -1: plain */
    int txn;          /* the owner's transaction number */
    enum fate fate;
} rec_t;

typedef struct model {
    rec_t recs[MAX_RECS];   /* by offset order of writing */
    int n;
    int32_t seq[PRODUCERS];
    int txn[PRODUCERS];     /* current transaction number */
    bool open[PRODUCERS];
} model_t;

static void end_txn(env_t *e, model_t *m, int p, bool commit)
{
    entry_spec_t spec[] = { { 100 + p, 0, commit, 0, TOPIC } };
    markers(e, spec, 1);
    for (int i = 0; i < m->n; i++)
        if (m->recs[i].owner == p && m->recs[i].txn == m->txn[p])
            m->recs[i].fate = commit ? COMMITTED : ABORTED;
    m->open[p] = false;
    m->txn[p]++;
}

static bool write_batch(env_t *e, model_t *m, int p, int n)
{
    if (m->n + n > MAX_RECS)
        return false;
    int first = m->n;
    int16_t err = p < 0 ? produce(e, -1, -1, -1, false, first, n)
                        : produce(e, 100 + p, 0, m->seq[p], true, first, n);
    if (err != KERR_NONE)
        return false;
    for (int i = 0; i < n; i++) {
        rec_t *r = &m->recs[m->n++];
        snprintf(r->key, sizeof r->key, "k%d", first + i);
        r->owner = p;
        r->txn = p < 0 ? 0 : m->txn[p];
        r->fate = p < 0 ? PLAIN : OPEN;
    }
    if (p >= 0) {
        m->seq[p] += n;
        m->open[p] = true;
    }
    return true;
}

static const rec_t *find(const model_t *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->recs[i].key, key) == 0)
            return &m->recs[i];
    return NULL;
}

/* The keys of a fate filter, in the order written (= offset order), as "k0 k3 ...". */
static const char *expected(const model_t *m, bool committed_only)
{
    static char buf[MAX_RECS * 8];
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < m->n; i++) {
        enum fate f = m->recs[i].fate;
        if (committed_only && f != COMMITTED && f != PLAIN)
            continue;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? " " : "",
                                m->recs[i].key);
    }
    return buf;
}

/* Polls until `k` reaches the log end (or a bound of polls); returns the keys. */
static const char *read_all(env_t *e, consumer_t *k, polled_t *got)
{
    const char *keys = "";
    for (int i = 0; i < 200 && consumer_position(k, TOPIC, 0) < fixture_log(&e->f, 0)->leo; i++)
        keys = poll_keys(e, k, got);
    return keys;
}

static bool run_seed(uint64_t seed, int *aborted_txns)
{
    env_t *e = env_new_seeded(seed, NULL);
    model_t m;
    memset(&m, 0, sizeof m);
    rng_t rng;
    rng_stream(&rng, seed, "test");
    consumer_t *peek = consumer(e, "peek", "read_committed");
    polled_t peeked = { 0 };
    bool ok_peek = true;
    for (int step = 0; step < STEPS; step++) {
        int p = (int)rng_range(&rng, -1, PRODUCERS - 1);
        if (p >= 0 && m.open[p] && rng_unit(&rng) < 0.35) {
            bool commit = rng_unit(&rng) < 0.5;
            *aborted_txns += !commit;
            end_txn(e, &m, p, commit);
        } else {
            write_batch(e, &m, p, (int)rng_range(&rng, 1, 3));
        }
        if (rng_unit(&rng) < 0.15) {
            size_t before = peeked.n;
            poll_keys(e, peek, &peeked);
            /* What a read_committed poll returns mid-run is committed (or plain) already. */
            for (size_t i = before; i < peeked.n; i++) {
                const rec_t *r = find(&m, peeked.keys[i]);
                ok_peek &= r && (r->fate == COMMITTED || r->fate == PLAIN);
            }
        }
    }
    for (int p = 0; p < PRODUCERS; p++)
        if (m.open[p]) {
            bool commit = rng_unit(&rng) < 0.5;
            *aborted_txns += !commit;
            end_txn(e, &m, p, commit);
        }
    consumer_t *rc = consumer_with(e, "rc", "read_committed", "150");
    consumer_t *ru = consumer_with(e, "ru", "read_uncommitted", "150");
    polled_t got_rc = { 0 }, got_ru = { 0 };
    char want_rc[MAX_RECS * 8], want_ru[MAX_RECS * 8], have_rc[MAX_RECS * 8];
    snprintf(want_rc, sizeof want_rc, "%s", expected(&m, true));
    snprintf(want_ru, sizeof want_ru, "%s", expected(&m, false));
    snprintf(have_rc, sizeof have_rc, "%s", read_all(e, rc, &got_rc));
    const char *have_ru = read_all(e, ru, &got_ru);
    bool good = ok_peek && strcmp(have_rc, want_rc) == 0 && strcmp(have_ru, want_ru) == 0;
    if (!good) {
        tap_diag("seed %llu: peek ok %d", (unsigned long long)seed, ok_peek);
        tap_diag("  read_committed   %s", have_rc);
        tap_diag("  expected         %s", want_rc);
        tap_diag("  read_uncommitted %s", have_ru);
        tap_diag("  expected         %s", want_ru);
    }
    env_free(e);
    return good;
}

int main(void)
{
    unsigned seeds = tap_seeds(40);
    unsigned bad = 0;
    int aborted = 0;
    for (unsigned s = 1; s <= seeds; s++)
        bad += !run_seed(s, &aborted);
    ok(bad == 0, "over %u seeds, read_committed returns exactly the committed and plain records "
                 "in offset order, and read_uncommitted every data record (%u failed)",
       seeds, bad);
    ok(aborted > (int)seeds, "the seeds aborted transactions (%d of them)", aborted);
    return tap_done();
}
