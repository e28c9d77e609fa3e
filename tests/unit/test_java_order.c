/* Unit tests for sim/client/assignors/java_order: Java's string order and HashMap
 * iteration order. Every expected order here was printed by OpenJDK 17's own
 * java.util.HashMap / HashSet fed the same keys in the same order. */
#include <stdint.h>
#include <string.h>

#include "sim/client/assignors/java_order.h"
#include "sim/core/hash.h"
#include "tests/unit/tap.h"

static void test_strcmp(void)
{
    ok(jorder_strcmp("C10", "C2") < 0, "\"C10\" < \"C2\": strings compare character by character");
    ok(jorder_strcmp("Z", "a") < 0, "\"Z\" < \"a\": upper case first");
    ok(jorder_strcmp("abc", "abcd") < 0, "a prefix comes first");
    ok(jorder_strcmp("", "a") < 0 && jorder_strcmp("a", "") > 0, "the empty string comes first");
    ok(jorder_strcmp("same", "same") == 0, "equal strings compare equal");
    ok(jorder_strcmp("\xc3\xa9", "z") > 0, "U+00E9 sorts after ASCII");
    /* U+1F600 is D83D DE00 in UTF-16: below U+E000..U+FFFF, above U+D7FF. */
    ok(jorder_strcmp("\xf0\x9f\x98\x80", "\xef\xbf\xbd") < 0,
       "U+1F600 < U+FFFD in Java, though its UTF-8 bytes are greater");
    ok(jorder_strcmp("\xf0\x9f\x98\x80", "\xee\x80\x80") < 0, "U+1F600 < U+E000 in Java");
    ok(jorder_strcmp("\xf0\x9f\x98\x80", "\xed\x9f\xbf") > 0, "U+1F600 > U+D7FF in Java");
    ok(jorder_strcmp("x\xf0\x9f\x98\x80", "x\xf0\x9f\x98\x81") < 0,
       "two characters outside the BMP compare by code point");
}

static void check_order(const char *const *keys, int32_t n, int32_t capacity,
                        const int32_t *want, const char *what)
{
    int32_t got[64];
    jorder_string_map_order(keys, n, capacity, got);
    bool same = true;
    for (int32_t i = 0; i < n; i++)
        same = same && got[i] == want[i];
    ok(same, "%s", what);
    if (!same) {
        for (int32_t i = 0; i < n; i++)
            tap_diag("position %d: got %s, want %s", i, keys[got[i]], keys[want[i]]);
    }
}

static void test_string_maps(void)
{
    static const char *const c123[] = { "consumer1", "consumer2", "consumer3" };
    static const int32_t c123_order[] = { 2, 1, 0 };
    check_order(c123, 3, JORDER_DEFAULT_CAPACITY, c123_order,
                "HashMap<String> iterates consumer3, consumer2, consumer1 (bins 10, 11, 12 of 16)");
    static const char *const c012[] = { "consumer0", "consumer1", "consumer2" };
    static const int32_t c012_default[] = { 2, 1, 0 };
    static const int32_t c012_cap3[] = { 1, 0, 2 };
    check_order(c012, 3, JORDER_DEFAULT_CAPACITY, c012_default,
                "consumer0..2 in a default map: consumer2, consumer1, consumer0");
    check_order(c012, 3, 3, c012_cap3,
                "the same keys in new HashMap<>(3) (4 bins): consumer1, consumer0, consumer2");

    /* 30 plain ids and 12 ids of one hash ("Aa" and "BB" hash alike): the 12 share a bin
     * of a 64-bin table, which Java turns into a red-black tree ordered by compareTo. */
    static const char *ids[42];
    static const char *const coll[] = { "AaAaAaAa", "BBBBBBBB", "AaBBAaBB", "BBAaBBAa",
                                        "AaAaBBBB", "BBBBAaAa", "AaBBBBAa", "BBAaAaBB",
                                        "AaAaAaBB", "BBAaAaAa", "AaBBAaAa", "BBBBBBAa" };
    static char plain[30][16];
    int32_t n = 0, ci = 0;
    for (int32_t i = 0; i < 30; i++) {
        snprintf(plain[i], sizeof plain[i], "m%d", i);
        ids[n++] = plain[i];
        if (i % 2 == 0 && ci < 12 && i >= 2)
            ids[n++] = coll[ci++];
    }
    ok(n == 42 && hash_java_string("AaAaAaAa") == hash_java_string("BBBBBBBB"),
       "the colliding ids share one String.hashCode");
    static const int32_t tree_order[] = { 24, 9,  3,  6,  36, 12, 15, 33, 18, 21, 30, 27, 16, 14,
                                          19, 17, 22, 20, 25, 23, 28, 26, 0,  1,  2,  4,  5,  7,
                                          8,  10, 29, 11, 13, 32, 31, 35, 34, 38, 37, 40, 39, 41 };
    check_order(ids, n, JORDER_DEFAULT_CAPACITY, tree_order,
                "a treeified bin iterates its root first, not in insertion order (as OpenJDK)");
}

static void test_topic_partition_sets(void)
{
    int32_t th = hash_java_string("topic");
    is_int(jorder_tp_hash(th, 0), 31 * 31 + th, "TopicPartition.hashCode = 31 * (31 + p) + topic.hashCode()");
    static const int32_t ops[] = { 5, 3, 17, 40, -3, 64, 2, -5, 128, -17, 1, -2, -40, -64 };
    static const int32_t first[] = { 5, 3, 17, 17, 17, 64, 64, 64, 64, 64, 64, 64, 64, 128 };
    jorder_map_t s;
    jorder_map_init(&s, JORDER_DEFAULT_CAPACITY, NULL, NULL);
    bool same = true;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        int32_t p = ops[i] >= 0 ? ops[i] : -ops[i];
        if (ops[i] >= 0)
            jorder_map_put(&s, p, jorder_tp_hash(th, p));
        else
            jorder_map_remove(&s, p, jorder_tp_hash(th, p));
        same = same && jorder_map_first(&s) == first[i];
    }
    ok(same, "the first element of a HashSet<TopicPartition> follows Java through adds and removes");
    is_int(s.size, 2, "the set's size follows its adds and removes");
    jorder_map_free(&s);
}

static void test_tree_removals(void)
{
    /* 40 keys in distinct bins, then 12 whose hashes share bin 0 (a tree once the table
     * has 64 bins); removing every third of those reshapes the tree. */
    static const int32_t want[] = { 1,   2,   100, 4,   5,   7,   8,   10,  11,  137, 119, 101,
                                    138, 120, 102, 139, 121, 103, 122, 104, 123, 105, 124, 106,
                                    125, 107, 126, 108, 127, 109, 128, 110, 129, 111, 130, 112,
                                    131, 113, 132, 114, 133, 115, 134, 116, 135, 117, 136, 118 };
    jorder_map_t s;
    jorder_map_init(&s, JORDER_DEFAULT_CAPACITY, NULL, NULL);
    for (int32_t i = 0; i < 40; i++)
        jorder_map_put(&s, 100 + i, i * 7 + 1);
    for (int32_t i = 0; i < 12; i++)
        jorder_map_put(&s, i, (i % 4) * 1024 + (i / 4) * 65536);
    for (int32_t i = 0; i < 12; i += 3)
        jorder_map_remove(&s, i, (i % 4) * 1024 + (i / 4) * 65536);
    int32_t got[64];
    int32_t n = jorder_map_keys(&s, got);
    bool same = n == (int32_t)(sizeof want / sizeof want[0]);
    for (int32_t i = 0; same && i < n; i++)
        same = got[i] == want[i];
    ok(same, "tree bins keep Java's order through resizes, splits and removals");
    ok(!jorder_map_contains(&s, 3, 3 * 1024) && jorder_map_contains(&s, 4, 65536),
       "removed keys are gone, the others are still found");
    ok(!jorder_map_put(&s, 4, 65536), "putting a key already there changes nothing");
    jorder_map_free(&s);
}

/* A map filled in another map's iteration order: with a tree bin, the copy can iterate
 * otherwise (Kafka's consumerToOwnedPartitions is such a copy of its subscriptions). */
static void test_refill(void)
{
    static const char *const ids[] = {
        "Aa",       "c3",       "c10",      "AaBBBBBB", "AaBBAaAa", "AaAaBBBB", "c14",
        "AaAaBBAa", "BBAaBBBB", "c27",      "c15",      "c28",      "AaBBAaBB", "c6",
        "BB",       "BBAaAaAa", "AaBBBBAa", "BBAaAaBB", "c9",       "AaAaAaAa", "c2",
        "BBAaBBAa", "consumer1", "BBBBBBBB", "c23",     "AaAaAaBB", "c8",       "C2",
        "BBBBAaBB", "BBBBAaAa", "BBBBBBAa", "c20" };
    static const int32_t first[] = { 0,  14, 2,  10, 6,  3,  4,  5,  7,  19, 25,
                                     8,  23, 30, 28, 29, 21, 12, 15, 16, 17, 27,
                                     22, 31, 24, 11, 9,  20, 1,  13, 26, 18 };
    static const int32_t copy[] = { 0,  14, 2,  10, 6,  4,  3,  12, 16, 21, 15,
                                    17, 5,  7,  19, 25, 8,  23, 30, 28, 29, 27,
                                    22, 31, 24, 11, 9,  20, 1,  13, 26, 18 };
    enum { N = sizeof ids / sizeof ids[0] };
    check_order(ids, N, JORDER_DEFAULT_CAPACITY, first, "32 member ids, 16 of one hash: Java's order");
    const char *again[N];
    int32_t order[N], at[N];
    jorder_string_map_order(ids, N, JORDER_DEFAULT_CAPACITY, order);
    for (int32_t i = 0; i < N; i++)
        again[i] = ids[order[i]];
    jorder_string_map_order(again, N, JORDER_DEFAULT_CAPACITY, at);
    bool same = true;
    for (int32_t i = 0; i < N; i++)
        same = same && order[at[i]] == copy[i];
    ok(same, "a map refilled in that order iterates as Java's copy does, not as the original");
}

int main(void)
{
    test_strcmp();
    test_string_maps();
    test_topic_partition_sets();
    test_tree_removals();
    test_refill();
    return tap_done();
}
