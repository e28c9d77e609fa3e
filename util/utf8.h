/* utf8: strict UTF-8 checks for what users hand the engine (keys, values, names, notes),
 * so that every trace line is valid JSON. */
#ifndef KSIM_UTF8_H
#define KSIM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (at most `len` bytes), or 0 when it is not one:
 * overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t utf8_seq(const unsigned char *p, size_t len);
/* Whether all `len` bytes are valid UTF-8 with no NUL and no other C0 control character
 * than tab and newline: text that reads the same everywhere. */
bool utf8_text(const char *p, size_t len);
/* A malloc'd, NUL-terminated copy in which each invalid sequence, NUL or other C0 control
 * character (tab and newline kept) is replaced by U+FFFD. */
char *utf8_clean(const char *p, size_t len);

#endif
