/* bench_txn_log: the partition side of 100,000 ten-record transactions from 10 producers,
 * interleaved two at a time, one in ten aborted: each transaction's data batch and its
 * marker appended to the log and the producer state, the HW following, the LSO recomputed
 * after every change (as a leader does); then what read_committed fetches cost the
 * partition: the aborted transactions collected for 1,000 fetches across the log.
 * Wall-clock timing is allowed here, never in sim/. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "sim/kafka/log.h"
#include "sim/kafka/producer_state.h"

#define TXNS 100000
#define PER_TXN 10
#define PRODUCERS 10

static void settle(plog_t *l, pstate_t *ps)
{
    pstate_hw_updated(ps, l->hw);
    l->first_unstable = pstate_first_unstable(ps);
}

static void append_data(plog_t *l, pstate_t *ps, int64_t pid, int32_t seq, const log_input_t *in)
{
    log_append_t m = { .producer_id = pid, .producer_epoch = 0, .base_sequence = seq,
                       .flags = LOG_REC_TRANSACTIONAL, .size = 400 };
    plog_append(l, in, PER_TXN, &m);
    pstate_update(ps, &l->batches[l->n_batches - 1]);
    settle(l, ps);
}

static void append_marker(plog_t *l, pstate_t *ps, int64_t pid, bool commit)
{
    char key[CONTROL_KEY_SIZE], value[CONTROL_VALUE_SIZE];
    int type = commit ? CONTROL_COMMIT : CONTROL_ABORT;
    control_marker_key((int16_t)type, key);
    control_marker_value(0, value);
    log_input_t rec = { 0, { key, CONTROL_KEY_SIZE }, { value, CONTROL_VALUE_SIZE } };
    log_append_t m = { .producer_id = pid, .producer_epoch = 0, .base_sequence = -1,
                       .flags = LOG_REC_CONTROL | LOG_REC_TRANSACTIONAL, .size = 78 };
    plog_append(l, &rec, 1, &m);
    pstate_update_marker(ps, &l->batches[l->n_batches - 1], type, 0);
    settle(l, ps);
}

int main(void)
{
    plog_t l;
    plog_init(&l);
    pstate_t ps;
    pstate_init(&ps);
    log_input_t in[PER_TXN];
    for (int j = 0; j < PER_TXN; j++)
        in[j] = (log_input_t){ 0, { "key", 3 }, { "value-value-value", 17 } };
    int32_t seq[PRODUCERS] = { 0 };
    unsigned x = 12345;
    double t0 = bench_wall();
    /* Two producers at a time: A's data, B's data, A's marker, B's marker. */
    for (int t = 0; t < TXNS; t += 2) {
        int64_t a = t % PRODUCERS, b = (t + 1) % PRODUCERS;
        append_data(&l, &ps, a, seq[a], in);
        append_data(&l, &ps, b, seq[b], in);
        seq[a] += PER_TXN;
        seq[b] += PER_TXN;
        l.hw = l.leo;
        settle(&l, &ps);
        x = x * 1103515245u + 12345u;
        append_marker(&l, &ps, a, (x >> 8) % 10 != 0);
        x = x * 1103515245u + 12345u;
        append_marker(&l, &ps, b, (x >> 8) % 10 != 0);
        l.hw = l.leo;
        settle(&l, &ps);
    }
    double t1 = bench_wall();
    if (plog_lso(&l) != l.hw || ps.n_ongoing || ps.n_unreplicated) {
        fprintf(stderr, "bench_txn_log: transactions left open\n");
        return 1;
    }
    size_t found = 0;
    pstate_aborted_t out[64];
    int64_t step = l.leo / 1000;
    double t2 = bench_wall();
    for (int64_t from = 0; from + step <= l.leo; from += step)
        found += pstate_collect_aborted(&ps, from, from + step, out, 64);
    double t3 = bench_wall();
    printf("txn_log: %d transactions of %d records (%zu aborted): %.0f ms, %.0f transactions/s "
           "on the partition (data, marker, LSO), peak %.1f MiB\n",
           TXNS, PER_TXN, ps.n_aborted, (t1 - t0) * 1e3, TXNS / (t1 - t0), bench_peak_mib());
    printf("txn_log:   1000 read_committed fetches of %lld offsets: %zu aborted transactions "
           "listed in %.2f ms\n",
           (long long)step, found, (t3 - t2) * 1e3);
    pstate_free(&ps);
    plog_free(&l);
    return 0;
}
