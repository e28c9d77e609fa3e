/* eos_check: the application's transaction step shared by the randomized exactly-once
 * tests (test_eos_random, test_eos_group_random), what they check at the end of a run, and
 * their trace dump. The application writes "out-N" for input N to an output topic inside transactions; these read back what
 * a read_committed reader must see (from the leaders' logs), what a real read_committed
 * consumer sees, the group's committed offsets and the coordinators' last states.
 * Include after tap.h and kafka_fixture.h. */
#ifndef KSIM_EOS_CHECK_H
#define KSIM_EOS_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/consumer.h"
#include "sim/client/producer.h"
#include "sim/kafka/cluster.h"

#define EOS_CAP 512       /* records per output partition, aborted ones included */
#define EOS_MAX_PIDS 16   /* producer ids writing one output partition */
#define EOS_MAX_PARTS 4   /* output partitions */

/* Input indexes in the order a reader returns them from one output partition. */
typedef struct eos_visible {
    int v[EOS_CAP];
    int n;
} eos_visible_t;

/* A producer made from configs kv; one the cluster refuses is a broken test: it aborts. */
static inline producer_t *eos_producer(fixture_t *f, const char *name, const char *const *kv)
{
    config_t pc;
    config_init(&pc, &producer_config_schema);
    fixture_config(&pc, kv);
    producer_t *p = cluster_producer(f->c, name, &pc, f->err, sizeof f->err);
    config_free(&pc);
    if (!p) {
        tap_diag("no producer: %s", f->err);
        abort();
    }
    return p;
}

#define EOS_MAX_IN_PARTS 8 /* input partitions */

/* The application's work on one poll's records: begin a transaction, write "out-<value>"
 * (same key) to topic "out" for every record, and hand the consumer's next offsets of the
 * `in_parts` partitions of "in", with its group metadata, to the transaction; `done` gets
 * send_offsets_to_transaction's outcome (maybe before this returns). False when a step
 * failed at once (begin, a send, no group metadata). */
static inline bool eos_transform(world_t *w, producer_t *p, consumer_t *k,
                                 const consumer_record_t *recs, size_t n, int32_t in_parts,
                                 producer_txn_fn done, void *ctx)
{
    char msg[256];
    if (producer_begin_transaction(p, msg, sizeof msg) != KERR_NONE)
        return false;
    int64_t next[EOS_MAX_IN_PARTS];
    for (int32_t i = 0; i < in_parts; i++)
        next[i] = -1;
    for (size_t i = 0; i < n; i++) {
        char value[32];
        snprintf(value, sizeof value, "out-%.*s", (int)recs[i].value.len, recs[i].value.p);
        if (producer_send(p, "out", -1, recs[i].key, str(value), -1, msg, sizeof msg) < 0)
            return false;
        next[recs[i].partition] = recs[i].offset + 1;
    }
    producer_offset_t offs[EOS_MAX_IN_PARTS];
    int32_t n_offs = 0;
    const char *in = world_intern(w, "in");
    for (int32_t i = 0; i < in_parts; i++)
        if (next[i] >= 0)
            offs[n_offs++] = (producer_offset_t){ in, i, next[i] };
    consumer_group_metadata_t cg;
    if (!consumer_group_metadata(k, &cg))
        return false;
    producer_group_meta_t gm = { cg.group_id, cg.member_id, cg.instance_id, cg.generation };
    producer_send_offsets_to_transaction(p, offs, n_offs, &gm, done, ctx);
    return true;
}

/* The input index of an output value "out-N" (N < records), or -1. */
static inline int eos_out_index(bytes_t v, int records)
{
    if (v.len < 5 || v.len > 8 || memcmp(v.p, "out-", 4) != 0)
        return -1;
    int n = 0;
    for (int32_t i = 4; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        n = n * 10 + (v.p[i] - '0');
    }
    return n < records ? n : -1;
}

/* One producer's open transaction on a partition: the indexes (in the log's records) of
 * its records so far. */
typedef struct eos_open_txn {
    int64_t pid;
    size_t rec[EOS_CAP];
    int n;
} eos_open_txn_t;

static inline eos_open_txn_t *eos_open_for(eos_open_txn_t *o, int *n_o, int64_t pid)
{
    for (int i = 0; i < *n_o; i++)
        if (o[i].pid == pid)
            return &o[i];
    if (*n_o == EOS_MAX_PIDS)
        return NULL;
    o[*n_o] = (eos_open_txn_t){ .pid = pid };
    return &o[(*n_o)++];
}

/* What a read_committed reader must return from partition p of `topic`, read from the
 * leader's log: the data of committed transactions in offset order (transactions of
 * several producers interleave: the order is the log's, not the commits'). Every batch
 * must be transactional and every transaction ended; *aborted counts the records of
 * aborted ones. False with why otherwise. */
static inline bool eos_committed_view(cluster_t *c, const char *topic, int32_t p, int records,
                                      eos_visible_t *out, int64_t *aborted, char *why,
                                      size_t wn)
{
    char err[200];
    const plog_t *l = cluster_log(c, topic, p, err, sizeof err);
    if (!l) {
        snprintf(why, wn, "%s-%d: %s", topic, p, err);
        return false;
    }
    out->n = 0;
    eos_open_txn_t *open = calloc(EOS_MAX_PIDS, sizeof *open);
    bool *committed = calloc(l->n + 1, sizeof *committed);
    if (!open || !committed)
        abort();
    int n_open = 0;
    bool good = true;
    for (size_t b = 0; good && b < l->n_batches; b++) {
        const log_batch_t *bt = &l->batches[b];
        eos_open_txn_t *o = eos_open_for(open, &n_open, bt->producer_id);
        if (!(bt->flags & LOG_REC_TRANSACTIONAL)) {
            snprintf(why, wn, "%s-%d: a batch at %lld is not transactional", topic, p,
                     (long long)bt->base_offset);
            good = false;
        } else if (!o) {
            snprintf(why, wn, "%s-%d: more than %d producer ids", topic, p, EOS_MAX_PIDS);
            good = false;
        } else if (bt->flags & LOG_REC_CONTROL) {
            int type = bt->n ? control_marker_type(l->recs[bt->first].key) : -1;
            for (int i = 0; i < o->n; i++)
                committed[o->rec[i]] = type == CONTROL_COMMIT;
            if (type != CONTROL_COMMIT)
                *aborted += o->n;
            o->n = 0;
        }
        for (int32_t i = 0; good && !(bt->flags & LOG_REC_CONTROL) && i < bt->n; i++) {
            size_t at = bt->first + (size_t)i;
            if (eos_out_index(l->recs[at].value, records) < 0 || o->n == EOS_CAP) {
                snprintf(why, wn, "%s-%d: an unexpected record at %lld", topic, p,
                         (long long)l->recs[at].offset);
                good = false;
            } else {
                o->rec[o->n++] = at;
            }
        }
    }
    for (int i = 0; good && i < n_open; i++)
        if (open[i].n) {
            snprintf(why, wn, "%s-%d: producer %lld's transaction is still open at the end",
                     topic, p, (long long)open[i].pid);
            good = false;
        }
    for (size_t i = 0; good && i < l->n; i++)
        if (committed[i] && out->n < EOS_CAP)
            out->v[out->n++] = eos_out_index(l->recs[i].value, records);
    free(committed);
    free(open);
    return good;
}

typedef struct eos_reader {
    eos_visible_t got[EOS_MAX_PARTS];
    int want, records;
    bool error;
} eos_reader_t;

static inline bool eos_reader_done(void *ctx)
{
    const eos_reader_t *rd = ctx;
    int n = 0;
    for (int i = 0; i < EOS_MAX_PARTS; i++)
        n += rd->got[i].n;
    return rd->error || n >= rd->want;
}

static inline void eos_reader_poll(void *ctx, consumer_t *k, const consumer_record_t *recs,
                                   size_t n, int16_t error, const char *what)
{
    eos_reader_t *rd = ctx;
    (void)what;
    if (error != KERR_NONE) {
        rd->error = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        eos_visible_t *v = &rd->got[recs[i].partition];
        if (v->n < EOS_CAP)
            v->v[v->n++] = eos_out_index(recs[i].value, rd->records);
    }
    if (!eos_reader_done(rd))
        consumer_poll(k, 50 * US_PER_MS, eos_reader_poll, rd);
}

/* A real read_committed consumer of `topic`'s `parts` partitions returns exactly `want`
 * (per partition, in offset order, so never a record of an aborted transaction), within
 * 60 s. */
static inline bool eos_reader_check(fixture_t *f, const char *topic, int32_t parts,
                                    int records, const eos_visible_t *want, char *why,
                                    size_t wn)
{
    const char *kv[] = { "isolation.level", "read_committed", "auto.offset.reset", "earliest",
                         NULL };
    consumer_t *k = fixture_consumer(f, "reader", kv);
    const char *t = world_intern(f->w, topic);
    topic_partition_t tps[EOS_MAX_PARTS];
    eos_reader_t *rd = calloc(1, sizeof *rd);
    if (!rd || parts > EOS_MAX_PARTS)
        abort();
    rd->records = records;
    for (int32_t p = 0; p < parts; p++) {
        tps[p] = (topic_partition_t){ t, p };
        rd->want += want[p].n;
    }
    consumer_assign(k, tps, (size_t)parts);
    consumer_poll(k, 50 * US_PER_MS, eos_reader_poll, rd);
    world_run(f->w, f->w->now + 60 * US_PER_S, eos_reader_done, rd);
    bool ok = !rd->error;
    int32_t bad = 0;
    for (int32_t p = 0; ok && p < parts; p++) {
        bad = p;
        ok = rd->got[p].n == want[p].n &&
             memcmp(rd->got[p].v, want[p].v, (size_t)want[p].n * sizeof(int)) == 0;
    }
    if (!ok)
        snprintf(why, wn, "a read_committed consumer read something else than the committed "
                 "data (%s-%d: %d records, %d committed)%s", topic, bad, rd->got[bad].n,
                 want[bad].n, rd->error ? ", and its poll failed" : "");
    free(rd);
    return ok;
}

/* The output as a whole: reading `topic` as read_committed does, every input 0..records-1
 * is there exactly once (expect NULL), or as many times as expect[input] says, and a real
 * read_committed consumer returns exactly that. */
static inline bool eos_check_output(fixture_t *f, const char *topic, int32_t parts,
                                    int records, const int *expect, int64_t *aborted,
                                    char *why, size_t wn)
{
    eos_visible_t *want = calloc(EOS_MAX_PARTS, sizeof *want);
    int *copies = calloc((size_t)records, sizeof *copies);
    if (!want || !copies || parts > EOS_MAX_PARTS)
        abort();
    bool ok = true;
    for (int32_t p = 0; ok && p < parts; p++) {
        ok = eos_committed_view(f->c, topic, p, records, &want[p], aborted, why, wn);
        for (int i = 0; ok && i < want[p].n; i++)
            copies[want[p].v[i]]++;
    }
    for (int i = 0; ok && i < records; i++)
        if (copies[i] != (expect ? expect[i] : 1)) {
            snprintf(why, wn, "input %d is in the committed output %d times, in the input %d",
                     i, copies[i], expect ? expect[i] : 1);
            ok = false;
        }
    ok = ok && eos_reader_check(f, topic, parts, records, want, why, wn);
    free(copies);
    free(want);
    return ok;
}

/* The group's committed offsets are the ends of `topic`'s partitions, and these hold
 * `total` records (-1: any number). */
static inline bool eos_offsets_at_end(cluster_t *c, const char *group, const char *topic,
                                      int32_t parts, int64_t total)
{
    char err[200];
    cJSON *g = cluster_describe_group(c, group, err, sizeof err);
    if (!g)
        return false;
    int at_end = 0;
    int64_t sum = 0;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(g, "partitions"), *it;
    cJSON_ArrayForEach(it, rows) {
        const plog_t *l = cluster_log(c, topic, (int32_t)trace_int(it, "partition", -1), err,
                                      sizeof err);
        at_end += l && trace_int(it, "committed", -1) == l->leo;
        sum += l ? l->leo : 0;
    }
    cJSON_Delete(g);
    return at_end == parts && (total < 0 || sum == total);
}

/* The coordinator has completed the transactional id's last transaction. */
static inline bool eos_txn_complete(cluster_t *c, const char *tid)
{
    char err[200];
    cJSON *d = cluster_describe_transactions(c, tid, err, sizeof err);
    const char *state = d ? trace_str(d, "state") : NULL;
    bool done = state && (strcmp(state, "CompleteCommit") == 0 ||
                          strcmp(state, "CompleteAbort") == 0 || strcmp(state, "Empty") == 0);
    cJSON_Delete(d);
    return done;
}

/* ---- broker faults ---- */

static inline void eos_isolate_cb(void *a, void *b, int64_t arg)
{
    (void)arg;
    fixture_isolate(a, ((node_t *)b)->id);
}

static inline void eos_heal_cb(void *a, void *b, int64_t arg)
{
    (void)b;
    (void)arg;
    net_heal(((world_t *)a)->net, 0);
}

/* Up to two broker faults one after the other from 1 s on: a broker crashes, or is cut off
 * from every other node, for 1 to 8 s. */
static inline void eos_broker_faults(fixture_t *f, rng_t *rng, int brokers)
{
    int n = (int)rng_range(rng, 0, 2);
    int64_t t = 1000 * US_PER_MS;
    for (int i = 0; i < n; i++) {
        node_t *victim = cluster_broker(f->c, (int)rng_range(rng, 1, brokers));
        t += rng_range(rng, 0, 6000) * US_PER_MS;
        int64_t back = t + rng_range(rng, 1000, 8000) * US_PER_MS;
        bool isolate = rng_range(rng, 0, 2) == 0;
        world_schedule(f->w, t, isolate ? eos_isolate_cb : fixture_crash_cb, f->w, victim, 0);
        world_schedule(f->w, back, isolate ? eos_heal_cb : fixture_restart_cb, f->w, victim, 0);
        t = back;
    }
}

/* The faults are over: the network heals and every broker is up. */
static inline void eos_faults_end(fixture_t *f, int brokers)
{
    net_heal(f->w->net, 0);
    for (int i = 1; i <= brokers; i++)
        fixture_restart_cb(f->w, cluster_broker(f->c, i), 0);
}

/* TRACE_SEED=N TRACE_OUT=file writes seed N's trace, for `ksim view` or
 * `ksim export file --text`. */
static inline void eos_dump_trace(const fixture_t *f, uint64_t seed, const char *scenario)
{
    const char *ts = getenv("TRACE_SEED"), *to = getenv("TRACE_OUT");
    FILE *tf = ts && to && strtoull(ts, NULL, 10) == seed ? fopen(to, "w") : NULL;
    if (!tf)
        return;
    fprintf(tf, "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"%llu\","
            "\"scenario\":\"%s\",\"time_unit\":\"us\"}\n", (unsigned long long)seed, scenario);
    for (size_t i = 0; i < f->n_ev; i++) {
        char *line = cJSON_PrintUnformatted(f->ev[i]);
        fprintf(tf, "%s\n", line);
        free(line);
    }
    fclose(tf);
}

#endif
