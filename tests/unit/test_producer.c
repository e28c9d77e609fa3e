/* Unit tests for sim/client/producer against the broker model: the lost ACK and the
 * duplicate it makes without idempotence, linger.ms and batch.size, the default partitioner
 * (murmur2 for keys, sticky for keyless records), reordering with several requests in
 * flight, acks=0, retries=0, delivery.timeout.ms, max.block.ms, flush, config checks,
 * max.request.size and determinism. Each test builds its own world; the trace is kept in
 * memory so tests can look at what went over the wire and when. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/core/hash.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define MAX_RECS 1024

typedef struct env {
    fixture_t f;
    producer_t *p;
    int64_t done_at[MAX_RECS];
    int n_done;
} env_t;

static void on_done(void *ctx, producer_t *p, uint32_t rec)
{
    env_t *e = ctx;
    (void)p;
    if (rec < MAX_RECS)
        e->done_at[rec] = e->f.w->now;
    e->n_done++;
}

/* A world with `brokers` brokers, topic "t" with `partitions` partitions and producer "p1"
 * configured by kv over enable.idempotence=false. e->p is NULL (e->f.err says why) when the
 * producer refused its config. */
static env_t *env_new(uint64_t seed, int brokers, int32_t partitions, const char *const *kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    fixture_init(&e->f, seed, brokers, partitions);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *base[] = { "enable.idempotence", "false", NULL };
    fixture_config(&pc, base);
    fixture_config(&pc, kv);
    e->p = cluster_producer(e->f.c, "p1", &pc, e->f.err, sizeof e->f.err);
    config_free(&pc);
    if (e->p)
        producer_on_done(e->p, on_done, e);
    return e;
}

static void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

static bool bytes_eq(bytes_t b, const char *s)
{
    if (!s)
        return bytes_is_null(b);
    return b.len == (int32_t)strlen(s) && memcmp(b.p, s, (size_t)b.len) == 0;
}

static int64_t send_to(env_t *e, const char *topic, int32_t partition, const char *key,
                       const char *value)
{
    char err[256];
    int64_t h = producer_send(e->p, topic, partition, str(key), str(value), -1, err, sizeof err);
    if (h < 0)
        tap_diag("producer_send refused: %s", err);
    return h;
}

static int64_t send_rec(env_t *e, int32_t partition, const char *key, const char *value)
{
    return send_to(e, TOPIC, partition, key, value);
}

static run_status_t run_idle(env_t *e)
{
    return world_run(e->f.w, INT64_MAX, NULL, NULL);
}

static void run_to(env_t *e, int64_t t)
{
    world_run(e->f.w, t, NULL, NULL);
}

static const send_result_t *result(env_t *e, int64_t h)
{
    static const send_result_t none = { NULL, -1, -1, -1, 0, false };
    const send_result_t *r = h >= 0 ? producer_result(e->p, (uint32_t)h) : NULL;
    return r ? r : &none;
}

/* ---- reading the trace ---- */

/* A network message event ("send", "deliver", "drop") of api and dir (NULL: any). */
static bool is_msg(const cJSON *ev, const char *kind, const char *api, const char *dir)
{
    return str_is(ev, "kind", kind) && str_is(ev, "api", api) && str_is(ev, "dir", dir);
}

static int count_msgs(const env_t *e, const char *kind, const char *api, const char *dir,
                      int64_t from_t)
{
    int n = 0;
    for (size_t i = 0; i < e->f.n_ev; i++)
        n += is_msg(e->f.ev[i], kind, api, dir) && ev_t(e->f.ev[i]) >= from_t;
    return n;
}

/* The nth (1-based) matching message event at or after from_t, or NULL. */
static const cJSON *nth_msg(const env_t *e, const char *kind, const char *api, const char *dir,
                            int64_t from_t, int nth)
{
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (is_msg(e->f.ev[i], kind, api, dir) && ev_t(e->f.ev[i]) >= from_t && --nth == 0)
            return e->f.ev[i];
    return NULL;
}

static const cJSON *nth_kind(const env_t *e, const char *kind, int nth)
{
    return nth_msg(e, kind, NULL, NULL, INT64_MIN, nth);
}

/* Records carried by a Produce request event, over all its partitions. */
static int produce_records(const cJSON *ev)
{
    int n = 0;
    const cJSON *part;
    cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(ev, "parts"))
        n += (int)trace_int(part, "records", 0);
    return n;
}

/* Drops Produce requests or responses: at most `count` of them (0: no limit), each with
 * `probability`. Returns the rule's id. */
/* ---- (a), (b): the lost ACK ---- */

static void test_lost_ack(void)
{
    const char *kv[] = { "acks", "1", "request.timeout.ms", "5000", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    int id = fixture_drop_produce(&e->f, DIR_RESPONSE, 1, 1.0);
    int64_t h = send_rec(e, -1, "k1", "v1");
    run_idle(e);

    const plog_t *l = fixture_log(&e->f, 0);
    is_int(net_fault_hits(e->f.w->net, id), 1, "the fault dropped exactly one Produce response");
    is_int(l->n, 2,
           "a lost Produce response with acks=1 and no idempotence makes the retry write the "
           "record twice");
    ok(l->n == 2 && bytes_eq(l->recs[0].key, "k1") && bytes_eq(l->recs[0].value, "v1") &&
           bytes_eq(l->recs[1].key, "k1") && bytes_eq(l->recs[1].value, "v1"),
       "both copies in the log carry the same key and value");
    const send_result_t *r = result(e, h);
    ok(r->done && r->error == KERR_NONE, "the send completes successfully despite the lost ACK");
    is_int(r->offset, 1, "the send reports the offset of the retry's copy (1), not the first (0)");

    const cJSON *first = nth_msg(e, "send", "Produce", "request", INT64_MIN, 1);
    const cJSON *second = nth_msg(e, "send", "Produce", "request", INT64_MIN, 2);
    const cJSON *timeout = nth_kind(e, "request_timeout", 1);
    ok(first && second && timeout, "the trace shows two Produce requests and a request timeout");
    ok(timeout && str_is(timeout, "api", "Produce"), "the request that timed out is the Produce");
    is_int(ev_t(timeout) - ev_t(first), 5000 * US_PER_MS,
           "the Produce request times out exactly request.timeout.ms (5000 ms) after it was sent");
    int64_t backoff = ev_t(second) - ev_t(timeout);
    ok(backoff >= 80 * US_PER_MS && backoff <= 120 * US_PER_MS,
       "the retry goes out retry.backoff.ms (100 ms, +-20%% jitter) after the timeout");
    if (backoff < 80 * US_PER_MS || backoff > 120 * US_PER_MS)
        tap_diag("backoff %lld us", (long long)backoff);
    ok(e->done_at[h] >= ev_t(first) + 5000 * US_PER_MS,
       "the record is acknowledged only after the request timeout");
    env_free(e);
}

static void test_no_fault_one_copy(void)
{
    const char *kv[] = { "acks", "1", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    int64_t h = send_rec(e, -1, "k1", "v1");
    run_idle(e);
    is_int(fixture_log(&e->f, 0)->n, 1, "without a fault the record is written exactly once");
    const send_result_t *r = result(e, h);
    ok(r->done && r->error == KERR_NONE && r->offset == 0 && r->partition == 0,
       "without a fault the send succeeds at partition 0, offset 0");
    is_int(count_msgs(e, "send", "Produce", "request", INT64_MIN), 1,
           "without a fault one Produce request is enough");
    is_int(fixture_count(&e->f, "request_timeout"), 0, "without a fault no request times out");
    env_free(e);
}

/* ---- (c), (d): linger.ms and batch.size ---- */

static void warm_up(env_t *e)
{
    send_rec(e, 0, NULL, "warm-up");
    run_idle(e);
}

static void test_linger(void)
{
    const char *kv10[] = { "acks", "1", "linger.ms", "10", NULL };
    env_t *e = env_new(1, 1, 1, kv10);
    warm_up(e);
    int64_t t0 = e->f.w->now;
    int64_t a = send_rec(e, -1, NULL, "a");
    run_to(e, t0 + 1 * US_PER_MS);
    int64_t b = send_rec(e, -1, NULL, "b");
    run_idle(e);
    int n_req = count_msgs(e, "send", "Produce", "request", t0);
    is_int(n_req, 1, "linger.ms=10: two sends 1 ms apart go out in one Produce request");
    const cJSON *req = nth_msg(e, "send", "Produce", "request", t0, 1);
    is_int(req ? produce_records(req) : -1, 2, "linger.ms=10: that request carries both records");
    is_int(ev_t(req) - t0, 10 * US_PER_MS,
           "linger.ms=10: the batch leaves exactly linger.ms after its first record");
    ok(result(e, a)->error == KERR_NONE && result(e, b)->error == KERR_NONE &&
           e->done_at[a] >= t0 + 10 * US_PER_MS && e->done_at[b] >= t0 + 10 * US_PER_MS,
       "linger.ms=10: both records are acknowledged no earlier than 10 ms after the first send");
    is_int(fixture_log(&e->f, 0)->n_batches, 2, "linger.ms=10: the log got one batch besides the warm-up");
    env_free(e);

    const char *kv0[] = { "acks", "1", "linger.ms", "0", NULL };
    e = env_new(1, 1, 1, kv0);
    warm_up(e);
    t0 = e->f.w->now;
    a = send_rec(e, -1, NULL, "a");
    run_to(e, t0 + 1 * US_PER_MS);
    b = send_rec(e, -1, NULL, "b");
    run_idle(e);
    is_int(count_msgs(e, "send", "Produce", "request", t0), 2,
           "linger.ms=0: two sends 1 ms apart go out in two Produce requests");
    req = nth_msg(e, "send", "Produce", "request", t0, 1);
    ok(req && ev_t(req) == t0 && produce_records(req) == 1,
       "linger.ms=0: the first send leaves at once, alone");
    ok(e->done_at[a] < t0 + 2 * US_PER_MS && result(e, a)->offset == 1 &&
           result(e, b)->offset == 2,
       "linger.ms=0: the first record is acknowledged after one round trip (1 ms)");
    env_free(e);
}

static void test_batch_size(void)
{
    /* Each keyless record with a 10-byte value takes 17 bytes in a batch: 61 + 17 = 78,
     * + 17 = 95 fits batch.size=100, a third (112) does not: two records per batch. */
    const char *kv[] = { "acks", "1", "batch.size", "100", "linger.ms", "50", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    warm_up(e);
    int64_t t0 = e->f.w->now;
    char value[16];
    for (int i = 0; i < 6; i++) {
        snprintf(value, sizeof value, "value-%04d", i % 10000);
        send_rec(e, -1, NULL, value);
    }
    run_idle(e);
    const plog_t *l = fixture_log(&e->f, 0);
    is_int(l->n, 7, "all six records (and the warm-up) are written");
    is_int(l->n_batches, 4, "batch.size=100 splits six records into three batches");
    bool two_each = l->n_batches == 4;
    for (size_t i = 1; i < l->n_batches; i++)
        two_each &= l->batches[i].n == 2 && l->batches[i].size <= 100;
    ok(two_each, "each batch holds two records and stays within batch.size");
    bool in_order = l->n == 7;
    for (int i = 1; i < 7 && in_order; i++) {
        snprintf(value, sizeof value, "value-%04d", (i - 1) % 10000);
        in_order &= bytes_eq(l->recs[i].value, value);
    }
    ok(in_order, "the split batches keep the records in send order");
    const cJSON *req = nth_msg(e, "send", "Produce", "request", t0, 1);
    ok(req && ev_t(req) < t0 + 50 * US_PER_MS,
       "a full batch goes out without waiting for linger.ms");
    env_free(e);
}

/* ---- (e), (f): the default partitioner ---- */

static void test_keyed_partitioner(void)
{
    enum { KEYS = 20, ROUNDS = 3, PARTS = 6 };
    const char *kv[] = { "acks", "1", NULL };
    env_t *e = env_new(1, 3, PARTS, kv);
    int64_t h[ROUNDS][KEYS];
    char key[32], value[32];
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < KEYS; k++) {
            snprintf(key, sizeof key, "key-%d", k);
            snprintf(value, sizeof value, "%d/%d", k, r);
            h[r][k] = send_rec(e, -1, key, value);
        }
    run_idle(e);
    bool murmur = true, all_ok = true;
    int used[PARTS] = { 0 };
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < KEYS; k++) {
            snprintf(key, sizeof key, "key-%d", k);
            const send_result_t *res = result(e, h[r][k]);
            all_ok &= res->done && res->error == KERR_NONE;
            murmur &= res->partition == hash_partition_for_key(key, strlen(key), PARTS);
            if (res->partition >= 0 && res->partition < PARTS)
                used[res->partition] = 1;
        }
    ok(all_ok, "every keyed record is acknowledged");
    ok(murmur, "a keyed record goes to partition toPositive(murmur2(key)) %% partitions");
    int n_used = 0;
    for (int p = 0; p < PARTS; p++)
        n_used += used[p];
    ok(n_used > 1, "twenty keys spread over more than one partition");

    /* In each partition's log, a key's values appear in send order, all three. */
    bool ordered = true, one_partition = true;
    for (int k = 0; k < KEYS; k++) {
        snprintf(key, sizeof key, "key-%d", k);
        int32_t want = hash_partition_for_key(key, strlen(key), PARTS);
        for (int32_t p = 0; p < PARTS; p++) {
            const plog_t *l = fixture_log(&e->f, p);
            int next = 0;
            for (size_t i = 0; i < l->n; i++) {
                if (!bytes_eq(l->recs[i].key, key))
                    continue;
                if (p != want)
                    one_partition = false;
                snprintf(value, sizeof value, "%d/%d", k, next);
                ordered &= bytes_eq(l->recs[i].value, value);
                next++;
            }
            if (p == want)
                ordered &= next == ROUNDS;
        }
    }
    ok(one_partition, "all records of a key land in one partition");
    ok(ordered, "a key's records are in that partition's log in send order");
    env_free(e);
}

static void test_sticky_partitioner(void)
{
    enum { N = 120, PARTS = 4 };
    const char *kv[] = { "acks", "1", "batch.size", "200", NULL };
    env_t *e = env_new(3, 2, PARTS, kv);
    int64_t h[N];
    char value[16];
    for (int i = 0; i < N; i++) {
        snprintf(value, sizeof value, "r%03d", i);
        h[i] = send_rec(e, -1, NULL, value);
    }
    run_idle(e);
    int used[PARTS] = { 0 }, switches = 0, run = 1, shortest = N;
    bool all_ok = true;
    for (int i = 0; i < N; i++) {
        const send_result_t *r = result(e, h[i]);
        all_ok &= r->done && r->error == KERR_NONE && r->partition >= 0 && r->partition < PARTS;
        if (!all_ok)
            break;
        used[r->partition] = 1;
        if (i > 0 && r->partition != result(e, h[i - 1])->partition) {
            switches++;
            if (run < shortest)
                shortest = run; /* a finished run (the last one may be cut short) */
            run = 0;
        }
        run++;
    }
    ok(all_ok, "every keyless record is acknowledged");
    int n_used = 0;
    for (int p = 0; p < PARTS; p++)
        n_used += used[p];
    ok(n_used > 1, "keyless records move on to other partitions over time");
    /* A keyless record "rNNN" takes 11 bytes, and the first of a batch brings the 61-byte
     * batch header with it (Kafka's appendedBytes): 61 + 13 * 11 >= 200 fills batch.size,
     * so the partitioner stays for at least 13 records, and switches once the batch is full. */
    ok(switches >= 1 && shortest >= 13,
       "keyless records stick to one partition until batch.size bytes fill its batch "
       "(runs of >= 13 records)");
    if (shortest < 13)
        tap_diag("shortest run %d records, %d switches", shortest, switches);
    ok(switches <= N / 13 + 1, "a switch happens only after batch.size bytes");

    /* Each partition's log holds its records in send order. */
    bool ordered = true;
    for (int32_t p = 0; p < PARTS; p++) {
        const plog_t *l = fixture_log(&e->f, p);
        for (size_t i = 1; i < l->n; i++)
            ordered &= memcmp(l->recs[i - 1].value.p, l->recs[i].value.p, 4) < 0;
    }
    ok(ordered, "each partition's log keeps its keyless records in send order");
    env_free(e);
}

/* ---- (g): reordering with several requests in flight ---- */

/* Sends "A" at 0 (it goes out once metadata arrived, about 1 ms), then B, C, D at 5, 6 and
 * 7 ms, with the first Produce request dropped. Writes the log's values into order[]. */
static void reorder_run(const char *max_in_flight, char order[5], int64_t *a_offset)
{
    const char *kv[] = { "acks", "1", "linger.ms", "0", "request.timeout.ms", "1000",
                         "max.in.flight.requests.per.connection", max_in_flight, NULL };
    env_t *e = env_new(1, 1, 1, kv);
    fixture_drop_produce(&e->f, DIR_REQUEST, 1, 1.0); /* the first Produce request */
    int64_t a = send_rec(e, -1, NULL, "A");
    run_to(e, 5 * US_PER_MS);
    send_rec(e, -1, NULL, "B");
    run_to(e, 6 * US_PER_MS);
    send_rec(e, -1, NULL, "C");
    run_to(e, 7 * US_PER_MS);
    send_rec(e, -1, NULL, "D");
    run_idle(e);
    const plog_t *l = fixture_log(&e->f, 0);
    memset(order, 0, 5);
    for (size_t i = 0; i < l->n && i < 4; i++)
        order[i] = l->recs[i].value.len == 1 ? l->recs[i].value.p[0] : '?';
    *a_offset = result(e, a)->error == KERR_NONE ? result(e, a)->offset : -2;
    if (l->n != 4)
        tap_diag("log has %zu records", l->n);
    env_free(e);
}

static void test_reordering(void)
{
    char order[5];
    int64_t a_offset;
    reorder_run("5", order, &a_offset);
    is_str(order, "DCBA",
           "max.in.flight=5 without idempotence: the lost request breaks the connection, all "
           "four time out together and each retry goes back to the head of the queue: the log "
           "order is D C B A");
    is_int(a_offset, 3, "max.in.flight=5: the first record, retried, lands last (offset 3)");
    reorder_run("1", order, &a_offset);
    is_str(order, "ABCD",
           "max.in.flight=1: the same lost request keeps send order (log order A B C D)");
    is_int(a_offset, 0, "max.in.flight=1: the first record keeps offset 0");
}

/* ---- (h), (i): acks=0 and retries=0 ---- */

static void test_acks0(void)
{
    const char *kv[] = { "acks", "0", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    int64_t h = send_rec(e, -1, "k", "v");
    run_idle(e);
    const send_result_t *r = result(e, h);
    ok(r->done && r->error == KERR_NONE, "acks=0: the send completes without error");
    is_int(r->offset, -1, "acks=0: the offset is unknown (-1)");
    is_int(fixture_log(&e->f, 0)->n, 1, "acks=0: the broker still appends the record");
    is_int(count_msgs(e, "send", "Produce", "request", INT64_MIN), 1,
           "acks=0: one Produce request is sent");
    is_int(count_msgs(e, "send", "Produce", "response", INT64_MIN), 0,
           "acks=0: the broker sends no Produce response");
    const cJSON *req = nth_msg(e, "send", "Produce", "request", INT64_MIN, 1);
    ok(req && e->done_at[h] == ev_t(req), "acks=0: the record is done once it is on the wire");
    env_free(e);
}

static void test_retries0(void)
{
    const char *kv[] = { "acks", "1", "retries", "0", "request.timeout.ms", "1000", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    fixture_drop_produce(&e->f, DIR_RESPONSE, 1, 1.0);
    int64_t h = send_rec(e, -1, "k", "v");
    run_idle(e);
    const send_result_t *r = result(e, h);
    ok(r->done, "retries=0: the send completes");
    is_str(kerr_name(r->error), "REQUEST_TIMED_OUT",
           "retries=0: a lost response fails the send with REQUEST_TIMED_OUT");
    is_int(r->offset, -1, "retries=0: a failed send has no offset");
    is_int(fixture_log(&e->f, 0)->n, 1, "retries=0: the log holds one copy (the one whose ACK was lost)");
    is_int(count_msgs(e, "send", "Produce", "request", INT64_MIN), 1,
           "retries=0: the request is never resent");
    env_free(e);
}

/* ---- (j), (k): delivery.timeout.ms and max.block.ms ---- */

static void test_delivery_timeout(void)
{
    const char *kv[] = { "acks", "1", "linger.ms", "0", "request.timeout.ms", "1000",
                         "delivery.timeout.ms", "5000", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    warm_up(e);
    world_crash(e->f.w, cluster_broker(e->f.c, 1), "test");
    int64_t t0 = e->f.w->now;
    int64_t h = send_rec(e, -1, "k", "lost");
    run_idle(e);
    const send_result_t *r = result(e, h);
    is_str(kerr_name(r->error), "TimeoutException",
           "a record whose leader crashed fails with TimeoutException");
    int64_t took = e->done_at[h] - t0;
    ok(took >= 5000 * US_PER_MS && took <= 5100 * US_PER_MS,
       "it fails at delivery.timeout.ms (5000 ms) after the send");
    if (took < 5000 * US_PER_MS || took > 5100 * US_PER_MS)
        tap_diag("failed after %lld us", (long long)took);
    ok(count_msgs(e, "send", "Produce", "request", t0) >= 3,
       "until then the producer retries after each request.timeout.ms (1000 ms)");
    is_int(fixture_log(&e->f, 0)->n, 1, "the crashed broker's log holds only the warm-up record");
    env_free(e);
}

static void restart_cb(void *a, void *b, int64_t arg)
{
    world_restart(a, b);
}

/* A broker crash resets the producer's connection: the batch fails with NETWORK_EXCEPTION
 * at once and is retried (with reconnect backoff) until the broker is back. */
static void test_crash_reset(void)
{
    /* request.timeout.ms stays 30000; retries come fast, reconnections slowly. */
    const char *kv[] = { "acks", "1", "retry.backoff.ms", "1", "retry.backoff.max.ms", "1",
                         "reconnect.backoff.ms", "200", "reconnect.backoff.max.ms", "200", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    warm_up(e);
    node_t *broker = cluster_broker(e->f.c, 1);
    int64_t t0 = e->f.w->now;
    int64_t h = send_rec(e, -1, "k", "through");
    world_crash(e->f.w, broker, "test");
    world_schedule(e->f.w, t0 + 2 * US_PER_S, restart_cb, e->f.w, broker, 0);
    run_idle(e);
    const cJSON *retry = nth_kind(e, "retry", 1);
    ok(retry && str_is(retry, "error", "NETWORK_EXCEPTION") && ev_t(retry) < t0 + 10 * US_PER_MS,
       "the reset fails the request in flight with NETWORK_EXCEPTION within milliseconds, "
       "not after request.timeout.ms");
    const send_result_t *r = result(e, h);
    ok(r->done && r->error == KERR_NONE && r->offset == 1 && fixture_log(&e->f, 0)->n == 2,
       "after the restart the record is appended once, behind the warm-up record");
    ok(e->done_at[h] >= t0 + 9 * US_PER_S && e->done_at[h] < t0 + 13 * US_PER_S,
       "it is acknowledged once the restarted broker leads again: after its old session "
       "expired (broker.session.timeout.ms 9 s) and it registered anew");
    if (!(e->done_at[h] >= t0 + 9 * US_PER_S && e->done_at[h] < t0 + 13 * US_PER_S))
        tap_diag("acknowledged %lld us after the send", (long long)(e->done_at[h] - t0));
    /* Every Produce sent to the dead broker came at least reconnect.backoff.ms (200 ms, less
     * 20% jitter) after the reset that preceded it, though retry.backoff.ms is 1 ms. */
    bool spaced = true;
    int64_t last_reset = INT64_MIN;
    for (size_t i = 0; i < e->f.n_ev; i++) {
        const cJSON *ev = e->f.ev[i];
        if (str_is(ev, "kind", "disconnect") && str_is(ev, "node", "p1"))
            last_reset = ev_t(ev);
        else if (is_msg(ev, "send", "Produce", "request") && ev_t(ev) > t0 &&
                 last_reset != INT64_MIN && ev_t(ev) - last_reset < 160 * US_PER_MS)
            spaced = false;
    }
    ok(spaced && fixture_count(&e->f, "disconnect") >= 2,
       "after each reset the producer waits reconnect.backoff.ms before trying that broker");
    env_free(e);
}

static void test_unknown_topic(void)
{
    const char *kv[] = { "max.block.ms", "2000", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    int64_t h = send_to(e, "no-such-topic", -1, "k", "v");
    run_to(e, 10 * US_PER_S);
    const send_result_t *r = result(e, h);
    is_str(kerr_name(r->error), "TimeoutException",
           "a record for an unknown topic fails with TimeoutException");
    ok(r->done && e->done_at[h] >= 2000 * US_PER_MS && e->done_at[h] <= 2100 * US_PER_MS,
       "it fails max.block.ms (2000 ms) after the send");
    is_int(count_msgs(e, "send", "Produce", "request", INT64_MIN), 0,
           "no Produce request is sent for an unknown topic");
    ok(count_msgs(e, "send", "Metadata", "request", INT64_MIN) > 1,
       "the producer asks for the topic's metadata again while the send waits");
    is_int(producer_pending(e->p), 0, "nothing is pending once the send failed");

    /* Kafka keeps a topic in the producer's metadata for metadata.max.idle.ms (5 min) after
     * its last send, then drops it and stops asking; ksim keeps asking forever. */
    run_to(e, 10 * 60 * US_PER_S);
    int late = 0;
    for (size_t i = 0; i < e->f.n_ev; i++) {
        if (!is_msg(e->f.ev[i], "send", "Metadata", "request") ||
            ev_t(e->f.ev[i]) < 6 * 60 * US_PER_S)
            continue;
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(e->f.ev[i], "topics"))
            late += cJSON_IsString(t) && strcmp(t->valuestring, "no-such-topic") == 0;
    }
    is_int(late, 0,
           "6 minutes after a failed send to an unknown topic the "
           "producer no longer requests its metadata");
    env_free(e);
}

/* Kafka's waitOnMetadata treats a partition beyond the count like an unknown topic: it waits
 * for metadata that has it until max.block.ms, then fails with TimeoutException ("Partition 5
 * of topic t with partition count 1 is not present in metadata after 2000 ms."). Only a
 * negative partition is an IllegalArgumentException (ProducerRecord's constructor). */
static void test_partition_out_of_range(void)
{
    const char *kv[] = { "max.block.ms", "2000", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    int64_t h = send_rec(e, 5, "k", "v");
    run_to(e, 10 * US_PER_S);
    const send_result_t *r = result(e, h);
    ok(r->done && r->error != KERR_NONE, "a record for partition 5 of a 1-partition topic fails");
    is_int(fixture_log(&e->f, 0)->n, 0, "a record for a missing partition is never written");
    is_str(kerr_name(r->error), "TimeoutException",
           "a partition beyond the count fails with "
           "TimeoutException, as Kafka's waitOnMetadata does");
    ok(r->done && e->done_at[h] >= 2000 * US_PER_MS,
       "it fails only after max.block.ms (2000 ms)");
    env_free(e);
}

/* ---- (l): flush ---- */

typedef struct flush_seen {
    bool called;
    int64_t at;
    bool done[8];
} flush_seen_t;

static producer_t *flushed_p;

static void on_flush(void *ctx, producer_t *p)
{
    flush_seen_t *s = ctx;
    s->called = true;
    s->at = p ? producer_node(p)->w->now : -1;
    for (uint32_t i = 0; i < 8; i++) {
        const send_result_t *r = producer_result(p, i);
        s->done[i] = r && r->done;
    }
    flushed_p = p;
}

static void test_flush(void)
{
    const char *kv[] = { "acks", "1", "linger.ms", "5000", "request.timeout.ms", "30000",
                         "delivery.timeout.ms", "120000", NULL };
    env_t *e = env_new(1, 2, 2, kv);
    flush_seen_t idle = { 0 };
    producer_flush(e->p, on_flush, &idle);
    ok(idle.called, "flush with nothing sent calls back at once");
    ok(flushed_p == e->p, "the flush callback gets the producer");

    warm_up(e);
    int64_t t0 = e->f.w->now;
    for (int i = 0; i < 3; i++)
        send_rec(e, i % 2, NULL, "before");
    run_to(e, t0 + 100 * US_PER_MS);
    flush_seen_t seen = { 0 };
    producer_flush(e->p, on_flush, &seen);
    ok(!seen.called, "flush with records pending does not call back at once");
    int64_t t1 = e->f.w->now;
    run_to(e, t1 + 100);
    int64_t after = send_rec(e, 0, NULL, "after"); /* sent 0.1 ms after the flush */
    run_idle(e);
    ok(seen.called, "flush calls back once the records sent before it are done");
    ok(seen.done[1] && seen.done[2] && seen.done[3],
       "at the flush callback every record sent before the flush is done");
    ok(!seen.done[after], "the flush does not wait for a record sent after it");
    ok(seen.at - t1 < 5 * US_PER_MS,
       "flush makes lingering batches ready at once (done in ms, not linger.ms=5000)");
    ok(result(e, after)->done && result(e, after)->error == KERR_NONE,
       "the record sent after the flush completes too");
    flush_seen_t again = { 0 };
    producer_flush(e->p, on_flush, &again);
    ok(again.called, "flush when everything is done calls back at once");
    env_free(e);
}

/* A done listener that sends the next record (a chain of sends, each one after the previous
 * one is acknowledged). Each record's listener call must come exactly once. */
typedef struct chain {
    env_t *e;
    int calls[8];
    int sent;
} chain_t;

static void chain_done(void *ctx, producer_t *p, uint32_t rec)
{
    chain_t *c = ctx;
    if (rec < 8)
        c->calls[rec]++;
    c->e->done_at[rec < MAX_RECS ? rec : 0] = c->e->f.w->now;
    /* Only the newest record's completion sends the next one; counted before the send so a
     * nested listener call cannot send again. */
    if ((int)rec == c->sent - 1 && c->sent < 3) {
        char err[256];
        c->sent++;
        if (producer_send(p, TOPIC, 0, str("k"), str("chained"), -1, err, sizeof err) < 0)
            c->sent--;
    }
}

static void test_send_from_done_listener(void)
{
    const char *kv[] = { "acks", "1", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    chain_t c = { e, { 0 }, 0 };
    producer_on_done(e->p, chain_done, &c);
    send_rec(e, 0, "k", "first");
    c.sent = 1;
    run_idle(e);
    is_int(c.sent, 3, "a done listener can send the next record (three records in a chain)");
    is_int(fixture_log(&e->f, 0)->n, 3, "the chained records are all written");
    ok(c.calls[0] == 1 && c.calls[1] == 1 && c.calls[2] == 1,
       "each chained record's done listener is called exactly once");
    if (c.calls[0] != 1 || c.calls[1] != 1 || c.calls[2] != 1)
        tap_diag("listener calls per record: %d %d %d", c.calls[0], c.calls[1], c.calls[2]);
    env_free(e);
}

/* ---- (m), (n): config and record checks ---- */

static void test_config_errors(void)
{
    const char *bad[] = { "linger.ms", "1000", "request.timeout.ms", "30000",
                          "delivery.timeout.ms", "30000", NULL };
    env_t *e = env_new(1, 1, 1, bad);
    ok(e->p == NULL, "delivery.timeout.ms < linger.ms + request.timeout.ms is refused");
    ok(strstr(e->f.err, "delivery.timeout.ms") && strstr(e->f.err, "linger.ms") &&
           strstr(e->f.err, "request.timeout.ms"),
       "the message names delivery.timeout.ms, linger.ms and request.timeout.ms");
    ok(strstr(e->f.err, "p1") != NULL, "the message names the producer");
    env_free(e);

    const char *edge[] = { "linger.ms", "1000", "request.timeout.ms", "30000",
                           "delivery.timeout.ms", "31000", NULL };
    e = env_new(1, 1, 1, edge);
    ok(e->p != NULL, "delivery.timeout.ms = linger.ms + request.timeout.ms is accepted");
    env_free(e);

    /* As KafkaProducer, linger.ms counts as an int and the sum is capped at
     * Integer.MAX_VALUE: a linger of Long.MAX_VALUE needs delivery.timeout.ms at the cap. */
    const char *forever[] = { "linger.ms", "9223372036854775807", "delivery.timeout.ms",
                              "2147483647", NULL };
    e = env_new(1, 1, 1, forever);
    ok(e->p != NULL, "linger.ms=Long.MAX_VALUE works with delivery.timeout.ms=Integer.MAX_VALUE");
    env_free(e);

    /* The world is bounded: one more client than fits is refused with a message. */
    e = env_new(1, 1, 1, NULL);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *off[] = { "enable.idempotence", "false", NULL };
    fixture_config(&pc, off);
    char name[32];
    int made = 0;
    producer_t *last = NULL;
    do {
        snprintf(name, sizeof name, "extra-%d", made);
        last = cluster_producer(e->f.c, name, &pc, e->f.err, sizeof e->f.err);
        made += last != NULL;
    } while (last && made < 2 * WORLD_MAX_NODES);
    config_free(&pc);
    ok(!last && e->f.w->n_nodes == WORLD_MAX_NODES && strstr(e->f.err, "at most 1024 nodes"),
       "a world holds at most WORLD_MAX_NODES nodes; the next client is refused, saying so");
    env_free(e);
}

static void test_record_too_large(void)
{
    const char *kv[] = { "acks", "1", "max.request.size", "1000", NULL };
    env_t *e = env_new(1, 1, 1, kv);
    char *big = malloc(2001);
    if (!big)
        abort();
    memset(big, 'x', 2000);
    big[2000] = '\0';
    int64_t h = send_rec(e, -1, "k", big);
    free(big);
    ok(h >= 0 && result(e, h)->done,
       "a record larger than max.request.size is failed at once (a failed future)");
    is_str(kerr_name(result(e, h)->error), "RecordTooLargeException",
           "its error is RecordTooLargeException");
    int64_t small = send_rec(e, -1, "k", "fits");
    run_idle(e);
    is_int(fixture_log(&e->f, 0)->n, 1, "only the record that fits reaches the log");
    ok(fixture_log(&e->f, 0)->n == 1 && bytes_eq(fixture_log(&e->f, 0)->recs[0].value, "fits"),
       "the record that fits is the one written");
    is_int(result(e, small)->offset, 0, "a record that fits, sent after it, succeeds at offset 0");
    const cJSON *req = nth_msg(e, "send", "Produce", "request", INT64_MIN, 1);
    ok(count_msgs(e, "send", "Produce", "request", INT64_MIN) == 1 && produce_records(req) == 1,
       "the oversized record is never sent");
    env_free(e);
}

/* ---- (o): determinism ---- */

static uint64_t lossy_run(uint64_t seed, double probability, int64_t *hits)
{
    const char *kv[] = { "acks", "1", "request.timeout.ms", "1000", NULL };
    env_t *e = env_new(seed, 1, 1, kv);
    int id = fixture_drop_produce(&e->f, DIR_RESPONSE, 0, probability);
    char value[16];
    for (int i = 0; i < 20; i++) {
        snprintf(value, sizeof value, "v%d", i);
        send_rec(e, -1, "same-key", value);
        run_to(e, e->f.w->now + 3 * US_PER_MS);
    }
    run_idle(e);
    uint64_t d = trace_digest(e->f.tr);
    *hits = net_fault_hits(e->f.w->net, id);
    env_free(e);
    return d;
}

static void test_determinism(void)
{
    int64_t h1, h2, h3;
    uint64_t d1 = lossy_run(42, 0.3, &h1);
    uint64_t d2 = lossy_run(42, 0.3, &h2);
    uint64_t d3 = lossy_run(43, 0.3, &h3);
    ok(d1 == d2 && h1 == h2, "the same scenario with the same seed gives the same trace digest");
    ok(h1 > 0 && h3 > 0, "the probability fault dropped responses under both seeds");
    ok(d1 != d3, "a probability fault under another seed gives another trace digest");
    tap_diag("seed 42: %lld drops, digest %016llx; seed 43: %lld drops, digest %016llx",
             (long long)h1, (unsigned long long)d1, (long long)h3, (unsigned long long)d3);
}

int main(void)
{
    test_lost_ack();
    test_no_fault_one_copy();
    test_linger();
    test_batch_size();
    test_keyed_partitioner();
    test_sticky_partitioner();
    test_reordering();
    test_acks0();
    test_retries0();
    test_delivery_timeout();
    test_crash_reset();
    test_unknown_topic();
    test_partition_out_of_range();
    test_flush();
    test_send_from_done_listener();
    test_config_errors();
    test_record_too_large();
    test_determinism();
    return tap_done();
}
