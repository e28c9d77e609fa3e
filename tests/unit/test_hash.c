/* Unit tests for sim/core/hash: the values users see must be Kafka's and Java's.
 * Expected values: Java String.hashCode recomputed in Python over UTF-16-BE code units;
 * murmur2 vectors copied from Kafka's UtilsTest.testMurmur2 (clients/src/test/java/org/
 * apache/kafka/common/utils/UtilsTest.java); FNV-1a 64 recomputed in Python. */
#include <stdint.h>
#include <string.h>

#include "sim/core/hash.h"
#include "tests/unit/tap.h"

static void test_fnv(void)
{
    ok(hash_fnv1a64("", 0) == 0xcbf29ce484222325ULL, "FNV-1a 64 of nothing is the offset basis");
    ok(hash_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a 64 of \"a\" is 0xaf63dc4c8601ec8c");
    ok(hash_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL,
       "FNV-1a 64 of \"foobar\" is 0x85944171f73967e8");
    uint64_t h = hash_fnv1a64_update(HASH_FNV64_INIT, "foo", 3);
    h = hash_fnv1a64_update(h, "bar", 3);
    ok(h == hash_fnv1a64("foobar", 6), "FNV-1a 64 fed in pieces equals the hash of the whole");
}

/* Kafka's coordinator partition for a group or transactional id. */
static int32_t coordinator_partition(const char *id, int32_t partitions)
{
    return hash_kafka_abs(hash_java_string(id)) % partitions;
}

static void test_java_string(void)
{
    is_int(hash_java_string("my-group"), -1906497762, "\"my-group\".hashCode() is -1906497762");
    is_int(coordinator_partition("my-group", 50), 12,
           "group \"my-group\" lands on __consumer_offsets partition 12 of 50");
    is_int(hash_java_string("kafka-txn-0"), -1469191130, "\"kafka-txn-0\".hashCode() is -1469191130");
    is_int(coordinator_partition("kafka-txn-0", 50), 30,
           "transactional id \"kafka-txn-0\" lands on __transaction_state partition 30 of 50");
    is_int(hash_java_string(""), 0, "the empty string hashes to 0");
    is_int(hash_java_string("hello"), 99162322, "\"hello\".hashCode() is 99162322");
    is_int(hash_java_string("\xe6\xb6\x88\xe8\xb4\xb9\xe8\x80\x85"), 28099956,
           "a CJK string hashes over its UTF-16 code units as Java does");
    is_int(hash_java_string("\xf0\x9f\x98\x80"), 1772899,
           "a character outside the BMP hashes as its two UTF-16 surrogates");
    is_int(hash_java_string("a\xf0\x9f\x98\x80" "b"), 57849694,
           "a surrogate pair between ASCII characters hashes as Java does");
}

static void test_kafka_abs(void)
{
    /* Kafka's UtilsTest.testAbs */
    is_int(hash_kafka_abs(INT32_MIN), 0, "Utils.abs(Integer.MIN_VALUE) is 0");
    is_int(hash_kafka_abs(-10), 10, "Utils.abs(-10) is 10");
    is_int(hash_kafka_abs(10), 10, "Utils.abs(10) is 10");
    is_int(hash_kafka_abs(0), 0, "Utils.abs(0) is 0");
    is_int(hash_kafka_abs(-1), 1, "Utils.abs(-1) is 1");
}

static void test_murmur2(void)
{
    /* Kafka's UtilsTest.testMurmur2 */
    static const struct {
        const char *key;
        int32_t want;
    } cases[] = {
        { "21", -973932308 },
        { "foobar", -790332482 },
        { "a-little-bit-long-string", -985981536 },
        { "a-little-bit-longer-string", -1486304829 },
        { "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971 },
        { "abc", 479470107 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(hash_murmur2(cases[i].key, strlen(cases[i].key)), cases[i].want,
               "murmur2(\"%s\") is %d, as in Kafka's UtilsTest", cases[i].key, cases[i].want);
}

static void test_partition_for_key(void)
{
    /* toPositive(murmur2(key)) % partitions, values recomputed in Python. */
    is_int(hash_partition_for_key("k1", 2, 3), 2, "key \"k1\" goes to partition 2 of 3");
    is_int(hash_partition_for_key("key-42", 6, 3), 0, "key \"key-42\" goes to partition 0 of 3");
    is_int(hash_partition_for_key("foobar", 6, 12), 6,
           "key \"foobar\" (negative murmur2) goes to partition 6 of 12");
    is_int(hash_partition_for_key("a-little-bit-longer-string", 26, 12), 11,
           "key \"a-little-bit-longer-string\" goes to partition 11 of 12");
    is_int(hash_partition_for_key("", 0, 12), 9, "the empty key goes to partition 9 of 12");
    int in_range = 1;
    for (int i = 0; i < 1000; i++) {
        char key[16];
        int len = snprintf(key, sizeof key, "key-%d", i);
        int32_t p = hash_partition_for_key(key, (size_t)len, 7);
        if (p < 0 || p >= 7)
            in_range = 0;
    }
    ok(in_range, "every key maps to a partition in [0, partitions)");
}

int main(void)
{
    test_fnv();
    test_java_string();
    test_kafka_abs();
    test_murmur2();
    test_partition_for_key();
    return tap_done();
}
