/* intern: a string interner and a u64 -> u32 map, both open addressing with linear
 * probing. Deleting from the map re-inserts the rest of the probe run (no tombstones). */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

void intern_init(intern_t *t)
{
    memset(t, 0, sizeof *t);
}

void intern_free(intern_t *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        free(t->strs[i]);
    free(t->strs);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static void intern_rehash(intern_t *t)
{
    uint32_t n = t->nslots ? t->nslots * 2 : 64;
    free(t->slots);
    t->slots = calloc(n, sizeof *t->slots);
    if (!t->slots)
        abort();
    t->nslots = n;
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t i = (uint32_t)hash_str(t->strs[id]) & (n - 1);
        while (t->slots[i])
            i = (i + 1) & (n - 1);
        t->slots[i] = id + 1;
    }
}

/* The slot holding s, or the empty slot where it would go. */
static uint32_t intern_slot(const intern_t *t, const char *s)
{
    uint32_t i = (uint32_t)hash_str(s) & (t->nslots - 1);
    while (t->slots[i] && strcmp(t->strs[t->slots[i] - 1], s) != 0)
        i = (i + 1) & (t->nslots - 1);
    return i;
}

uint32_t intern_find(const intern_t *t, const char *s)
{
    if (!t->nslots)
        return INTERN_NONE;
    uint32_t slot = t->slots[intern_slot(t, s)];
    return slot ? slot - 1 : INTERN_NONE;
}

uint32_t intern_id(intern_t *t, const char *s)
{
    if ((t->n + 1) * 2 > t->nslots)
        intern_rehash(t);
    uint32_t i = intern_slot(t, s);
    if (t->slots[i])
        return t->slots[i] - 1;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->strs = xrealloc(t->strs, t->cap * sizeof *t->strs);
    }
    t->strs[t->n] = strdup(s);
    if (!t->strs[t->n])
        abort();
    t->slots[i] = ++t->n;
    return t->n - 1;
}

const char *intern_str(const intern_t *t, uint32_t id)
{
    return id < t->n ? t->strs[id] : "?";
}

void u64map_init(u64map_t *m)
{
    memset(m, 0, sizeof *m);
}

void u64map_free(u64map_t *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static uint32_t u64map_slot(const u64map_t *m, uint64_t key)
{
    uint32_t i = (uint32_t)mix(key) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key + 1)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void u64map_grow(u64map_t *m)
{
    u64map_t old = *m;
    m->cap = old.cap ? old.cap * 2 : 1024;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = malloc(m->cap * sizeof *m->vals);
    if (!m->keys || !m->vals)
        abort();
    for (uint32_t i = 0; i < old.cap; i++) {
        if (!old.keys[i])
            continue;
        uint32_t j = u64map_slot(m, old.keys[i] - 1);
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
    }
    free(old.keys);
    free(old.vals);
}

void u64map_put(u64map_t *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap)
        u64map_grow(m);
    uint32_t i = u64map_slot(m, key);
    if (!m->keys[i]) {
        m->keys[i] = key + 1;
        m->n++;
    }
    m->vals[i] = val;
}

uint32_t u64map_get(const u64map_t *m, uint64_t key)
{
    if (!m->cap)
        return INTERN_NONE;
    uint32_t i = u64map_slot(m, key);
    return m->keys[i] ? m->vals[i] : INTERN_NONE;
}

void u64map_del(u64map_t *m, uint64_t key)
{
    if (!m->cap)
        return;
    uint32_t i = u64map_slot(m, key);
    if (!m->keys[i])
        return;
    m->keys[i] = 0;
    m->n--;
    /* Re-insert the rest of the run so that no probe sequence is broken. */
    for (uint32_t j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
        uint64_t k = m->keys[j];
        uint32_t v = m->vals[j];
        m->keys[j] = 0;
        uint32_t to = u64map_slot(m, k - 1);
        m->keys[to] = k;
        m->vals[to] = v;
    }
}
