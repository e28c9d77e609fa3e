/* sorted: binary search over an array kept sorted, for the modules that keep one (a set
 * of partitions, a table of ids): where a key is, or where it would go. */
#ifndef KSIM_SORTED_H
#define KSIM_SORTED_H

#include <stdbool.h>
#include <stdint.h>

/* cmp(ctx, i): <0, 0, >0 as element i sorts before, with, or after the key. Returns the
 * index of the element equal to the key (*found) or the index where it would be
 * inserted. */
int32_t sorted_find(int32_t n, int (*cmp)(const void *ctx, int32_t i), const void *ctx,
                    bool *found);

#endif
