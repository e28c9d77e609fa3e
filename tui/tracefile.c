/* tracefile: scanning a trace line by line and reading lines back by offset. Each line is
 * checked by sim/trace.c's trace_parse_line, so that the viewer and `trace_load` reject
 * the same files with the same words. */
#include "tracefile.h"

#include "../sim/trace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

bool tf_scan(FILE *f, const char *name, cJSON **header, tf_event_fn fn, void *ctx, char *err,
             size_t errlen)
{
    *header = NULL;
    char *line = NULL;
    size_t linecap = 0;
    long lineno = 0;
    ssize_t got;
    int64_t off = ftello(f);
    trace_order_t order = { 0, 0 };
    bool ok = true;
    if (off < 0)
        off = 0;
    while (ok && (got = getline(&line, &linecap, f)) != -1) {
        lineno++;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len >= UINT32_MAX) { /* a line's place is kept in 32 bits */
            snprintf(err, errlen, "%s:%ld: line longer than 4 GiB", name, lineno);
            ok = false;
            break;
        }
        cJSON *obj = trace_parse_line(line, len, name, lineno, err, errlen);
        ok = obj != NULL;
        if (obj && lineno == 1) {
            *header = obj;
        } else if (obj) {
            ok = trace_check_order(&order, obj, name, lineno, err, errlen);
            const char *why = ok ? fn(ctx, obj, off, (uint32_t)len) : NULL;
            if (why) {
                snprintf(err, errlen, "%s:%ld: %s", name, lineno, why);
                ok = false;
            }
            cJSON_Delete(obj);
        }
        off += got;
    }
    free(line);
    if (ok && ferror(f)) {
        snprintf(err, errlen, "%s:%ld: read error", name, lineno + 1);
        ok = false;
    }
    if (ok && lineno == 0) { /* an empty file: checked as an empty first line */
        trace_parse_line("", 0, name, 1, err, errlen);
        ok = false;
    }
    if (!ok) {
        cJSON_Delete(*header);
        *header = NULL;
    }
    return ok;
}

void tf_source_init(tf_source_t *s, int fd)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    for (size_t i = 0; i < TF_CACHE; i++)
        s->cache[i].id = UINT32_MAX;
}

void tf_source_free(tf_source_t *s)
{
    for (size_t i = 0; i < TF_CACHE; i++)
        cJSON_Delete(s->cache[i].ev);
    free(s->buf);
    memset(s, 0, sizeof *s);
}

const char *tf_source_line(tf_source_t *s, int64_t off, uint32_t len)
{
    if (s->cap < (size_t)len + 1) {
        s->cap = (size_t)len + 1 > 4096 ? (size_t)len + 1 : 4096;
        free(s->buf);
        s->buf = malloc(s->cap);
        if (!s->buf)
            abort();
    }
    size_t have = 0;
    while (have < len) {
        ssize_t k = pread(s->fd, s->buf + have, len - have, (off_t)(off + (int64_t)have));
        if (k <= 0)
            return NULL;
        have += (size_t)k;
    }
    s->buf[len] = '\0';
    return s->buf;
}

const cJSON *tf_source_get(tf_source_t *s, uint32_t id, int64_t off, uint32_t len)
{
    for (size_t i = 0; i < TF_CACHE; i++)
        if (s->cache[i].id == id)
            return s->cache[i].ev;
    const char *line = tf_source_line(s, off, len);
    cJSON *ev = line ? cJSON_ParseWithLength(line, len) : NULL;
    if (!ev)
        return NULL;
    tf_cache_entry_t *e = &s->cache[s->next];
    s->next = (s->next + 1) % TF_CACHE;
    cJSON_Delete(e->ev);
    e->ev = ev;
    e->id = id;
    return ev;
}
