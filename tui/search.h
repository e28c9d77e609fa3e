/* search: finding the next shown event that mentions a string: a node, an API, a key or
 * value, a note's words. Lines are scanned raw from the file in large blocks (no parsing),
 * and only lines that contain the string are parsed to check that it is in a value (or in
 * the event's sentence), not in a field's name. Case is ignored for ASCII letters. */
#ifndef KSIM_SEARCH_H
#define KSIM_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "rows.h"

/* The first shown position after `from` (wrapping to the start; from = rows->n starts at
 * the top) whose event matches needle, or rows->n when none does. *wrapped says whether
 * the search went past the end. */
uint32_t search_next(model_t *m, const rows_t *rows, uint32_t from, const char *needle,
                     bool *wrapped);
/* Whether event i matches (the check done on each candidate line). */
bool search_matches(model_t *m, uint32_t i, const char *needle);

#endif
