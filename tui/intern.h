/* intern: small building blocks of the trace index. It owns two tables: an interner that
 * gives each distinct string a dense id (node names, kinds, fields), and a map from 64-bit
 * keys to 32-bit values (a message id to its send event). Look-ups only: iteration order
 * is never taken from a hash table. */
#ifndef KSIM_INTERN_H
#define KSIM_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTERN_NONE UINT32_MAX

typedef struct intern {
    char **strs;      /* id -> string (owned) */
    uint32_t n, cap;
    uint32_t *slots;  /* open addressing: id + 1, 0 when empty */
    uint32_t nslots;
} intern_t;

void intern_init(intern_t *t);
void intern_free(intern_t *t);
/* The id of s, adding it when new. */
uint32_t intern_id(intern_t *t, const char *s);
/* The id of s, or INTERN_NONE when it was never added. */
uint32_t intern_find(const intern_t *t, const char *s);
const char *intern_str(const intern_t *t, uint32_t id);

typedef struct u64map {
    uint64_t *keys;
    uint32_t *vals;
    uint32_t n, cap; /* cap is a power of two; keys are stored + 1 (0 marks empty) */
} u64map_t;

void u64map_init(u64map_t *m);
void u64map_free(u64map_t *m);
void u64map_put(u64map_t *m, uint64_t key, uint32_t val);
/* The value of key, or INTERN_NONE. */
uint32_t u64map_get(const u64map_t *m, uint64_t key);
void u64map_del(u64map_t *m, uint64_t key);

#endif
