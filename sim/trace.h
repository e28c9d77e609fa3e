/* trace: the one contract between the engine and everything that shows it.
 * The writer turns events into JSON Lines (cJSON), keeps the 64-bit digest of every byte
 * written, and hands each line to an optional listener; the reader loads a trace back. */
#ifndef KSIM_TRACE_H
#define KSIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#define TRACE_FORMAT "ksim-trace"
#define TRACE_VERSION 1

typedef struct trace trace_t;
/* Called with every line written (header included), before it is freed. */
typedef void (*trace_listener_fn)(void *ctx, const cJSON *ev, const char *line);

trace_t *trace_new(void);
void trace_free(trace_t *tr);
/* Lines also go to `f` (not owned, not closed). */
void trace_set_file(trace_t *tr, FILE *f);
void trace_set_listener(trace_t *tr, trace_listener_fn fn, void *ctx);
/* When disabled, trace_begin returns NULL and nothing is written (benchmarks). */
void trace_set_enabled(trace_t *tr, bool on);
bool trace_enabled(const trace_t *tr);
/* Only events of this kind (a string that outlives the trace) are made and written;
 * NULL: every kind. For tests that watch one kind of event. */
void trace_set_only(trace_t *tr, const char *kind);

/* The first line: format, version, seed and scenario. */
void trace_header(trace_t *tr, uint64_t seed, const char *scenario);
/* A new event with t, seq, node and kind set; NULL when tracing is disabled.
 * Add fields, then pass it to trace_emit, which writes and frees it. */
cJSON *trace_begin(trace_t *tr, int64_t t, const char *node, const char *kind);
void trace_emit(trace_t *tr, cJSON *ev);
/* A key or value for the trace: null for Kafka's null (len -1); a JSON string when the
 * bytes are text (utf8_text); otherwise {"hex":"fffe"}, so that every byte survives. */
cJSON *trace_bytes(const char *p, int32_t len);
/* Adds user text (a note, a check): what is not text becomes U+FFFD. */
void trace_add_text(cJSON *obj, const char *name, const char *p, size_t len);
/* Adds an integer field, printed exactly (and much faster than cJSON's doubles). */
void trace_add_int(cJSON *obj, const char *name, int64_t v);
/* An integer as an array item. */
cJSON *trace_int_item(int64_t v);
uint64_t trace_digest(const trace_t *tr);
uint64_t trace_count(const trace_t *tr);

/* Reading a trace back. */
typedef struct trace_doc {
    cJSON *header;
    cJSON **events;
    size_t n;
} trace_doc_t;

/* One line of a trace file, without its line end: line 1 must be the header (format and
 * version), every later line one JSON object, nothing after it, with t (whole µs from 0
 * to 2^53), seq (a whole number from 1), node and kind. Returns the parsed
 * object (the caller frees it), or NULL with "FILE:LINE: what is wrong" in err. A file
 * with no line at all is checked as an empty line 1 ("empty trace"). Every reader of
 * trace files goes through here, so that they all reject the same files in the same words. */
cJSON *trace_parse_line(const char *line, size_t len, const char *file, long lineno, char *err,
                        size_t errlen);
/* What a reader keeps between event lines to check their order. */
typedef struct trace_order {
    int64_t t, seq; /* the previous event's (0, 0 before the first) */
} trace_order_t;

/* Events come in the order they happened: t never decreases, seq always increases.
 * False with "FILE:LINE: what is wrong" in err when ev breaks that order. */
bool trace_check_order(trace_order_t *o, const cJSON *ev, const char *file, long lineno, char *err,
                       size_t errlen);
/* Loads a JSON Lines trace. On a malformed file returns false and writes
 * "FILE:LINE: what is wrong" into err. */
bool trace_load(const char *path, trace_doc_t *doc, char *err, size_t errlen);
bool trace_load_stream(FILE *f, const char *name, trace_doc_t *doc, char *err, size_t errlen);
void trace_doc_free(trace_doc_t *doc);

/* Field helpers for readers: use them rather than cJSON's number accessors, since the
 * events a listener sees carry integers as raw text (trace_add_int). */
const char *trace_str(const cJSON *ev, const char *field);
int64_t trace_int(const cJSON *ev, const char *field, int64_t dflt);
int64_t trace_item_int(const cJSON *item, int64_t dflt);

#endif
