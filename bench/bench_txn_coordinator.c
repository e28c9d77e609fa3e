/* bench_txn_coordinator: the transaction coordinator under load. 50 transactional ids on
 * 3 brokers (__transaction_state replicated 3 times), each driven by a raw client that
 * runs transactions back to back for 20 virtual seconds: AddPartitionsToTxn of 10
 * partitions, EndTxn(commit), and the next one as soon as the coordinator takes it
 * (CONCURRENT_TRANSACTIONS while the markers are written is retried after 10 ms). Reports
 * wall time, committed transactions per wall and per virtual second, simulated events per
 * second and peak memory. Wall-clock timing is allowed here, never in sim/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "sim/kafka/protocol.h"
#include "sim/kafka/txn_protocol.h"

#define IDS 50
#define PARTS 10
#define RUN_US (20 * US_PER_S)

typedef enum step { FIND, INIT, ADD, END } step_t;

typedef struct app {
    world_t *w;
    cluster_t *c;
    node_t *n;
    char id[32];
    step_t step;
    int32_t coordinator; /* node id */
    int64_t pid;
    int16_t epoch;
    int32_t corr;
    long committed;
} app_t;

static void send_step(void *x, void *unused, int64_t arg)
{
    app_t *a = x;
    if (a->w->now >= RUN_US)
        return;
    msg_t *m;
    int32_t to = a->coordinator;
    if (a->step == FIND) {
        find_coord_t *r = proto_calloc(1, sizeof *r);
        r->key = gp_strdup(a->id);
        r->key_type = COORD_KEY_TRANSACTION;
        m = msg_new(a->w, API_FIND_COORDINATOR, false, r, &find_coord_req_ops);
        to = cluster_broker(a->c, 1)->id;
    } else if (a->step == INIT) {
        init_pid_t *r = proto_calloc(1, sizeof *r);
        r->transactional_id = world_intern(a->w, a->id);
        r->txn_timeout_ms = 60000;
        r->producer_id = -1;
        r->producer_epoch = -1;
        m = msg_new(a->w, API_INIT_PRODUCER_ID, false, r, &init_pid_req_ops);
    } else if (a->step == ADD) {
        add_parts_txn_t *r = proto_calloc(1, sizeof *r);
        r->transactional_id = gp_strdup(a->id);
        r->producer_id = a->pid;
        r->producer_epoch = a->epoch;
        r->n = PARTS;
        r->parts = proto_calloc(PARTS, sizeof *r->parts);
        for (int32_t i = 0; i < PARTS; i++)
            r->parts[i] = (txn_part_t){ world_intern(a->w, "out"), i, 0 };
        m = msg_new(a->w, API_ADD_PARTITIONS_TO_TXN, false, r, &add_parts_txn_req_ops);
    } else {
        txn_req_t *r = proto_calloc(1, sizeof *r);
        r->transactional_id = gp_strdup(a->id);
        r->producer_id = a->pid;
        r->producer_epoch = a->epoch;
        r->commit = true;
        m = msg_new(a->w, API_END_TXN, false, r, &end_txn_req_ops);
    }
    m->corr = ++a->corr;
    net_send(a->w, a->n, to, m);
}

/* The answer moves the client on, or it retries the same step after 10 ms. */
static void on_message(node_t *n, msg_t *m)
{
    app_t *a = n->impl;
    if (!m->response || m->corr != a->corr)
        return;
    int16_t err;
    if (a->step == FIND) {
        const find_coord_t *r = m->body;
        err = r->error;
        a->coordinator = r->node;
    } else if (a->step == INIT) {
        const init_pid_t *r = m->body;
        err = r->error;
        a->pid = r->producer_id;
        a->epoch = r->producer_epoch;
    } else if (a->step == ADD) {
        err = ((const add_parts_txn_t *)m->body)->parts[0].error;
    } else {
        err = ((const txn_req_t *)m->body)->error;
    }
    if (err != KERR_NONE) {
        node_timer(a->n, 10 * US_PER_MS, send_step, a, NULL, 0);
        return;
    }
    a->committed += a->step == END;
    a->step = a->step == END ? ADD : a->step + 1;
    send_step(a, NULL, 0);
}

static const node_ops_t ops = { on_message, NULL, NULL, NULL, NULL };

int main(void)
{
    char err[256];
    trace_t *tr = trace_new();
    trace_set_enabled(tr, false);
    world_t *w = world_new(1, tr);
    config_t bc, tc;
    config_init(&bc, &broker_config_schema);
    cluster_t *c = cluster_new(w, "main", 3, &bc, err, sizeof err);
    config_init(&tc, &topic_config_schema);
    bench_set(&tc, "partitions", "10");
    bench_set(&tc, "replication.factor", "3");
    if (!c || !cluster_create_topic(c, "out", &tc, err, sizeof err) ||
        !cluster_ensure_txn_topic(c, err, sizeof err)) {
        fprintf(stderr, "bench_txn_coordinator: %s\n", err);
        return 1;
    }
    static app_t apps[IDS];
    for (int i = 0; i < IDS; i++) {
        app_t *a = &apps[i];
        *a = (app_t){ w, c, NULL, "", FIND, -1, -1, -1, 0, 0 };
        snprintf(a->id, sizeof a->id, "app-%d", i);
        a->n = world_add_node(w, a->id, ROLE_APP, &ops, a);
        world_schedule(w, 1 * US_PER_S, send_step, a, NULL, 0);
    }
    double t0 = bench_wall();
    world_run(w, RUN_US, NULL, NULL);
    double secs = bench_wall() - t0;
    long committed = 0;
    for (int i = 0; i < IDS; i++)
        committed += apps[i].committed;
    printf("bench_txn_coordinator: %d transactional ids, %d partitions per transaction, 20 "
           "virtual seconds\n  %6.2f s wall  %8.0f transactions/s wall  %6.0f transactions/s "
           "virtual  %9.0f events/s  peak %5.1f MiB\n", IDS, PARTS, secs,
           (double)committed / secs, (double)committed / 19.0,
           (double)w->events_run / secs, bench_peak_mib());
    for (int32_t i = 0; i < w->n_nodes; i++)
        world_crash(w, w->nodes[i], "end of bench");
    world_run(w, INT64_MAX, NULL, NULL);
    cluster_free(c);
    world_free(w);
    trace_free(tr);
    config_free(&bc);
    config_free(&tc);
    return committed > 0 ? 0 : 1;
}
