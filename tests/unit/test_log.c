/* Unit tests for sim/kafka/log: offsets assigned across batches, batch boundaries, the copies
 * the log keeps of keys and values (null and empty kept apart), the binary searches on their
 * edges, and record sizes checked against Kafka's DefaultRecord.sizeInBytes computed by hand
 * (zig-zag varints: 0..63 take 1 byte, 64..8191 take 2, 8192..1048575 take 3). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kafka/log.h"
#include "tests/unit/tap.h"

static bytes_t str(const char *s)
{
    return s ? (bytes_t){ s, (int32_t)strlen(s) } : BYTES_NULL;
}

static bool bytes_eq(bytes_t b, const char *s)
{
    if (!s)
        return b.len == -1 && b.p == NULL;
    return b.len == (int32_t)strlen(s) && memcmp(b.p, s, (size_t)b.len) == 0;
}

static log_append_t plain_meta(int32_t size)
{
    return (log_append_t){ .producer_id = -1, .producer_epoch = -1, .base_sequence = -1,
                           .leader_epoch = 0, .flags = 0, .size = size };
}

static void test_offsets_and_batches(void)
{
    plog_t l;
    plog_init(&l);
    is_int(l.n, 0, "a new log has no records");
    is_int(l.leo, 0, "a new log's end offset is 0");
    is_int(plog_find(&l, 0), 0, "finding offset 0 in an empty log gives the end (index 0)");
    is_int(plog_find_batch(&l, 0), 0, "finding a batch in an empty log gives the end (index 0)");

    log_input_t first[3] = { { 1000, str("a"), str("1") },
                             { 2000, str("b"), str("2") },
                             { 3000, str("c"), str("3") } };
    log_input_t second[2] = { { 4000, str("d"), str("4") }, { 5000, str("e"), str("5") } };
    log_append_t m1 = plain_meta(120);
    log_append_t m2 = { .producer_id = 7, .producer_epoch = 2, .base_sequence = 10,
                        .leader_epoch = 3, .flags = LOG_REC_TRANSACTIONAL, .size = 90 };
    int64_t b1 = plog_append(&l, first, 3, &m1);
    int64_t b2 = plog_append(&l, second, 2, &m2);
    is_int(b1, 0, "the first batch starts at offset 0");
    is_int(b2, 3, "the second batch starts where the first ended (offset 3)");
    is_int(l.leo, 5, "the log end offset is the next offset to assign (5)");
    is_int(l.n, 5, "the log holds all five records");
    bool consecutive = true;
    for (size_t i = 0; i < l.n; i++)
        consecutive &= l.recs[i].offset == (int64_t)i;
    ok(consecutive, "offsets are consecutive across batches (0..4)");
    is_int(l.n_batches, 2, "two appends make two batches");
    ok(l.batches[0].base_offset == 0 && l.batches[0].last_offset == 2 && l.batches[0].n == 3 &&
           l.batches[0].first == 0,
       "the first batch covers offsets 0..2 from record index 0");
    ok(l.batches[1].base_offset == 3 && l.batches[1].last_offset == 4 && l.batches[1].n == 2 &&
           l.batches[1].first == 3,
       "the second batch covers offsets 3..4 from record index 3");
    ok(l.recs[2].batch == 0 && l.recs[3].batch == 1, "each record knows the batch it came in");
    is_int(l.batches[0].size + l.batches[1].size, 210, "batch sizes are kept as given");
    is_int(l.bytes, 210, "the log's size is the sum of its batches' sizes");
    ok(l.recs[0].timestamp == 1000 && l.recs[4].timestamp == 5000,
       "each record keeps its own timestamp");
    ok(l.recs[0].producer_id == -1 && l.recs[0].sequence == -1,
       "records without a producer id carry no sequence");
    ok(l.recs[3].producer_id == 7 && l.recs[3].producer_epoch == 2 && l.recs[3].sequence == 10 &&
           l.recs[4].sequence == 11,
       "records of an idempotent batch carry its producer id, epoch and base sequence + index");
    ok(l.recs[3].leader_epoch == 3 && l.recs[3].flags == LOG_REC_TRANSACTIONAL &&
           l.recs[0].leader_epoch == 0 && l.recs[0].flags == 0,
       "each batch's leader epoch and flags go to its records only");

    is_int(plog_find_batch(&l, 0), 0, "offset 0 is in batch 0");
    is_int(plog_find_batch(&l, 2), 0, "offset 2, the last of batch 0, is in batch 0");
    is_int(plog_find_batch(&l, 3), 1, "offset 3, the first of batch 1, is in batch 1");
    is_int(plog_find_batch(&l, 4), 1, "offset 4, the last offset, is in batch 1");
    is_int(plog_find_batch(&l, 5), 2, "the log end offset is past every batch (n_batches)");
    is_int(plog_find_batch(&l, -1), 0, "an offset before the log finds the first batch");

    is_int(plog_find(&l, 0), 0, "offset 0 is record index 0");
    is_int(plog_find(&l, 4), 4, "the last offset is the last index");
    is_int(plog_find(&l, 5), 5, "the log end offset finds nothing (n)");
    is_int(plog_find(&l, 1000), 5, "an offset far past the end finds nothing (n)");
    is_int(plog_find(&l, -5), 0, "an offset before the log finds the first record");
    plog_free(&l);
}

/* A log with gaps, as compaction leaves it: plog_find returns the first offset at or after. */
static void test_find_with_gaps(void)
{
    log_record_t recs[5];
    memset(recs, 0, sizeof recs);
    const int64_t offs[5] = { 2, 3, 7, 8, 20 };
    for (int i = 0; i < 5; i++)
        recs[i].offset = offs[i];
    plog_t l;
    memset(&l, 0, sizeof l);
    l.recs = recs;
    l.n = 5;
    is_int(plog_find(&l, 0), 0, "below a gapped log's first offset the first record is found");
    is_int(plog_find(&l, 2), 0, "the first offset itself is found at index 0");
    is_int(plog_find(&l, 4), 2, "an offset in a gap finds the next record after the gap");
    is_int(plog_find(&l, 7), 2, "an offset right after a gap is found exactly");
    is_int(plog_find(&l, 9), 4, "an offset in the last gap finds the last record");
    is_int(plog_find(&l, 20), 4, "the last offset is found at the last index");
    is_int(plog_find(&l, 21), 5, "past the last offset nothing is found");
}

static void test_copies(void)
{
    plog_t l;
    plog_init(&l);
    char key[8] = "key", value[8] = "value";
    log_input_t in[1] = { { 0, { key, 3 }, { value, 5 } } };
    log_append_t m = plain_meta(80);
    plog_append(&l, in, 1, &m);
    ok(l.recs[0].key.p != key && l.recs[0].value.p != value,
       "the log keeps its own copies of key and value");
    memcpy(key, "XYZ", 3);
    memcpy(value, "QQQQQ", 5);
    ok(bytes_eq(l.recs[0].key, "key") && bytes_eq(l.recs[0].value, "value"),
       "changing the producer's buffers after the append does not change the log");

    log_input_t odd[4] = { { 0, BYTES_NULL, str("v") },
                           { 0, str("k"), BYTES_NULL },
                           { 0, str(""), str("") },
                           { 0, BYTES_NULL, BYTES_NULL } };
    plog_append(&l, odd, 4, &m);
    ok(l.recs[1].key.len == -1 && l.recs[1].key.p == NULL, "a null key stays null (len -1)");
    ok(l.recs[2].value.len == -1 && l.recs[2].value.p == NULL,
       "a null value (a tombstone) stays null (len -1)");
    ok(l.recs[3].key.len == 0 && l.recs[3].key.p != NULL && l.recs[3].value.len == 0 &&
           l.recs[3].value.p != NULL,
       "an empty key and value stay empty (len 0), not null");
    ok(bytes_is_null(l.recs[4].key) && bytes_is_null(l.recs[4].value),
       "a record with null key and null value keeps both null");
    ok(bytes_eq(l.recs[1].value, "v") && bytes_eq(l.recs[2].key, "k"),
       "the non-null halves of those records are copied intact");

    /* Enough data to need several arena chunks, and one value larger than a chunk: earlier
     * records must still read back intact. */
    enum { N = 400, LEN = 1000, BIG = 300 * 1024 };
    char *buf = malloc(LEN);
    char *big = malloc(BIG);
    if (!buf || !big)
        abort();
    for (int i = 0; i < N; i++) {
        memset(buf, 'a' + i % 26, LEN);
        log_input_t r = { i, BYTES_NULL, { buf, LEN } };
        plog_append(&l, &r, 1, &m);
        if (i == N / 2) {
            memset(big, '#', BIG);
            log_input_t b = { i, str("big"), { big, BIG } };
            plog_append(&l, &b, 1, &m);
        }
    }
    bool intact = true;
    size_t first = 5;
    for (int i = 0, k = 0; i < N; i++, k++) {
        const log_record_t *r = &l.recs[first + (size_t)k];
        intact &= r->value.len == LEN;
        for (int j = 0; j < LEN && intact; j++)
            intact &= r->value.p[j] == 'a' + i % 26;
        if (i == N / 2)
            k++;
    }
    ok(intact, "400 KB of values spread over several arena chunks all read back intact");
    const log_record_t *b = &l.recs[first + N / 2 + 1];
    bool big_ok = b->value.len == BIG && bytes_eq(b->key, "big");
    for (int j = 0; j < BIG && big_ok; j++)
        big_ok &= b->value.p[j] == '#';
    ok(big_ok, "a value larger than an arena chunk is copied whole");
    is_int(l.leo, 5 + N + 1, "every append moved the log end offset by its record count");
    free(buf);
    free(big);
    plog_free(&l);
}

static bytes_t filled(char *buf, int32_t len)
{
    memset(buf, 'x', (size_t)len);
    return (bytes_t){ buf, len };
}

/* Expected sizes are DefaultRecord.sizeInBytes: the body is attributes (1) + timestampDelta
 * (varlong) + offsetDelta (varint) + key length (varint, -1 for null) + key + value length +
 * value + header count (varint 0: 1 byte); the record is the body plus the varint of its size. */
static void test_record_sizes(void)
{
    static char buf[20000];
    /* body 1+1+1+1+2+1+2+1 = 10, plus 1 byte for varint(10) */
    is_int(record_size_in_batch(0, 0, str("k1"), str("v1")), 11,
           "key \"k1\" value \"v1\" at deltas 0 takes 11 bytes");
    /* body 1+1+1+1(null key)+1(null value)+1 = 6 */
    is_int(record_size_in_batch(0, 0, BYTES_NULL, BYTES_NULL), 7,
           "a record with null key and null value takes 7 bytes");
    /* empty key and value: length 0 is one byte each, like null's -1 */
    is_int(record_size_in_batch(0, 0, str(""), str("")), 7,
           "a record with empty key and value also takes 7 bytes");
    /* offset delta 63 -> zigzag 126: 1 byte; 64 -> zigzag 128: 2 bytes */
    is_int(record_size_in_batch(63, 0, str("k1"), str("v1")), 11,
           "offset delta 63 still fits a one-byte varint (11 bytes)");
    is_int(record_size_in_batch(64, 0, str("k1"), str("v1")), 12,
           "offset delta 64 needs a two-byte varint (12 bytes)");
    /* timestamp delta 1000 ms -> zigzag 2000: 2 bytes; -1 -> zigzag 1: 1 byte;
     * -65 -> zigzag 129: 2 bytes */
    is_int(record_size_in_batch(0, 1000, str("k1"), str("v1")), 12,
           "timestamp delta 1000 ms needs a two-byte varlong (12 bytes)");
    is_int(record_size_in_batch(0, -1, str("k1"), str("v1")), 11,
           "timestamp delta -1 ms zig-zags to 1 and takes one byte (11 bytes)");
    is_int(record_size_in_batch(0, -65, str("k1"), str("v1")), 12,
           "timestamp delta -65 ms zig-zags to 129 and takes two bytes (12 bytes)");
    /* null key, value of 57 bytes: body 1+1+1+1+1+57+1 = 63 -> varint 1 byte -> 64 */
    is_int(record_size_in_batch(0, 0, BYTES_NULL, filled(buf, 57)), 64,
           "a 63-byte body takes a one-byte length (64 bytes)");
    /* value of 58 bytes: body 64 -> zigzag 128: 2-byte length -> 66 */
    is_int(record_size_in_batch(0, 0, BYTES_NULL, filled(buf, 58)), 66,
           "a 64-byte body takes a two-byte length (66 bytes)");
    /* value 64 bytes: its length zigzags to 128 (2 bytes): body 1+1+1+1+2+64+1 = 71 -> 73 */
    is_int(record_size_in_batch(0, 0, BYTES_NULL, filled(buf, 64)), 73,
           "a 64-byte value needs a two-byte length varint (73 bytes)");
    /* value 300: body 5+2+300 = 307 -> zigzag 614: 2 bytes -> 309 */
    is_int(record_size_in_batch(0, 0, BYTES_NULL, filled(buf, 300)), 309,
           "a 300-byte value makes a 309-byte record");
    /* value 10000: length zigzag 20000: 3 bytes; body 5+3+10000 = 10008 -> zigzag 20016: 3 */
    is_int(record_size_in_batch(0, 0, BYTES_NULL, filled(buf, 10000)), 10011,
           "a 10000-byte value makes a 10011-byte record (three-byte varints)");
    /* key 100 (2-byte length), value 1 at offset delta 5, ts delta 70 ms (zigzag 140: 2) */
    is_int(record_size_in_batch(5, 70, filled(buf, 100), str("v")), 1 + 2 + 1 + 2 + 100 + 1 + 1 +
                                                                        1 + 2,
           "key 100 bytes, value \"v\", offset delta 5, timestamp delta 70 ms: 111 bytes");
    is_int(RECORD_BATCH_OVERHEAD, 61, "the v2 record batch header is 61 bytes");
}

int main(void)
{
    test_offsets_and_batches();
    test_find_with_gaps();
    test_copies();
    test_record_sizes();
    return tap_done();
}
