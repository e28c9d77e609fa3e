/* rows: the shown-event list and the mapping between rows, events and moments. */
#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int64_t rows_zoom_us[ROWS_ZOOMS] = { 0,         100,        1000,        10000, 100000,
                                           1000000,   10000000,   60000000,    600000000 };

static uint8_t state_of(const model_t *m, const uint8_t *on, uint16_t node)
{
    return node < m->nnodes ? on[node] : ROWS_OFF;
}

bool rows_event_passes(const model_t *m, const uint8_t *on, uint32_t i)
{
    const mev_t *e = &m->ev[i];
    if (!on || e->node == NODE_WORLD)
        return true;
    uint8_t a = state_of(m, on, e->node);
    if (e->shape != KS_MESSAGE)
        return a == ROWS_ON;
    uint8_t b = state_of(m, on, e->peer);
    if (a == ROWS_EXCLUDED || b == ROWS_EXCLUDED)
        return false;
    return a == ROWS_ON || b == ROWS_ON;
}

bool rows_shows(const rows_t *r, uint32_t i)
{
    uint8_t f = r->m->ev[i].flags;
    return !(f & MF_HIDDEN) && (r->bg || !(f & MF_BG)) && rows_event_passes(r->m, r->on, i);
}

static void rebuild(rows_t *r)
{
    r->n = 0;
    const model_t *m = r->m;
    if (r->cap < m->n || !r->idx) {
        free(r->idx);
        r->cap = m->n ? m->n : 1;
        r->idx = malloc(r->cap * sizeof *r->idx);
        if (!r->idx)
            abort();
    }
    for (uint32_t i = 0; i < m->n; i++)
        if (rows_shows(r, i))
            r->idx[r->n++] = i;
}

void rows_init(rows_t *r, model_t *m)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    rebuild(r);
}

void rows_free(rows_t *r)
{
    free(r->idx);
    free(r->on);
    memset(r, 0, sizeof *r);
}

void rows_filter(rows_t *r, const uint8_t *on)
{
    free(r->on);
    r->on = NULL;
    if (on) {
        size_t n = r->m->nnodes ? r->m->nnodes : 1;
        r->on = malloc(n);
        if (!r->on)
            abort();
        memcpy(r->on, on, r->m->nnodes);
    }
    rebuild(r);
}

void rows_show_bg(rows_t *r, bool on)
{
    r->bg = on;
    rebuild(r);
}

bool rows_node_shown(const rows_t *r, uint16_t node)
{
    return !r->on || state_of(r->m, r->on, node) == ROWS_ON;
}

/* One word: the nodes it names get `mark`; returns how many. */
static int parse_word(const model_t *m, const char *p, size_t len, uint8_t mark, uint8_t *on)
{
    int here = 0;
    for (uint16_t id = 0; id < m->nnodes; id++)
        if (len && strncmp(model_node_name(m, id), p, len) == 0) {
            here++;
            on[id] = mark;
        }
    return here;
}

int rows_parse_nodes(const model_t *m, const char *names, uint8_t *on, char *bad, size_t n)
{
    int matched = 0;
    bool picked = false;
    if (n)
        bad[0] = '\0';
    for (const char *p = names + strspn(names, " ,"); *p; p += strspn(p, " ,")) {
        size_t len = strcspn(p, " ,");
        bool minus = p[0] == '-';
        int here = parse_word(m, p + minus, len - minus, minus ? ROWS_EXCLUDED : ROWS_ON, on);
        picked = picked || !minus;
        matched += here;
        if (!here && n && !bad[0])
            snprintf(bad, n, "%.*s", (int)len, p);
        p += len;
    }
    for (uint16_t id = 0; id < m->nnodes && !picked; id++)
        if (on[id] != ROWS_EXCLUDED)
            on[id] = ROWS_ON;
    return matched;
}

static int64_t t_of(const rows_t *r, uint32_t pos)
{
    return r->m->ev[r->idx[pos]].t;
}

/* The first shown position with a time >= t. */
static uint32_t pos_at_time(const rows_t *r, int64_t t)
{
    uint32_t lo = 0, hi = r->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t_of(r, mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t rows_count(const rows_t *r)
{
    if (r->zoom == 0 || r->n == 0)
        return r->n;
    return t_of(r, r->n - 1) / rows_zoom_us[r->zoom] + 1;
}

void rows_range(const rows_t *r, int64_t row, uint32_t *a, uint32_t *b)
{
    if (row < 0 || row >= rows_count(r)) {
        *a = *b = r->n;
        return;
    }
    if (r->zoom == 0) {
        *a = (uint32_t)row;
        *b = (uint32_t)row + 1;
        return;
    }
    int64_t span = rows_zoom_us[r->zoom];
    *a = pos_at_time(r, row * span);
    *b = pos_at_time(r, (row + 1) * span);
}

int64_t rows_row_of(const rows_t *r, uint32_t pos)
{
    if (pos >= r->n)
        return r->n ? rows_count(r) - 1 : 0;
    return r->zoom == 0 ? pos : t_of(r, pos) / rows_zoom_us[r->zoom];
}

uint32_t rows_pos_of_event(const rows_t *r, uint32_t ev)
{
    return model_lower_bound(r->idx, r->n, ev);
}

uint32_t rows_moment(const rows_t *r, int64_t row)
{
    if (row < 0 || r->n == 0)
        return 0;
    if (r->zoom == 0)
        return row < r->n ? r->idx[row] + 1 : r->m->n;
    return model_at_time(r->m, (row + 1) * rows_zoom_us[r->zoom]);
}

uint32_t rows_moment_before(const rows_t *r, int64_t row)
{
    if (row < 0 || r->n == 0)
        return 0;
    if (r->zoom == 0)
        return row < r->n ? r->idx[row] : r->m->n;
    return model_at_time(r->m, row * rows_zoom_us[r->zoom]);
}

int64_t rows_time(const rows_t *r, int64_t row)
{
    if (r->zoom != 0)
        return row * rows_zoom_us[r->zoom];
    return row >= 0 && row < r->n ? t_of(r, (uint32_t)row) : 0;
}

const char *rows_zoom_name(int zoom, char *buf, int n)
{
    int64_t us = zoom > 0 && zoom < ROWS_ZOOMS ? rows_zoom_us[zoom] : 0;
    if (us == 0)
        snprintf(buf, (size_t)n, "events");
    else if (us < 1000)
        snprintf(buf, (size_t)n, "%lld us/row", (long long)us);
    else if (us < 1000000)
        snprintf(buf, (size_t)n, "%lld ms/row", (long long)(us / 1000));
    else if (us < 60000000)
        snprintf(buf, (size_t)n, "%lld s/row", (long long)(us / 1000000));
    else
        snprintf(buf, (size_t)n, "%lld min/row", (long long)(us / 60000000));
    return buf;
}
