/* tracefile: a trace file read twice over. It owns the streaming scan that checks every
 * line with trace_parse_line (the "FILE:LINE: what is wrong" messages of trace_load)
 * without keeping the parsed events, and the later reads of single lines by file offset, parsed on demand
 * into a small cache, so that a million-event trace never lives in memory as cJSON. */
#ifndef KSIM_TRACEFILE_H
#define KSIM_TRACEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

/* Called for every event line (not the header) with its parsed object, which is freed
 * after the call, and the line's place in the file. Returns NULL, or what is wrong with
 * the line (a static string), which ends the scan with "NAME:LINE: what". */
typedef const char *(*tf_event_fn)(void *ctx, const cJSON *ev, int64_t off, uint32_t len);

/* Reads f from its current position to the end. The header is returned in *header (the
 * caller frees it). On a malformed line, events out of order (trace_check_order) or a
 * line fn refuses, returns false with "NAME:LINE: what" in err. */
bool tf_scan(FILE *f, const char *name, cJSON **header, tf_event_fn fn, void *ctx, char *err,
             size_t errlen);

#define TF_CACHE 512

typedef struct tf_cache_entry {
    uint32_t id;
    cJSON *ev;
} tf_cache_entry_t;

/* Lines read back by offset. A parsed event stays valid for the next TF_CACHE-1 reads. */
typedef struct tf_source {
    int fd;              /* not owned */
    char *buf;
    size_t cap;
    tf_cache_entry_t cache[TF_CACHE];
    uint32_t next;       /* the cache slot to reuse next */
} tf_source_t;

void tf_source_init(tf_source_t *s, int fd);
void tf_source_free(tf_source_t *s);
/* The event `id` whose line is at [off, off+len): parsed, or from the cache. NULL only
 * when the file changed under us. */
const cJSON *tf_source_get(tf_source_t *s, uint32_t id, int64_t off, uint32_t len);
/* The raw line (not NUL-terminated beyond len) into s->buf; NULL on a read error. */
const char *tf_source_line(tf_source_t *s, int64_t off, uint32_t len);

#endif
