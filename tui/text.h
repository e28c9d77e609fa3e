/* text: trace events as readable one-line text, for the timeline `ksim run` prints.
 * It reads events only through their JSON fields (the trace contract) and never
 * allocates: every function writes into the caller's buffer. */
#ifndef KSIM_TEXT_H
#define KSIM_TEXT_H

#include <stddef.h>

#include <cJSON.h>

/* "  1.250 ms  p1 -> broker-1  Produce payments-0 [1 record] corr=3" for one event, or
 * NULL for events the timeline does not show (the header, deliveries). Always returns
 * a NUL-terminated, valid UTF-8 line without a newline or other control characters
 * (they become U+FFFD, as do invalid bytes) when it returns buf. */
const char *text_format_event(const cJSON *ev, char *buf, size_t n);

/* The body alone (no time column), or NULL for events not shown. */
const char *text_format_body(const cJSON *ev, char *buf, size_t n);

/* A value shortened for display: at most `max_chars` UTF-8 characters, then "…";
 * control characters escaped ("\n", "\x01"), invalid UTF-8 bytes shown as "\xNN". */
const char *text_short(const char *s, size_t max_chars, char *buf, size_t n);

#endif
