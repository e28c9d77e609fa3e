/* Unit tests for the transaction coordinator (sim/kafka/txn_coordinator.c, txn_markers.c)
 * through a raw test node that sends the transaction requests to a 3-broker cluster:
 * FindCoordinator(TRANSACTION), InitProducerId for a new id and again (epoch bump), fencing
 * an ongoing transaction (CONCURRENT_TRANSACTIONS, abort markers, bumped epoch), EndTxn and
 * its answers to retries and mismatches, AddOffsetsToTxn, every transition in the
 * __transaction_state log, coordinator failover between PrepareCommit and the markers, the
 * transaction timeout, and markers retried while a partition has no leader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"
#include "sim/kafka/group_coordinator.h"
#include "sim/kafka/protocol.h"
#include "sim/kafka/txn_coordinator.h"
#include "sim/kafka/txn_protocol.h"
#include "sim/kafka/txn_state.h"
#include "tui/text.h"

#define SEC 1000000LL

typedef struct app {
    fixture_t f;
    node_t *n;
    int32_t corr;
    msg_t *resp;   /* the answer to the request out, when it came */
} app_t;

static void app_on_message(node_t *n, msg_t *m)
{
    app_t *a = n->impl;
    if (!m->response || m->corr != a->corr || a->resp)
        return;
    msg_ref(m);
    a->resp = m;
}

static const node_ops_t app_ops = { app_on_message, NULL, NULL, NULL, NULL };

static void app_init(app_t *a, uint64_t seed)
{
    const char *bkv[] = { "transaction.state.log.num.partitions", "5", NULL };
    const char *tkv[] = { "partitions", "3", "replication.factor", "3", NULL };
    fixture_init_with(&a->f, seed, 3, bkv, tkv);
    char err[256];
    if (!cluster_ensure_txn_topic(a->f.c, err, sizeof err)) {
        tap_diag("%s", err);
        abort();
    }
    a->n = world_add_node(a->f.w, "app", ROLE_APP, &app_ops, a);
    a->corr = 0;
    a->resp = NULL;
    world_run(a->f.w, a->f.w->now + 5 * SEC, NULL, NULL);
}

static void app_free(app_t *a)
{
    if (a->resp)
        msg_unref(a->f.w, a->resp);
    fixture_free(&a->f);
}

static bool answered(void *ctx)
{
    return ((app_t *)ctx)->resp != NULL;
}

/* Sends a request to broker `broker` and waits up to 5 s for its answer (the body, owned
 * by the app until the next request; NULL when none came). */
static const void *call(app_t *a, int32_t broker, int16_t api, void *body,
                        const msg_body_ops_t *ops)
{
    if (a->resp)
        msg_unref(a->f.w, a->resp);
    a->resp = NULL;
    msg_t *m = msg_new(a->f.w, api, false, body, ops);
    m->corr = ++a->corr;
    net_send(a->f.w, a->n, cluster_broker(a->f.c, broker)->id, m);
    world_run(a->f.w, a->f.w->now + 5 * SEC, answered, a);
    return a->resp ? a->resp->body : NULL;
}

static int32_t state_partition(const char *id)
{
    return tcoord_partition_for(id, 5);
}

static int32_t coordinator(app_t *a, const char *id)
{
    find_coord_t *req = proto_calloc(1, sizeof *req);
    req->key = gp_strdup(id);
    req->key_type = COORD_KEY_TRANSACTION;
    const find_coord_t *r = call(a, 1, API_FIND_COORDINATOR, req, &find_coord_req_ops);
    return r && r->error == KERR_NONE ? r->broker_id : -1;
}

/* InitProducerId, retried (as the producer does) while the broker has no block of
 * producer ids yet (COORDINATOR_LOAD_IN_PROGRESS). */
static const init_pid_t *init_pid(app_t *a, int32_t broker, const char *id, int32_t timeout_ms,
                                  int64_t pid, int16_t epoch)
{
    for (int tries = 0;; tries++) {
        init_pid_t *req = proto_calloc(1, sizeof *req);
        req->transactional_id = world_intern(a->f.w, id);
        req->txn_timeout_ms = timeout_ms;
        req->producer_id = pid;
        req->producer_epoch = epoch;
        const init_pid_t *r = call(a, broker, API_INIT_PRODUCER_ID, req, &init_pid_req_ops);
        if (!r || r->error != KERR_COORDINATOR_LOAD_IN_PROGRESS || tries == 10)
            return r;
        world_run(a->f.w, a->f.w->now + 100000, NULL, NULL);
    }
}

/* The id's coordinator (*co) and, from InitProducerId, its producer id at epoch 0. */
static int64_t start_producer(app_t *a, const char *id, int32_t timeout_ms, int32_t *co)
{
    *co = coordinator(a, id);
    const init_pid_t *r = init_pid(a, *co, id, timeout_ms, -1, -1);
    return r && r->error == KERR_NONE ? r->producer_id : -1;
}

/* AddPartitionsToTxn for partitions 0..n-1 of `topic`; the first partition's error. */
static int16_t add_parts(app_t *a, int32_t broker, const char *id, int64_t pid, int16_t epoch,
                         const char *topic, int32_t n, int16_t *second)
{
    add_parts_txn_t *req = proto_calloc(1, sizeof *req);
    req->transactional_id = gp_strdup(id);
    req->producer_id = pid;
    req->producer_epoch = epoch;
    req->n = n;
    req->parts = proto_calloc((size_t)n, sizeof *req->parts);
    for (int32_t i = 0; i < n; i++)
        req->parts[i] = (txn_part_t){ world_intern(a->f.w, topic), i, 0 };
    const add_parts_txn_t *r = call(a, broker, API_ADD_PARTITIONS_TO_TXN, req,
                                    &add_parts_txn_req_ops);
    if (second)
        *second = r && r->n > 1 ? r->parts[1].error : -1;
    return r && r->n ? r->parts[0].error : -1;
}

static int16_t txn_call(app_t *a, int32_t broker, int16_t api, const char *id, int64_t pid,
                        int16_t epoch, bool commit, const char *group)
{
    txn_req_t *req = proto_calloc(1, sizeof *req);
    req->transactional_id = gp_strdup(id);
    req->producer_id = pid;
    req->producer_epoch = epoch;
    req->commit = commit;
    req->group = gp_strdup(group);
    const txn_req_t *r = call(a, broker, api, req,
                              api == API_END_TXN ? &end_txn_req_ops : &add_offsets_txn_req_ops);
    return r ? r->error : -1;
}

static int16_t end_txn(app_t *a, int32_t broker, const char *id, int64_t pid, int16_t epoch,
                       bool commit)
{
    return txn_call(a, broker, API_END_TXN, id, pid, epoch, commit, NULL);
}

/* The states the id's records in the coordinator's log go through, "Empty Ongoing ...",
 * with the epoch of the last one and its partition count. */
static void log_states(app_t *a, const char *id, char *out, size_t n, int *last_epoch,
                       int *last_parts)
{
    char err[256];
    const plog_t *log = cluster_log(a->f.c, TXN_STATE_TOPIC, state_partition(id), err, sizeof err);
    out[0] = 0;
    for (size_t i = 0; log && i < log->n; i++) {
        char *rid = NULL;
        bool tomb;
        txn_transit_t t = { 0 };
        if (!txn_record_parse(log->recs[i].key, log->recs[i].value, a->f.w, &rid, &tomb, &t))
            continue;
        if (strcmp(rid, id) == 0 && !tomb) {
            size_t l = strlen(out);
            snprintf(out + l, n - l, "%s%s", l ? " " : "", txn_state_name(t.state));
            if (last_epoch)
                *last_epoch = t.producer_epoch;
            if (last_parts)
                *last_parts = t.parts.n;
        }
        free(rid);
        txn_transit_free(&t);
    }
}

/* The same from the txn_state trace events ("to" states), from event `from` on. */
static void trace_states(app_t *a, const char *id, size_t from, char *out, size_t n)
{
    out[0] = 0;
    for (size_t i = from; i < a->f.n_ev; i++) {
        const cJSON *ev = a->f.ev[i];
        if (!str_is(ev, "kind", "txn_state") || !str_is(ev, "transactional_id", id))
            continue;
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s%s", l ? " " : "", trace_str(ev, "to"));
    }
}

/* WriteTxnMarkers requests sent since event `from` (for `result`, NULL: any); the
 * coordinator epoch of the last one in *epoch. */
static int markers_sent(app_t *a, size_t from, const char *result, int *epoch)
{
    int n = 0;
    for (size_t i = from; i < a->f.n_ev; i++) {
        const cJSON *ev = a->f.ev[i];
        if (!str_is(ev, "kind", "send") || !str_is(ev, "api", "WriteTxnMarkers") ||
            !str_is(ev, "dir", "request"))
            continue;
        const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ev, "markers"), 0);
        if (!str_is(m, "result", result))
            continue;
        n++;
        if (epoch)
            *epoch = (int)trace_int(m, "coordinator_epoch", -1);
    }
    return n;
}

/* The timeline's line for the first event of `kind` since event `from` ("" if none). */
static const char *text_of(app_t *a, size_t from, const char *kind, char *buf, size_t n)
{
    buf[0] = 0;
    for (size_t i = from; i < a->f.n_ev; i++)
        if (str_is(a->f.ev[i], "kind", kind)) {
            const char *t = text_format_body(a->f.ev[i], buf, n);
            return t ? t : "";
        }
    return buf;
}

static int count_since(app_t *a, size_t from, const char *kind)
{
    int n = 0;
    for (size_t i = from; i < a->f.n_ev; i++)
        n += str_is(a->f.ev[i], "kind", kind);
    return n;
}

static void test_init_and_commit(void)
{
    app_t a;
    app_init(&a, 1);
    const char *id = "payments-app-1";
    int32_t p = state_partition(id);
    int32_t co = coordinator(&a, id);
    is_int(co, cluster_leader(a.f.c, TXN_STATE_TOPIC, p),
           "FindCoordinator(TRANSACTION) names the leader of the id's __transaction_state "
           "partition");
    int32_t other = co % 3 + 1;
    const init_pid_t *r = init_pid(&a, other, id, 60000, -1, -1);
    is_int(r ? r->error : -1, KERR_NOT_COORDINATOR, "another broker answers NOT_COORDINATOR");
    r = init_pid(&a, co, id, 900001, -1, -1);
    is_int(r ? r->error : -1, KERR_INVALID_TRANSACTION_TIMEOUT,
           "a timeout above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT");

    r = init_pid(&a, co, id, 60000, -1, -1);
    ok(r && r->error == KERR_NONE && r->producer_id >= 0 && r->producer_epoch == 0,
       "InitProducerId for a new id: a producer id at epoch 0");
    int64_t pid = r ? r->producer_id : -1;
    r = init_pid(&a, co, id, 60000, -1, -1);
    ok(r && r->error == KERR_NONE && r->producer_id == pid && r->producer_epoch == 1,
       "InitProducerId again: the same id, epoch bumped to 1");

    int16_t second;
    is_int(add_parts(&a, co, id, pid, 1, "nope", 2, &second), KERR_UNKNOWN_TOPIC_OR_PARTITION,
           "AddPartitionsToTxn with an unknown topic: UNKNOWN_TOPIC_OR_PARTITION");
    is_int(add_parts(&a, co, id, pid, 0, TOPIC, 2, NULL), KERR_PRODUCER_FENCED,
           "AddPartitionsToTxn with an old epoch: PRODUCER_FENCED");
    is_int(add_parts(&a, co, id, pid + 1, 1, TOPIC, 2, NULL), KERR_INVALID_PRODUCER_ID_MAPPING,
           "AddPartitionsToTxn with another producer id: INVALID_PRODUCER_ID_MAPPING");
    is_int(end_txn(&a, co, id, pid, 1, true), KERR_INVALID_TXN_STATE,
           "EndTxn with no transaction (Empty): INVALID_TXN_STATE");
    is_int(add_parts(&a, co, id, pid, 1, TOPIC, 2, &second), KERR_NONE,
           "AddPartitionsToTxn t-0, t-1: NONE");
    is_int(txn_call(&a, co, API_ADD_OFFSETS_TO_TXN, id, pid, 1, false, "my-group"), KERR_NONE,
           "AddOffsetsToTxn(my-group): NONE");
    char states[256];
    int epoch = -1, parts = -1;
    log_states(&a, id, states, sizeof states, &epoch, &parts);
    is_int(parts, 3, "the transaction holds t-0, t-1 and my-group's __consumer_offsets partition");

    char err[256];
    cJSON *d = cluster_describe_transactions(a.f.c, id, err, sizeof err);
    char *text = d ? cJSON_PrintUnformatted(d) : NULL;
    char want[512];
    snprintf(want, sizeof want,
             "{\"coordinator\":\"broker-%d\",\"transactional_id\":\"%s\",\"producer_id\":%lld,"
             "\"producer_epoch\":1,\"state\":\"Ongoing\",\"timeout_ms\":60000,"
             "\"start_ms\":%lld,\"duration_ms\":%lld,\"partitions\":[\"__consumer_offsets-%d\","
             "\"t-0\",\"t-1\"]}",
             co, id, (long long)pid, d ? (long long)trace_int(d, "start_ms", -1) : -1,
             d ? (long long)trace_int(d, "duration_ms", -1) : -1,
             gcoord_partition_for("my-group", 50));
    is_str(text, want, "describe_transactions(id) shows the coordinator, producer, state, "
                       "timeout, start and the partitions sorted");
    free(text);
    cJSON_Delete(d);
    d = cluster_describe_transactions(a.f.c, NULL, err, sizeof err);
    text = d ? cJSON_PrintUnformatted(d) : NULL;
    snprintf(want, sizeof want,
             "[{\"transactional_id\":\"%s\",\"coordinator\":\"broker-%d\",\"producer_id\":%lld,"
             "\"state\":\"Ongoing\"}]", id, co, (long long)pid);
    is_str(text, want, "describe_transactions() lists the ids");
    free(text);
    cJSON_Delete(d);
    ok(!cluster_describe_transactions(a.f.c, "nobody", err, sizeof err) &&
           strstr(err, "TRANSACTIONAL_ID_NOT_FOUND"),
       "an unknown id: TRANSACTIONAL_ID_NOT_FOUND");

    size_t mark = a.f.n_ev;
    is_int(end_txn(&a, co, id, pid, 1, true), KERR_NONE, "EndTxn(commit): NONE");
    world_run(a.f.w, a.f.w->now + 2 * SEC, NULL, NULL);
    /* __consumer_offsets does not exist in this cluster (no consumer group was made): its
     * partition is dropped as a deleted topic's would be. */
    int32_t l0 = cluster_leader(a.f.c, TOPIC, 0), l1 = cluster_leader(a.f.c, TOPIC, 1);
    is_int(markers_sent(&a, mark, "commit", NULL), l0 == l1 ? 1 : 2,
           "COMMIT markers go to the leaders of t-0 and t-1, one request per leader");
    log_states(&a, id, states, sizeof states, &epoch, &parts);
    is_str(states, "Empty Empty Ongoing Ongoing PrepareCommit CompleteCommit",
           "every transition is in the __transaction_state log, in order");
    char traced[256];
    trace_states(&a, id, 0, traced, sizeof traced);
    is_str(traced, states, "and each is traced (txn_state) when it takes effect");
    char line[512], want_line[512];
    snprintf(want_line, sizeof want_line,
             "broker-%d  transaction %s (producer %lld epoch 1): Ongoing -> PrepareCommit "
             "[__consumer_offsets-%d,t-0,t-1] (EndTxn(commit))",
             co, id, (long long)pid, gcoord_partition_for("my-group", 50));
    is_str(text_of(&a, mark, "txn_state", line, sizeof line), want_line,
           "the timeline's line for a transition");
    ok(parts == 0 && epoch == 1, "CompleteCommit: no partitions, epoch 1");

    is_int(end_txn(&a, co, id, pid, 1, true), KERR_NONE,
           "EndTxn(commit) again (a retry): NONE");
    is_int(end_txn(&a, co, id, pid, 1, false), KERR_INVALID_TXN_STATE,
           "EndTxn(abort) after a commit: INVALID_TXN_STATE");
    is_int(end_txn(&a, co, id, pid, 0, true), KERR_PRODUCER_FENCED,
           "EndTxn with an old epoch: PRODUCER_FENCED");
    is_int(end_txn(&a, co, id, pid + 7, 1, true), KERR_INVALID_PRODUCER_ID_MAPPING,
           "EndTxn with another producer id: INVALID_PRODUCER_ID_MAPPING");
    is_int(end_txn(&a, coordinator(&a, "unknown-id"), "unknown-id", pid, 1, true),
           KERR_INVALID_PRODUCER_ID_MAPPING,
           "EndTxn for an id the coordinator does not know: INVALID_PRODUCER_ID_MAPPING");
    app_free(&a);
}

static void test_fencing(void)
{
    app_t a;
    app_init(&a, 2);
    const char *id = "order-processor";
    int32_t co;
    int64_t pid = start_producer(&a, id, 60000, &co);
    add_parts(&a, co, id, pid, 0, TOPIC, 3, NULL);
    size_t mark = a.f.n_ev;
    const init_pid_t *r = init_pid(&a, co, id, 60000, -1, -1);
    is_int(r ? r->error : -1, KERR_CONCURRENT_TRANSACTIONS,
           "InitProducerId while a transaction is open: CONCURRENT_TRANSACTIONS");
    is_int(count_since(&a, mark, "txn_fenced"), 1, "the old epoch is fenced (txn_fenced)");
    char line[512], want_line[512];
    snprintf(want_line, sizeof want_line, "broker-%d  transaction %s: producer %lld fenced, "
             "epoch 0 -> 1 (InitProducerId by a new instance)", co, id, (long long)pid);
    is_str(text_of(&a, mark, "txn_fenced", line, sizeof line), want_line,
           "the timeline's line for a fence");
    world_run(a.f.w, a.f.w->now + 2 * SEC, NULL, NULL);
    is_int(markers_sent(&a, mark, "abort", NULL), 3,
           "the open transaction is aborted: ABORT markers to its partitions' leaders");
    char states[256];
    int epoch = -1;
    log_states(&a, id, states, sizeof states, &epoch, NULL);
    is_str(states, "Empty Ongoing PrepareAbort CompleteAbort",
           "the log: Ongoing, then PrepareAbort and CompleteAbort (PrepareEpochFence is never "
           "written)");
    is_int(epoch, 1, "the abort carries the bumped epoch 1");
    r = init_pid(&a, co, id, 60000, -1, -1);
    ok(r && r->error == KERR_NONE && r->producer_id == pid && r->producer_epoch == 2,
       "the new instance's retry gets epoch 2");
    is_int(add_parts(&a, co, id, pid, 0, TOPIC, 1, NULL), KERR_PRODUCER_FENCED,
           "the zombie (epoch 0) is PRODUCER_FENCED");
    is_int(end_txn(&a, co, id, pid, 0, true), KERR_PRODUCER_FENCED,
           "and so is its commit");
    r = init_pid(&a, co, id, 60000, pid, 0);
    is_int(r ? r->error : -1, KERR_PRODUCER_FENCED,
           "a KIP-360 InitProducerId naming the fenced epoch is PRODUCER_FENCED");
    r = init_pid(&a, co, id, 60000, pid, 2);
    ok(r && r->error == KERR_NONE && r->producer_epoch == 3,
       "a KIP-360 InitProducerId naming the current epoch bumps it to 3");
    app_free(&a);
}

static void test_timeout(void)
{
    app_t a;
    app_init(&a, 3);
    const char *id = "txn-A";
    int32_t co;
    int64_t pid = start_producer(&a, id, 3000, &co);
    add_parts(&a, co, id, pid, 0, TOPIC, 1, NULL);
    size_t mark = a.f.n_ev;
    world_run(a.f.w, a.f.w->now + 2 * SEC, NULL, NULL);
    is_int(count_since(&a, mark, "txn_timeout"), 0, "nothing happens before the timeout");
    world_run(a.f.w, a.f.w->now + 12 * SEC, NULL, NULL);
    is_int(count_since(&a, mark, "txn_timeout"), 1,
           "the cleanup task (every 10 s) aborts the transaction past its 3 s timeout");
    is_int(count_since(&a, mark, "txn_fenced"), 1, "fencing the producer's epoch");
    char line[512];
    ok(strstr(text_of(&a, mark, "txn_timeout", line, sizeof line),
              "transaction txn-A open ") != NULL &&
           strstr(line, " ms > transaction.timeout.ms 3000: aborting") != NULL,
       "the timeline's line for a timeout");
    is_int(markers_sent(&a, mark, "abort", NULL), 1, "ABORT markers are written");
    char states[256];
    int epoch = -1;
    log_states(&a, id, states, sizeof states, &epoch, NULL);
    is_str(states, "Empty Ongoing PrepareAbort CompleteAbort", "the log shows the abort");
    is_int(end_txn(&a, co, id, pid, 0, true), KERR_PRODUCER_FENCED,
           "the late producer's commit is PRODUCER_FENCED");
    app_free(&a);
}

/* Markers lost until the coordinator's broker crashes after PrepareCommit is durable. */
static void test_failover(void)
{
    app_t a;
    app_init(&a, 4);
    const char *id = "my-transactional-id";
    int32_t p = state_partition(id);
    int32_t co;
    int64_t pid = start_producer(&a, id, 60000, &co);
    add_parts(&a, co, id, pid, 0, TOPIC, 3, NULL);
    fault_spec_t s;
    fault_spec_init(&s, FAULT_DROP);
    s.api = API_WRITE_TXN_MARKERS;
    s.from = cluster_broker(a.f.c, co)->id;
    int rule = net_add_fault(a.f.w->net, &s);
    is_int(end_txn(&a, co, id, pid, 0, true), KERR_NONE,
           "EndTxn(commit) is answered once PrepareCommit is replicated");
    world_run(a.f.w, a.f.w->now + 200000, NULL, NULL);
    char states[256];
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty Ongoing PrepareCommit", "the markers are lost: no completion yet");
    size_t mark = a.f.n_ev;
    world_crash(a.f.w, cluster_broker(a.f.c, co), "test");
    net_remove_fault(a.f.w->net, rule);
    world_run(a.f.w, a.f.w->now + 20 * SEC, NULL, NULL);
    int32_t co2 = cluster_leader(a.f.c, TXN_STATE_TOPIC, p);
    ok(co2 > 0 && co2 != co, "another broker leads the id's partition");
    int loaded = 0;
    for (size_t i = mark; i < a.f.n_ev; i++)
        loaded += str_is(a.f.ev[i], "kind", "txn_loaded") &&
                  cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a.f.ev[i], "completing")) == 1;
    is_int(loaded, 1, "the new coordinator loads the id and finds its PrepareCommit (txn_loaded)");
    char line[512];
    ok(strstr(text_of(&a, mark, "txn_loaded", line, sizeof line),
              "loads transactional ids my-transactional-id from __transaction_state-") &&
           strstr(line, "; completing my-transactional-id"),
       "the timeline's line for a load");
    int cepoch = -1;
    ok(markers_sent(&a, mark, "commit", &cepoch) >= 1, "the new coordinator sends the COMMIT markers");
    ok(cepoch > 0, "stamped with the new coordinator epoch (the partition's leader epoch)");
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty Ongoing PrepareCommit CompleteCommit", "and completes the commit");
    app_free(&a);
}

/* A partition of the transaction without a leader: its marker waits, then goes. */
static void test_markers_wait_for_leader(void)
{
    app_t a;
    app_init(&a, 5);
    config_t tc;
    config_init(&tc, &topic_config_schema);
    const char *kv[] = { "partitions", "1", "replication.factor", "1", NULL };
    fixture_config(&tc, kv);
    char err[256];
    if (!cluster_create_topic(a.f.c, "solo", &tc, err, sizeof err))
        abort();
    config_free(&tc);
    world_run(a.f.w, a.f.w->now + 2 * SEC, NULL, NULL);
    int32_t solo = cluster_leader(a.f.c, "solo", 0);
    /* An id whose coordinator is not solo's leader. */
    char id[32] = "";
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof id, "txn-%d", i);
        if (cluster_leader(a.f.c, TXN_STATE_TOPIC, state_partition(id)) != solo)
            break;
    }
    int32_t co;
    int64_t pid = start_producer(&a, id, 60000, &co);
    add_parts(&a, co, id, pid, 0, "solo", 1, NULL);
    world_crash(a.f.w, cluster_broker(a.f.c, solo), "test");
    world_run(a.f.w, a.f.w->now + 15 * SEC, NULL, NULL);
    is_int(cluster_leader(a.f.c, "solo", 0), -1, "solo-0 has no leader");
    size_t mark = a.f.n_ev;
    is_int(end_txn(&a, co, id, pid, 0, true), KERR_NONE, "EndTxn(commit): NONE");
    world_run(a.f.w, a.f.w->now + 5 * SEC, NULL, NULL);
    is_int(markers_sent(&a, mark, NULL, NULL), 0, "no marker is sent while solo-0 has no leader");
    char states[256];
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty Ongoing PrepareCommit", "the transaction waits in PrepareCommit");
    is_int(end_txn(&a, co, id, pid, 0, true), KERR_CONCURRENT_TRANSACTIONS,
           "a retried EndTxn meanwhile: CONCURRENT_TRANSACTIONS");
    world_restart(a.f.w, cluster_broker(a.f.c, solo));
    world_run(a.f.w, a.f.w->now + 15 * SEC, NULL, NULL);
    is_int(markers_sent(&a, mark, "commit", NULL), 1, "once solo-0 has a leader its marker goes");
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty Ongoing PrepareCommit CompleteCommit", "and the commit completes");
    app_free(&a);
}

/* A lost WriteTxnMarkers request: after request.timeout.ms the coordinator closes the
 * connection and sends the markers again. */
static void test_markers_resent(void)
{
    app_t a;
    app_init(&a, 6);
    const char *id = "payments-app-1";
    int32_t co;
    int64_t pid = start_producer(&a, id, 60000, &co);
    add_parts(&a, co, id, pid, 0, TOPIC, 1, NULL);
    fault_spec_t s;
    fault_spec_init(&s, FAULT_DROP);
    s.api = API_WRITE_TXN_MARKERS;
    s.dir = DIR_REQUEST;
    s.count = 1;
    net_add_fault(a.f.w->net, &s);
    size_t mark = a.f.n_ev;
    is_int(end_txn(&a, co, id, pid, 0, false), KERR_NONE, "EndTxn(abort): NONE");
    world_run(a.f.w, a.f.w->now + 29 * SEC, NULL, NULL);
    char states[256];
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty Ongoing PrepareAbort", "the marker was lost: the abort waits");
    is_int(markers_sent(&a, mark, "abort", NULL), 1, "one marker request so far");
    world_run(a.f.w, a.f.w->now + 3 * SEC, NULL, NULL);
    is_int(markers_sent(&a, mark, "abort", NULL), 2,
           "after the 30 s request timeout the marker is sent again");
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty Ongoing PrepareAbort CompleteAbort", "and the abort completes");
    app_free(&a);
}

/* Below transaction.state.log.min.isr (2) nothing is written: COORDINATOR_NOT_AVAILABLE. */
static void test_not_enough_replicas(void)
{
    app_t a;
    app_init(&a, 7);
    const char *id = "txn-A";
    int32_t co;
    int64_t pid = start_producer(&a, id, 60000, &co);
    for (int b = 1; b <= 3; b++)
        if (b != co)
            world_crash(a.f.w, cluster_broker(a.f.c, b), "test");
    world_run(a.f.w, a.f.w->now + 15 * SEC, NULL, NULL);
    is_int(add_parts(&a, co, id, pid, 0, TOPIC, 1, NULL), KERR_COORDINATOR_NOT_AVAILABLE,
           "AddPartitionsToTxn with the ISR below transaction.state.log.min.isr: "
           "COORDINATOR_NOT_AVAILABLE (NOT_ENOUGH_REPLICAS as the coordinator maps it)");
    char states[256];
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty", "nothing was written");
    const init_pid_t *r = init_pid(&a, co, id, 60000, -1, -1);
    is_int(r ? r->error : -1, KERR_COORDINATOR_NOT_AVAILABLE,
           "and the id is not left pending: InitProducerId gets the same answer");
    app_free(&a);
}

/* A coordinator cut off from the rest of the cluster with its client: its write cannot be
 * replicated, another broker takes the partition over, and when the old one learns it has
 * lost the leadership the write is dropped with NOT_COORDINATOR. */
static void test_leadership_lost(void)
{
    app_t a;
    app_init(&a, 8);
    const char *id = "order-processor";
    int32_t p = state_partition(id);
    int32_t co;
    int64_t pid = start_producer(&a, id, 60000, &co);
    int32_t side[] = { cluster_broker(a.f.c, co)->id, a.n->id };
    int32_t rest[WORLD_MAX_NODES];
    size_t n = 0;
    for (int32_t i = 0; i < a.f.w->n_nodes; i++)
        if (i != side[0] && i != side[1])
            rest[n++] = i;
    int cut = net_partition(a.f.w->net, side, 2, rest, n, false);
    add_parts_txn_t *req = proto_calloc(1, sizeof *req);
    req->transactional_id = gp_strdup(id);
    req->producer_id = pid;
    req->producer_epoch = 0;
    req->n = 1;
    req->parts = proto_calloc(1, sizeof *req->parts);
    req->parts[0] = (txn_part_t){ world_intern(a.f.w, TOPIC), 0, 0 };
    msg_t *m = msg_new(a.f.w, API_ADD_PARTITIONS_TO_TXN, false, req, &add_parts_txn_req_ops);
    msg_unref(a.f.w, a.resp);
    a.resp = NULL;
    m->corr = ++a.corr;
    net_send(a.f.w, a.n, side[0], m);
    world_run(a.f.w, a.f.w->now + 15 * SEC, NULL, NULL);
    ok(!a.resp, "cut off from its followers, the coordinator cannot answer");
    int32_t co2 = cluster_leader(a.f.c, TXN_STATE_TOPIC, p);
    ok(co2 > 0 && co2 != co, "another broker now leads the id's partition");
    net_heal(a.f.w->net, cut);
    world_run(a.f.w, a.f.w->now + 5 * SEC, answered, &a);
    const add_parts_txn_t *r = a.resp ? a.resp->body : NULL;
    is_int(r ? r->parts[0].error : -1, KERR_NOT_COORDINATOR,
           "once it learns it lost the leadership, the pending write is answered NOT_COORDINATOR");
    ok(a.f.w->now < 40 * SEC, "well before the write's own timeout");
    char states[256];
    log_states(&a, id, states, sizeof states, NULL, NULL);
    is_str(states, "Empty", "the new leader's log has only the id's first record");
    app_free(&a);
}

int main(void)
{
    test_init_and_commit();
    test_fencing();
    test_timeout();
    test_failover();
    test_markers_wait_for_leader();
    test_markers_resent();
    test_not_enough_replicas();
    test_leadership_lost();
    return tap_done();
}
