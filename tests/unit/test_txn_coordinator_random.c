/* Randomized test of the transaction coordinator over many seeds (SEEDS=N, default 30):
 * three raw clients run transactions (random partitions, commit or abort) against a
 * 3-broker cluster while brokers crash and restart and WriteTxnMarkers messages are lost.
 * Checked on every seed: each transactional id's state changes form one chain across all
 * its coordinators (every txn_state event starts where the previous one ended, by
 * Kafka's legal transitions); every commit acknowledged to a client completes as
 * CompleteCommit under that epoch; once the faults stop, every transaction completes (no id
 * is left in PrepareCommit/PrepareAbort) and every id is Empty or Complete*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"
#include "sim/core/rng.h"
#include "sim/kafka/protocol.h"
#include "sim/kafka/txn_coordinator.h"
#include "sim/kafka/txn_protocol.h"
#include "sim/kafka/txn_state.h"

#define SEC 1000000LL
#define CLIENTS 3
#define FAULTS_END (40 * SEC)
#define RUN_END (100 * SEC)
#define MAX_ACKS 4096

typedef enum step { FIND, INIT, ADD, END } step_t;

typedef struct acked {
    int client;
    int64_t pid;
    int16_t epoch;
} acked_t;

typedef struct rclient {
    struct run *r;
    node_t *n;
    char id[16];
    step_t step;
    int32_t coordinator;
    int64_t pid;
    int16_t epoch;
    int32_t corr;
    bool commit;
    ev_handle_t timeout;
} rclient_t;

typedef struct run {
    fixture_t f;
    rng_t rng;
    rclient_t cl[CLIENTS];
    acked_t acks[MAX_ACKS];
    int n_acks;
} run_t;

static void send_step(void *x, void *unused, int64_t arg);

static void retry_later(rclient_t *c, step_t step)
{
    c->step = step;
    c->corr++; /* an answer still on its way is ignored */
    node_timer(c->n, 50000 + (int64_t)(rng_next(&c->r->rng) % 200000), send_step, c, NULL, 0);
}

/* No answer within 5 s (its broker crashed, or the connection is broken): start over
 * from FindCoordinator on a fresh connection. */
static void timed_out(void *x, void *unused, int64_t corr)
{
    rclient_t *c = x;
    if (corr != c->corr)
        return;
    if (c->coordinator >= 0)
        net_close(c->r->f.w->net, c->n->id, c->coordinator);
    retry_later(c, FIND);
}

static void send_step(void *x, void *unused, int64_t arg)
{
    rclient_t *c = x;
    world_t *w = c->r->f.w;
    if (w->now >= FAULTS_END + 20 * SEC && (c->step == FIND || c->step == ADD))
        return; /* no new transactions near the end: let everything settle */
    msg_t *m;
    int32_t to = c->coordinator;
    if (c->step == FIND) {
        find_coord_t *b = proto_calloc(1, sizeof *b);
        b->key = gp_strdup(c->id);
        b->key_type = COORD_KEY_TRANSACTION;
        m = msg_new(w, API_FIND_COORDINATOR, false, b, &find_coord_req_ops);
        to = cluster_broker(c->r->f.c, 1 + (int)(rng_next(&c->r->rng) % 3))->id;
    } else if (c->step == INIT) {
        init_pid_t *b = proto_calloc(1, sizeof *b);
        b->transactional_id = world_intern(w, c->id);
        b->txn_timeout_ms = 10000;
        b->producer_id = -1;
        b->producer_epoch = -1;
        m = msg_new(w, API_INIT_PRODUCER_ID, false, b, &init_pid_req_ops);
    } else if (c->step == ADD) {
        add_parts_txn_t *b = proto_calloc(1, sizeof *b);
        b->transactional_id = gp_strdup(c->id);
        b->producer_id = c->pid;
        b->producer_epoch = c->epoch;
        b->n = 1 + (int32_t)(rng_next(&c->r->rng) % 3);
        b->parts = proto_calloc((size_t)b->n, sizeof *b->parts);
        for (int32_t i = 0; i < b->n; i++)
            b->parts[i] = (txn_part_t){ world_intern(w, TOPIC), i, 0 };
        m = msg_new(w, API_ADD_PARTITIONS_TO_TXN, false, b, &add_parts_txn_req_ops);
    } else {
        txn_req_t *b = proto_calloc(1, sizeof *b);
        b->transactional_id = gp_strdup(c->id);
        b->producer_id = c->pid;
        b->producer_epoch = c->epoch;
        b->commit = c->commit;
        m = msg_new(w, API_END_TXN, false, b, &end_txn_req_ops);
    }
    if (to < 0) {
        msg_unref(w, m);
        retry_later(c, FIND);
        return;
    }
    m->corr = ++c->corr;
    net_send(w, c->n, to, m);
    c->timeout = node_timer(c->n, 5 * SEC, timed_out, c, NULL, c->corr);
}

static int16_t answer_error(const rclient_t *c, const msg_t *m)
{
    switch (c->step) {
    case FIND:
        return ((const find_coord_t *)m->body)->error;
    case INIT:
        return ((const init_pid_t *)m->body)->error;
    case ADD:
        return ((const add_parts_txn_t *)m->body)->parts[0].error;
    default:
        return ((const txn_req_t *)m->body)->error;
    }
}

static void on_message(node_t *n, msg_t *m)
{
    rclient_t *c = n->impl;
    if (!m->response || m->corr != c->corr)
        return;
    world_cancel(c->r->f.w, c->timeout);
    c->corr++;
    int16_t err = answer_error(c, m);
    if (err == KERR_NOT_COORDINATOR || err == KERR_COORDINATOR_NOT_AVAILABLE ||
        err == KERR_COORDINATOR_LOAD_IN_PROGRESS) {
        retry_later(c, FIND);
        return;
    }
    if (err == KERR_CONCURRENT_TRANSACTIONS) {
        retry_later(c, c->step);
        return;
    }
    if (err != KERR_NONE) {
        /* Fenced (a timeout aborted it) or out of step: a new epoch, a new transaction. */
        retry_later(c, INIT);
        return;
    }
    switch (c->step) {
    case FIND:
        c->coordinator = ((const find_coord_t *)m->body)->node;
        c->step = c->pid < 0 ? INIT : ADD;
        break;
    case INIT:
        c->pid = ((const init_pid_t *)m->body)->producer_id;
        c->epoch = ((const init_pid_t *)m->body)->producer_epoch;
        c->step = ADD;
        break;
    case ADD:
        c->commit = rng_next(&c->r->rng) % 4 != 0;
        c->step = END;
        break;
    case END:
        if (c->commit && c->r->n_acks < MAX_ACKS)
            c->r->acks[c->r->n_acks++] = (acked_t){ (int)(c - c->r->cl), c->pid, c->epoch };
        c->step = ADD;
        break;
    }
    send_step(c, NULL, 0);
}

static const node_ops_t client_ops = { on_message, NULL, NULL, NULL, NULL };

static void fault_task(void *a, void *b, int64_t arg)
{
    run_t *r = a;
    world_t *w = r->f.w;
    if (w->now >= FAULTS_END)
        return;
    node_t *victim = cluster_broker(r->f.c, 1 + (int)(rng_next(&r->rng) % 3));
    world_crash(w, victim, "random crash");
    world_schedule(w, w->now + 2 * SEC + (int64_t)(rng_next(&r->rng) % (8 * SEC)),
                   fixture_restart_cb, w, victim, 0);
    world_schedule(w, w->now + 12 * SEC + (int64_t)(rng_next(&r->rng) % (6 * SEC)), fault_task,
                   r, NULL, 0);
}

/* Whether `to` is `last` or one legal step after it. */
static bool same_or_next(const char *last, const char *to)
{
    return !last || strcmp(last, to) == 0 ||
           txn_state_valid_previous(txn_state_parse(to), txn_state_parse(last));
}

/* Every txn_state event of an id starts where its previous one ended, legally. A new
 * coordinator's load may find the id one step further (a record the old one wrote but
 * never saw replicated), never behind. */
static bool chains_hold(const run_t *r, int *completed, char *why, size_t n)
{
    for (int k = 0; k < CLIENTS; k++) {
        const char *last = NULL;
        completed[k] = 0;
        for (size_t i = 0; i < r->f.n_ev; i++) {
            const cJSON *ev = r->f.ev[i];
            const char *loaded = str_is(ev, "kind", "txn_loaded")
                                     ? trace_str(cJSON_GetObjectItemCaseSensitive(ev, "states"),
                                                 r->cl[k].id)
                                     : NULL;
            if (loaded && !same_or_next(last, loaded)) {
                snprintf(why, n, "%s: loaded as %s after %s (t=%lld)", r->cl[k].id, loaded,
                         last, (long long)ev_t(ev));
                return false;
            }
            if (loaded) {
                completed[k] += last && strcmp(last, "PrepareCommit") == 0 &&
                                strcmp(loaded, "CompleteCommit") == 0;
                last = loaded;
            }
            if (!str_is(ev, "kind", "txn_state") ||
                !str_is(ev, "transactional_id", r->cl[k].id))
                continue;
            const char *from = trace_str(ev, "from"), *to = trace_str(ev, "to");
            bool legal = txn_state_valid_previous(txn_state_parse(to), txn_state_parse(from));
            if ((last && strcmp(last, from) != 0) || !legal) {
                snprintf(why, n, "%s: %s -> %s after %s (t=%lld)", r->cl[k].id, from, to,
                         last ? last : "nothing", (long long)ev_t(ev));
                return false;
            }
            completed[k] += strcmp(to, "CompleteCommit") == 0;
            last = to;
        }
    }
    return true;
}

/* Every acknowledged commit completed: as many CompleteCommit transitions per id (taking
 * effect on its coordinator, or found by a new coordinator's load) as commits acknowledged,
 * the events of those that took effect under the epoch the client had. */
static bool commits_complete(const run_t *r, const int *completed, char *why, size_t n)
{
    for (int k = 0; k < CLIENTS; k++) {
        int acked = 0, bad_epoch = 0;
        for (int a = 0; a < r->n_acks; a++) {
            if (r->acks[a].client != k)
                continue;
            acked++;
            bool seen = false;
            for (size_t i = 0; i < r->f.n_ev && !seen; i++)
                seen = str_is(r->f.ev[i], "kind", "txn_state") &&
                       str_is(r->f.ev[i], "transactional_id", r->cl[k].id) &&
                       str_is(r->f.ev[i], "to", "PrepareCommit") &&
                       trace_int(r->f.ev[i], "producer_id", -1) == r->acks[a].pid &&
                       trace_int(r->f.ev[i], "producer_epoch", -1) == r->acks[a].epoch;
            bad_epoch += !seen;
        }
        if (completed[k] < acked || bad_epoch) {
            snprintf(why, n, "%s: %d commits acknowledged, %d completed, %d without a "
                     "PrepareCommit under their epoch", r->cl[k].id, acked, completed[k],
                     bad_epoch);
            return false;
        }
    }
    return true;
}

/* After the faults: no transaction is left between Prepare* and Complete*. */
static bool all_settled(run_t *r, char *why, size_t n)
{
    char err[256];
    cJSON *list = cluster_describe_transactions(r->f.c, NULL, err, sizeof err);
    bool ok = list && cJSON_GetArraySize(list) == CLIENTS;
    const cJSON *row;
    cJSON_ArrayForEach(row, list) {
        const char *s = trace_str(row, "state");
        if (strcmp(s, "PrepareCommit") == 0 || strcmp(s, "PrepareAbort") == 0 ||
            strcmp(s, "Ongoing") == 0) {
            snprintf(why, n, "%s left %s", trace_str(row, "transactional_id"), s);
            ok = false;
        }
    }
    if (ok == false && why[0] == 0)
        snprintf(why, n, "%d ids listed", list ? cJSON_GetArraySize(list) : -1);
    cJSON_Delete(list);
    return ok;
}

static bool run_seed(uint64_t seed, int *commits)
{
    run_t *r = calloc(1, sizeof *r);
    const char *bkv[] = { "transaction.state.log.num.partitions", "5", NULL };
    const char *tkv[] = { "partitions", "3", "replication.factor", "3", NULL };
    fixture_init_with(&r->f, seed, 3, bkv, tkv);
    char err[256];
    if (!cluster_ensure_txn_topic(r->f.c, err, sizeof err))
        abort();
    rng_stream(&r->rng, seed, "txn-random");
    for (int k = 0; k < CLIENTS; k++) {
        rclient_t *c = &r->cl[k];
        *c = (rclient_t){ r, NULL, "", FIND, -1, -1, -1, 0, false, 0 };
        snprintf(c->id, sizeof c->id, "app-%d", k);
        c->n = world_add_node(r->f.w, c->id, ROLE_APP, &client_ops, c);
        world_schedule(r->f.w, 2 * SEC, send_step, c, NULL, 0);
    }
    fault_spec_t s;
    fault_spec_init(&s, FAULT_DROP);
    s.api = API_WRITE_TXN_MARKERS;
    s.probability = 0.05;
    s.until = FAULTS_END;
    net_add_fault(r->f.w->net, &s);
    world_schedule(r->f.w, 5 * SEC, fault_task, r, NULL, 0);
    world_run(r->f.w, RUN_END, NULL, NULL);
    char why[256] = "";
    int completed[CLIENTS];
    bool ok = chains_hold(r, completed, why, sizeof why) &&
              commits_complete(r, completed, why, sizeof why) && all_settled(r, why, sizeof why);
    if (!ok)
        tap_diag("seed %llu: %s", (unsigned long long)seed, why);
    *commits += r->n_acks;
    fixture_free(&r->f);
    free(r);
    return ok;
}

int main(void)
{
    unsigned seeds = tap_seeds(30);
    unsigned good = 0;
    int commits = 0;
    for (unsigned i = 1; i <= seeds; i++)
        good += run_seed(i, &commits);
    is_int(good, seeds, "on every seed the coordinator's transitions chain across failovers, "
                        "acknowledged commits complete and nothing is left half done");
    ok(commits > (int)seeds * 10, "the clients committed transactions (%d in all)", commits);
    return tap_done();
}
