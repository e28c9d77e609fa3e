/* json_in: reading the assignor commands' JSON (see json_in.h). */
#include "json_in.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/client/assignors/java_order.h"
#include "../sim/core/suggest.h"
#include "../util/utf8.h"

void jin_out_of_memory(void)
{
    fputs("ksim: out of memory\n", stderr);
    exit(4);
}

void *jin_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        jin_out_of_memory();
    return p;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

static void list_names(char *buf, size_t n, const char *const *names, size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", names[i]);
}

/* Where a NUL would enter a string: a NUL byte anywhere, or the escape \u0000 in a string
 * (cJSON would end the string there). NULL when there is none. */
static const char *find_nul(const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return nul;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (in_str && text[i] == '\\') {
            if (len - i >= 6 && strncmp(text + i + 1, "u0000", 5) == 0)
                return text + i;
            i++; /* the escaped character */
        } else if (text[i] == '"') {
            in_str = !in_str;
        }
    }
    return NULL;
}

cJSON *jin_parse(const char *text, size_t len, const char **at, char *err, size_t errlen)
{
    const char *end = NULL;
    *at = find_nul(text, len);
    if (*at) {
        fail(err, errlen,
             "a NUL character (a zero byte or \\u0000) is not allowed: no name can hold it");
        return NULL;
    }
    cJSON *js = cJSON_ParseWithLengthOpts(text, len, &end, false);
    *at = end && end >= text && end <= text + len ? end : text;
    if (!js) {
        fail(err, errlen, "not valid JSON");
        return NULL;
    }
    while (*at < text + len && strchr(" \t\r\n", **at))
        (*at)++;
    if (*at == text + len)
        return js;
    cJSON_Delete(js);
    fail(err, errlen, "text after the JSON value");
    return NULL;
}

void jin_put_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t k = utf8_seq(p, strnlen((const char *)p, 4));
        bool control = (k == 1 && (*p < 0x20 || *p == 0x7F)) ||
                       (k == 2 && p[0] == 0xC2 && p[1] < 0xA0);
        if (k == 0 || control)
            fputs("\xEF\xBF\xBD", f);
        else
            fwrite(p, 1, k, f);
        p += k ? k : 1;
    }
}

bool jin_fields(const cJSON *obj, const char *const *fields, size_t n, const char *where,
                char *err, size_t errlen)
{
    for (const cJSON *f = obj->child; f; f = f->next) {
        size_t i = 0;
        while (i < n && strcmp(f->string, fields[i]) != 0)
            i++;
        if (i < n)
            continue;
        char known[256], hint[160] = "";
        list_names(known, sizeof known, fields, n);
        const char *near = suggest_closest(f->string, fields, n);
        if (near)
            snprintf(hint, sizeof hint, "did you mean '%s'? ", near);
        return fail(err, errlen, "unknown field '%s' in %s (%sfields: %s)", f->string, where,
                    hint, known);
    }
    return true;
}

bool jin_int(const cJSON *v, int32_t *out)
{
    if (cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < INT32_MIN || v->valuedouble > INT32_MAX)
        return false;
    *out = (int32_t)v->valuedouble;
    return true;
}

/* ---- topics ---- */

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const jin_named_t *)a)->name, ((const jin_named_t *)b)->name);
}

bool jin_topics(jin_topics_t *t, const cJSON *obj, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "\"topics\" must be an object of topic name: partition count");
    int32_t n = cJSON_GetArraySize(obj), i = 0;
    int64_t total = 0;
    t->topics = jin_calloc((size_t)n, sizeof *t->topics);
    t->by_name = jin_calloc((size_t)n, sizeof *t->by_name);
    for (const cJSON *x = obj->child; x; x = x->next, i++) {
        int32_t count = -1;
        if (!cJSON_IsNumber(x) || !jin_int(x, &count))
            return fail(err, errlen, "topic '%s': the partition count must be a whole number",
                        x->string);
        if (count < 0)
            return fail(err, errlen, "topic '%s' has a negative partition count (%d)",
                        x->string, count);
        t->topics[i] = (assign_topic_t){ x->string, count, NULL };
        t->by_name[i] = (jin_named_t){ x->string, i };
        total += count;
    }
    if (total > ASSIGN_MAX_PARTITIONS) /* before anything is allocated per partition */
        return fail(err, errlen, "the topics have %lld partitions in all, more than ksim "
                                 "assigns (%d)", (long long)total, ASSIGN_MAX_PARTITIONS);
    t->n = n;
    qsort(t->by_name, (size_t)n, sizeof *t->by_name, cmp_named);
    return true;
}

void jin_topics_free(jin_topics_t *t)
{
    free(t->topics);
    free(t->by_name);
    memset(t, 0, sizeof *t);
}

int32_t jin_find_topic(const jin_topics_t *t, const char *name)
{
    jin_named_t key = { name, -1 };
    const jin_named_t *hit = t->n ? bsearch(&key, t->by_name, (size_t)t->n, sizeof key,
                                            cmp_named)
                                  : NULL;
    return hit ? hit->index : -1;
}

const char *jin_topic_list(const jin_topics_t *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < t->n && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
                                 t->by_name[i].name);
    return t->n ? buf : "none";
}

bool jin_subscription(const jin_topics_t *t, const cJSON *arr, const char *who, int32_t **out,
                      int32_t *n, char *err, size_t errlen)
{
    if (!cJSON_IsArray(arr))
        return fail(err, errlen, "%s: \"topics\" must be an array of topic names", who);
    *n = cJSON_GetArraySize(arr);
    *out = jin_calloc((size_t)*n, sizeof **out);
    int32_t i = 0;
    for (const cJSON *x = arr->child; x; x = x->next, i++) {
        if (!cJSON_IsString(x))
            return fail(err, errlen, "%s: \"topics\" must hold topic names (strings)", who);
        (*out)[i] = jin_find_topic(t, x->valuestring);
        if ((*out)[i] < 0) {
            char known[300];
            return fail(err, errlen, "%s subscribes to topic '%s', which is not in \"topics\" "
                                     "(topics: %s)", who, x->valuestring,
                        jin_topic_list(t, known, sizeof known));
        }
    }
    return true;
}

bool jin_opt_string(const cJSON *obj, const char *key, const char *who, const char **out,
                    char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = cJSON_IsString(v) ? v->valuestring : NULL;
    if (v && !cJSON_IsNull(v) && !cJSON_IsString(v))
        return fail(err, errlen, "%s: \"%s\" must be a string or null", who, key);
    return true;
}

/* ---- racks ---- */

bool jin_partition_racks(const cJSON *parts, const char *name, int32_t first_partition,
                         int32_t np, assign_replicas_t *out, const char ***storage, char *err,
                         size_t errlen)
{
    if (!cJSON_IsArray(parts) || cJSON_GetArraySize(parts) != np)
        return fail(err, errlen, "partition_racks of '%s' must list the racks of each of its "
                                 "%d partitions", name, np);
    int32_t total = 0, p = 0;
    for (const cJSON *r = parts->child; r; r = r->next)
        total += cJSON_GetArraySize(r);
    *storage = jin_calloc((size_t)total, sizeof **storage);
    total = 0;
    for (const cJSON *r = parts->child; r; r = r->next, p++) {
        int32_t at = first_partition + p;
        if (!cJSON_IsArray(r))
            return fail(err, errlen, "partition_racks of %s-%d must be an array of rack names",
                        name, at);
        out[p] = (assign_replicas_t){ *storage + total, cJSON_GetArraySize(r) };
        for (const cJSON *x = r->child; x; x = x->next) {
            if (!cJSON_IsString(x) && !cJSON_IsNull(x))
                return fail(err, errlen, "partition_racks of %s-%d: a rack is a string (or "
                                         "null for a broker without one)", name, at);
            (*storage)[total++] = cJSON_IsString(x) ? x->valuestring : NULL;
        }
    }
    return true;
}

bool jin_racks(jin_topics_t *t, const cJSON *pr, assign_replicas_t **replicas,
               const char ***storage, char *err, size_t errlen)
{
    if (!pr || cJSON_IsNull(pr))
        return true;
    if (!cJSON_IsObject(pr))
        return fail(err, errlen, "\"partition_racks\" must be an object of topic name: racks "
                                 "per partition");
    for (const cJSON *x = pr->child; x; x = x->next) {
        int32_t idx = jin_find_topic(t, x->string);
        if (idx < 0) {
            char known[300];
            return fail(err, errlen, "partition_racks names topic '%s', which is not in "
                                     "\"topics\" (topics: %s)", x->string,
                        jin_topic_list(t, known, sizeof known));
        }
        if (t->topics[idx].replicas)
            return fail(err, errlen, "partition_racks lists topic '%s' twice", x->string);
        if (!jin_partition_racks(x, x->string, 0, t->topics[idx].partitions, replicas[idx],
                                 &storage[idx], err, errlen))
            return false;
        t->topics[idx].replicas = replicas[idx];
    }
    return true;
}

/* ---- answers ---- */

static int cmp_named_java(const void *a, const void *b)
{
    return jorder_strcmp(((const jin_named_t *)a)->name, ((const jin_named_t *)b)->name);
}

void jin_java_order(const char *const *ids, int32_t n, int32_t *order)
{
    jin_named_t *v = jin_calloc((size_t)n, sizeof *v);
    for (int32_t i = 0; i < n; i++)
        v[i] = (jin_named_t){ ids[i], i };
    qsort(v, (size_t)n, sizeof *v, cmp_named_java); /* ids are unique: no ties */
    for (int32_t i = 0; i < n; i++)
        order[i] = v[i].index;
    free(v);
}
