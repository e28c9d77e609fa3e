/* sticky_set: the general path's sortedCurrentSubscriptions, a TreeSet of member ids
 * ordered by how many partitions each has, then by member id (SubscriptionComparator).
 * A treap keyed by (count, member rank) with parent links for in-order walks. */
#include <stdlib.h>

#include "sticky_internal.h"

static bool less(const load_set_t *s, int32_t a, int32_t b)
{
    if (s->count[a] != s->count[b])
        return s->count[a] < s->count[b];
    return s->rank[a] < s->rank[b];
}

void load_set_init(load_set_t *s, int32_t nm, const int32_t *count, const int32_t *rank)
{
    s->root = -1;
    s->left = assign_xmalloc((size_t)nm * sizeof *s->left);
    s->right = assign_xmalloc((size_t)nm * sizeof *s->right);
    s->parent = assign_xmalloc((size_t)nm * sizeof *s->parent);
    s->prio = assign_xmalloc((size_t)nm * sizeof *s->prio);
    s->in = assign_xcalloc((size_t)nm, 1);
    s->count = count;
    s->rank = rank;
    for (int32_t m = 0; m < nm; m++) {
        uint32_t x = (uint32_t)m * 0x9e3779b9u + 0x7f4a7c15u; /* a fixed mix of the index */
        x ^= x >> 16;
        x *= 0x85ebca6bu;
        x ^= x >> 13;
        s->prio[m] = x;
    }
}

void load_set_free(load_set_t *s)
{
    free(s->left);
    free(s->right);
    free(s->parent);
    free(s->prio);
    free(s->in);
}

static void link_child(load_set_t *s, int32_t p, int32_t old, int32_t x)
{
    if (p < 0)
        s->root = x;
    else if (s->left[p] == old)
        s->left[p] = x;
    else
        s->right[p] = x;
    if (x >= 0)
        s->parent[x] = p;
}

/* Rotates x above its parent. */
static void rotate_up(load_set_t *s, int32_t x)
{
    int32_t p = s->parent[x], g = s->parent[p];
    if (x == s->left[p]) {
        s->left[p] = s->right[x];
        if (s->right[x] >= 0)
            s->parent[s->right[x]] = p;
        s->right[x] = p;
    } else {
        s->right[p] = s->left[x];
        if (s->left[x] >= 0)
            s->parent[s->left[x]] = p;
        s->left[x] = p;
    }
    s->parent[p] = x;
    link_child(s, g, p, x);
}

void load_set_add(load_set_t *s, int32_t m)
{
    if (s->in[m])
        return;
    s->in[m] = 1;
    s->left[m] = s->right[m] = -1;
    int32_t p = -1;
    for (int32_t x = s->root; x >= 0; x = less(s, m, x) ? s->left[x] : s->right[x])
        p = x;
    s->parent[m] = p;
    if (p < 0)
        s->root = m;
    else if (less(s, m, p))
        s->left[p] = m;
    else
        s->right[p] = m;
    while (s->parent[m] >= 0 && s->prio[m] > s->prio[s->parent[m]])
        rotate_up(s, m);
}

void load_set_remove(load_set_t *s, int32_t m)
{
    if (!s->in[m])
        return;
    while (s->left[m] >= 0 && s->right[m] >= 0)
        rotate_up(s, s->prio[s->left[m]] > s->prio[s->right[m]] ? s->left[m] : s->right[m]);
    int32_t child = s->left[m] >= 0 ? s->left[m] : s->right[m];
    link_child(s, s->parent[m], m, child);
    s->in[m] = 0;
}

int32_t load_set_first(const load_set_t *s)
{
    int32_t x = s->root;
    while (x >= 0 && s->left[x] >= 0)
        x = s->left[x];
    return x;
}

int32_t load_set_last(const load_set_t *s)
{
    int32_t x = s->root;
    while (x >= 0 && s->right[x] >= 0)
        x = s->right[x];
    return x;
}

int32_t load_set_next(const load_set_t *s, int32_t m)
{
    if (s->right[m] >= 0) {
        m = s->right[m];
        while (s->left[m] >= 0)
            m = s->left[m];
        return m;
    }
    while (s->parent[m] >= 0 && s->right[s->parent[m]] == m)
        m = s->parent[m];
    return s->parent[m];
}
