/* tracefile: scanning a trace line by line and reading lines back by offset. The checks
 * repeat sim/trace.c's reader so that the viewer and `trace_load` reject the same files
 * with the same words. */
#include "tracefile.h"

#include "../sim/trace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static bool fail(char *err, size_t errlen, const char *name, size_t line, const char *what)
{
    snprintf(err, errlen, "%s:%zu: %s", name, line, what);
    return false;
}

static bool check_header(const cJSON *h, char *msg, size_t n)
{
    const char *fmt = trace_str(h, "format");
    if (!fmt || strcmp(fmt, TRACE_FORMAT) != 0) {
        snprintf(msg, n, "not a ksim trace: the first line must be the header with "
                 "\"format\":\"%s\"", TRACE_FORMAT);
        return false;
    }
    int64_t v = trace_int(h, "version", -1);
    if (v != TRACE_VERSION) {
        snprintf(msg, n, "trace format version %lld is not supported (this ksim reads "
                 "version %d)", (long long)v, TRACE_VERSION);
        return false;
    }
    return true;
}

static bool check_event(const cJSON *ev, char *msg, size_t n)
{
    static const char *const num_fields[] = { "t", "seq" };
    static const char *const str_fields[] = { "node", "kind" };
    for (size_t i = 0; i < 2; i++) {
        if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ev, num_fields[i]))) {
            snprintf(msg, n, "event has no numeric \"%s\" field", num_fields[i]);
            return false;
        }
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ev, str_fields[i]))) {
            snprintf(msg, n, "event has no string \"%s\" field", str_fields[i]);
            return false;
        }
    }
    return true;
}

/* One line: checked, then handed to fn (events) or kept (the header). */
static bool scan_line(char *line, size_t len, const char *name, size_t lineno, cJSON **header,
                      tf_event_fn fn, void *ctx, int64_t off, size_t raw, char *err,
                      size_t errlen)
{
    char msg[256];
    if (len == 0)
        return fail(err, errlen, name, lineno, "empty line (every line must be one JSON object)");
    cJSON *obj = cJSON_ParseWithLength(line, len);
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return fail(err, errlen, name, lineno, "not a JSON object");
    }
    if (!*header) {
        if (!check_header(obj, msg, sizeof msg)) {
            cJSON_Delete(obj);
            return fail(err, errlen, name, lineno, msg);
        }
        *header = obj;
        return true;
    }
    if (!check_event(obj, msg, sizeof msg)) {
        cJSON_Delete(obj);
        return fail(err, errlen, name, lineno, msg);
    }
    fn(ctx, obj, off, (uint32_t)raw);
    cJSON_Delete(obj);
    return true;
}

bool tf_scan(FILE *f, const char *name, cJSON **header, tf_event_fn fn, void *ctx, char *err,
             size_t errlen)
{
    *header = NULL;
    char *line = NULL;
    size_t linecap = 0, lineno = 0;
    ssize_t got;
    int64_t off = ftello(f);
    bool ok = true;
    if (off < 0)
        off = 0;
    while (ok && (got = getline(&line, &linecap, f)) != -1) {
        lineno++;
        size_t len = (size_t)got;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        ok = scan_line(line, len, name, lineno, header, fn, ctx, off, len, err, errlen);
        off += got;
    }
    free(line);
    if (ok && ferror(f))
        ok = fail(err, errlen, name, lineno + 1, "read error");
    if (ok && !*header)
        ok = fail(err, errlen, name, lineno ? lineno : 1, "empty trace: no header line");
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
