/* Unit tests for sim/kafka/txn_state: Kafka's legal previous states for all 64 pairs, the
 * prepare operations (each refuses an illegal transition and a second pending change),
 * completeTransitionTo's checks, InitProducerId's epoch rules (bump, KIP-360 retries,
 * fencing, exhaustion), the __transaction_state record round trip and replay, and the
 * coordinator partition of a transactional id by hand-computed Java hashCodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kafka/api.h"
#include "sim/kafka/txn_coordinator.h"
#include "sim/kafka/txn_state.h"
#include "tests/unit/tap.h"

static const char *const T = "t";

/* kafka-semantics §3, written out independently of the module's table. */
static bool legal(txn_state_t to, txn_state_t from)
{
    switch (to) {
    case TXN_EMPTY:
        return from == TXN_EMPTY || from == TXN_COMPLETE_COMMIT || from == TXN_COMPLETE_ABORT;
    case TXN_ONGOING:
        return from == TXN_ONGOING || from == TXN_EMPTY || from == TXN_COMPLETE_COMMIT ||
               from == TXN_COMPLETE_ABORT;
    case TXN_PREPARE_COMMIT:
        return from == TXN_ONGOING;
    case TXN_PREPARE_ABORT:
        return from == TXN_ONGOING || from == TXN_PREPARE_EPOCH_FENCE;
    case TXN_COMPLETE_COMMIT:
        return from == TXN_PREPARE_COMMIT;
    case TXN_COMPLETE_ABORT:
        return from == TXN_PREPARE_ABORT;
    case TXN_DEAD:
        return from == TXN_EMPTY || from == TXN_COMPLETE_COMMIT || from == TXN_COMPLETE_ABORT;
    case TXN_PREPARE_EPOCH_FENCE:
        return from == TXN_ONGOING;
    }
    return false;
}

static txn_meta_t *meta_in(txn_state_t s)
{
    txn_meta_t *m = txn_meta_new("id", 1000, 60000, 0);
    m->producer_epoch = 3;
    m->state = s;
    if (s != TXN_EMPTY && s != TXN_COMPLETE_COMMIT && s != TXN_COMPLETE_ABORT && s != TXN_DEAD) {
        txn_tps_add(&m->parts, T, 0);
        m->start_ms = 5;
    }
    return m;
}

static void test_names(void)
{
    static const char *const want[TXN_N_STATES] = {
        "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
        "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence",
    };
    int good = 0;
    for (int s = 0; s < TXN_N_STATES; s++)
        good += strcmp(txn_state_name((txn_state_t)s), want[s]) == 0 &&
                txn_state_parse(want[s]) == s;
    is_int(good, TXN_N_STATES, "every state has Kafka's name and parses back");
    is_int(txn_state_parse("Bogus"), -1, "an unknown state name does not parse");
}

/* All 8x8: the table, and txn_prepare_to through the real prepare path. */
static void test_all_transitions(void)
{
    int table_ok = 0, prepare_ok = 0, n_legal = 0;
    for (int to = 0; to < TXN_N_STATES; to++)
        for (int from = 0; from < TXN_N_STATES; from++) {
            bool want = legal((txn_state_t)to, (txn_state_t)from);
            n_legal += want;
            table_ok += txn_state_valid_previous((txn_state_t)to, (txn_state_t)from) == want;
            txn_meta_t *m = meta_in((txn_state_t)from);
            txn_transit_t t = { 0 };
            int16_t err = txn_prepare_to(m, (txn_state_t)to, &t);
            bool took = err == KERR_NONE;
            if (took == want &&
                (took ? m->pending == to && t.state == (txn_state_t)to
                      : m->pending == TXN_NO_PENDING && err == KERR_INVALID_TXN_STATE))
                prepare_ok++;
            else
                tap_diag("%s -> %s: prepare gave %d", txn_state_name((txn_state_t)from),
                         txn_state_name((txn_state_t)to), err);
            if (took)
                txn_transit_free(&t);
            txn_meta_free(m);
        }
    is_int(n_legal, 16, "Kafka allows 16 of the 64 (from, to) pairs");
    is_int(table_ok, 64, "the legal previous states table matches Kafka's for all 64 pairs");
    is_int(prepare_ok, 64, "a prepared change is taken exactly for the legal pairs, refused "
                           "(nothing pending) for the illegal ones");
}

static void test_one_pending_at_a_time(void)
{
    txn_meta_t *m = meta_in(TXN_ONGOING);
    txn_transit_t t, t2;
    is_int(txn_prepare_end(m, true, 10, &t), KERR_NONE, "Ongoing -> PrepareCommit is prepared");
    is_int(m->pending, TXN_PREPARE_COMMIT, "it is the pending state");
    is_int(txn_prepare_end(m, false, 11, &t2), KERR_INVALID_TXN_STATE,
           "a second change while one is pending is refused");
    is_int(m->state, TXN_ONGOING, "nothing takes effect before the write completes");
    is_int(txn_complete(m, &t), KERR_NONE, "the durable write completes the transition");
    is_int(m->state, TXN_PREPARE_COMMIT, "the state is PrepareCommit");
    is_int(m->pending, TXN_NO_PENDING, "nothing is pending any more");
    is_int(txn_complete(m, &t), KERR_INVALID_TXN_STATE,
           "completing a change that is not pending is refused");
    txn_transit_free(&t);
    txn_meta_free(m);
}

static void test_transaction_lifecycle(void)
{
    txn_meta_t *m = txn_meta_new("app", 7, 60000, 0);
    txn_transit_t t;
    is_int(m->producer_epoch, -1, "a new id starts with no epoch");
    is_int(txn_prepare_increment_epoch(m, 60000, false, -1, 1, &t), KERR_NONE,
           "InitProducerId prepares Empty");
    is_int(t.producer_epoch, 0, "with epoch 0");
    is_int(txn_complete(m, &t), KERR_NONE, "and it completes");
    txn_transit_free(&t);

    txn_tps_t add = { 0 };
    txn_tps_add(&add, "b", 1);
    txn_tps_add(&add, "a", 2);
    txn_tps_add(&add, "a", 0);
    is_int(txn_prepare_add_partitions(m, &add, 100, &t), KERR_NONE, "AddPartitions prepares Ongoing");
    ok(t.parts.n == 3 && strcmp(t.parts.v[0].topic, "a") == 0 && t.parts.v[0].partition == 0 &&
           t.parts.v[1].partition == 2 && strcmp(t.parts.v[2].topic, "b") == 0,
       "the partitions are kept sorted by topic, then partition");
    is_int(t.start_ms, 100, "a transaction starting records its start time");
    txn_complete(m, &t);
    txn_transit_free(&t);
    txn_tps_free(&add);
    txn_tps_add(&add, "c", 0);
    is_int(txn_prepare_add_partitions(m, &add, 200, &t), KERR_NONE, "more partitions: Ongoing again");
    is_int(t.start_ms, 100, "an ongoing transaction keeps its start time");
    is_int(t.parts.n, 4, "and its partitions grow");
    txn_complete(m, &t);
    txn_transit_free(&t);
    txn_tps_free(&add);

    is_int(txn_prepare_end(m, false, 300, &t), KERR_NONE, "EndTxn(abort) prepares PrepareAbort");
    txn_complete(m, &t);
    txn_transit_free(&t);
    is_int(txn_prepare_complete(m, 400, &t), KERR_NONE, "the markers lead to a completion");
    is_int(t.state, TXN_COMPLETE_ABORT, "PrepareAbort completes as CompleteAbort");
    is_int(t.parts.n, 0, "with no partitions left");
    is_int(txn_complete(m, &t), KERR_NONE, "which takes effect");
    txn_transit_free(&t);
    is_int(txn_prepare_end(m, true, 500, &t), KERR_INVALID_TXN_STATE,
           "CompleteAbort -> PrepareCommit is refused");
    is_int(txn_prepare_to(m, TXN_DEAD, &t), KERR_NONE, "an idle id may be prepared Dead");
    is_int(txn_complete(m, &t), KERR_INVALID_TXN_STATE,
           "but Dead never completes as a state (the id is removed instead)");
    txn_transit_free(&t);
    txn_meta_free(m);
}

static void test_complete_checks(void)
{
    txn_meta_t *m = meta_in(TXN_ONGOING);
    txn_transit_t t;
    txn_prepare_end(m, true, 10, &t);
    t.producer_epoch = 9;
    is_int(txn_complete(m, &t), KERR_INVALID_TXN_STATE,
           "PrepareCommit with another epoch than the metadata's is refused");
    t.producer_epoch = 3;
    txn_tps_add(&t.parts, T, 5);
    is_int(txn_complete(m, &t), KERR_INVALID_TXN_STATE,
           "PrepareCommit with other partitions than the transaction's is refused");
    txn_transit_free(&t);
    txn_meta_free(m);

    m = meta_in(TXN_ONGOING);
    txn_tps_t none = { 0 };
    txn_prepare_add_partitions(m, &none, 10, &t);
    txn_tps_remove(&t.parts, T, 0);
    is_int(txn_complete(m, &t), KERR_INVALID_TXN_STATE,
           "Ongoing that loses a partition of the transaction is refused");
    txn_transit_free(&t);
    txn_meta_free(m);

    m = meta_in(TXN_EMPTY);
    txn_prepare_increment_epoch(m, 60000, false, -1, 1, &t);
    t.producer_epoch = 7;
    is_int(txn_complete(m, &t), KERR_INVALID_TXN_STATE,
           "Empty with an epoch that is neither the same nor the next is refused");
    txn_transit_free(&t);
    txn_meta_free(m);
}

static void test_epochs(void)
{
    txn_meta_t *m = meta_in(TXN_COMPLETE_COMMIT);
    txn_transit_t t;
    is_int(txn_prepare_increment_epoch(m, 60000, true, 3, 1, &t), KERR_NONE,
           "KIP-360: InitProducerId naming the current epoch bumps it");
    ok(t.producer_epoch == 4 && t.last_epoch == 3, "to 4, remembering 3 as the last epoch");
    txn_complete(m, &t);
    txn_transit_free(&t);
    is_int(txn_prepare_increment_epoch(m, 60000, true, 3, 2, &t), KERR_NONE,
           "a retry naming the last epoch (its answer was lost) is accepted");
    ok(t.producer_epoch == 4 && t.last_epoch == 3, "and gets the same epoch again");
    txn_complete(m, &t);
    txn_transit_free(&t);
    is_int(txn_prepare_increment_epoch(m, 60000, true, 1, 3, &t), KERR_PRODUCER_FENCED,
           "naming an older epoch is PRODUCER_FENCED");
    is_int(m->pending, TXN_NO_PENDING, "and prepares nothing");
    txn_meta_free(m);

    m = meta_in(TXN_ONGOING);
    is_int(txn_prepare_fence(m, &t), KERR_NONE, "an ongoing transaction can be fenced");
    ok(t.state == TXN_PREPARE_EPOCH_FENCE && t.producer_epoch == 4,
       "PrepareEpochFence with the epoch bumped");
    txn_transit_free(&t);
    m->pending = TXN_NO_PENDING;
    m->failed_epoch_fence = true;
    m->producer_epoch = 4;
    txn_prepare_fence(m, &t);
    is_int(t.producer_epoch, 4, "after a failed fence the epoch is not bumped again");
    txn_transit_free(&t);
    /* The retried fence's abort is written this time: PrepareAbort, then CompleteAbort. */
    m->pending = TXN_NO_PENDING;
    m->state = TXN_PREPARE_ABORT;
    is_int(txn_prepare_complete(m, 5, &t), KERR_NONE, "the retried fence's abort completes");
    txn_complete(m, &t);
    txn_transit_free(&t);
    ok(!m->failed_epoch_fence, "a written Prepare* clears the failed fence (prepareComplete)");
    m->state = TXN_ONGOING;
    txn_prepare_fence(m, &t);
    is_int(t.producer_epoch, 5, "so the next fence bumps the epoch again");
    txn_transit_free(&t);
    txn_meta_free(m);

    m = txn_meta_new("fresh", 3000, 60000, 0);
    is_int(txn_prepare_increment_epoch(m, 60000, true, 5, 1, &t), KERR_NONE,
           "KIP-360 against metadata just made (no epoch yet) is accepted");
    is_int(t.producer_epoch, 0, "and gets epoch 0 (prepareIncrementProducerEpoch)");
    txn_transit_free(&t);
    txn_meta_free(m);

    m = meta_in(TXN_EMPTY);
    m->producer_epoch = INT16_MAX - 1;
    ok(txn_epoch_exhausted(m->producer_epoch), "epoch 32766 is exhausted");
    ok(!txn_epoch_exhausted(INT16_MAX - 2), "epoch 32765 is not");
    is_int(txn_prepare_increment_epoch(m, 60000, false, -1, 1, &t), KERR_INVALID_TXN_STATE,
           "an exhausted epoch cannot be bumped");
    is_int(txn_prepare_rotate(m, 2000, 60000, false, 1, &t), KERR_NONE,
           "it rotates to a new producer id instead");
    ok(t.producer_id == 2000 && t.producer_epoch == 0 && t.prev_producer_id == 1000,
       "new id 2000 at epoch 0, the old id kept as the previous one");
    is_int(txn_complete(m, &t), KERR_NONE, "the rotation completes (epoch 0 of a new id)");
    txn_transit_free(&t);
    txn_meta_free(m);
}

static void collect(void *ctx, const char *id, const txn_transit_t *t)
{
    char *seen = ctx;
    size_t n = strlen(seen);
    snprintf(seen + n, 128 - n, "%s:%s ", id, txn_state_name(t->state));
}

static void test_record_round_trip(void)
{
    world_t *w = world_new(1, NULL);
    txn_transit_t t = { 42, -1, 5, -1, 30000, TXN_PREPARE_COMMIT, { 0 }, 1234, 5678 };
    txn_tps_add(&t.parts, "out", 1);
    txn_tps_add(&t.parts, "__consumer_offsets", 12);
    char *key, *value;
    txn_record("app-1", &t, &key, &value);
    is_str(key, "{\"transactional_id\":\"app-1\"}", "the key is the transactional id");
    char *id = NULL;
    bool tomb;
    txn_transit_t back = { 0 };
    ok(txn_record_parse((bytes_t){ key, (int32_t)strlen(key) },
                        (bytes_t){ value, (int32_t)strlen(value) }, w, &id, &tomb, &back),
       "the record parses back");
    ok(!tomb && strcmp(id, "app-1") == 0 && back.producer_id == 42 && back.producer_epoch == 5 &&
           back.timeout_ms == 30000 && back.state == TXN_PREPARE_COMMIT &&
           back.start_ms == 1234 && back.update_ms == 5678 && back.parts.n == 2 &&
           strcmp(back.parts.v[0].topic, "__consumer_offsets") == 0 &&
           back.parts.v[0].partition == 12 && back.parts.v[1].partition == 1,
       "with every field: id, producer, epoch, timeout, state, partitions, times");
    free(id);
    txn_transit_free(&back);
    ok(!txn_record_parse((bytes_t){ "{\"group\":\"g\"}", 13 }, (bytes_t){ "{}", 2 }, w, &id,
                         &tomb, &back),
       "a record without a transactional id is not a transaction record");

    /* Replay: the latest record of each id wins, a tombstone removes it. */
    plog_t log;
    plog_init(&log);
    const char *ids[] = { "b", "a", "b", "c", "c" };
    txn_state_t states[] = { TXN_EMPTY, TXN_ONGOING, TXN_PREPARE_ABORT, TXN_EMPTY, TXN_EMPTY };
    for (int i = 0; i < 5; i++) {
        txn_transit_t r = t;
        r.state = states[i];
        char *k, *v;
        txn_record(ids[i], &r, &k, &v);
        bytes_t kb = { k, (int32_t)strlen(k) };
        bytes_t vb = i == 4 ? BYTES_NULL : (bytes_t){ v, (int32_t)strlen(v) };
        log_input_t in = { 0, kb, vb };
        log_append_t meta = { -1, -1, -1, 0, 0, 100 };
        plog_append(&log, &in, 1, &meta);
        free(k);
        free(v);
    }
    char seen[128] = "";
    int32_t n = txn_load(&log, w, collect, seen);
    is_int(n, 2, "replay: two ids survive (one was removed by a tombstone)");
    is_str(seen, "b:PrepareAbort a:Ongoing ", "the latest record of each id wins, in the order "
                                               "the ids first appeared");
    plog_free(&log);
    free(key);
    free(value);
    txn_transit_free(&t);
    world_free(w);
}

static void test_partition_for(void)
{
    /* Java: "my-transactional-id".hashCode() = -959806496; abs % 50 = 46. */
    is_int(tcoord_partition_for("my-transactional-id", 50), 46,
           "\"my-transactional-id\" -> __transaction_state partition 46 of 50");
    is_int(tcoord_partition_for("payments-app-1", 50), 11,
           "\"payments-app-1\" (hashCode 1999685861) -> partition 11");
    is_int(tcoord_partition_for("order-processor", 50), 23,
           "\"order-processor\" (hashCode -1129616173) -> partition 23");
    is_int(tcoord_partition_for("txn-A", 50), 26, "\"txn-A\" (hashCode 110810526) -> partition 26");
}

int main(void)
{
    test_names();
    test_all_transitions();
    test_one_pending_at_a_time();
    test_transaction_lifecycle();
    test_complete_checks();
    test_epochs();
    test_record_round_trip();
    test_partition_for();
    return tap_done();
}
