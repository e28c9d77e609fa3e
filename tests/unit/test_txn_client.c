/* Unit tests of the transactional producer's client side (TransactionManager): every legal
 * and illegal state transition, how errors are classified (fatal, abortable, retried),
 * isSendToPartitionAllowed holding batches until their partition is added, the API's
 * IllegalStateException texts; and end to end against the broker model, with a scripted
 * transaction coordinator standing in front of the brokers (it answers the transactional
 * requests as Kafka's does, with errors on demand): init/begin/send/commit and abort,
 * re-init fencing an older instance, CONCURRENT_TRANSACTIONS retried after 20 ms, a moved
 * coordinator found again after NOT_COORDINATOR, TimeoutException and the resumed call, a
 * TxnOffsetCommit refused for a stale generation (CommitFailedException, abortable), an
 * abortable EndTxn error and the epoch bump after the abort; and against the brokers' own
 * coordinator: back-to-back commits meeting CONCURRENT_TRANSACTIONS, and the coordinator's
 * broker crashing in the middle of a transaction. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/client/txn_manager.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "sim/kafka/group_protocol.h"
#include "sim/kafka/protocol.h"
#include "sim/kafka/txn_protocol.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

/* ---- the state machine alone ---- */

/* Kafka's table, written out as the pairs that are legal (from, to). */
static bool expected_legal(tm_state_t from, tm_state_t to)
{
    static const int legal[][2] = {
        { TM_READY, TM_UNINITIALIZED },
        { TM_ABORTABLE_ERROR, TM_UNINITIALIZED },
        { TM_UNINITIALIZED, TM_INITIALIZING },
        { TM_ABORTING_TRANSACTION, TM_INITIALIZING },
        { TM_INITIALIZING, TM_READY },
        { TM_COMMITTING_TRANSACTION, TM_READY },
        { TM_ABORTING_TRANSACTION, TM_READY },
        { TM_READY, TM_IN_TRANSACTION },
        { TM_IN_TRANSACTION, TM_COMMITTING_TRANSACTION },
        { TM_IN_TRANSACTION, TM_ABORTING_TRANSACTION },
        { TM_ABORTABLE_ERROR, TM_ABORTING_TRANSACTION },
        { TM_IN_TRANSACTION, TM_ABORTABLE_ERROR },
        { TM_COMMITTING_TRANSACTION, TM_ABORTABLE_ERROR },
        { TM_ABORTABLE_ERROR, TM_ABORTABLE_ERROR },
        { TM_INITIALIZING, TM_ABORTABLE_ERROR },
    };
    if (to == TM_FATAL_ERROR)
        return true;
    for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
        if (legal[i][0] == (int)from && legal[i][1] == (int)to)
            return true;
    return false;
}

static void test_transition_table(void)
{
    int wrong = 0;
    for (int from = 0; from < TM_N_STATES; from++) {
        for (int to = 0; to < TM_N_STATES; to++) {
            txn_manager_t tm;
            tm_init(&tm);
            tm.transactional_id = "tx";
            tm.state = (tm_state_t)from;
            tm_error_t why, err;
            tm_error_set(&why, KERR_CLIENT_KAFKA, "cause");
            bool got = tm_transition(&tm, (tm_state_t)to, &why, &err);
            bool want = expected_legal((tm_state_t)from, (tm_state_t)to);
            if (got != want || tm_transition_valid((tm_state_t)from, (tm_state_t)to) != want) {
                tap_diag("%s -> %s: got %d want %d", tm_state_name(from), tm_state_name(to),
                         got, want);
                wrong++;
            }
            if (got)
                wrong += tm.state != (tm_state_t)to;
            else
                wrong += tm.state != (tm_state_t)from || err.code != KERR_CLIENT_ILLEGAL_STATE;
            tm_free(&tm);
        }
    }
    is_int(wrong, 0, "all 64 transitions are legal or refused exactly as Kafka's table says");

    txn_manager_t tm;
    tm_init(&tm);
    tm.transactional_id = "tx";
    tm.state = TM_READY;
    tm_error_t err;
    ok(!tm_transition(&tm, TM_COMMITTING_TRANSACTION, NULL, &err), "READY cannot commit");
    is_str(err.msg, "TransactionalId tx: Invalid transition attempted from state READY to state "
           "COMMITTING_TRANSACTION", "an illegal transition names both states");
    tm_free(&tm);
}

static void test_error_classes(void)
{
    txn_manager_t tm;
    tm_init(&tm);
    tm.transactional_id = "tx";
    tm.state = TM_IN_TRANSACTION;
    tm_batch_error(&tm, KERR_INVALID_PRODUCER_EPOCH, NULL);
    is_str(tm_state_name(tm.state), "ABORTABLE_ERROR",
           "a batch refused with INVALID_PRODUCER_EPOCH makes the transaction abortable");
    ok(tm.epoch_bump_required, "and the abort will bump the epoch (KIP-360)");
    tm_error_t err;
    ok(tm_maybe_fail_with_error(&tm, &err) && err.code == KERR_INVALID_PRODUCER_EPOCH,
       "the next call raises InvalidProducerEpochException");
    tm_batch_error(&tm, KERR_PRODUCER_FENCED, NULL);
    is_str(tm_state_name(tm.state), "FATAL_ERROR", "PRODUCER_FENCED is fatal");
    ok(tm_maybe_fail_with_error(&tm, &err) && err.code == KERR_PRODUCER_FENCED &&
       strcmp(tm_exception_name(err.code), "ProducerFencedException") == 0,
       "and raised as ProducerFencedException");
    ok(!tm_transition(&tm, TM_READY, NULL, &err), "nothing leaves FATAL_ERROR");

    tm.state = TM_ABORTING_TRANSACTION;
    tm.epoch_bump_required = false;
    tm_batch_error(&tm, KERR_CLIENT_TIMEOUT, "expired");
    is_str(tm_state_name(tm.state), "ABORTING_TRANSACTION",
           "a batch failing during an abort leaves the abort as it is");
    ok(!tm.epoch_bump_required, "without asking for an epoch bump (isCompleting)");
    tm_free(&tm);

    ok(kerr_retriable(KERR_CONCURRENT_TRANSACTIONS) && kerr_retriable(KERR_NOT_COORDINATOR),
       "CONCURRENT_TRANSACTIONS and NOT_COORDINATOR are retriable");
}

static void test_send_gating(void)
{
    txn_manager_t tm;
    tm_init(&tm);
    tm.transactional_id = "tx";
    tm.pid = 7;
    tm.epoch = 0;
    tm.state = TM_READY;
    tm_error_t err;
    ok(!tm_check_send(&tm, &err) && strcmp(err.msg, "Cannot call send in state READY") == 0,
       "send outside a transaction is an IllegalStateException");
    ok(tm_begin_transaction(&tm, &err), "begin_transaction from READY");
    ok(tm_check_send(&tm, &err), "send is allowed in a transaction");
    tm_maybe_add_partition(&tm, "t", 1);
    ok(!tm_send_allowed(&tm, "t", 1), "a new partition's batches wait for AddPartitionsToTxn");
    ok(tm_has_partitions_to_add(&tm), "the partition is to be added");
    tm_req_t *r = tm_next_request(&tm, true);
    ok(r && r->kind == TM_REQ_ADD_PARTITIONS && r->n_parts == 1 &&
       r->parts[0]->partition == 1, "the next request adds it");
    ok(!tm_send_allowed(&tm, "t", 1), "still held while the request is under way");
    r->parts[0]->txn = TM_TP_ADDED;
    ok(tm_send_allowed(&tm, "t", 1), "allowed once the coordinator added it");
    ok(!tm_send_allowed(&tm, "t", 0), "another partition is not");
    tm_req_free(r);
    tm_error_t fatal;
    tm_error_set(&fatal, KERR_PRODUCER_FENCED, "fenced");
    tm_fatal_error(&tm, &fatal);
    ok(!tm_send_allowed(&tm, "t", 1), "nothing is sent after a fatal error");
    tm_free(&tm);

    tm_init(&tm);
    ok(tm_send_allowed(&tm, "t", 0), "an idempotent producer's partitions are never held");
    ok(!tm_begin_transaction(&tm, &err) &&
       strcmp(err.msg, "Transactional method invoked on a non-transactional producer.") == 0,
       "transactional methods need a transactional.id");
    tm_free(&tm);
}

/* ---- end to end, with a scripted coordinator ---- */

#define MAX_NODES 16

/* Stands in front of every broker: answers the transactional requests (and finds itself
 * as the group coordinator too, for TxnOffsetCommit), passes the rest. */
typedef struct fake_coord {
    const node_ops_t *orig[MAX_NODES];
    node_ops_t ops;
    int32_t coord;            /* the coordinator's node id */
    int64_t pid;
    int16_t epoch;
    int concurrent_left;      /* AddPartitionsToTxn answered CONCURRENT_TRANSACTIONS */
    int not_coordinator_left; /* coordinated requests answered NOT_COORDINATOR */
    int32_t move_to;          /* after a NOT_COORDINATOR the coordinator is this node */
    int64_t silent_until;     /* InitProducerId unanswered before this time */
    int32_t bad_generation;   /* TxnOffsetCommit with it: ILLEGAL_GENERATION */
    int16_t end_error_once;   /* the next EndTxn's answer */
    int16_t init_bump_epoch;  /* the epoch the last InitProducerId named (-1: none) */
    int64_t add_parts_at[8];  /* when each AddPartitionsToTxn arrived */
    int n_add_parts;
    int n_find, n_end;
    bool last_commit;
} fake_coord_t;

static fake_coord_t fk;

static bool fenced_epoch(int16_t epoch)
{
    return epoch < fk.epoch;
}

static void fake_on_message(node_t *n, msg_t *m)
{
    world_t *w = n->w;
    bool txn = m->api == API_INIT_PRODUCER_ID ? ((init_pid_t *)m->body)->transactional_id != NULL
               : m->api == API_FIND_COORDINATOR || m->api == API_ADD_PARTITIONS_TO_TXN || m->api == API_ADD_OFFSETS_TO_TXN ||
                         m->api == API_END_TXN || m->api == API_TXN_OFFSET_COMMIT;
    if (m->response || !txn) {
        fk.orig[n->id]->on_message(n, m);
        return;
    }
    if (m->api == API_FIND_COORDINATOR) {
        fk.n_find++;
        find_coord_t *f = proto_calloc(1, sizeof *f);
        f->key = gp_strdup(((find_coord_t *)m->body)->key);
        f->key_type = ((find_coord_t *)m->body)->key_type;
        f->node = fk.coord;
        f->broker_id = fk.coord;
        net_reply(w, n, m, msg_new(w, m->api, true, f, &find_coord_resp_ops));
        return;
    }
    int16_t coord_err = KERR_NONE;
    if (m->api != API_TXN_OFFSET_COMMIT) {
        if (n->id != fk.coord) {
            coord_err = KERR_NOT_COORDINATOR;
        } else if (fk.not_coordinator_left > 0) {
            fk.not_coordinator_left--;
            fk.coord = fk.move_to;
            coord_err = KERR_NOT_COORDINATOR;
        }
    }
    switch (m->api) {
    case API_INIT_PRODUCER_ID: {
        if (w->now < fk.silent_until)
            return;
        init_pid_t *r = proto_calloc(1, sizeof *r);
        *r = *(init_pid_t *)m->body;
        fk.init_bump_epoch = r->producer_epoch;
        r->error = coord_err;
        if (!coord_err) {
            if (fk.pid < 0)
                fk.pid = 4000;
            else
                fk.epoch++;
            r->producer_id = fk.pid;
            r->producer_epoch = fk.epoch;
        }
        net_reply(w, n, m, msg_new(w, m->api, true, r, &init_pid_resp_ops));
        return;
    }
    case API_ADD_PARTITIONS_TO_TXN: {
        add_parts_txn_t *r = add_parts_txn_copy(m->body);
        if (fk.n_add_parts < 8)
            fk.add_parts_at[fk.n_add_parts++] = w->now;
        int16_t e = coord_err ? coord_err : fenced_epoch(r->producer_epoch) ? KERR_PRODUCER_FENCED
                                        : fk.concurrent_left > 0 ? KERR_CONCURRENT_TRANSACTIONS
                                                                 : KERR_NONE;
        if (e == KERR_CONCURRENT_TRANSACTIONS)
            fk.concurrent_left--;
        for (int32_t i = 0; i < r->n; i++)
            r->parts[i].error = e;
        net_reply(w, n, m, msg_new(w, m->api, true, r, &add_parts_txn_resp_ops));
        return;
    }
    case API_ADD_OFFSETS_TO_TXN:
    case API_END_TXN: {
        txn_req_t *r = txn_req_copy(m->body);
        r->error = coord_err ? coord_err
                   : fenced_epoch(r->producer_epoch) ? KERR_PRODUCER_FENCED : KERR_NONE;
        if (m->api == API_END_TXN && !r->error && fk.end_error_once) {
            r->error = fk.end_error_once;
            fk.end_error_once = KERR_NONE;
        }
        if (m->api == API_END_TXN && !r->error) {
            fk.n_end++;
            fk.last_commit = r->commit;
        }
        net_reply(w, n, m, msg_new(w, m->api, true, r,
                                   m->api == API_END_TXN ? &end_txn_resp_ops
                                                         : &add_offsets_txn_resp_ops));
        return;
    }
    case API_TXN_OFFSET_COMMIT: {
        txn_offset_commit_t *r = txn_offset_commit_copy(m->body);
        for (int32_t i = 0; i < r->n; i++)
            r->parts[i].error = r->generation == fk.bad_generation ? KERR_ILLEGAL_GENERATION
                                                                   : KERR_NONE;
        net_reply(w, n, m, msg_new(w, m->api, true, r, &txn_offset_commit_resp_ops));
        return;
    }
    default:
        return;
    }
}

typedef struct env {
    fixture_t f;
    producer_t *p, *p2;
} env_t;

static producer_t *new_producer(env_t *e, const char *name, const char *const *kv)
{
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *base[] = { "transactional.id", "tx-1", NULL };
    fixture_config(&pc, base);
    fixture_config(&pc, kv);
    producer_t *p = cluster_producer(e->f.c, name, &pc, e->f.err, sizeof e->f.err);
    config_free(&pc);
    if (!p) {
        tap_diag("%s", e->f.err);
        abort();
    }
    return p;
}

static env_t *env_new(int brokers, const char *const *kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    fixture_init(&e->f, 1, brokers, 2);
    memset(&fk, 0, sizeof fk);
    fk.pid = -1;
    fk.bad_generation = -100;
    fk.ops = *cluster_broker(e->f.c, 1)->ops;
    fk.ops.on_message = fake_on_message;
    for (int b = 1; b <= brokers; b++) {
        node_t *n = cluster_broker(e->f.c, b);
        fk.orig[n->id] = n->ops;
        n->ops = &fk.ops;
    }
    fk.coord = cluster_broker(e->f.c, 1)->id;
    fk.move_to = fk.coord;
    e->p = new_producer(e, "p1", kv);
    return e;
}

static void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

typedef struct outcome {
    bool done;
    int16_t error;
    char msg[400];
    int64_t at;
} outcome_t;

static void on_outcome(void *ctx, producer_t *p, int16_t error, const char *message)
{
    outcome_t *o = ctx;
    o->done = true;
    o->error = error;
    o->at = producer_node(p)->w->now;
    snprintf(o->msg, sizeof o->msg, "%s", message);
}

typedef void (*call_fn)(producer_t *p, producer_txn_fn fn, void *ctx);

static bool outcome_in(void *ctx)
{
    return ((outcome_t *)ctx)->done;
}

/* Calls fn and runs the world until its outcome is in (or nothing is left to happen). */
static outcome_t call(env_t *e, producer_t *p, call_fn fn)
{
    outcome_t o = { 0 };
    fn(p, on_outcome, &o);
    if (!o.done)
        world_run(e->f.w, 600 * US_PER_S, outcome_in, &o);
    return o;
}

static int64_t send_value(env_t *e, producer_t *p, int32_t partition, const char *value,
                          char *err, size_t errlen)
{
    return producer_send(p, TOPIC, partition, BYTES_NULL, str(value), -1, err, errlen);
}

static int count_kind(env_t *e, const char *kind, const char *to)
{
    int n = 0;
    for (size_t i = 0; i < e->f.n_ev; i++) {
        const cJSON *k = cJSON_GetObjectItem(e->f.ev[i], "kind");
        const cJSON *t = cJSON_GetObjectItem(e->f.ev[i], "to");
        if (k && strcmp(k->valuestring, kind) == 0 &&
            (!to || (t && cJSON_IsString(t) && strcmp(t->valuestring, to) == 0)))
            n++;
    }
    return n;
}

static void test_commit_and_abort(void)
{
    env_t *e = env_new(1, NULL);
    char err[400];
    ok(send_value(e, e->p, 0, "x", err, sizeof err) < 0 &&
       strstr(err, "IllegalStateException: Cannot perform a 'send' before completing a call to "
                   "initTransactions") != NULL,
       "send before init_transactions is refused");
    outcome_t o = call(e, e->p, producer_init_transactions);
    ok(o.done && o.error == KERR_NONE, "init_transactions completes");
    is_str(producer_txn_state(e->p), "READY", "the producer is READY");
    int64_t id;
    int16_t epoch;
    ok(producer_id(e->p, &id, &epoch) && id == 4000 && epoch == 0,
       "it has the coordinator's producer id and epoch");
    is_int(producer_begin_transaction(e->p, err, sizeof err), KERR_NONE, "begin_transaction");
    int64_t h0 = send_value(e, e->p, 0, "a", err, sizeof err);
    int64_t h1 = send_value(e, e->p, 1, "b", err, sizeof err);
    o = call(e, e->p, producer_commit_transaction);
    ok(o.done && o.error == KERR_NONE, "commit_transaction completes");
    ok(producer_result(e->p, (uint32_t)h0)->done && producer_result(e->p, (uint32_t)h1)->done &&
       producer_result(e->p, (uint32_t)h0)->error == KERR_NONE,
       "the commit flushed the records first");
    ok(fk.n_end == 1 && fk.last_commit, "one EndTxn(commit) reached the coordinator");
    is_int(fk.n_add_parts, 1, "both partitions were added in one AddPartitionsToTxn");
    const plog_t *l = fixture_log(&e->f, 0);
    ok(l->n_batches > 0 && (l->batches[0].flags & LOG_REC_TRANSACTIONAL),
       "the batch is written as transactional");

    is_int(producer_begin_transaction(e->p, err, sizeof err), KERR_NONE, "a second transaction");
    int64_t h2 = send_value(e, e->p, 0, "c", err, sizeof err);
    world_run(e->f.w, e->f.w->now + US_PER_S, NULL, NULL);
    o = call(e, e->p, producer_abort_transaction);
    ok(o.done && o.error == KERR_NONE, "abort_transaction completes");
    const send_result_t *r2 = producer_result(e->p, (uint32_t)h2);
    ok(r2->done, "the record of the aborted transaction is done");
    ok(fk.n_end == 2 && !fk.last_commit, "an EndTxn(abort) reached the coordinator");
    is_str(producer_txn_state(e->p), "READY", "READY again");

    o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_CLIENT_ILLEGAL_STATE &&
       strstr(o.msg, "Invalid transition attempted from state READY to state "
                     "COMMITTING_TRANSACTION") != NULL,
       "commit outside a transaction is an IllegalStateException");
    is_int(producer_begin_transaction(e->p, err, sizeof err), KERR_NONE, "an empty transaction");
    int ends = fk.n_end;
    o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_NONE && fk.n_end == ends,
       "committing a transaction that added nothing sends no EndTxn");
    ok(count_kind(e, "txn_client", "IN_TRANSACTION") == 3, "the trace shows every state change");
    env_free(e);
}

static void test_abort_fails_unsent_batches(void)
{
    const char *kv[] = { "linger.ms", "60000", NULL };
    env_t *e = env_new(1, kv);
    char err[400];
    call(e, e->p, producer_init_transactions);
    producer_begin_transaction(e->p, err, sizeof err);
    fk.concurrent_left = 1000000; /* the partition is never added */
    int64_t h = send_value(e, e->p, 0, "held", err, sizeof err);
    world_run(e->f.w, e->f.w->now + 500 * US_PER_MS, NULL, NULL);
    ok(!producer_result(e->p, (uint32_t)h)->done,
       "a batch waits while its partition is not in the transaction");
    fk.concurrent_left = 0;
    outcome_t o = { 0 };
    producer_abort_transaction(e->p, on_outcome, &o);
    world_run(e->f.w, e->f.w->now + 5 * US_PER_S, NULL, NULL);
    const send_result_t *r = producer_result(e->p, (uint32_t)h);
    ok(r->done && r->error == KERR_CLIENT_TXN_ABORTED,
       "abort fails the unsent batch with TransactionAbortedException");
    ok(o.done && o.error == KERR_NONE, "and the abort completes");
    env_free(e);
}

static void test_concurrent_transactions_retry(void)
{
    env_t *e = env_new(1, NULL);
    char err[400];
    call(e, e->p, producer_init_transactions);
    producer_begin_transaction(e->p, err, sizeof err);
    fk.concurrent_left = 2;
    send_value(e, e->p, 0, "a", err, sizeof err);
    outcome_t o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_NONE, "the commit goes through after CONCURRENT_TRANSACTIONS");
    is_int(fk.n_add_parts, 3, "AddPartitionsToTxn was sent three times");
    int64_t gap = fk.add_parts_at[1] - fk.add_parts_at[0];
    ok(gap >= 20 * US_PER_MS && gap < 100 * US_PER_MS,
       "the first AddPartitions of a transaction retries after 20 ms, not retry.backoff.ms "
       "(%lld µs)", (long long)gap);
    env_free(e);
}

static void test_coordinator_moved(void)
{
    env_t *e = env_new(2, NULL);
    char err[400];
    call(e, e->p, producer_init_transactions);
    int finds = fk.n_find;
    fk.not_coordinator_left = 1;
    fk.move_to = cluster_broker(e->f.c, 2)->id;
    producer_begin_transaction(e->p, err, sizeof err);
    send_value(e, e->p, 0, "a", err, sizeof err);
    outcome_t o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_NONE, "the transaction commits at the new coordinator");
    ok(fk.n_find == finds + 1, "after NOT_COORDINATOR the coordinator was looked up again");
    env_free(e);
}

static void test_fencing(void)
{
    env_t *e = env_new(1, NULL);
    char err[400];
    call(e, e->p, producer_init_transactions);
    producer_begin_transaction(e->p, err, sizeof err);
    e->p2 = new_producer(e, "p2", NULL);
    outcome_t o = call(e, e->p2, producer_init_transactions);
    ok(o.error == KERR_NONE, "a second instance with the same transactional.id initializes");
    int64_t id;
    int16_t epoch;
    ok(producer_id(e->p2, &id, &epoch) && epoch == 1, "with the bumped epoch");
    int64_t h = send_value(e, e->p, 0, "zombie", err, sizeof err);
    o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_PRODUCER_FENCED, "the old instance's commit fails: %s: %s",
       producer_exception(o.error), o.msg);
    is_str(producer_txn_state(e->p), "FATAL_ERROR", "the old instance is in FATAL_ERROR");
    world_run(e->f.w, e->f.w->now + 100 * US_PER_MS, NULL, NULL);
    ok(producer_result(e->p, (uint32_t)h)->done &&
       producer_result(e->p, (uint32_t)h)->error != KERR_NONE, "its record failed");
    int16_t code = producer_begin_transaction(e->p, err, sizeof err);
    ok(code == KERR_PRODUCER_FENCED && strstr(err, "has been fenced by another producer") != NULL,
       "its next call fails with ProducerFencedException");
    ok(send_value(e, e->p, 0, "more", err, sizeof err) < 0 && strstr(err, "KafkaException") != NULL,
       "and so does send");
    env_free(e);
}

static void test_timeout_and_resume(void)
{
    const char *kv[] = { "max.block.ms", "1000", "request.timeout.ms", "2000", NULL };
    env_t *e = env_new(1, kv);
    fk.silent_until = 3 * US_PER_S;
    outcome_t o = call(e, e->p, producer_init_transactions);
    is_str(producer_exception(o.error), "TimeoutException", "init_transactions times out");
    is_str(o.msg, "Timeout expired after 1000ms while awaiting InitProducerId",
           "with Kafka's message");
    char err[400];
    int16_t code = producer_begin_transaction(e->p, err, sizeof err);
    ok(code == KERR_CLIENT_ILLEGAL_STATE &&
       strcmp(err, "Cannot attempt operation `beginTransaction` because the previous call to "
                   "`initTransactions` timed out and must be retried") == 0,
       "another call meanwhile is an IllegalStateException");
    world_run(e->f.w, 5 * US_PER_S, NULL, NULL);
    o = call(e, e->p, producer_init_transactions);
    ok(o.error == KERR_NONE, "calling init_transactions again resumes and completes");
    ok(producer_begin_transaction(e->p, err, sizeof err) == KERR_NONE,
       "and the producer can begin a transaction");
    env_free(e);
}

static void send_offsets_gen(producer_t *p, producer_txn_fn fn, void *ctx, int32_t gen)
{
    producer_offset_t off = { world_intern(producer_node(p)->w, TOPIC), 0, 5 };
    producer_group_meta_t gm = { "g", "m-1", NULL, gen };
    producer_send_offsets_to_transaction(p, &off, 1, &gm, fn, ctx);
}

static void send_offsets_ok(producer_t *p, producer_txn_fn fn, void *ctx)
{
    send_offsets_gen(p, fn, ctx, 3);
}

static void send_offsets_stale(producer_t *p, producer_txn_fn fn, void *ctx)
{
    send_offsets_gen(p, fn, ctx, 2);
}

static void test_send_offsets(void)
{
    env_t *e = env_new(1, NULL);
    char err[400];
    call(e, e->p, producer_init_transactions);
    producer_begin_transaction(e->p, err, sizeof err);
    outcome_t o = call(e, e->p, send_offsets_ok);
    ok(o.error == KERR_NONE, "send_offsets_to_transaction completes after TxnOffsetCommit");
    o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_NONE && fk.n_end == 1, "offsets alone make a transaction to commit");

    producer_begin_transaction(e->p, err, sizeof err);
    fk.bad_generation = 2;
    o = call(e, e->p, send_offsets_stale);
    ok(o.error == KERR_CLIENT_COMMIT_FAILED &&
       strstr(o.msg, "Transaction offset Commit failed due to consumer group metadata "
                     "mismatch") != NULL,
       "a stale generation fails with CommitFailedException");
    is_str(producer_txn_state(e->p), "ABORTABLE_ERROR", "which is abortable");
    o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_CLIENT_KAFKA, "commit is refused in ABORTABLE_ERROR (%s)", o.msg);
    o = call(e, e->p, producer_abort_transaction);
    ok(o.error == KERR_NONE, "abort completes");
    int64_t id;
    int16_t epoch;
    ok(producer_id(e->p, &id, &epoch) && epoch == 0,
       "without an epoch bump: a TxnOffsetCommit error is abortable as it is");
    is_str(producer_txn_state(e->p), "READY", "the producer is READY again");
    env_free(e);
}

static void test_abortable_with_epoch_bump(void)
{
    env_t *e = env_new(1, NULL);
    char err[400];
    call(e, e->p, producer_init_transactions);
    producer_begin_transaction(e->p, err, sizeof err);
    send_value(e, e->p, 0, "a", err, sizeof err);
    fk.end_error_once = KERR_UNKNOWN_PRODUCER_ID;
    outcome_t o = call(e, e->p, producer_commit_transaction);
    is_str(producer_exception(o.error), "UnknownProducerIdException",
           "EndTxn refused with UNKNOWN_PRODUCER_ID fails the commit");
    is_str(producer_txn_state(e->p), "ABORTABLE_ERROR", "the error is abortable");
    ok(send_value(e, e->p, 0, "b", err, sizeof err) < 0 &&
       strstr(err, "KafkaException: Cannot perform send because at least one previous "
                   "transactional or idempotent request has failed with errors.") != NULL,
       "send is refused in ABORTABLE_ERROR");
    o = call(e, e->p, producer_abort_transaction);
    ok(o.error == KERR_NONE, "abort_transaction completes");
    int64_t id;
    int16_t epoch;
    ok(producer_id(e->p, &id, &epoch) && epoch == 1 && fk.init_bump_epoch == 0,
       "after an InitProducerId that named the current epoch and got the next (KIP-360)");
    is_str(producer_txn_state(e->p), "READY", "READY again");
    ok(count_kind(e, "txn_client", "INITIALIZING") == 2,
       "the abort went ABORTING_TRANSACTION -> INITIALIZING -> READY");
    producer_begin_transaction(e->p, err, sizeof err);
    int64_t h = send_value(e, e->p, 0, "c", err, sizeof err);
    o = call(e, e->p, producer_commit_transaction);
    const send_result_t *r = producer_result(e->p, (uint32_t)h);
    ok(o.error == KERR_NONE && r->done && r->error == KERR_NONE,
       "the next transaction commits, its sequences restarted under the new epoch");
    env_free(e);
}

/* ---- end to end with the broker's own transaction coordinator ---- */

static env_t *env_real(void)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    const char *tkv[] = { "partitions", "2", "replication.factor", "3", NULL };
    fixture_init_with(&e->f, 7, 3, NULL, tkv);
    e->p = new_producer(e, "p1", NULL);
    return e;
}

static const char *ev_str(const cJSON *ev, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(ev, k);
    return v && cJSON_IsString(v) ? v->valuestring : "";
}

/* The times (µs) of p1's AddPartitionsToTxn requests, and whether any answer was
 * CONCURRENT_TRANSACTIONS. */
static int add_parts_requests(env_t *e, int64_t *at, int max, bool *concurrent)
{
    int n = 0;
    *concurrent = false;
    for (size_t i = 0; i < e->f.n_ev; i++) {
        const cJSON *ev = e->f.ev[i];
        if (strcmp(ev_str(ev, "kind"), "send") != 0 ||
            strcmp(ev_str(ev, "api"), "AddPartitionsToTxn") != 0)
            continue;
        if (strcmp(ev_str(ev, "dir"), "request") == 0 && n < max) {
            const cJSON *t = cJSON_GetObjectItem(ev, "t");
            at[n++] = cJSON_IsRaw(t) ? strtoll(t->valuestring, NULL, 10) : (int64_t)t->valuedouble;
        } else if (strcmp(ev_str(ev, "dir"), "response") == 0) {
            const cJSON *parts = cJSON_GetObjectItem(ev, "parts");
            const cJSON *pe = parts ? cJSON_GetArrayItem(parts, 0) : NULL;
            if (pe && strcmp(ev_str(pe, "error"), "CONCURRENT_TRANSACTIONS") == 0)
                *concurrent = true;
        }
    }
    return n;
}

static void test_real_coordinator(void)
{
    env_t *e = env_real();
    char err[400];
    outcome_t o = call(e, e->p, producer_init_transactions);
    ok(o.error == KERR_NONE, "init_transactions against the broker's coordinator");
    for (int i = 0; i < 2; i++) {
        producer_begin_transaction(e->p, err, sizeof err);
        send_value(e, e->p, 0, "v", err, sizeof err);
        o = call(e, e->p, producer_commit_transaction);
        ok(o.error == KERR_NONE, "transaction %d commits", i + 1);
    }
    int64_t at[8];
    bool concurrent;
    int n = add_parts_requests(e, at, 8, &concurrent);
    ok(concurrent && n >= 3, "the second transaction's AddPartitionsToTxn met "
       "CONCURRENT_TRANSACTIONS while the first one's markers were being written");
    ok(n >= 3 && at[2] - at[1] >= 20 * US_PER_MS && at[2] - at[1] < 100 * US_PER_MS,
       "and was retried after 20 ms (%lld µs)", n >= 3 ? (long long)(at[2] - at[1]) : -1LL);

    /* The coordinator's broker crashes in the middle of a transaction. */
    const char *coord = NULL;
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (strcmp(ev_str(e->f.ev[i], "kind"), "txn_coordinator_found") == 0)
            coord = ev_str(e->f.ev[i], "coordinator");
    node_t *cn = coord ? world_find(e->f.w, coord) : NULL;
    ok(cn != NULL, "the producer knows its coordinator (%s)", coord ? coord : "none");
    producer_begin_transaction(e->p, err, sizeof err);
    int64_t h = send_value(e, e->p, 1, "during-failover", err, sizeof err);
    world_run(e->f.w, e->f.w->now + 50 * US_PER_MS, NULL, NULL);
    if (cn)
        world_crash(e->f.w, cn, "test");
    o = call(e, e->p, producer_commit_transaction);
    ok(o.error == KERR_NONE, "the commit completes at the new coordinator (%s)",
       o.error ? o.msg : "ok");
    ok(producer_result(e->p, (uint32_t)h)->error == KERR_NONE, "with its record written");
    const char *now_coord = NULL;
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (strcmp(ev_str(e->f.ev[i], "kind"), "txn_coordinator_found") == 0)
            now_coord = ev_str(e->f.ev[i], "coordinator");
    ok(coord && now_coord && strcmp(coord, now_coord) != 0,
       "after the crash the producer found the new coordinator (%s)",
       now_coord ? now_coord : "none");
    env_free(e);
}

static void test_config(void)
{
    fixture_t f;
    fixture_init(&f, 1, 1, 1);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *kv[] = { "transactional.id", "tx", "enable.idempotence", "false", NULL };
    fixture_config(&pc, kv);
    producer_t *p = cluster_producer(f.c, "p1", &pc, f.err, sizeof f.err);
    ok(!p && strstr(f.err, "Cannot set a transactional.id without also enabling idempotence."),
       "transactional.id with enable.idempotence=false is a ConfigException");
    config_free(&pc);
    config_init(&pc, &producer_config_schema);
    const char *kv2[] = { "transactional.id", "tx", "acks", "1", NULL };
    fixture_config(&pc, kv2);
    p = cluster_producer(f.c, "p2", &pc, f.err, sizeof f.err);
    ok(!p, "so is one whose acks turn idempotence off");
    config_free(&pc);
    fixture_free(&f);
}

int main(void)
{
    test_transition_table();
    test_error_classes();
    test_send_gating();
    test_commit_and_abort();
    test_abort_fails_unsent_batches();
    test_concurrent_transactions_retry();
    test_coordinator_moved();
    test_fencing();
    test_timeout_and_resume();
    test_send_offsets();
    test_abortable_with_epoch_bump();
    test_real_coordinator();
    test_config();
    return tap_done();
}
