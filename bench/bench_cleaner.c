/* bench_cleaner: one cleaning pass of the log cleaner over 1,000,000 records with 10,000
 * keys (batches of 10 records, 1 MiB segments, one record in twenty a tombstone): the time
 * to map the dirty range and rewrite the segments, and the memory the log and the offset
 * map take. Building the log is timed apart. Wall-clock timing is allowed here, never in
 * sim/. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "sim/kafka/cleaner.h"
#include "sim/kafka/log.h"

#define RECORDS 1000000
#define KEYS 10000
#define PER_BATCH 10

int main(void)
{
    double m0 = bench_peak_mib();
    double t0 = bench_wall();
    plog_t l;
    plog_init(&l);
    log_config_t c = log_config_default();
    c.compact = true;
    c.delete = false;
    c.segment_bytes = 1 << 20;
    plog_configure(&l, &c);
    char keys[PER_BATCH][16], values[PER_BATCH][48];
    unsigned x = 12345;
    for (int i = 0; i < RECORDS; i += PER_BATCH) {
        log_input_t in[PER_BATCH];
        int32_t size = RECORD_BATCH_OVERHEAD;
        for (int j = 0; j < PER_BATCH; j++) {
            x = x * 1103515245u + 12345u;
            int kl = snprintf(keys[j], sizeof keys[j], "key-%u", (x >> 8) % KEYS);
            int vl = snprintf(values[j], sizeof values[j], "value-%d-padding-padding", i + j);
            bytes_t v = (x >> 4) % 20 == 0 ? BYTES_NULL : (bytes_t){ values[j], vl };
            in[j] = (log_input_t){ (int64_t)i * 1000, { keys[j], kl }, v };
            size += record_size_in_batch(j, 0, in[j].key, v);
        }
        log_append_t m = { .producer_id = -1, .producer_epoch = -1, .base_sequence = -1,
                           .size = size };
        plog_append(&l, in, PER_BATCH, &m);
    }
    /* A record eight days later rolls the segment (segment.ms is seven days), so every
     * record before it is cleanable. */
    int64_t now = 8LL * 86400 * 1000 * 1000;
    log_input_t last = { now, { "key-0", 5 }, { "end", 3 } };
    log_append_t lm = { .producer_id = -1, .producer_epoch = -1, .base_sequence = -1,
                        .size = RECORD_BATCH_OVERHEAD +
                                record_size_in_batch(0, 0, last.key, last.value) };
    plog_append(&l, &last, 1, &lm);
    l.hw = l.leo;
    double t1 = bench_wall();
    double m1 = bench_peak_mib();
    size_t segs_before = l.n_segs;
    int64_t bytes_before = l.bytes;

    offset_map_t *map = omap_new(omap_capacity(134217728, 0.9));
    clean_range_t r;
    cleaner_range(&l, now, &r);
    clean_result_t res;
    double t2 = bench_wall();
    pstate_t producers; /* no idempotent producer wrote this log */
    pstate_init(&producers);
    if (!cleaner_wants(&l, &r) || !cleaner_clean(&l, map, &r, &producers, now, &res)) {
        fprintf(stderr, "bench_cleaner: the log was not cleaned\n");
        return 1;
    }
    double t3 = bench_wall();
    double m2 = bench_peak_mib();
    plog_check(&l);
    printf("cleaner: %d records, %d keys: built in %.0f ms (%.1f MiB); one pass in %.0f ms "
           "(%.2f M records/s), peak %.1f MiB during the pass (+%.1f MiB)\n",
           RECORDS, KEYS, (t1 - t0) * 1e3, m1 - m0, (t3 - t2) * 1e3,
           RECORDS / (t3 - t2) / 1e6, m2, m2 - m1);
    printf("cleaner:   %lld -> %lld records, %zu -> %zu segments, %.1f -> %.1f MiB of log, "
           "%lld keys mapped\n",
           (long long)res.records_before, (long long)res.records_after, segs_before, l.n_segs,
           (double)bytes_before / (1 << 20), (double)l.bytes / (1 << 20),
           (long long)res.map_entries);
    clean_result_free(&res);
    omap_free(map);
    pstate_free(&producers);
    plog_free(&l);
    return 0;
}
