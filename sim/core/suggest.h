/* suggest: "did you mean …?" for names a user mistyped: config keys, fault options,
 * node and API names. One rule everywhere: the closest name within max(2, len/4) edits. */
#ifndef KSIM_SUGGEST_H
#define KSIM_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance in bytes; SIZE_MAX when a name is longer than 128 bytes. */
size_t suggest_distance(const char *a, const char *b);
/* The closest of `n` names (NULL entries are skipped) when close enough to be a typo of
 * `word`, else NULL. Ties go to the earlier name. */
const char *suggest_closest(const char *word, const char *const *names, size_t n);

#endif
