/* Unit tests of the idempotent producer against the broker model: Kafka's config rules
 * (explicit conflicts refused naming the keys, a default quietly turned off),
 * InitProducerId and the producer id blocks, the lost ACK answered as a duplicate,
 * order kept with five requests in flight, the epoch bump after an unresolved sequence,
 * a restarted producer with a new id, and producer state that survives a broker restart. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

typedef struct env {
    fixture_t f;
    producer_t *p;
} env_t;

/* A world with one broker and topic "t" (`partitions`), producer "p1" configured by kv
 * over Kafka's defaults (idempotence on). */
static env_t *env_new(int32_t partitions, const char *const *kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    fixture_init(&e->f, 1, 1, partitions);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    fixture_config(&pc, kv);
    e->p = cluster_producer(e->f.c, "p1", &pc, e->f.err, sizeof e->f.err);
    config_free(&pc);
    return e;
}

static void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

static int64_t send_value(env_t *e, int32_t partition, const char *value)
{
    char err[256];
    int64_t h = producer_send(e->p, TOPIC, partition, BYTES_NULL, str(value), -1, err,
                              sizeof err);
    if (h < 0)
        tap_diag("producer_send refused: %s", err);
    return h;
}

static const send_result_t *result(env_t *e, int64_t h)
{
    return producer_result(e->p, (uint32_t)h);
}

static void run_idle(env_t *e)
{
    world_run(e->f.w, INT64_MAX, NULL, NULL);
}

static void run_to(env_t *e, int64_t t)
{
    world_run(e->f.w, t, NULL, NULL);
}

/* The nth (1-based) event of `kind`, or NULL. */
static const cJSON *nth(const env_t *e, const char *kind, int n)
{
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (str_is(e->f.ev[i], "kind", kind) && --n == 0)
            return e->f.ev[i];
    return NULL;
}

/* The nth message event ("send"/"drop") of api and dir. */
static const cJSON *nth_msg(const env_t *e, const char *kind, const char *api, const char *dir,
                            int n)
{
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (str_is(e->f.ev[i], "kind", kind) && str_is(e->f.ev[i], "api", api) &&
            str_is(e->f.ev[i], "dir", dir) && --n == 0)
            return e->f.ev[i];
    return NULL;
}

static const cJSON *first_part(const cJSON *msg)
{
    return msg ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(msg, "parts"), 0) : NULL;
}

static void test_config(void)
{
    struct {
        const char *kv[7];
        const char *names;
        const char *what;
    } bad[] = {
        { { "enable.idempotence", "true", "acks", "1", NULL }, "acks",
          "enable.idempotence=true with acks=1 is refused" },
        { { "enable.idempotence", "true", "retries", "0", NULL }, "retries",
          "enable.idempotence=true with retries=0 is refused" },
        { { "enable.idempotence", "true", "max.in.flight.requests.per.connection", "6", NULL },
          "max.in.flight.requests.per.connection",
          "enable.idempotence=true with max.in.flight.requests.per.connection=6 is refused" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        env_t *e = env_new(1, bad[i].kv);
        ok(e->p == NULL, "%s", bad[i].what);
        ok(strstr(e->f.err, bad[i].names) && strstr(e->f.err, "enable.idempotence") &&
               strstr(e->f.err, "p1"),
           "the message names %s, enable.idempotence and the producer", bad[i].names);
        env_free(e);
    }

    const char *quiet[] = { "acks", "1", NULL };
    env_t *e = env_new(1, quiet);
    ok(e->p != NULL, "left at its default, idempotence gives way to acks=1 without an error");
    const cJSON *adj = nth(e, "config_adjusted", 1);
    ok(adj && str_is(adj, "key", "enable.idempotence") &&
           cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(adj, "value")) &&
           strstr(trace_str(adj, "reason"), "acks"),
       "the trace says enable.idempotence became false, and why (acks)");
    send_value(e, 0, "x");
    run_idle(e);
    ok(nth_msg(e, "send", "InitProducerId", "request", 1) == NULL,
       "that producer sends no InitProducerId");
    ok(!cJSON_GetObjectItemCaseSensitive(first_part(nth_msg(e, "send", "Produce", "request", 1)),
                                         "producer_id"),
       "and its batches carry no producer id");
    env_free(e);

    const char *five[] = { "enable.idempotence", "true", "max.in.flight.requests.per.connection",
                           "5", NULL };
    e = env_new(1, five);
    ok(e->p != NULL, "five requests in flight are allowed with idempotence");
    env_free(e);
}

static void test_init_producer_id(void)
{
    env_t *e = env_new(2, NULL);
    int64_t h = send_value(e, 0, "a");
    run_idle(e);
    const cJSON *r1 = nth_msg(e, "send", "InitProducerId", "response", 1);
    const cJSON *r2 = nth_msg(e, "send", "InitProducerId", "response", 2);
    ok(r1 && str_is(r1, "error", "COORDINATOR_LOAD_IN_PROGRESS"),
       "the first InitProducerId finds the broker without ids: COORDINATOR_LOAD_IN_PROGRESS");
    ok(nth_msg(e, "send", "AllocateProducerIds", "request", 1) != NULL,
       "the broker asks the controller for a block (AllocateProducerIds)");
    const cJSON *alloc = nth(e, "producer_ids_allocated", 1);
    ok(alloc && trace_int(alloc, "first", -1) == 0 && trace_int(alloc, "last", -1) == 999,
       "the controller hands out ids 0..999");
    ok(r2 && str_is(r2, "error", "NONE") && trace_int(r2, "producer_id", -1) == 0 &&
           trace_int(r2, "producer_epoch", -1) == 0,
       "the retried InitProducerId gets producer id 0, epoch 0");
    const cJSON *q2 = nth_msg(e, "send", "InitProducerId", "request", 2);
    is_int(ev_t(q2) - (ev_t(r1) + 500), 100 * US_PER_MS,
           "it was retried retry.backoff.ms (100 ms) after the answer arrived");
    const cJSON *produce = nth_msg(e, "send", "Produce", "request", 1);
    ok(produce && ev_t(produce) > ev_t(r2), "no Produce went before the producer had its id");
    const cJSON *part = first_part(produce);
    ok(part && trace_int(part, "producer_id", -1) == 0 && trace_int(part, "base_seq", -1) == 0,
       "the batch carries producer id 0 and sequence 0");
    ok(result(e, h)->error == KERR_NONE, "the record is written");
    int64_t id;
    int16_t epoch;
    ok(producer_id(e->p, &id, &epoch) && id == 0 && epoch == 0, "producer_id() reports 0, 0");

    /* Sequences count records per partition. */
    for (int i = 0; i < 3; i++)
        send_value(e, 0, "b");
    run_idle(e);
    send_value(e, 1, "c");
    send_value(e, 0, "d");
    run_idle(e);
    const plog_t *l0 = fixture_log(&e->f, 0), *l1 = fixture_log(&e->f, 1);
    bool seqs = l0->n == 5;
    for (size_t i = 0; seqs && i < l0->n; i++)
        seqs = l0->recs[i].sequence == (int32_t)i && l0->recs[i].producer_id == 0;
    ok(seqs, "partition 0's records carry sequences 0..4 across batches");
    ok(l1->n == 1 && l1->recs[0].sequence == 0, "partition 1 starts at sequence 0 of its own");
    env_free(e);
}

static void test_lost_ack(void)
{
    const char *kv[] = { "request.timeout.ms", "5000", NULL };
    env_t *e = env_new(1, kv);
    fixture_drop_produce(&e->f, DIR_RESPONSE, 1, 1.0);
    int64_t h = send_value(e, 0, "pay");
    run_idle(e);
    is_int(fixture_log(&e->f, 0)->n, 1, "with idempotence the retry after a lost ACK is not appended again");
    is_int(result(e, h)->offset, 0, "the record is acknowledged at its original offset 0");
    const cJSON *dup = nth(e, "duplicate", 1);
    ok(dup && trace_int(dup, "first_seq", -1) == 0 && trace_int(dup, "base_offset", -1) == 0,
       "the broker's duplicate event names sequence 0 and offset 0");
    env_free(e);
}

/* A, B, C, D sent 1 ms apart after a warm-up record, with the request carrying A lost. */
static void order_run(const char *idempotence, char order[5])
{
    const char *kv[] = { "enable.idempotence", idempotence, "linger.ms", "0",
                         "request.timeout.ms", "1000", NULL };
    env_t *e = env_new(1, kv);
    send_value(e, 0, "W");
    run_idle(e);
    fixture_drop_produce(&e->f, DIR_REQUEST, 1, 1.0);
    const char *vals[] = { "A", "B", "C", "D" };
    for (int i = 0; i < 4; i++) {
        send_value(e, 0, vals[i]);
        run_to(e, e->f.w->now + US_PER_MS);
    }
    run_idle(e);
    const plog_t *l = fixture_log(&e->f, 0);
    memset(order, 0, 5);
    for (size_t i = 1; i < l->n && i <= 4; i++)
        order[i - 1] = l->recs[i].value.p[0];
    if (l->n != 5)
        tap_diag("log has %zu records", l->n);
    env_free(e);
}

static void test_order(void)
{
    char order[5];
    order_run("false", order);
    is_str(order, "DCBA", "without idempotence, five in flight: the retries land in reverse");
    order_run("true", order);
    is_str(order, "ABCD", "with idempotence, five in flight: the log keeps send order");
}

/* The only batch in flight is retried until delivery.timeout.ms: its fate is unknown, so
 * the next batch goes under a bumped epoch from sequence 0. */
static void test_epoch_bump(void)
{
    const char *kv[] = { "request.timeout.ms", "1000", "delivery.timeout.ms", "3000",
                         "linger.ms", "0", NULL };
    env_t *e = env_new(1, kv);
    send_value(e, 0, "W");
    run_idle(e);
    int rule = fixture_drop_produce(&e->f, DIR_RESPONSE, 0, 1.0);
    int64_t lost = send_value(e, 0, "X");
    run_idle(e);
    ok(result(e, lost)->error == KERR_CLIENT_TIMEOUT,
       "a batch whose answers are all lost fails at delivery.timeout.ms");
    net_remove_fault(e->f.w->net, rule);
    int64_t next = send_value(e, 0, "Y");
    run_idle(e);
    const cJSON *bump = nth(e, "epoch_bump", 1);
    ok(bump && trace_int(bump, "producer_epoch", -1) == 1,
       "the producer bumps its epoch to 1 (KIP-360): the expired batch left a sequence unresolved");
    /* X's last request timing out later fails it once more (Sender.failBatch on a batch
     * already expired), which bumps again: Y goes under the epoch current by then. */
    const cJSON *last = NULL, *m;
    for (int i = 1; (m = nth_msg(e, "send", "Produce", "request", i)); i++)
        last = m;
    const cJSON *part = first_part(last);
    int64_t epoch = part ? trace_int(part, "producer_epoch", -1) : -1;
    ok(epoch >= 1 && trace_int(part, "base_seq", -1) == 0,
       "the next batch goes under the bumped epoch from sequence 0");
    ok(nth(e, "sequence_rejected", 1) == NULL, "the broker takes a new epoch at sequence 0");
    ok(result(e, next)->error == KERR_NONE, "and the record after the bump is written");
    const plog_t *l = fixture_log(&e->f, 0);
    ok(l->n == 3 && l->recs[2].producer_epoch == epoch && l->recs[2].sequence == 0,
       "the log holds W, X (written, its answers lost) and Y under the new epoch, sequence 0");
    env_free(e);
}

static void test_restart_new_id(void)
{
    env_t *e = env_new(1, NULL);
    send_value(e, 0, "a");
    run_idle(e);
    int64_t id1, id2;
    int16_t epoch;
    producer_id(e->p, &id1, &epoch);
    world_crash(e->f.w, producer_node(e->p), "test");
    ok(!producer_id(e->p, &id1, &epoch) || id1 < 0, "a crashed producer has no id any more");
    producer_id(e->p, &id1, &epoch);
    world_restart(e->f.w, producer_node(e->p));
    send_value(e, 0, "a");
    run_idle(e);
    ok(producer_id(e->p, &id2, &epoch) && id2 == 1,
       "the restarted producer gets a new producer id (1, the next of the block)");
    const plog_t *l = fixture_log(&e->f, 0);
    ok(l->n == 2 && l->recs[1].producer_id == 1 && l->recs[1].sequence == 0,
       "its resend is a first batch of a new producer: appended again");
    env_free(e);

    /* The broker restarts between the lost answer and the retry: its producer state,
     * loaded again from the log, still knows the batch. */
    const char *kv[] = { "request.timeout.ms", "5000", NULL };
    e = env_new(1, kv);
    fixture_drop_produce(&e->f, DIR_RESPONSE, 1, 1.0);
    int64_t h = send_value(e, 0, "pay");
    run_to(e, 1000 * US_PER_MS);
    node_t *broker = cluster_broker(e->f.c, 1);
    world_crash(e->f.w, broker, "test");
    world_schedule(e->f.w, 2000 * US_PER_MS, fixture_restart_cb, e->f.w, broker, 0);
    run_idle(e);
    ok(result(e, h)->error == KERR_NONE && result(e, h)->offset == 0,
       "after the broker's restart the retry is answered with the original offset");
    is_int(fixture_log(&e->f, 0)->n, 1, "and not appended again: producer state is rebuilt from the log");
    env_free(e);
}

int main(void)
{
    test_config();
    test_init_producer_id();
    test_lost_ack();
    test_order();
    test_epoch_bump();
    test_restart_new_id();
    return tap_done();
}
