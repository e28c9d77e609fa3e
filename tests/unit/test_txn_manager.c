/* Unit tests for sim/client/txn_manager, the producer's TransactionManager for an
 * idempotent producer: sequences per partition, what may be drained, canRetry's rules for
 * OUT_OF_ORDER_SEQUENCE_NUMBER, failed batches, unresolved sequences after a delivery
 * timeout and their resolution, the client-side epoch bump (KIP-360) that renumbers the
 * batches in flight from 0, and the exhausted epoch that needs a new producer id. Batches
 * are built by hand: no world runs here. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/client/producer_internal.h"
#include "sim/kafka/api.h"
#include "tests/unit/tap.h"

static const char *const T = "t"; /* the one topic: interned names compare by pointer */

static pbatch_t *batch(int32_t partition, int32_t records)
{
    pbatch_t *pb = proto_calloc(1, sizeof *pb);
    pb->b = batch_new(T, partition);
    for (int32_t i = 0; i < records; i++)
        batch_add(pb->b, BYTES_NULL, (bytes_t){ "v", 1 }, 0);
    pb->pid = TM_NO_PID;
    pb->epoch = TM_NO_EPOCH;
    pb->base_seq = TM_NO_SEQ;
    return pb;
}

static void batch_free(pbatch_t *pb)
{
    batch_unref(pb->b);
    free(pb);
}

static txn_manager_t ready_tm(void)
{
    txn_manager_t tm;
    tm_init(&tm);
    tm_bump_epoch_and_reset_id_if_needed(&tm);
    tm_init_pid_done(&tm, 7, 0);
    return tm;
}

static void test_init(void)
{
    txn_manager_t tm;
    tm_init(&tm);
    ok(!tm_has_pid(&tm), "a new producer has no producer id");
    pbatch_t *a = batch(0, 1);
    ok(tm_should_stop_drain(&tm, a, T, 0), "nothing is drained before InitProducerId answered");
    tm_bump_epoch_and_reset_id_if_needed(&tm);
    ok(tm.state == TM_INITIALIZING && tm.init_queued,
       "the first run of the sender queues an InitProducerId");
    tm_init_pid_done(&tm, 7, 0);
    ok(tm_has_pid(&tm) && tm.state == TM_READY && !tm.init_queued,
       "its answer sets id 7, epoch 0, and the producer is ready");
    ok(!tm_should_stop_drain(&tm, a, T, 0), "then the batch may be drained");
    batch_free(a);
    tm_free(&tm);
}

static void test_sequences(void)
{
    txn_manager_t tm = ready_tm();
    pbatch_t *a = batch(0, 3), *b = batch(0, 2), *c = batch(1, 4);
    tm_assign_sequence(&tm, a, T, 0);
    tm_assign_sequence(&tm, b, T, 0);
    tm_assign_sequence(&tm, c, T, 1);
    ok(a->pid == 7 && a->epoch == 0 && a->base_seq == 0,
       "the first batch of a partition goes with the producer's id and epoch at sequence 0");
    is_int(b->base_seq, 3, "the next batch continues after the first's three records (3)");
    is_int(c->base_seq, 0, "another partition has sequences of its own (0)");
    is_int(tm_first_inflight_seq(&tm, T, 0), 0, "the first batch in flight has sequence 0");
    tm_completed(&tm, a);
    is_int(tm_part(&tm, T, 0)->last_acked_seq, 2, "an answer sets the last acknowledged sequence");
    is_int(tm_first_inflight_seq(&tm, T, 0), 3, "the next batch is now the first in flight");
    batch_free(a);
    batch_free(b);
    batch_free(c);
    tm_free(&tm);
}

static void test_retried_batch_goes_first(void)
{
    txn_manager_t tm = ready_tm();
    pbatch_t *a = batch(0, 1), *b = batch(0, 1), *fresh = batch(0, 1);
    tm_assign_sequence(&tm, a, T, 0);
    tm_assign_sequence(&tm, b, T, 0);
    ok(tm_should_stop_drain(&tm, b, T, 0),
       "a retried batch (sequence 1) waits while an earlier one (0) is in flight");
    ok(!tm_should_stop_drain(&tm, a, T, 0), "the first in flight (sequence 0) may go again");
    ok(!tm_should_stop_drain(&tm, fresh, T, 0), "a batch not yet numbered may go after them");
    batch_free(a);
    batch_free(b);
    batch_free(fresh);
    tm_free(&tm);
}

static void test_out_of_order(void)
{
    txn_manager_t tm = ready_tm();
    pbatch_t *a = batch(0, 1), *b = batch(0, 1);
    tm_assign_sequence(&tm, a, T, 0);
    tm_assign_sequence(&tm, b, T, 0);
    ok(tm_can_retry(&tm, b, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER),
       "OUT_OF_ORDER for a batch that is not the next one (1 while 0 is unacknowledged) is retried");
    ok(!tm.epoch_bump_required, "without an epoch bump: the earlier batch may still fill the gap");
    ok(tm_can_retry(&tm, a, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER),
       "OUT_OF_ORDER for the next batch (0) is retried too");
    ok(tm.epoch_bump_required && tm_part(&tm, T, 0)->rewrite,
       "but it is a real gap in the log: an epoch bump is requested for the partition");
    ok(!tm_can_retry(&tm, a, KERR_INVALID_PRODUCER_EPOCH),
       "INVALID_PRODUCER_EPOCH is not retriable");
    ok(tm_can_retry(&tm, a, KERR_NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER is retriable");
    batch_free(a);
    batch_free(b);
    tm_free(&tm);
}

static void test_epoch_bump_renumbers(void)
{
    txn_manager_t tm = ready_tm();
    pbatch_t *a = batch(0, 2), *b = batch(0, 3), *other = batch(1, 1);
    tm_assign_sequence(&tm, a, T, 0);
    tm_assign_sequence(&tm, b, T, 0);
    tm_assign_sequence(&tm, other, T, 1);
    tm_failed(&tm, a, KERR_MESSAGE_TOO_LARGE, true);
    ok(tm.epoch_bump_required, "a batch failed for good with retries left asks for an epoch bump");
    tm_bump_epoch_and_reset_id_if_needed(&tm);
    is_int(tm.epoch, 1, "the producer bumps its own epoch (0 -> 1) without a request");
    is_int(tm.n_bumped, 1, "one partition is renumbered");
    ok(b->epoch == 1 && b->base_seq == 0 && b->seq_reset,
       "the batch still in flight restarts at sequence 0 under epoch 1");
    is_int(tm_part(&tm, T, 0)->next_seq, 3, "the partition's next sequence follows it (3)");
    ok(other->epoch == 0 && other->base_seq == 0,
       "a partition that asked for nothing keeps its batches as they are");
    pbatch_t *c = batch(1, 1);
    ok(tm_should_stop_drain(&tm, c, T, 1),
       "on that partition a new batch waits while batches of the old epoch are in flight");
    tm_completed(&tm, other);
    ok(!tm_should_stop_drain(&tm, c, T, 1), "once they are done it may go");
    tm_assign_sequence(&tm, c, T, 1);
    ok(c->epoch == 1 && c->base_seq == 0, "and it starts the partition over at sequence 0, epoch 1");
    batch_free(a);
    batch_free(b);
    batch_free(c);
    batch_free(other);
    tm_free(&tm);
}

static void test_unresolved(void)
{
    /* The batch after the expired one was acknowledged: the sequence resolves itself. */
    txn_manager_t tm = ready_tm();
    pbatch_t *a = batch(0, 1), *b = batch(0, 1);
    tm_assign_sequence(&tm, a, T, 0);
    tm_assign_sequence(&tm, b, T, 0);
    tm_failed(&tm, a, KERR_CLIENT_TIMEOUT, false);
    tm_mark_unresolved(&tm, a);
    pbatch_t *fresh = batch(0, 1);
    ok(tm_should_stop_drain(&tm, fresh, T, 0),
       "no new batch is drained while a sequence is unresolved");
    tm_maybe_resolve_sequences(&tm);
    ok(tm_part(&tm, T, 0)->unresolved, "it stays unresolved while batches are in flight");
    tm_completed(&tm, b);
    tm_maybe_resolve_sequences(&tm);
    ok(!tm_part(&tm, T, 0)->unresolved && !tm.epoch_bump_required,
       "the next batch was acknowledged, so the expired one was written: resolved, no bump");
    batch_free(a);
    batch_free(b);
    tm_free(&tm);

    /* Everything after it expired too: the broker's state is unknown, bump the epoch. */
    tm = ready_tm();
    a = batch(0, 1);
    tm_assign_sequence(&tm, a, T, 0);
    tm_failed(&tm, a, KERR_CLIENT_TIMEOUT, false);
    tm_mark_unresolved(&tm, a);
    tm_maybe_resolve_sequences(&tm);
    ok(tm.epoch_bump_required, "with nothing acknowledged after it, an epoch bump is requested");
    tm_bump_epoch_and_reset_id_if_needed(&tm);
    ok(tm.epoch == 1 && !tm_part(&tm, T, 0)->unresolved, "epoch 1, the partition is resolved");
    ok(!tm_should_stop_drain(&tm, fresh, T, 0), "new batches flow again");
    tm_assign_sequence(&tm, fresh, T, 0);
    is_int(fresh->base_seq, 0, "from sequence 0");
    batch_free(a);
    batch_free(fresh);
    tm_free(&tm);
}

static void test_epoch_exhausted(void)
{
    txn_manager_t tm;
    tm_init(&tm);
    tm_bump_epoch_and_reset_id_if_needed(&tm);
    tm_init_pid_done(&tm, 9, INT16_MAX);
    pbatch_t *a = batch(0, 1);
    tm_assign_sequence(&tm, a, T, 0);
    tm_failed(&tm, a, KERR_MESSAGE_TOO_LARGE, true);
    tm_bump_epoch_and_reset_id_if_needed(&tm);
    ok(!tm_has_pid(&tm) && tm.state == TM_INITIALIZING && tm.init_queued,
       "at epoch 32767 there is no bump: the producer asks InitProducerId for a new id");
    batch_free(a);
    tm_free(&tm);
}

int main(void)
{
    test_init();
    test_sequences();
    test_retried_batch_goes_first();
    test_out_of_order();
    test_epoch_bump_renumbers();
    test_unresolved();
    test_epoch_exhausted();
    return tap_done();
}
