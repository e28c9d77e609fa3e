/* group_offsets: committed and pending transactional offsets of a group (Kafka 3.9
 * GroupMetadata: offsets, pendingTransactionalOffsetCommits). */
#include "group_offsets.h"

#include <stdlib.h>
#include <string.h>

#include "../core/sorted.h"
#include "group.h"

static int tp_cmp(const group_offset_t *o, const char *topic, int32_t partition)
{
    int c = strcmp(o->topic, topic);
    return c ? c : (o->partition > partition) - (o->partition < partition);
}

typedef struct tp_key {
    const group_offset_t *v;
    const char *topic;
    int32_t partition;
} tp_key_t;

static int tp_key_cmp(const void *ctx, int32_t i)
{
    const tp_key_t *k = ctx;
    return tp_cmp(&k->v[i], k->topic, k->partition);
}

/* The index of the partition in v[0..n) sorted by topic, partition, or where it goes. */
static int32_t tp_index(const group_offset_t *v, int32_t n, const char *topic,
                        int32_t partition, bool *found)
{
    tp_key_t k = { v, topic, partition };
    return sorted_find(n, tp_key_cmp, &k, found);
}

/* Sets the partition's entry in the sorted array (adding it when new). */
static void tp_put(group_offset_t **v, int32_t *n, const group_offset_t *o)
{
    bool found;
    int32_t i = tp_index(*v, *n, o->topic, o->partition, &found);
    if (found) {
        (*v)[i] = *o;
        return;
    }
    *v = realloc(*v, (size_t)(*n + 1) * sizeof **v);
    if (!*v)
        abort();
    memmove(&(*v)[i + 1], &(*v)[i], (size_t)(*n - i) * sizeof **v);
    (*v)[i] = *o;
    (*n)++;
}

void group_commit(group_t *g, const char *topic, int32_t partition, int64_t offset,
                  int64_t appended)
{
    bool found;
    int32_t i = tp_index(g->offsets, g->n_offsets, topic, partition, &found);
    if (found && g->offsets[i].appended >= appended)
        return; /* a commit appended since (or this one) is in place */
    group_offset_t o = { topic, partition, offset, appended };
    tp_put(&g->offsets, &g->n_offsets, &o);
}

int64_t group_committed(const group_t *g, const char *topic, int32_t partition)
{
    bool found;
    int32_t i = tp_index(g->offsets, g->n_offsets, topic, partition, &found);
    return found ? g->offsets[i].offset : -1;
}

/* The producer's entry index, or where it goes (txns sorted by producer id). */
static int32_t txn_index(const group_t *g, int64_t producer_id, bool *found)
{
    int32_t i = 0;
    while (i < g->n_txns && g->txns[i].producer_id < producer_id)
        i++;
    *found = i < g->n_txns && g->txns[i].producer_id == producer_id;
    return i;
}

void group_txn_stage(group_t *g, int64_t producer_id, const char *topic, int32_t partition,
                     int64_t offset, int64_t appended)
{
    bool found;
    int32_t i = txn_index(g, producer_id, &found);
    if (!found) {
        g->txns = realloc(g->txns, (size_t)(g->n_txns + 1) * sizeof *g->txns);
        if (!g->txns)
            abort();
        memmove(&g->txns[i + 1], &g->txns[i], (size_t)(g->n_txns - i) * sizeof *g->txns);
        g->txns[i] = (group_txn_t){ producer_id, NULL, 0 };
        g->n_txns++;
    }
    group_offset_t o = { topic, partition, offset, appended };
    tp_put(&g->txns[i].v, &g->txns[i].n, &o);
}

static void txn_remove(group_t *g, int32_t i)
{
    memmove(&g->txns[i], &g->txns[i + 1], (size_t)(g->n_txns - i - 1) * sizeof *g->txns);
    g->n_txns--;
}

void group_txn_fail(group_t *g, int64_t producer_id, const char *topic, int32_t partition)
{
    bool found;
    int32_t i = txn_index(g, producer_id, &found);
    if (!found)
        return; /* the group moved away meanwhile */
    group_txn_t *t = &g->txns[i];
    int32_t k = tp_index(t->v, t->n, topic, partition, &found);
    if (!found)
        return;
    memmove(&t->v[k], &t->v[k + 1], (size_t)(t->n - k - 1) * sizeof *t->v);
    if (--t->n > 0)
        return;
    free(t->v);
    txn_remove(g, i);
}

bool group_txn_complete(group_t *g, int64_t producer_id, bool commit, group_txn_t *out)
{
    bool found;
    int32_t i = txn_index(g, producer_id, &found);
    if (!found)
        return false;
    group_txn_t t = g->txns[i];
    txn_remove(g, i);
    for (int32_t k = 0; commit && k < t.n; k++)
        group_commit(g, t.v[k].topic, t.v[k].partition, t.v[k].offset, t.v[k].appended);
    if (out)
        *out = t;
    else
        group_txn_free(&t);
    return true;
}

void group_txn_free(group_txn_t *t)
{
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

const group_txn_t *group_txn_find(const group_t *g, int64_t producer_id)
{
    bool found;
    int32_t i = txn_index(g, producer_id, &found);
    return found ? &g->txns[i] : NULL;
}

int64_t group_txn_pending(const group_t *g, const char *topic, int32_t partition)
{
    int64_t offset = -1, appended = -1;
    for (int32_t i = 0; i < g->n_txns; i++) {
        bool found;
        int32_t k = tp_index(g->txns[i].v, g->txns[i].n, topic, partition, &found);
        if (found && g->txns[i].v[k].appended > appended) {
            appended = g->txns[i].v[k].appended;
            offset = g->txns[i].v[k].offset;
        }
    }
    return offset;
}

void group_offsets_free(group_t *g)
{
    for (int32_t i = 0; i < g->n_txns; i++)
        free(g->txns[i].v);
    free(g->txns);
    free(g->offsets);
    g->txns = NULL;
    g->offsets = NULL;
    g->n_txns = g->n_offsets = 0;
}
