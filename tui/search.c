/* search: a block reader over the trace file and a case-insensitive match, confirmed on
 * the parsed event. */
#include "search.h"

#include "../sim/trace.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define BLOCK (1 << 20)
/* Up to this many events every event's sentence is searched too; above it only the raw
 * lines, so that a search through a million events stays well under a second. */
#define FULL_SEARCH_MAX 50000

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool contains(const char *hay, size_t n, const char *needle, size_t k)
{
    if (k == 0)
        return true;
    for (size_t i = 0; i + k <= n; i++) {
        if (lower(hay[i]) != lower(needle[0]))
            continue;
        size_t j = 1;
        while (j < k && lower(hay[i + j]) == lower(needle[j]))
            j++;
        if (j == k)
            return true;
    }
    return false;
}

static bool in_values(const cJSON *v, const char *needle, size_t k)
{
    for (; v; v = v->next) {
        if (cJSON_IsString(v) && contains(v->valuestring, strlen(v->valuestring), needle, k))
            return true;
        if (v->child && in_values(v->child, needle, k))
            return true;
    }
    return false;
}

static bool event_matches(model_t *m, uint32_t i, const char *needle)
{
    const cJSON *ev = model_json(m, i);
    if (!ev)
        return false;
    size_t k = strlen(needle);
    if (in_values(ev->child, needle, k))
        return true;
    char body[2048];
    const char *text = label_sentence(ev, body, sizeof body);
    return text && contains(text, strlen(text), needle, k);
}

/* A lost message's row stands for its drop too ("dropped", "network partition"). */
bool search_matches(model_t *m, uint32_t i, const char *needle)
{
    if (event_matches(m, i, needle))
        return true;
    const mev_t *e = &m->ev[i];
    return (e->flags & MF_DROPPED) && e->link != MODEL_NONE && event_matches(m, e->link, needle);
}

typedef struct block {
    int fd;
    char *buf;
    int64_t start; /* file offset of buf[0] */
    size_t len;
} block_t;

/* The raw line of event e, reading a new block when it is not in the current one. */
static const char *raw_line(block_t *b, const mev_t *e)
{
    if (e->off >= b->start && e->off + e->len <= b->start + (int64_t)b->len)
        return b->buf + (e->off - b->start);
    size_t want = e->len > BLOCK ? e->len : BLOCK;
    char *p = realloc(b->buf, want);
    if (!p)
        abort();
    b->buf = p;
    ssize_t got = pread(b->fd, b->buf, want, (off_t)e->off);
    b->start = e->off;
    b->len = got > 0 ? (size_t)got : 0;
    return b->len >= e->len ? b->buf : NULL;
}

/* A line is a candidate when its raw text holds the needle; the parsed event then
 * confirms that it is in a value or in the event's sentence, not only in a field name.
 * Small traces skip the raw filter: words of the sentences ("dropped") count too. */
static bool candidate(model_t *m, block_t *b, uint32_t i, const char *needle, size_t k)
{
    if (m->n <= FULL_SEARCH_MAX)
        return search_matches(m, i, needle);
    const mev_t *e = &m->ev[i];
    const char *line = raw_line(b, e);
    if (line && contains(line, e->len, needle, k))
        return search_matches(m, i, needle);
    if ((e->flags & MF_DROPPED) && e->link != MODEL_NONE) {
        const mev_t *d = &m->ev[e->link];
        line = raw_line(b, d);
        return line && contains(line, d->len, needle, k) && search_matches(m, i, needle);
    }
    return false;
}

uint32_t search_next(model_t *m, const rows_t *rows, uint32_t from, const char *needle,
                     bool *wrapped)
{
    *wrapped = false;
    size_t k = strlen(needle);
    if (rows->n == 0 || k == 0)
        return rows->n;
    block_t b = { m->src.fd, NULL, 0, 0 };
    uint32_t start = from >= rows->n ? 0 : from + 1, found = rows->n;
    for (uint32_t n = 0; n < rows->n && found == rows->n; n++) {
        uint32_t p = start + n;
        if (p >= rows->n) {
            p -= rows->n;
            *wrapped = true;
        }
        if (candidate(m, &b, rows->idx[p], needle, k))
            found = p;
    }
    free(b.buf);
    if (found == rows->n)
        *wrapped = false;
    return found;
}
