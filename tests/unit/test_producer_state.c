/* Unit tests for sim/kafka/producer_state: the leader's sequence checks in Kafka's order,
 * branch by branch (in order, duplicate of a retained batch, duplicate older than the five
 * retained, gap, older epoch, newer epoch not at 0, no state), sequences wrapping at
 * INT32_MAX, the five-batch window, the state rebuilt from a log's batch headers after a
 * truncation, and expiry. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sim/kafka/api.h"
#include "sim/kafka/log.h"
#include "sim/kafka/producer_state.h"
#include "tests/unit/tap.h"

#define PID 1000

static bytes_t str_bytes(const char *s)
{
    return (bytes_t){ s, (int32_t)strlen(s) };
}

/* A batch header as the leader appended it: `n` records from `seq` at `offset`. */
static log_batch_t batch(int64_t pid, int16_t epoch, int32_t seq, int32_t n, int64_t offset,
                         int64_t ts)
{
    return (log_batch_t){ .base_offset = offset, .last_offset = offset + n - 1, .n = n,
                          .producer_id = pid, .producer_epoch = epoch, .base_sequence = seq,
                          .last_sequence = seq_add(seq, n - 1), .max_timestamp = ts };
}

static pstate_check_t check(const pstate_t *ps, int16_t epoch, int32_t seq, int32_t n)
{
    return pstate_check_sequence(ps, PID, epoch, seq, seq_add(seq, n - 1));
}

static void test_no_state(void)
{
    pstate_t ps;
    pstate_init(&ps);
    pstate_check_t c = check(&ps, 0, 0, 3);
    ok(c.verdict == PSTATE_APPEND, "a producer id with no state is accepted at sequence 0");
    c = check(&ps, 0, 42, 3);
    ok(c.verdict == PSTATE_APPEND,
       "a producer id with no state is accepted at any sequence (42), as Kafka 2.5+ does");
    is_int(c.current_epoch, PSTATE_NO_EPOCH, "the check reports that no epoch is known");
    c = check(&ps, 7, 42, 3);
    ok(c.verdict == PSTATE_APPEND, "with no state any epoch is accepted too");
    pstate_free(&ps);
}

static void test_in_order_and_gap(void)
{
    pstate_t ps;
    pstate_init(&ps);
    log_batch_t b0 = batch(PID, 0, 0, 4, 10, 1);
    pstate_update(&ps, &b0);
    pstate_check_t c = check(&ps, 0, 4, 2);
    ok(c.verdict == PSTATE_APPEND, "the next sequence (4 after 0..3) is appended");
    is_int(c.last_seq, 3, "the check reports the last sequence known (3)");
    c = check(&ps, 0, 6, 2);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
       "a gap (6 after 0..3) is OUT_OF_ORDER_SEQUENCE_NUMBER");
    ok(strstr(c.reason, "gap") != NULL, "the reason names the gap");
    c = check(&ps, 0, 2, 2);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
       "a batch overlapping the last one (2..3) but not equal to it is OUT_OF_ORDER");
    pstate_free(&ps);
}

static void test_duplicates(void)
{
    pstate_t ps;
    pstate_init(&ps);
    /* Seven batches of 4 records: sequences 0..27 at offsets 100..127. */
    for (int i = 0; i < 7; i++) {
        log_batch_t b = batch(PID, 0, 4 * i, 4, 100 + 4 * i, i);
        pstate_update(&ps, &b);
    }
    const pstate_entry_t *e = pstate_find(&ps, PID);
    is_int(e->n, PSTATE_BATCHES, "only the last five batches are retained");
    is_int(e->b[0].first_seq, 8, "the oldest retained batch is the third (sequence 8)");
    pstate_check_t c = check(&ps, 0, 24, 4);
    ok(c.verdict == PSTATE_DUPLICATE, "a repeat of the last batch (24..27) is a duplicate");
    is_int(c.duplicate.first_offset, 124, "it is answered with the original first offset 124");
    is_int(c.duplicate.last_offset, 127, "and the original last offset 127");
    c = check(&ps, 0, 8, 4);
    ok(c.verdict == PSTATE_DUPLICATE && c.duplicate.first_offset == 108,
       "a repeat of the oldest retained batch (8..11) is a duplicate at offset 108");
    c = check(&ps, 0, 4, 4);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
       "a repeat of a batch older than the five retained (4..7) is OUT_OF_ORDER_SEQUENCE_NUMBER");
    ok(strstr(c.reason, "older") != NULL, "the reason says it is older than the retained");
    c = check(&ps, 0, 24, 2);
    ok(c.verdict == PSTATE_REJECT,
       "the same first sequence with another last sequence (24..25) is no duplicate");
    c = check(&ps, 1, 24, 4);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
       "the same sequences under a newer epoch are no duplicate (a new epoch starts at 0)");
    pstate_free(&ps);
}

static void test_epochs(void)
{
    pstate_t ps;
    pstate_init(&ps);
    log_batch_t b = batch(PID, 3, 0, 2, 0, 1);
    pstate_update(&ps, &b);
    pstate_check_t c = check(&ps, 2, 2, 1);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_INVALID_PRODUCER_EPOCH,
       "an older epoch (2 < 3) is INVALID_PRODUCER_EPOCH");
    c = check(&ps, 2, 0, 2);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_INVALID_PRODUCER_EPOCH,
       "even a repeat of a batch is refused under an older epoch");
    c = check(&ps, 4, 5, 1);
    ok(c.verdict == PSTATE_REJECT && c.error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
       "a newer epoch (4) not starting at sequence 0 is OUT_OF_ORDER_SEQUENCE_NUMBER");
    ok(strstr(c.reason, "new epoch") != NULL, "the reason names the new epoch");
    c = check(&ps, 4, 0, 1);
    ok(c.verdict == PSTATE_APPEND, "a newer epoch starting at sequence 0 is appended");
    log_batch_t b2 = batch(PID, 4, 0, 1, 2, 2);
    pstate_update(&ps, &b2);
    const pstate_entry_t *e = pstate_find(&ps, PID);
    ok(e->epoch == 4 && e->n == 1, "the new epoch forgets the old epoch's batches");
    pstate_free(&ps);
}

static void test_wrap(void)
{
    pstate_t ps;
    pstate_init(&ps);
    is_int(seq_add(INT32_MAX - 1, 3), 1, "sequences wrap: INT32_MAX-1 plus 3 is 1");
    log_batch_t b = batch(PID, 0, INT32_MAX - 1, 2, 0, 1);
    is_int(b.last_sequence, INT32_MAX, "a batch may end at INT32_MAX");
    pstate_update(&ps, &b);
    ok(check(&ps, 0, 0, 5).verdict == PSTATE_APPEND,
       "after INT32_MAX the next sequence is 0 (checkSequence's wrap)");
    ok(check(&ps, 0, 1, 5).verdict == PSTATE_REJECT, "after INT32_MAX, sequence 1 is a gap");
    pstate_free(&ps);
}

static void test_control_and_plain_batches(void)
{
    pstate_t ps;
    pstate_init(&ps);
    log_batch_t plain = batch(-1, -1, -1, 3, 0, 1);
    pstate_update(&ps, &plain);
    is_int(ps.n, 0, "a batch without a producer id leaves no state");
    log_batch_t marker = batch(PID, 0, -1, 1, 3, 2);
    marker.flags = LOG_REC_CONTROL;
    marker.n = 0;
    pstate_replay(&ps, &marker, NULL);
    is_int(ps.n, 0, "a control batch the cleaner emptied changes no producer's state");
    pstate_free(&ps);
}

static void test_rebuild(void)
{
    plog_t l;
    plog_init(&l);
    log_input_t recs[3] = { { 1, str_bytes("k"), str_bytes("v") },
                            { 2, str_bytes("k"), str_bytes("v") },
                            { 3, str_bytes("k"), str_bytes("v") } };
    for (int i = 0; i < 4; i++) {
        log_append_t m = { .producer_id = PID, .producer_epoch = 0, .base_sequence = 3 * i,
                           .leader_epoch = 0, .size = 80 };
        plog_append(&l, recs, 3, &m);
    }
    log_append_t other = { .producer_id = PID + 1, .producer_epoch = 2, .base_sequence = 0,
                           .leader_epoch = 0, .size = 80 };
    plog_append(&l, recs, 3, &other);
    is_int(l.batches[1].base_sequence, 3, "the log keeps each batch's first sequence (3)");
    is_int(l.batches[1].last_sequence, 5, "and its last sequence (5)");
    is_int(l.batches[1].max_timestamp, 3, "and its max timestamp");
    pstate_t ps;
    pstate_init(&ps);
    pstate_rebuild(&ps, &l);
    is_int(ps.n, 2, "rebuilding from the log finds both producers");
    ok(ps.e[0].producer_id < ps.e[1].producer_id, "entries are kept in producer id order");
    ok(check(&ps, 0, 12, 1).verdict == PSTATE_APPEND,
       "after the rebuild the next sequence (12) is accepted");
    ok(check(&ps, 0, 9, 3).verdict == PSTATE_DUPLICATE,
       "and a repeat of the last batch is recognised");
    plog_truncate(&l, 6);
    pstate_rebuild(&ps, &l);
    ok(check(&ps, 0, 6, 3).verdict == PSTATE_APPEND,
       "after a truncation to offset 6 the rebuilt state expects sequence 6 again");
    ok(check(&ps, 0, 9, 3).verdict == PSTATE_REJECT,
       "and the truncated batch (9..11) is no longer known");
    is_int(ps.n, 1, "the producer whose batches were all truncated is gone");
    pstate_free(&ps);
    plog_free(&l);
}

static void test_expire(void)
{
    pstate_t ps;
    pstate_init(&ps);
    log_batch_t a = batch(PID, 0, 0, 1, 0, 1000);
    log_batch_t b = batch(PID + 1, 0, 0, 1, 1, 5000);
    pstate_update(&ps, &a);
    pstate_update(&ps, &b);
    is_int(pstate_expire(&ps, 4999, 4000), 0, "nothing expires before its time");
    is_int(pstate_expire(&ps, 5000, 4000), 1,
           "a producer silent for producer.id.expiration.ms expires");
    ok(pstate_find(&ps, PID) == NULL && pstate_find(&ps, PID + 1) != NULL,
       "the silent one goes, the recent one stays");
    ok(check(&ps, 0, 17, 1).verdict == PSTATE_APPEND,
       "an expired producer is accepted at any sequence again");
    pstate_free(&ps);
}

int main(void)
{
    test_no_state();
    test_in_order_and_gap();
    test_duplicates();
    test_epochs();
    test_wrap();
    test_control_and_plain_batches();
    test_rebuild();
    test_expire();
    return tap_done();
}
