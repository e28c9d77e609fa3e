/* grow: the arrays of the viewer's index and state grow by doubling; this is the one
 * function that does it (aborting when memory runs out, as the engine does). */
#ifndef KSIM_TUI_GROW_H
#define KSIM_TUI_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Returns p with room for at least `need` elements of `size` bytes; *cap follows, starting
 * at `first`. */
static inline void *tui_grow(void *p, uint32_t *cap, uint32_t need, size_t size,
                             uint32_t first)
{
    if (need <= *cap)
        return p;
    uint32_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    p = realloc(p, (size_t)c * size);
    if (!p)
        abort();
    *cap = c;
    return p;
}

#endif
