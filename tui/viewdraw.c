/* viewdraw: the viewer's screen. From the top: a title bar (trace, position, time, zoom,
 * play, filter), the timeline (with the inspector beside it on a wide terminal, or
 * instead of it after Tab on a narrow one), the selected event's full line, the caption
 * (the scenario's latest note at the cursor), and the key hints or a prompt. */
#include "viewer_int.h"

#include "../sim/trace.h"
#include "inspector.h"
#include "timeline.h"

#include <stdio.h>
#include <string.h>

#define LINE_MAX 2048

static const char *const help_lines[] = {
    "Moving",
    "  Down j / Up k      next / previous row (an event, or a span of time)",
    "  PgDn d / PgUp u    a page down / up",
    "  g Home / G End     first / last event",
    "  n / N              next / previous note of the scenario",
    "  f / F              next / previous fault: drop, crash, pause, cut",
    "  /                  search node, API, key, value, text (/ Enter: again)",
    "  mouse click        select the event under the pointer; wheel scrolls",
    "Showing",
    "  + / -              zoom in / out: a row per event ... 10 min per row",
    "  Left h / Right l   scroll the lanes sideways when they do not fit",
    "  o                  only these nodes (names or prefixes; empty: all)",
    "  b                  background traffic: heartbeats, idle fetches (show/hide)",
    "  Tab                switch pane: timeline / inspector (state at cursor)",
    "  space              play / pause: virtual time runs at a chosen speed",
    "  < / >              slower / faster play",
    "  ?                  this help (any key closes it)",
    "  q                  quit",
};

void viewer_layout(viewer_t *v, int w, int h)
{
    viewer_layout_t *l = &v->lay;
    *l = (viewer_layout_t){ .w = w, .h = h, .main_y = 1, .main_h = h - 4 };
    l->split = w >= VIEWER_SPLIT_W;
    if (l->split) {
        l->in_w = w * 2 / 5 > 40 ? w * 2 / 5 : 40;
        l->tl_w = w - l->in_w - 1;
        l->in_x = l->tl_w + 1;
    } else if (v->focus == PANE_INSPECTOR) {
        l->in_w = w;
    } else {
        l->tl_w = w;
    }
}

int viewer_page(const viewer_t *v)
{
    int page = tl_rows_visible(v->lay.main_h);
    return page > 0 ? page : 1;
}

void viewer_follow(viewer_t *v)
{
    int page = viewer_page(v);
    if (v->cur < v->top)
        v->top = v->cur;
    if (v->cur >= v->top + page)
        v->top = v->cur - page + 1;
    if (v->top < 0)
        v->top = 0;
}

/* The trace on the left; where the cursor is, zoom and play on the right. */
static void draw_title(viewer_t *v, scr_t *s)
{
    char zoom[32], left[LINE_MAX], right[LINE_MAX];
    const char *scenario = trace_str(v->m->header, "scenario");
    const char *seed = trace_str(v->m->header, "seed");
    int64_t count = rows_count(&v->rows);
    snprintf(left, sizeof left, " %s  seed %s%s%s%s", scenario ? scenario : v->m->name,
             seed ? seed : "?", v->filter_text[0] ? "  nodes: " : "", v->filter_text,
             v->rows.bg ? "  +background" : "");
    snprintf(right, sizeof right, "  row %lld/%lld  %.3f ms  %s  %s %s  ? help ",
             (long long)(count ? v->cur + 1 : 0),
             (long long)count, (double)rows_time(&v->rows, v->cur) / 1000.0,
             rows_zoom_name(v->rows.zoom, zoom, sizeof zoom),
             scr_glyph(s, v->playing ? G_PLAY : G_PAUSE), viewer_speed_names[v->speed]);
    scr_fill(s, 0, 0, s->w, " ", SS_TITLE);
    int rw = scr_width(s, right);
    if (rw > s->w)
        rw = s->w;
    scr_put_clip(s, 0, 0, left, s->w - rw, SS_TITLE);
    scr_put_clip(s, s->w - rw, 0, right, rw, SS_TITLE);
}

/* The selected event in full: the text timeline's line, and its drop when it was lost. */
static void draw_detail(viewer_t *v, scr_t *s, int y)
{
    uint32_t e = viewer_selected(v);
    char line[LINE_MAX], drop[LINE_MAX];
    const cJSON *ev = e == MODEL_NONE ? NULL : model_json(v->m, e);
    int k = snprintf(line, sizeof line, "%10.3f ms  ", (double)trace_int(ev, "t", 0) / 1000.0);
    if (!ev || !label_sentence(ev, line + k, sizeof line - (size_t)k)) {
        scr_put(s, 0, y, e == MODEL_NONE ? " (nothing happens in this span)" : "", s->w, SS_DIM);
        return;
    }
    const mev_t *me = &v->m->ev[e];
    if ((me->flags & MF_DROPPED) && me->link != MODEL_NONE) {
        const cJSON *d = model_json(v->m, me->link);
        const char *body = d ? label_sentence(d, drop, sizeof drop) : NULL;
        if (body) {
            size_t len = strlen(line);
            snprintf(line + len, sizeof line - len, "  %s", body + strspn(body, " "));
        }
    }
    scr_put_clip(s, 0, y, line, s->w, SS_SELECT);
}

static void draw_caption(viewer_t *v, scr_t *s, int y)
{
    model_t *m = v->m;
    uint32_t k = model_lower_bound(m->notes, m->nnotes, viewer_moment(v));
    if (k == 0) {
        if (m->nnotes)
            scr_put(s, 1, y, "(the scenario's first note comes later: press n)", s->w - 1, SS_DIM);
        return;
    }
    char text[LINE_MAX] = "", line[LINE_MAX + 8];
    const cJSON *ev = model_json(m, m->notes[k - 1]);
    if (ev)
        label_note(ev, text, sizeof text);
    snprintf(line, sizeof line, " %s %s", s->ascii ? ">>" : "»", text);
    scr_fill(s, 0, y, s->w, " ", SS_NOTE);
    scr_put_clip(s, 0, y, line, s->w, SS_NOTE);
}

static void draw_status(viewer_t *v, scr_t *s, int y)
{
    char line[LINE_MAX];
    if (v->prompt != PROMPT_NONE) {
        snprintf(line, sizeof line, "%s%s_", v->prompt == PROMPT_SEARCH ? "/" : "nodes: ",
                 v->input);
        int wd = scr_width(s, line); /* keep the end of a long input in view */
        scr_put(s, wd > s->w ? s->w - wd : 0, y, line, s->w, SS_SELECT);
        return;
    }
    if (v->msg[0]) {
        scr_put_clip(s, 0, y, v->msg, s->w, SS_FAULT);
        return;
    }
    scr_put_clip(s, 0, y,
                 "j/k move  PgUp/PgDn page  g/G ends  n/N note  f/F fault  / search  "
                 "o nodes  b background  +/- zoom  space play  Tab pane  ? help  q quit",
                 s->w, SS_DIM);
}

static void draw_help(scr_t *s)
{
    int n = (int)(sizeof help_lines / sizeof help_lines[0]);
    int w = s->w - 4 < 78 ? s->w - 4 : 78, h = n + 4 < s->h - 2 ? n + 4 : s->h - 2;
    int x0 = (s->w - w) / 2, y0 = (s->h - h) / 2;
    for (int y = y0; y < y0 + h; y++) {
        scr_fill(s, x0, y, w, " ", SS_NORMAL);
        scr_put(s, x0, y, scr_glyph(s, G_VLINE), 1, SS_HEADER);
        scr_put(s, x0 + w - 1, y, scr_glyph(s, G_VLINE), 1, SS_HEADER);
    }
    scr_fill(s, x0, y0, w, scr_glyph(s, G_HLINE), SS_HEADER);
    scr_fill(s, x0, y0 + h - 1, w, scr_glyph(s, G_HLINE), SS_HEADER);
    scr_put(s, x0 + 2, y0, " Keys ", 6, SS_HEADER);
    for (int i = 0; i < n && i < h - 3; i++) {
        bool title = help_lines[i][0] != ' ';
        scr_put_clip(s, x0 + 2, y0 + 1 + i, help_lines[i], w - 4, title ? SS_HEADER : SS_NORMAL);
    }
    scr_put_clip(s, x0 + 2, y0 + h - 2, "press any key to close this help", w - 4, SS_DIM);
}

static void draw_too_small(scr_t *s)
{
    char need[64];
    scr_put_clip(s, 0, 0, s->w >= 18 ? "terminal too small" : "too small", s->w, SS_DROP);
    snprintf(need, sizeof need, "need %dx%d, q quits", VIEWER_MIN_W, VIEWER_MIN_H);
    scr_put_clip(s, 0, 1, need, s->w, SS_DIM);
}

static void draw_inspector(viewer_t *v, scr_t *s)
{
    const viewer_layout_t *l = &v->lay;
    insp_view_t iv = { v->m, viewer_moment(v), v->insp_scroll };
    v->insp_lines = insp_draw(s, &iv, l->in_x, l->main_y, l->in_w, l->main_h);
    int max = v->insp_lines > l->main_h ? v->insp_lines - l->main_h : 0;
    if (v->insp_scroll > max) { /* scrolled past the end (the state got shorter) */
        v->insp_scroll = max;
        for (int y = l->main_y; y < l->main_y + l->main_h; y++)
            scr_fill(s, l->in_x, y, l->in_w, " ", SS_NORMAL);
        iv.scroll = max;
        insp_draw(s, &iv, l->in_x, l->main_y, l->in_w, l->main_h);
    }
    if (v->focus == PANE_INSPECTOR)
        scr_add_flags(s, l->in_x, l->main_y, l->in_w, SF_REVERSE);
}

void viewer_draw(viewer_t *v, scr_t *s)
{
    scr_clear(s);
    viewer_layout(v, s->w, s->h);
    if (s->w < VIEWER_MIN_W || s->h < VIEWER_MIN_H) {
        draw_too_small(s);
        return;
    }
    viewer_follow(v);
    draw_title(v, s);
    const viewer_layout_t *l = &v->lay;
    if (l->tl_w) {
        tl_view_t tv = { v->m, &v->rows, v->top, v->cur, v->lane_off };
        tl_draw(s, &tv, l->tl_x, l->main_y, l->tl_w, l->main_h);
        if (l->split && v->focus == PANE_TIMELINE)
            scr_add_flags(s, l->tl_x, l->main_y, l->tl_w, SF_REVERSE);
    }
    if (l->split)
        for (int y = l->main_y; y < l->main_y + l->main_h; y++)
            scr_put(s, l->tl_w, y, scr_glyph(s, G_VLINE), 1, SS_DIM);
    if (l->in_w)
        draw_inspector(v, s);
    draw_detail(v, s, s->h - 3);
    draw_caption(v, s, s->h - 2);
    draw_status(v, s, s->h - 1);
    if (v->help)
        draw_help(s);
}
