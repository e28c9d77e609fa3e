/* Unit tests for sim/client/consumer against the broker model: assign, seek and poll in
 * offset order, max.poll.records, auto.offset.reset (earliest, latest, none, and after
 * OFFSET_OUT_OF_RANGE), the fetch purgatory (fetch.min.bytes, fetch.max.wait.ms), positions,
 * two partitions led by two brokers, and the position after a batch whose tail a cleaner
 * removed. Records are written by a real producer; the trace is kept in memory so tests
 * can check when fetches were answered. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/client/consumer.h"
#include "sim/client/producer.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define MAX_GOT 64

typedef struct got_rec {
    int32_t partition;
    int64_t offset;
    char key[32], value[32];
    bool key_null, value_null;
} got_rec_t;

/* What one poll returned. */
typedef struct polled {
    bool done;
    int64_t at;
    int16_t error;
    char what[256];
    size_t n;
    got_rec_t recs[MAX_GOT];
} polled_t;

typedef struct env {
    fixture_t f;
    producer_t *p;
    consumer_t *k;
} env_t;

/* brokers brokers, topic "t" with `partitions` partitions, producer "p1" (acks=1, no
 * idempotence) and consumer "c1" configured by kv. */
static env_t *env_new(int brokers, int32_t partitions, const char *const *kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    fixture_init(&e->f, 7, brokers, partitions);
    config_t pc, cc;
    config_init(&pc, &producer_config_schema);
    const char *pkv[] = { "enable.idempotence", "false", "acks", "1", NULL };
    fixture_config(&pc, pkv);
    e->p = cluster_producer(e->f.c, "p1", &pc, e->f.err, sizeof e->f.err);
    config_free(&pc);
    config_init(&cc, &consumer_config_schema);
    fixture_config(&cc, kv);
    e->k = cluster_consumer(e->f.c, "c1", &cc, e->f.err, sizeof e->f.err);
    config_free(&cc);
    if (!e->p || !e->k) {
        tap_diag("client refused: %s", e->f.err);
        abort();
    }
    return e;
}

static void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

/* Sends one record (partition -1: the partitioner decides). */
static void produce(env_t *e, int32_t partition, const char *key, const char *value)
{
    char err[256];
    if (producer_send(e->p, TOPIC, partition, str(key), str(value), -1, err, sizeof err) < 0) {
        tap_diag("producer_send refused: %s", err);
        abort();
    }
}

static void run_idle(env_t *e)
{
    world_run(e->f.w, INT64_MAX, NULL, NULL);
}

static void run_to(env_t *e, int64_t t)
{
    world_run(e->f.w, t, NULL, NULL);
}

static void copy_bytes(char *dst, size_t n, bytes_t b, bool *null)
{
    *null = bytes_is_null(b);
    size_t len = b.len > 0 ? (size_t)b.len : 0;
    if (len >= n)
        len = n - 1;
    if (len)
        memcpy(dst, b.p, len);
    dst[len] = '\0';
}

static void on_poll(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                    int16_t error, const char *what)
{
    polled_t *out = ctx;
    out->done = true;
    out->at = consumer_node(c)->w->now;
    out->error = error;
    snprintf(out->what, sizeof out->what, "%s", what ? what : "");
    out->n = n;
    for (size_t i = 0; i < n && i < MAX_GOT; i++) {
        got_rec_t *g = &out->recs[i];
        g->partition = recs[i].partition;
        g->offset = recs[i].offset;
        copy_bytes(g->key, sizeof g->key, recs[i].key, &g->key_null);
        copy_bytes(g->value, sizeof g->value, recs[i].value, &g->value_null);
    }
}

static bool poll_done(void *ctx)
{
    return ((const polled_t *)ctx)->done;
}

/* Java's poll(timeout): runs the world until the poll returns. */
static void poll_sync(env_t *e, int64_t timeout_us, polled_t *out)
{
    memset(out, 0, sizeof *out);
    consumer_poll(e->k, timeout_us, on_poll, out);
    world_run(e->f.w, INT64_MAX, poll_done, out);
}

static void assign(env_t *e, int n)
{
    topic_partition_t tps[4];
    for (int i = 0; i < n; i++)
        tps[i] = (topic_partition_t){ TOPIC, i };
    consumer_assign(e->k, tps, (size_t)n);
}

static bool seek(env_t *e, int32_t partition, int64_t offset)
{
    char err[256];
    return consumer_seek(e->k, TOPIC, partition, offset, err, sizeof err);
}

/* Records k0..k(n-1) with values v0..v(n-1), in one batch, written before the test reads. */
static void produce_n(env_t *e, int32_t partition, int from, int n)
{
    char key[16], value[16];
    for (int i = from; i < from + n; i++) {
        snprintf(key, sizeof key, "k%d", i % 1000);
        snprintf(value, sizeof value, "v%d", i % 1000);
        produce(e, partition, key, value);
    }
    run_idle(e);
}

/* Records offsets first..first+n-1 with the values produce_n gave them. */
static bool recs_are(const polled_t *p, size_t from, int64_t first, size_t n)
{
    if (p->n < from + n)
        return false;
    char key[16], value[16];
    for (size_t i = 0; i < n; i++) {
        const got_rec_t *g = &p->recs[from + i];
        snprintf(key, sizeof key, "k%d", (int)((first + (int64_t)i) % 1000));
        snprintf(value, sizeof value, "v%d", (int)((first + (int64_t)i) % 1000));
        if (g->offset != first + (int64_t)i || strcmp(g->key, key) != 0 ||
            strcmp(g->value, value) != 0 || g->key_null || g->value_null)
            return false;
    }
    return true;
}

/* ---- reading the trace ---- */

/* The nth event of a kind; messages only those of the consumer c1 (brokers fetch too). */
static const cJSON *nth_msg(const env_t *e, const char *kind, const char *api, const char *dir,
                            int64_t from_t, int nth)
{
    for (size_t i = 0; i < e->f.n_ev; i++) {
        const cJSON *ev = e->f.ev[i];
        bool ours = !api || str_is(ev, "from", "c1") || str_is(ev, "to", "c1");
        if (str_is(ev, "kind", kind) && str_is(ev, "api", api) && str_is(ev, "dir", dir) &&
            ours && ev_t(ev) >= from_t && --nth == 0)
            return ev;
    }
    return NULL;
}

/* The Fetch response that answered the request event `req` (same corr, back to its sender). */
static const cJSON *answer_to(const env_t *e, const cJSON *req)
{
    for (size_t i = 0; req && i < e->f.n_ev; i++) {
        const cJSON *ev = e->f.ev[i];
        if (str_is(ev, "kind", "send") && str_is(ev, "dir", "response") &&
            str_is(ev, "api", trace_str(req, "api")) &&
            trace_int(ev, "corr", -1) == trace_int(req, "corr", -2) &&
            str_is(ev, "to", trace_str(req, "from")))
            return ev;
    }
    return NULL;
}

/* ---- tests ---- */

static void test_seek_and_poll(void)
{
    env_t *e = env_new(1, 1, NULL);
    produce_n(e, 0, 0, 3);
    produce_n(e, 0, 3, 2);
    assign(e, 1);
    is_int(consumer_position(e->k, TOPIC, 0), -1,
           "an assigned partition has no position before a seek or a poll");
    ok(seek(e, 0, 0), "seek to offset 0 of an assigned partition succeeds");
    is_int(consumer_position(e->k, TOPIC, 0), 0, "after seek(0) the position is 0");
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.done && p.error == KERR_NONE, "poll returns without error");
    is_int(p.n, 5, "poll returns all five records written in two batches");
    ok(recs_are(&p, 0, 0, 5), "records come in offset order 0..4 with their keys and values");
    ok(p.n == 5 && p.recs[0].partition == 0, "records carry their partition");
    ok(p.at < 10 * US_PER_MS, "records already in the log are returned within a few round trips");
    is_int(consumer_position(e->k, TOPIC, 0), 5, "after the poll the position is the next offset (5)");

    /* A null key and an empty value come back as they were written. */
    produce(e, 0, NULL, "");
    run_idle(e);
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.n == 1 && p.recs[0].offset == 5 && p.recs[0].key_null && !p.recs[0].value_null &&
           p.recs[0].value[0] == '\0',
       "a null key stays null and an empty value stays empty through fetch and poll");
    ok(fixture_count(&e->f, "assign") == 1 && fixture_count(&e->f, "seek") == 1,
       "assign and seek are traced");
    env_free(e);
}

static void test_seek_mid_batch(void)
{
    env_t *e = env_new(1, 1, NULL);
    produce_n(e, 0, 0, 5); /* one batch: offsets 0..4 */
    assign(e, 1);
    seek(e, 0, 3);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    is_int(p.n, 2, "seek into the middle of a batch returns only the records from that offset");
    ok(recs_are(&p, 0, 3, 2), "those records are offsets 3 and 4");
    env_free(e);
}

static void test_max_poll_records(void)
{
    const char *kv[] = { "max.poll.records", "2", NULL };
    env_t *e = env_new(1, 1, kv);
    produce_n(e, 0, 0, 5);
    assign(e, 1);
    seek(e, 0, 0);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    is_int(p.n, 2, "max.poll.records=2: the first poll returns two records");
    ok(recs_are(&p, 0, 0, 2), "max.poll.records=2: they are offsets 0 and 1");
    is_int(consumer_position(e->k, TOPIC, 0), 2,
           "max.poll.records=2: the position moves past what poll returned (2), not past what was fetched");
    int fetches = 0;
    for (size_t i = 0; i < e->f.n_ev; i++)
        fetches += str_is(e->f.ev[i], "kind", "send") && str_is(e->f.ev[i], "api", "Fetch") &&
                   str_is(e->f.ev[i], "dir", "request");
    int64_t t1 = e->f.w->now;
    poll_sync(e, 1000 * US_PER_MS, &p);
    is_int(p.n, 2, "max.poll.records=2: the second poll returns two more");
    ok(recs_are(&p, 0, 2, 2), "max.poll.records=2: the second poll continues at offset 2");
    is_int(p.at, t1, "max.poll.records=2: records already fetched are returned at once");
    int fetches_after = 0;
    for (size_t i = 0; i < e->f.n_ev; i++)
        fetches_after += str_is(e->f.ev[i], "kind", "send") && str_is(e->f.ev[i], "api", "Fetch") &&
                         str_is(e->f.ev[i], "dir", "request");
    is_int(fetches_after, fetches,
           "max.poll.records=2: while records of the partition are buffered it is not fetched again");
    poll_sync(e, 1000 * US_PER_MS, &p);
    is_int(p.n, 1, "max.poll.records=2: the third poll returns the last record");
    ok(recs_are(&p, 0, 4, 1), "max.poll.records=2: the third poll returns offset 4");
    is_int(consumer_position(e->k, TOPIC, 0), 5, "max.poll.records=2: the position ends at 5");
    const cJSON *last = NULL;
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (str_is(e->f.ev[i], "kind", "send") && str_is(e->f.ev[i], "api", "Fetch") &&
            str_is(e->f.ev[i], "dir", "request"))
            last = e->f.ev[i];
    const cJSON *parts = last ? cJSON_GetObjectItemCaseSensitive(last, "parts") : NULL;
    is_int(parts ? trace_int(cJSON_GetArrayItem(parts, 0), "offset", -1) : -1, 5,
           "max.poll.records=2: once the buffer is drained the next Fetch asks for offset 5");
    env_free(e);
}

static void test_auto_offset_reset(void)
{
    const char *earliest[] = { "auto.offset.reset", "earliest", NULL };
    env_t *e = env_new(1, 1, earliest);
    produce_n(e, 0, 0, 3);
    assign(e, 1);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    is_int(p.n, 3, "auto.offset.reset=earliest: an unpositioned partition is read from the start");
    ok(recs_are(&p, 0, 0, 3), "auto.offset.reset=earliest: the records are offsets 0..2");
    env_free(e);

    e = env_new(1, 1, NULL); /* Kafka's default: latest */
    produce_n(e, 0, 0, 3);
    assign(e, 1);
    int64_t t0 = e->f.w->now;
    poll_sync(e, 500 * US_PER_MS, &p);
    ok(p.done && p.n == 0 && p.error == KERR_NONE,
       "auto.offset.reset=latest (the default): records written before are not returned");
    is_int(p.at - t0, 500 * US_PER_MS, "auto.offset.reset=latest: the empty poll ends at its timeout");
    is_int(consumer_position(e->k, TOPIC, 0), 3,
           "auto.offset.reset=latest: the position is the log end (3)");
    produce_n(e, 0, 3, 1);
    poll_sync(e, 2000 * US_PER_MS, &p);
    is_int(p.n, 1, "auto.offset.reset=latest: a record written afterwards is returned");
    ok(recs_are(&p, 0, 3, 1), "auto.offset.reset=latest: it is the new record at offset 3");
    env_free(e);

    const char *none[] = { "auto.offset.reset", "none", NULL };
    e = env_new(1, 1, none);
    produce_n(e, 0, 0, 3);
    assign(e, 1);
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.done && p.n == 0, "auto.offset.reset=none: poll on an unpositioned partition returns no records");
    is_str(kerr_name(p.error), "NoOffsetForPartitionException",
           "auto.offset.reset=none: poll raises NoOffsetForPartitionException");
    ok(strstr(p.what, "t-0") != NULL, "auto.offset.reset=none: the message names the partition t-0");
    if (!strstr(p.what, "t-0"))
        tap_diag("message: %s", p.what);
    seek(e, 0, 1);
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.error == KERR_NONE && recs_are(&p, 0, 1, 2),
       "auto.offset.reset=none: after a seek the partition is read from there");
    env_free(e);
}

static void test_out_of_range(void)
{
    const char *kv[] = { "auto.offset.reset", "earliest", NULL };
    env_t *e = env_new(1, 1, kv);
    produce_n(e, 0, 0, 3);
    assign(e, 1);
    seek(e, 0, 10);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    const cJSON *resp = nth_msg(e, "send", "Fetch", "response", INT64_MIN, 1);
    const cJSON *parts = resp ? cJSON_GetObjectItemCaseSensitive(resp, "parts") : NULL;
    const cJSON *part = parts ? cJSON_GetArrayItem(parts, 0) : NULL;
    ok(part && str_is(part, "error", "OFFSET_OUT_OF_RANGE"),
       "a fetch past the log end is answered OFFSET_OUT_OF_RANGE");
    ok(p.error == KERR_NONE, "the consumer handles OFFSET_OUT_OF_RANGE itself (no error to poll)");
    ok(p.n == 3 && recs_are(&p, 0, 0, 3),
       "with auto.offset.reset=earliest it restarts at offset 0 and returns 0..2");
    ok(nth_msg(e, "offset_reset", NULL, NULL, INT64_MIN, 1) != NULL,
       "the reset is visible in the trace");
    is_int(consumer_position(e->k, TOPIC, 0), 3, "the position then follows the records read (3)");
    env_free(e);
}

static void test_seek_errors(void)
{
    env_t *e = env_new(1, 2, NULL);
    assign(e, 1);
    char err[256] = "";
    ok(!consumer_seek(e->k, TOPIC, 1, 0, err, sizeof err),
       "seek to a partition not assigned fails");
    ok(strstr(err, "No current assignment for partition t-1") != NULL,
       "the error says \"No current assignment for partition t-1\"");
    if (!strstr(err, "No current assignment for partition t-1"))
        tap_diag("message: %s", err);
    err[0] = '\0';
    ok(!consumer_seek_to(e->k, "other", 0, true, err, sizeof err) && err[0] != '\0',
       "seekToBeginning on a partition not assigned fails with a message");
    is_int(consumer_position(e->k, TOPIC, 1), -1, "a partition not assigned has no position");
    env_free(e);
}

static void test_fetch_purgatory(void)
{
    const char *kv[] = { "fetch.min.bytes", "100000", "fetch.max.wait.ms", "200", NULL };
    env_t *e = env_new(1, 1, kv);
    assign(e, 1);
    seek(e, 0, 0);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.done && p.n == 0 && p.error == KERR_NONE,
       "fetch.min.bytes large: a poll on an empty topic returns nothing");
    is_int(p.at, 1000 * US_PER_MS, "the empty poll returns at its timeout (1000 ms)");
    const cJSON *req = nth_msg(e, "send", "Fetch", "request", INT64_MIN, 1);
    const cJSON *arrived = nth_msg(e, "deliver", "Fetch", "request", INT64_MIN, 1);
    const cJSON *resp = answer_to(e, req);
    ok(req && arrived && resp, "the trace shows the Fetch, its arrival and its answer");
    is_int(ev_t(resp) - ev_t(arrived), 200 * US_PER_MS,
           "the broker holds the Fetch for fetch.max.wait.ms (200 ms) before answering");
    ok(nth_msg(e, "send", "Fetch", "request", INT64_MIN, 3) != NULL,
       "the consumer keeps fetching while the poll waits");
    env_free(e);

    const char *wait[] = { "fetch.max.wait.ms", "5000", NULL };
    e = env_new(1, 1, wait);
    assign(e, 1);
    seek(e, 0, 0);
    memset(&p, 0, sizeof p);
    consumer_poll(e->k, 10 * US_PER_S, on_poll, &p);
    run_to(e, 100 * US_PER_MS);
    ok(!p.done, "with nothing to read the poll is still waiting at 100 ms");
    produce(e, 0, "late", "record");
    world_run(e->f.w, INT64_MAX, poll_done, &p);
    ok(p.done && p.n == 1 && strcmp(p.recs[0].value, "record") == 0,
       "a record written while the Fetch waits in purgatory is returned by the poll");
    ok(p.at - 100 * US_PER_MS < 5 * US_PER_MS,
       "it is returned within a few round trips of the write, not after fetch.max.wait.ms");
    req = nth_msg(e, "send", "Fetch", "request", INT64_MIN, 1);
    resp = answer_to(e, req);
    ok(resp && ev_t(resp) > 100 * US_PER_MS && ev_t(resp) < 200 * US_PER_MS,
       "the waiting Fetch itself is answered as soon as the append satisfies it");
    env_free(e);
}

static void restart_cb(void *a, void *b, int64_t arg)
{
    world_restart(a, b);
}

/* The leader crashes while a Fetch waits in its purgatory: the consumer hears the reset,
 * backs off, and fetches again once the broker is back, long before request.timeout.ms. */
static void test_crash_reset(void)
{
    const char *kv[] = { "fetch.max.wait.ms", "5000", NULL }; /* request.timeout.ms 30000 */
    env_t *e = env_new(1, 1, kv);
    assign(e, 1);
    seek(e, 0, 0);
    polled_t p;
    memset(&p, 0, sizeof p);
    consumer_poll(e->k, 20 * US_PER_S, on_poll, &p);
    run_to(e, 100 * US_PER_MS);
    node_t *broker = cluster_broker(e->f.c, 1);
    world_crash(e->f.w, broker, "test");
    world_schedule(e->f.w, 1 * US_PER_S, restart_cb, e->f.w, broker, 0);
    run_to(e, 1500 * US_PER_MS);
    produce(e, 0, "after", "restart");
    world_run(e->f.w, INT64_MAX, poll_done, &p);
    ok(p.done && p.n == 1 && strcmp(p.recs[0].value, "restart") == 0,
       "after a leader crash and restart the waiting poll reads the new record");
    ok(p.at > 9 * US_PER_S && p.at < 15 * US_PER_S,
       "the broker serves again once its old session expired (broker.session.timeout.ms 9 s) "
       "and it registered anew; the consumer did not wait for request.timeout.ms (30 s)");
    ok(fixture_count(&e->f, "disconnect") >= 1 && fixture_count(&e->f, "request_timeout") == 0,
       "the trace shows the reset, and no request timed out");
    env_free(e);
}

static void test_two_partitions(void)
{
    env_t *e = env_new(2, 2, NULL);
    produce(e, 0, "a0", "A0");
    produce(e, 1, "b0", "B0");
    produce(e, 0, "a1", "A1");
    produce(e, 1, "b1", "B1");
    run_idle(e);
    is_int(cluster_leader(e->f.c, TOPIC, 0), 1, "partition 0 is led by broker 1");
    is_int(cluster_leader(e->f.c, TOPIC, 1), 2, "partition 1 is led by broker 2");
    assign(e, 2);
    seek(e, 0, 0);
    seek(e, 1, 0);
    got_rec_t all[8];
    size_t n = 0;
    polled_t p;
    for (int i = 0; i < 5 && n < 4; i++) {
        poll_sync(e, 1000 * US_PER_MS, &p);
        for (size_t k = 0; k < p.n && n < 8; k++)
            all[n++] = p.recs[k];
    }
    is_int(n, 4, "records of both partitions are read");
    int64_t next[2] = { 0, 0 };
    bool ordered = true;
    for (size_t i = 0; i < n; i++) {
        int32_t part = all[i].partition;
        if (part < 0 || part > 1) {
            ordered = false;
            break;
        }
        char value[8];
        snprintf(value, sizeof value, "%c%d", part == 0 ? 'A' : 'B', (int)next[part]);
        ordered &= all[i].offset == next[part] && strcmp(all[i].value, value) == 0;
        next[part]++;
    }
    ok(ordered && next[0] == 2 && next[1] == 2,
       "each partition's records come in offset order with their values");
    bool to1 = false, to2 = false;
    for (size_t i = 0; i < e->f.n_ev; i++) {
        const cJSON *ev = e->f.ev[i];
        if (!str_is(ev, "kind", "send") || !str_is(ev, "api", "Fetch") ||
            !str_is(ev, "dir", "request"))
            continue;
        to1 |= str_is(ev, "to", "broker-1");
        to2 |= str_is(ev, "to", "broker-2");
    }
    ok(to1 && to2, "the consumer fetches from each partition's leader (broker-1 and broker-2)");
    is_int(consumer_position(e->k, TOPIC, 0), 2, "partition 0's position is 2");
    is_int(consumer_position(e->k, TOPIC, 1), 2, "partition 1's position is 2");
    env_free(e);
}

/* Kafka discards buffered records of a partition that was seeked: the next poll starts at the
 * new position. */
static void test_seek_drops_buffered(void)
{
    const char *kv[] = { "max.poll.records", "1", NULL };
    env_t *e = env_new(1, 1, kv);
    produce_n(e, 0, 0, 3);
    assign(e, 1);
    seek(e, 0, 0);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.n == 1 && recs_are(&p, 0, 0, 1), "max.poll.records=1: the first poll returns offset 0");
    seek(e, 0, 0);
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.n == 1 && recs_are(&p, 0, 0, 1),
       "after seek(0) the next poll returns offset 0 again, not the buffered offset 1");
    seek(e, 0, 2);
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.n == 1 && recs_are(&p, 0, 2, 1), "after seek(2) the next poll returns offset 2");
    env_free(e);
}

/* The poll callback is where the application continues (Java: the code after poll returns),
 * so it may change the assignment. Keeping the same partition must keep its buffered records
 * intact (Kafka clears buffered data only for partitions no longer assigned). */
typedef struct reassign {
    polled_t first;
    int calls;
} reassign_t;

static void poll_and_reassign(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                              int16_t error, const char *what)
{
    reassign_t *r = ctx;
    on_poll(&r->first, c, recs, n, error, what);
    if (r->calls++ == 0) {
        topic_partition_t tp = { TOPIC, 0 };
        consumer_assign(c, &tp, 1);
    }
}

/* Runs in a child process: a use-after-free or double free aborts the child, not the TAP
 * stream. Exits 0 when the records after the re-assignment are offsets 1 and 2. */
static int reassign_child(void)
{
    const char *kv[] = { "max.poll.records", "1", NULL };
    env_t *e = env_new(1, 1, kv);
    produce_n(e, 0, 0, 3);
    assign(e, 1);
    seek(e, 0, 0);
    reassign_t r = { 0 };
    consumer_poll(e->k, 1000 * US_PER_MS, poll_and_reassign, &r);
    world_run(e->f.w, INT64_MAX, poll_done, &r.first);
    bool good = r.first.n == 1 && recs_are(&r.first, 0, 0, 1);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    good &= p.n == 1 && recs_are(&p, 0, 1, 1);
    poll_sync(e, 1000 * US_PER_MS, &p);
    good &= p.n == 1 && recs_are(&p, 0, 2, 1);
    env_free(e);
    return good ? 0 : 3;
}

static void test_assign_inside_poll_callback(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        ok(0, "fork for the re-assignment test");
        return;
    }
    if (pid == 0)
        _exit(reassign_child());
    int status = 0;
    waitpid(pid, &status, 0);
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    ok(clean, "consumer_assign of the same partition inside the poll "
              "callback keeps the buffered records intact (next polls return offsets 1, 2)");
    if (!clean)
        tap_diag("child %s %d (an ASan build prints the use-after-free on stderr)",
                 WIFEXITED(status) ? "exited with" : "killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* CompletedFetch: once a fetch's records are returned, the position is the end of its last
 * batch, even when a cleaner removed that batch's tail. */
static void test_cleaned_batch_tail(void)
{
    env_t *e = env_new(1, 1, NULL);
    produce_n(e, 0, 0, 3); /* one batch: offsets 0..2 */
    /* What the cleaner does to the batch when later records supersede k1 and k2. */
    plog_t *l = (plog_t *)fixture_log(&e->f, 0);
    bool keep[3] = { true, false, false }, keep_empty[1] = { false };
    plog_rewrite(l, 1, keep, keep_empty);
    assign(e, 1);
    seek(e, 0, 0);
    polled_t p;
    poll_sync(e, 1000 * US_PER_MS, &p);
    ok(p.n == 1 && p.recs[0].offset == 0, "the cleaned batch returns its one record (offset 0)");
    is_int(consumer_position(e->k, TOPIC, 0), 3,
           "and the position moves to the batch's end (3), not past the record (1)");
    env_free(e);
}

int main(void)
{
    test_seek_and_poll();
    test_seek_mid_batch();
    test_max_poll_records();
    test_auto_offset_reset();
    test_out_of_range();
    test_seek_errors();
    test_fetch_purgatory();
    test_crash_reset();
    test_two_partitions();
    test_seek_drops_buffered();
    test_assign_inside_poll_callback();
    test_cleaned_batch_tail();
    return tap_done();
}
