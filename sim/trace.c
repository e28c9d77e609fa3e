#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "../util/utf8.h"

struct trace {
    FILE *file;
    trace_listener_fn listener;
    void *listener_ctx;
    bool enabled;
    const char *only;  /* the one kind written, NULL: every kind */
    uint64_t digest;
    uint64_t seq;
};

trace_t *trace_new(void)
{
    trace_t *tr = calloc(1, sizeof *tr);
    if (!tr)
        abort();
    tr->enabled = true;
    tr->digest = HASH_FNV64_INIT;
    return tr;
}

void trace_free(trace_t *tr)
{
    free(tr);
}

void trace_set_file(trace_t *tr, FILE *f)
{
    tr->file = f;
}

void trace_set_listener(trace_t *tr, trace_listener_fn fn, void *ctx)
{
    tr->listener = fn;
    tr->listener_ctx = ctx;
}

void trace_set_enabled(trace_t *tr, bool on)
{
    tr->enabled = on;
}

void trace_set_only(trace_t *tr, const char *kind)
{
    tr->only = kind;
}

bool trace_enabled(const trace_t *tr)
{
    return tr->enabled;
}

static void write_line(trace_t *tr, cJSON *obj)
{
    char *line = cJSON_PrintUnformatted(obj);
    if (!line)
        abort();
    size_t len = strlen(line);
    tr->digest = hash_fnv1a64_update(tr->digest, line, len);
    tr->digest = hash_fnv1a64_update(tr->digest, "\n", 1);
    if (tr->file) {
        fwrite(line, 1, len, tr->file);
        fputc('\n', tr->file);
    }
    if (tr->listener)
        tr->listener(tr->listener_ctx, obj, line);
    cJSON_free(line);
    cJSON_Delete(obj);
}

void trace_header(trace_t *tr, uint64_t seed, const char *scenario)
{
    if (!tr->enabled)
        return;
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "format", TRACE_FORMAT);
    trace_add_int(h, "version", TRACE_VERSION);
    /* Seeds are 64-bit: a string keeps every digit exact. */
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    cJSON_AddStringToObject(h, "seed", buf);
    trace_add_text(h, "scenario", scenario ? scenario : "", scenario ? strlen(scenario) : 0);
    cJSON_AddStringToObject(h, "time_unit", "us");
    write_line(tr, h);
}

cJSON *trace_begin(trace_t *tr, int64_t t, const char *node, const char *kind)
{
    if (!tr->enabled || (tr->only && strcmp(kind, tr->only) != 0))
        return NULL;
    cJSON *ev = cJSON_CreateObject();
    trace_add_int(ev, "t", t);
    trace_add_int(ev, "seq", (int64_t)++tr->seq);
    cJSON_AddStringToObject(ev, "node", node ? node : "");
    cJSON_AddStringToObject(ev, "kind", kind);
    return ev;
}

void trace_emit(trace_t *tr, cJSON *ev)
{
    if (ev)
        write_line(tr, ev);
}

cJSON *trace_bytes(const char *p, int32_t len)
{
    if (len < 0)
        return cJSON_CreateNull();
    char *copy = malloc((size_t)len * 2 + 1);
    if (!copy)
        abort();
    cJSON *out;
    if (utf8_text(p, (size_t)len)) {
        memcpy(copy, p, (size_t)len);
        copy[len] = '\0';
        out = cJSON_CreateString(copy);
    } else {
        static const char digits[] = "0123456789abcdef";
        for (int32_t i = 0; i < len; i++) {
            copy[2 * i] = digits[(unsigned char)p[i] >> 4];
            copy[2 * i + 1] = digits[(unsigned char)p[i] & 15];
        }
        copy[2 * len] = '\0';
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "hex", copy);
    }
    free(copy);
    return out;
}

void trace_add_text(cJSON *obj, const char *name, const char *p, size_t len)
{
    char *clean = utf8_clean(p, len);
    cJSON_AddStringToObject(obj, name, clean);
    free(clean);
}

static const char *int_text(char *buf, size_t n, int64_t v)
{
    /* Digits from the right; the magnitude as unsigned so INT64_MIN works too. */
    char *p = buf + n - 1;
    *p = '\0';
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

void trace_add_int(cJSON *obj, const char *name, int64_t v)
{
    char buf[24];
    cJSON_AddRawToObject(obj, name, int_text(buf, sizeof buf, v));
}

cJSON *trace_int_item(int64_t v)
{
    char buf[24];
    return cJSON_CreateRaw(int_text(buf, sizeof buf, v));
}

uint64_t trace_digest(const trace_t *tr)
{
    return tr->digest;
}

uint64_t trace_count(const trace_t *tr)
{
    return tr->seq;
}

/* ---- reading ---- */

const char *trace_str(const cJSON *ev, const char *field)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t trace_int(const cJSON *ev, const char *field, int64_t dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev, field);
    return trace_item_int(v, dflt);
}

int64_t trace_item_int(const cJSON *v, int64_t dflt)
{
    if (cJSON_IsRaw(v) && v->valuestring) {
        /* Live events (as listeners see them) carry integers as raw text. */
        char *end;
        errno = 0;
        long long n = strtoll(v->valuestring, &end, 10);
        return (errno || *end) ? dflt : (int64_t)n;
    }
    if (!cJSON_IsNumber(v))
        return dflt;
    double d = v->valuedouble;
    if (!(d >= -0x1p63 && d < 0x1p63))
        return dflt;
    return (int64_t)d;
}

static bool check_header(const cJSON *h, char *msg, size_t n)
{
    const char *fmt = trace_str(h, "format");
    if (!fmt || strcmp(fmt, TRACE_FORMAT) != 0) {
        snprintf(msg, n, "not a ksim trace: the first line must be the header with \"format\":\"%s\"",
                 TRACE_FORMAT);
        return false;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "version");
    if (!cJSON_IsNumber(v)) {
        snprintf(msg, n, "the header has no numeric \"version\" (this ksim reads version %d)",
                 TRACE_VERSION);
        return false;
    }
    if (v->valuedouble != TRACE_VERSION) {
        snprintf(msg, n, "trace format version %.15g is not supported (this ksim reads version %d)",
                 v->valuedouble, TRACE_VERSION);
        return false;
    }
    return true;
}

/* t and seq are whole numbers that a double holds exactly (cJSON reads numbers as doubles):
 * 2^53 µs is 285 years, far beyond `ksim run --max-time`. */
#define TRACE_INT_MAX 9007199254740992.0

static bool check_whole(const cJSON *ev, const char *field, double lo, const char *what, char *msg,
                        size_t n)
{
    double d = cJSON_GetObjectItemCaseSensitive(ev, field)->valuedouble;
    if (d >= lo && d <= TRACE_INT_MAX && d == (double)(int64_t)d)
        return true;
    snprintf(msg, n, "\"%s\" must be a whole number%s from %.0f to %.0f, got %.15g", field, what,
             lo, TRACE_INT_MAX, d);
    return false;
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
    return check_whole(ev, "t", 0, " of microseconds", msg, n) &&
           check_whole(ev, "seq", 1, "", msg, n);
}

/* How deeply arrays and objects are nested at line[col] (strings skipped). */
static int json_depth(const char *line, size_t col)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < col; i++) {
        char c = line[i];
        if (in_str && c == '\\')
            i++; /* the escaped character */
        else if (in_str)
            in_str = c != '"';
        else if (c == '"')
            in_str = true;
        else if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}')
            depth--;
    }
    return depth;
}

/* The line as one JSON value and nothing else: cJSON stops at the end of the value. */
static cJSON *parse_json(const char *line, size_t len, char *msg, size_t n)
{
    const void *nul = memchr(line, '\0', len);
    if (nul) {
        snprintf(msg, n, "NUL byte at column %zu (a trace is text)",
                 (size_t)((const char *)nul - line) + 1);
        return NULL;
    }
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(line, len, &end, false);
    size_t col = end && end >= line ? (size_t)(end - line) : len;
    if (!obj) {
        if (json_depth(line, col) >= CJSON_NESTING_LIMIT)
            snprintf(msg, n, "not a JSON object: nested more than %d levels deep at column %zu",
                     CJSON_NESTING_LIMIT, col + 1);
        else
            snprintf(msg, n, "not a JSON object: invalid JSON at column %zu%s", col + 1,
                     col + 1 >= len ? ", the end of the line (cut short?)" : "");
        return NULL;
    }
    while (col < len && strchr(" \t\r\n", line[col]))
        col++;
    if (col < len) {
        snprintf(msg, n, "text after the JSON object at column %zu", col + 1);
    } else if (!cJSON_IsObject(obj)) {
        snprintf(msg, n, "not a JSON object");
    } else {
        return obj;
    }
    cJSON_Delete(obj);
    return NULL;
}

cJSON *trace_parse_line(const char *line, size_t len, const char *file, long lineno, char *err,
                        size_t errlen)
{
    char msg[256];
    cJSON *obj = NULL;
    if (len == 0)
        snprintf(msg, sizeof msg, "%s", lineno == 1 ? "empty trace: no header line"
                                                    : "empty line (every line must be one JSON object)");
    else if ((obj = parse_json(line, len, msg, sizeof msg)) &&
             (lineno == 1 ? check_header(obj, msg, sizeof msg) : check_event(obj, msg, sizeof msg)))
        return obj;
    cJSON_Delete(obj);
    snprintf(err, errlen, "%s:%ld: %s", file, lineno, msg);
    return NULL;
}

bool trace_check_order(trace_order_t *o, const cJSON *ev, const char *file, long lineno, char *err,
                       size_t errlen)
{
    int64_t t = trace_int(ev, "t", 0), seq = trace_int(ev, "seq", 0);
    if (t < o->t) {
        snprintf(err, errlen,
                 "%s:%ld: time goes backwards: t %lld is before the previous event's t %lld", file,
                 lineno, (long long)t, (long long)o->t);
        return false;
    }
    if (seq <= o->seq) {
        snprintf(err, errlen, "%s:%ld: seq %lld does not follow the previous event's seq %lld "
                 "(seq counts events up: 1, 2, 3 ...)", file, lineno, (long long)seq,
                 (long long)o->seq);
        return false;
    }
    o->t = t;
    o->seq = seq;
    return true;
}

bool trace_load_stream(FILE *f, const char *name, trace_doc_t *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    size_t cap = 0;
    long lineno = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    bool ok = true;
    trace_order_t order = { 0, 0 };
    while ((len = getline(&line, &linecap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        cJSON *obj = trace_parse_line(line, (size_t)len, name, lineno, err, errlen);
        ok = obj != NULL;
        if (!obj)
            break;
        if (lineno == 1) {
            doc->header = obj;
            continue;
        }
        ok = trace_check_order(&order, obj, name, lineno, err, errlen);
        if (!ok) {
            cJSON_Delete(obj);
            break;
        }
        if (doc->n == cap) {
            cap = cap ? cap * 2 : 1024;
            cJSON **ev = realloc(doc->events, cap * sizeof *ev);
            if (!ev)
                abort();
            doc->events = ev;
        }
        doc->events[doc->n++] = obj;
    }
    free(line);
    if (ok && lineno == 0) { /* an empty file: checked as an empty first line */
        trace_parse_line("", 0, name, 1, err, errlen);
        ok = false;
    }
    if (!ok)
        trace_doc_free(doc);
    return ok;
}

bool trace_load(const char *path, trace_doc_t *doc, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        memset(doc, 0, sizeof *doc);
        return false;
    }
    bool ok = trace_load_stream(f, path, doc, err, errlen);
    fclose(f);
    return ok;
}

void trace_doc_free(trace_doc_t *doc)
{
    cJSON_Delete(doc->header);
    for (size_t i = 0; i < doc->n; i++)
        cJSON_Delete(doc->events[i]);
    free(doc->events);
    memset(doc, 0, sizeof *doc);
}
