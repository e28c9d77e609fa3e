/* timeline: drawing the sequence diagram row by row. Only the rows on screen are looked
 * at: each row's event is parsed from the file for its label, and the lanes' look (up,
 * crashed, paused, cut) comes from the state histories at the row's moment, so drawing
 * costs the same at the first event as at the millionth. */
#include "timeline.h"

#include "../sim/trace.h"

#include <stdio.h>
#include <string.h>

#define LABEL_MAX 1024
#define MAX_CUTS 16
#define CUT_ENDS 16

int tl_rows_visible(int h)
{
    return h > 1 ? h - 1 : 0;
}

static int lanes_fit(int w)
{
    int fit = (w - TL_TIME_W) / TL_MIN_LANE;
    if (fit < 1)
        fit = 1;
    return fit > TL_MAX_LANES ? TL_MAX_LANES : fit;
}

static int lanes_total(const tl_view_t *v)
{
    int total = 0;
    for (uint16_t i = 0; i < v->m->nlanes; i++)
        total += rows_node_shown(v->rows, v->m->lanes[i]);
    return total;
}

int tl_max_lane_off(const tl_view_t *v, int w)
{
    int extra = lanes_total(v) - lanes_fit(w);
    return extra > 0 ? extra : 0;
}

void tl_layout(const tl_view_t *v, int x, int y, int w, int h, tl_geom_t *g)
{
    *g = (tl_geom_t){ .x = x, .y = y, .w = w, .h = h, .lanes_x = x + TL_TIME_W };
    g->total = lanes_total(v);
    int fit = lanes_fit(w), max_off = tl_max_lane_off(v, w);
    g->first = v->lane_off < 0 ? 0 : v->lane_off > max_off ? max_off : v->lane_off;
    int k = 0;
    for (uint16_t i = 0; i < v->m->nlanes && g->nshown < fit; i++) {
        uint16_t node = v->m->lanes[i];
        if (!rows_node_shown(v->rows, node) || k++ < g->first)
            continue;
        g->node[g->nshown++] = node;
    }
    int area = w - TL_TIME_W;
    g->lane_w = g->nshown ? area / g->nshown : area;
    for (int i = 0; i < g->nshown; i++)
        g->cx[i] = g->lanes_x + g->lane_w * i + g->lane_w / 2;
}

/* A node's column, or -1 when it is not on screen (then *side says where it is). */
static int lane_x(const tl_geom_t *g, const model_t *m, uint16_t node, int *side)
{
    *side = 0;
    for (int i = 0; i < g->nshown; i++)
        if (g->node[i] == node)
            return g->cx[i];
    if (node >= m->nnodes || g->nshown == 0)
        *side = 1;
    else
        *side = m->lane_of[node] < m->lane_of[g->node[0]] ? -1 : 1;
    return -1;
}

/* A column to draw towards: the lane, or the edge of the region on its side. */
static int lane_or_edge(const tl_geom_t *g, const model_t *m, uint16_t node)
{
    int side, x = lane_x(g, m, node, &side);
    if (x >= 0)
        return x;
    return side < 0 ? g->lanes_x : g->x + g->w - 1;
}

static void format_time(char *buf, size_t n, int64_t us)
{
    if (us < 1000000000)
        snprintf(buf, n, "%10.3f", (double)us / 1000.0);
    else
        snprintf(buf, n, "%9.3fs", (double)us / 1e6);
}

/* ---- the header ---- */

static void draw_header(scr_t *s, const tl_view_t *v, const tl_geom_t *g)
{
    scr_put(s, g->x, g->y, v->rows->zoom ? "  time (ms)" : "    ms", TL_TIME_W, SS_HEADER);
    for (int i = 0; i < g->nshown; i++) {
        const char *name = model_node_name(v->m, g->node[i]);
        int room = g->lane_w - 1, wd = scr_width(s, name);
        int x = g->cx[i] - (wd < room ? wd : room) / 2;
        scr_put_clip(s, x, g->y, name, room, SS_HEADER);
    }
    scr_add_flags(s, g->x, g->y, g->w, SF_BOLD);
    if (g->first > 0)
        scr_put(s, g->lanes_x, g->y, scr_glyph(s, G_LEFT), 1, SS_HEADER);
    if (g->first + g->nshown < g->total)
        scr_put(s, g->x + g->w - 1, g->y, scr_glyph(s, G_RIGHT), 1, SS_HEADER);
}

/* ---- lanes and cuts ---- */

static void draw_lanes(scr_t *s, model_t *m, const tl_geom_t *g, int y, uint32_t at)
{
    char buf[32];
    for (int i = 0; i < g->nshown; i++) {
        const char *name = model_node_name(m, g->node[i]);
        uint32_t ent = st_find(&m->st, "node", name);
        if (ent != ST_NEVER && !st_exists(&m->st, ent, at))
            continue; /* not started yet */
        const char *status = st_field(&m->st, ent, "status", at, buf, sizeof buf);
        if (status && strcmp(status, "crashed") == 0)
            scr_put(s, g->cx[i], y, scr_glyph(s, G_DOWNLANE), 1, SS_DOWN);
        else if (status && strcmp(status, "paused") == 0)
            scr_put(s, g->cx[i], y, scr_glyph(s, G_PAUSELANE), 1, SS_PAUSED);
        else
            scr_put(s, g->cx[i], y, scr_glyph(s, G_VLINE), 1, SS_LANE);
    }
}

typedef struct cut_cols {
    const model_cut_t *cut;
    int a[CUT_ENDS], b[CUT_ENDS];
    int na, nb;
} cut_cols_t;

static int side_cols(const tl_geom_t *g, const model_t *m, const cJSON *arr, int *out)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        if (n < CUT_ENDS && cJSON_IsString(e))
            out[n++] = lane_or_edge(g, m, model_find_node(m, e->valuestring));
    }
    return n;
}

/* The partitions in force somewhere between moments lo and hi, with their columns. */
static int collect_cuts(model_t *m, const tl_geom_t *g, uint32_t lo, uint32_t hi, cut_cols_t *out)
{
    int n = 0;
    for (uint32_t k = 0; k < m->ncuts && n < MAX_CUTS; k++) {
        const model_cut_t *c = &m->cuts[k];
        if (c->ev >= hi || (c->heal != MODEL_NONE && c->heal < lo))
            continue;
        const cJSON *ev = model_json(m, c->ev);
        if (!ev)
            continue;
        out[n].cut = c;
        out[n].na = side_cols(g, m, cJSON_GetObjectItemCaseSensitive(ev, "a"), out[n].a);
        out[n].nb = side_cols(g, m, cJSON_GetObjectItemCaseSensitive(ev, "b"), out[n].b);
        n++;
    }
    return n;
}

static void shade_between(scr_t *s, int y, int xa, int xb)
{
    int lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa;
    for (int x = lo + 1; x < hi; x++) {
        const scr_cell_t *c = scr_cell(s, x, y);
        if (c && strcmp(c->s, " ") == 0)
            scr_put(s, x, y, scr_glyph(s, G_SHADE), 1, SS_FAULT);
        scr_add_flags(s, x, y, 1, SF_SHADE);
    }
}

static void draw_cuts(scr_t *s, const cut_cols_t *cuts, int n, int y, uint32_t at)
{
    for (int k = 0; k < n; k++) {
        const model_cut_t *c = cuts[k].cut;
        if (c->ev >= at || (c->heal != MODEL_NONE && c->heal < at))
            continue;
        for (int i = 0; i < cuts[k].na; i++)
            for (int j = 0; j < cuts[k].nb; j++)
                shade_between(s, y, cuts[k].a[i], cuts[k].b[j]);
    }
}

/* ---- one event ---- */

static void event_label(model_t *m, uint32_t e, char *buf, size_t n)
{
    const cJSON *ev = model_json(m, e);
    const kind_info_t *k = model_kind(m, e);
    if (!ev) {
        snprintf(buf, n, "%s", model_kind_name(m, e));
        return;
    }
    if (k->label)
        k->label(ev, buf, n);
    else
        label_default(ev, buf, n);
}

static scr_style_t message_style(const mev_t *e)
{
    if (e->flags & MF_DROPPED)
        return SS_DROP;
    if (e->flags & MF_ERROR)
        return SS_ERROR;
    if (e->flags & MF_BG) /* shown after `b`: routine, so greyed */
        return SS_DIM;
    return e->flags & MF_RESPONSE ? SS_RESPONSE : SS_REQUEST;
}

/* A lost message: the line stops half-way at ✗; the label takes the empty half. */
static void draw_dropped(scr_t *s, const tl_geom_t *g, int y, int xa, int xb, const char *label,
                         const char *line, scr_style_t st)
{
    int dir = xb > xa ? 1 : -1, mid = xa + (xb - xa) / 2;
    for (int x = xa + dir; x != mid; x += dir)
        scr_put(s, x, y, line, 1, st);
    scr_put(s, mid, y, scr_glyph(s, G_CROSS), 1, SS_DROP);
    scr_add_flags(s, mid, y, 1, SF_BOLD);
    if (dir > 0) {
        scr_put_clip(s, mid + 2, y, label, g->x + g->w - mid - 2, SS_DROP);
        return;
    }
    int room = mid - 1 - g->lanes_x, wd = scr_width(s, label);
    int x = wd < room ? mid - 1 - wd : g->lanes_x;
    scr_put_clip(s, x, y, label, room, SS_DROP);
}

/* An end of an arrow that is not on screen (filtered out, or scrolled sideways) is
 * named in the label, since the arrow can only point at the edge. */
static const char *name_ends(model_t *m, const tl_geom_t *g, const mev_t *ev, const char *label,
                             char *buf, size_t n)
{
    int side;
    bool from = lane_x(g, m, ev->node, &side) >= 0, to = lane_x(g, m, ev->peer, &side) >= 0;
    if (from && to)
        return label;
    snprintf(buf, n, "%s%s%s%s%s", from ? "" : model_node_name(m, ev->node), from ? "" : ": ",
             label, to ? "" : " to ", to ? "" : model_node_name(m, ev->peer));
    return buf;
}

static void draw_arrow(scr_t *s, model_t *m, const tl_geom_t *g, int y, uint32_t e,
                       const char *text)
{
    const mev_t *ev = &m->ev[e];
    char buf[LABEL_MAX + 128];
    const char *label = name_ends(m, g, ev, text, buf, sizeof buf);
    int xa = lane_or_edge(g, m, ev->node), xb = lane_or_edge(g, m, ev->peer);
    scr_style_t st = message_style(ev);
    const char *line = scr_glyph(s, ev->flags & MF_RESPONSE ? G_DASH : G_HLINE);
    if (xa == xb) { /* both ends off screen on one side, or a node to itself */
        scr_put_clip(s, g->lanes_x, y, label, g->w - TL_TIME_W, st);
        return;
    }
    if (ev->flags & MF_DROPPED) {
        draw_dropped(s, g, y, xa, xb, label, line, st);
        return;
    }
    int dir = xb > xa ? 1 : -1;
    for (int x = xa + dir; x != xb; x += dir)
        scr_put(s, x, y, line, 1, st);
    scr_put(s, xb - dir, y, scr_glyph(s, dir > 0 ? G_RIGHT : G_LEFT), 1, st);
    int lo = xa < xb ? xa : xb, span = (xa < xb ? xb - xa : xa - xb) - 6;
    if (span < 1)
        return;
    int n = scr_put_clip(s, lo + 3, y, label, span, st); /* " label " over the line */
    scr_put(s, lo + 2, y, " ", 1, st);
    scr_put(s, lo + 3 + n, y, " ", 1, st);
}

/* A mark on the node's lane; the label goes to the side with more room. */
static void draw_mark(scr_t *s, model_t *m, const tl_geom_t *g, int y, uint32_t e,
                      const char *label)
{
    const kind_info_t *k = model_kind(m, e);
    /* an unclean election, an offline partition: in red whatever its kind's style */
    scr_style_t st = m->ev[e].flags & MF_ERROR ? SS_DROP : k->style;
    int side, x = lane_x(g, m, m->ev[e].node, &side);
    if (x < 0) { /* its lane is scrolled away: name the node */
        char buf[LABEL_MAX + 64];
        snprintf(buf, sizeof buf, "%s %s: %s", scr_glyph(s, side < 0 ? G_LEFT : G_RIGHT),
                 model_node_name(m, m->ev[e].node), label);
        scr_put_clip(s, g->lanes_x, y, buf, g->w - TL_TIME_W, st);
        return;
    }
    scr_put(s, x, y, scr_glyph(s, k->glyph), 1, st);
    scr_add_flags(s, x, y, 1, SF_BOLD);
    int right = g->x + g->w - x - 2, left = x - 1 - g->lanes_x, wd = scr_width(s, label);
    if (wd <= right || right >= left) {
        scr_put_clip(s, x + 2, y, label, right, st);
        return;
    }
    int start = wd < left ? x - 1 - wd : g->lanes_x;
    scr_put_clip(s, start, y, label, left, st);
}

static void draw_world(scr_t *s, model_t *m, const tl_geom_t *g, int y, uint32_t e,
                       const char *label)
{
    const kind_info_t *k = model_kind(m, e);
    int x = g->lanes_x, room = g->w - TL_TIME_W;
    scr_style_t st = k->style;
    const char *mark = NULL;
    if (k->flags & KF_NOTE) {
        scr_fill(s, x, y, room, " ", SS_NOTE);
        mark = s->ascii ? ">>" : "»";
    } else if (k->flags & KF_CHECK) {
        bool failed = m->ev[e].flags & MF_ERROR;
        st = failed ? SS_DROP : SS_OK;
        mark = scr_glyph(s, failed ? G_CROSS : G_CHECK);
    }
    if (mark) {
        int n = scr_put(s, x + 1, y, mark, room - 1, st);
        x += n + 2;
        room -= n + 2;
    } else {
        x += 1;
        room -= 1;
    }
    scr_put_clip(s, x, y, label, room, st);
}

/* The event a row stands for when it holds several: the one most worth seeing. */
static uint32_t pick(model_t *m, const rows_t *r, uint32_t a, uint32_t b)
{
    uint32_t best = r->idx[a];
    int best_rank = -1;
    for (uint32_t p = a; p < b && p < a + 512; p++) {
        uint32_t e = r->idx[p];
        const kind_info_t *k = model_kind(m, e);
        int rank = (k->flags & KF_NOTE)                                   ? 5
                   : (m->ev[e].flags & MF_DROPPED) || (k->flags & KF_FAULT) ? 4
                   : (k->flags & KF_CHECK)                                  ? 3
                   : m->ev[e].shape == KS_MESSAGE                           ? 2
                                                                            : 1;
        if (rank > best_rank) {
            best = e;
            best_rank = rank;
        }
    }
    return best;
}

uint32_t tl_row_event(model_t *m, const rows_t *r, int64_t row)
{
    uint32_t a, b;
    rows_range(r, row, &a, &b);
    return a < b ? pick(m, r, a, b) : MODEL_NONE;
}

static void draw_event(scr_t *s, model_t *m, const tl_geom_t *g, int y, uint32_t e)
{
    char label[LABEL_MAX];
    event_label(m, e, label, sizeof label);
    switch (m->ev[e].shape) {
    case KS_MESSAGE:
        draw_arrow(s, m, g, y, e, label);
        break;
    case KS_WORLD:
        draw_world(s, m, g, y, e, label);
        break;
    default:
        draw_mark(s, m, g, y, e, label);
        break;
    }
}

/* ---- rows ---- */

/* "+N" at the right end of a row that stands for N more events. */
static void draw_more(scr_t *s, const tl_geom_t *g, int y, uint32_t more)
{
    char buf[24];
    snprintf(buf, sizeof buf, " +%u ", more);
    int wd = scr_width(s, buf);
    scr_put(s, g->x + g->w - wd, y, buf, wd, SS_DIM);
}

/* Lanes look as they did when the row began (a crash row still shows the lane it cut);
 * a partition shades its own row and not its heal's. */
static void draw_row(scr_t *s, const tl_view_t *v, const tl_geom_t *g, int y, int64_t row,
                     const cut_cols_t *cuts, int ncuts, int64_t *prev_t)
{
    model_t *m = v->m;
    uint32_t a, b;
    draw_lanes(s, m, g, y, rows_moment_before(v->rows, row));
    draw_cuts(s, cuts, ncuts, y, rows_moment(v->rows, row));
    rows_range(v->rows, row, &a, &b);
    char tbuf[32];
    int64_t t = rows_time(v->rows, row);
    format_time(tbuf, sizeof tbuf, t);
    bool empty = a == b;
    scr_put(s, g->x, y, tbuf, TL_TIME_W - 1, t == *prev_t || empty ? SS_DIM : SS_NORMAL);
    *prev_t = t;
    if (!empty)
        draw_event(s, m, g, y, pick(m, v->rows, a, b));
    if (b - a > 1)
        draw_more(s, g, y, b - a - 1);
    if (row == v->cursor)
        scr_add_flags(s, g->x, y, g->w, SF_REVERSE);
}

void tl_draw(scr_t *s, const tl_view_t *v, int x, int y, int w, int h)
{
    if (w <= 0 || h <= 0)
        return;
    tl_geom_t g;
    tl_layout(v, x, y, w, h, &g);
    draw_header(s, v, &g);
    int nrows = tl_rows_visible(h);
    int64_t count = rows_count(v->rows), last = v->top + nrows;
    if (last > count)
        last = count;
    if (v->top >= last)
        return;
    cut_cols_t cuts[MAX_CUTS];
    int ncuts = collect_cuts(v->m, &g, rows_moment_before(v->rows, v->top),
                             rows_moment(v->rows, last - 1), cuts);
    int64_t prev_t = v->top > 0 ? rows_time(v->rows, v->top - 1) : -1;
    for (int64_t row = v->top; row < last; row++)
        draw_row(s, v, &g, y + 1 + (int)(row - v->top), row, cuts, ncuts, &prev_t);
}
