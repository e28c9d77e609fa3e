/* java_order: the orders Java gives to strings and hash maps, so that the assignors take
 * the same turns as Kafka's. It owns Java's String.compareTo over UTF-8 text (UTF-16 code
 * unit order) and an emulation of java.util.HashMap/HashSet iteration order.
 *
 * Kafka's sticky assignors walk HashMaps of member ids (the group's subscriptions, built
 * by ConsumerCoordinator in JoinGroup order) and take the first element of HashSets of
 * TopicPartitions. Java's order is a function of the keys' hashCode, the insertion and
 * removal history and the table's capacity, so it can be replayed exactly:
 *   - a key sits in bin (h ^ (h >>> 16)) & (capacity - 1); iteration walks bins upward;
 *   - capacity is a power of two (16 by default, tableSizeFor(n) for new HashMap<>(n)),
 *     doubled when the size passes 0.75 × capacity; a doubling splits each bin in two,
 *     keeping the relative order of its nodes;
 *   - a new key is appended to the end of its bin's chain;
 *   - a chain reaching 9 nodes is turned into a red-black tree (HashMap.treeifyBin) when
 *     the table has 64 bins or more, and doubles the table otherwise. A tree bin still
 *     iterates along its `next` links, but the tree reorders them: treeify and every
 *     insertion or removal moves the tree's root to the front (moveRootToFront), and an
 *     insertion links the new node right after its tree parent (putTreeVal). A tree bin
 *     that shrinks to 6 nodes at a split, or whose tree becomes too shallow on removal,
 *     is turned back into a chain. All of this is reproduced here.
 * Trees order nodes by hash and, for equal hashes, by the caller's comparison (Java uses
 * compareTo for Comparable keys such as String). Keys of equal hash that Java cannot
 * compare (TopicPartition) are ordered by identity hash in Java, which no one can replay;
 * the assignors only put TopicPartitions of one topic in a set, whose hashes all differ. */
#ifndef KSIM_JAVA_ORDER_H
#define KSIM_JAVA_ORDER_H

#include <stdbool.h>
#include <stdint.h>

/* Java's a.compareTo(b) sign for two valid UTF-8 strings: UTF-16 code unit order, so
 * "C10" < "C2", "Z" < "a", and U+FFFD sorts after U+1F600 (a surrogate pair). */
int jorder_strcmp(const char *a, const char *b);

/* Compares two keys of equal hash, as compareTo would (negative, zero, positive). */
typedef int (*jorder_cmp_fn)(int32_t a, int32_t b, const void *ctx);

typedef struct jorder_node {
    int32_t next, prev, parent, kid[2]; /* kid[0] left, kid[1] right */
    int32_t hash; /* spread hash: h ^ (h >>> 16) */
    int32_t key;
    uint8_t red;
} jorder_node_t;

/* A java.util.HashMap (or HashSet) of int32 keys whose Java hashCode the caller gives.
 * Keys are compared for equality by value. Plain data; free with jorder_map_free. */
typedef struct jorder_map {
    int32_t cap, size, threshold;
    int32_t *bin;   /* first node of each bin, -1 when empty */
    uint8_t *tree;  /* whether a bin is a red-black tree (TreeNodes) */
    jorder_node_t *node;
    int32_t nnode, node_cap, free_node;
    jorder_cmp_fn cmp;
    const void *cmp_ctx;
} jorder_map_t;

#define JORDER_DEFAULT_CAPACITY (-1)

/* Starts an empty map as `new HashMap<>()` (capacity JORDER_DEFAULT_CAPACITY) or
 * `new HashMap<>(capacity)`. `cmp` orders keys of equal hash; NULL orders them by value. */
void jorder_map_init(jorder_map_t *m, int32_t capacity, jorder_cmp_fn cmp, const void *ctx);
void jorder_map_free(jorder_map_t *m);
/* HashMap.put: adds `key` (Java hashCode `hashcode`); false when already there. */
bool jorder_map_put(jorder_map_t *m, int32_t key, int32_t hashcode);
/* HashMap.remove: false when `key` was not there. */
bool jorder_map_remove(jorder_map_t *m, int32_t key, int32_t hashcode);
bool jorder_map_contains(const jorder_map_t *m, int32_t key, int32_t hashcode);
/* The first key an iterator returns (iterator().next()), or -1 when empty. */
int32_t jorder_map_first(const jorder_map_t *m);
/* Writes every key in iteration order to out (room for m->size); returns m->size. */
int32_t jorder_map_keys(const jorder_map_t *m, int32_t *out);

/* The iteration order of a HashMap<String, ?> after putting `n` distinct keys in the
 * given order into a map made with `capacity` (JORDER_DEFAULT_CAPACITY or n ≥ 0):
 * order[i] is the index (into keys) of the i-th key iterated. */
void jorder_string_map_order(const char *const *keys, int32_t n, int32_t capacity,
                             int32_t *order);

/* Kafka's TopicPartition.hashCode: 31 * (31 + partition) + topic.hashCode(). */
int32_t jorder_tp_hash(int32_t topic_hash, int32_t partition);

#endif
