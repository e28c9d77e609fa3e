/* viewer: keys, clicks and play. The cursor is a row; what it means (an event, or a span
 * of virtual time when zoomed out) comes from rows.c, and every jump (note, fault,
 * search, filter, zoom) goes through the event it lands on, so the moment the inspector
 * shows survives a change of zoom or filter. */
#include "viewer_int.h"

#include "search.h"
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double viewer_speeds[VIEWER_SPEEDS] = { 0.001, 0.01, 0.1, 1, 10, 100 };
const char *const viewer_speed_names[VIEWER_SPEEDS] = { "0.001x", "0.01x", "0.1x",
                                                         "1x",     "10x",   "100x" };

viewer_t *viewer_new(model_t *m)
{
    viewer_t *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->m = m;
    v->anchor = MODEL_NONE;
    rows_init(&v->rows, m);
    viewer_layout(v, 80, 24);
    return v;
}

void viewer_free(viewer_t *v)
{
    if (!v)
        return;
    rows_free(&v->rows);
    free(v);
}

bool viewer_done(const viewer_t *v)
{
    return v->done;
}

bool viewer_playing(const viewer_t *v)
{
    return v->playing;
}

int64_t viewer_row(const viewer_t *v)
{
    return v->cur;
}

uint32_t viewer_selected(const viewer_t *v)
{
    return tl_row_event(v->m, &v->rows, v->cur);
}

uint32_t viewer_moment(const viewer_t *v)
{
    return rows_moment(&v->rows, v->cur);
}

/* ---- moving ---- */

static void move_to(viewer_t *v, int64_t row)
{
    int64_t count = rows_count(&v->rows);
    if (row >= count)
        row = count - 1;
    if (row < 0)
        row = 0;
    v->cur = row;
    viewer_follow(v);
}

/* The last event the cursor's moment includes, and the first at or after its row. */
static uint32_t moment_last(const viewer_t *v)
{
    uint32_t at = rows_moment(&v->rows, v->cur);
    return at ? at - 1 : 0;
}

static uint32_t moment_first(const viewer_t *v)
{
    return rows_moment_before(&v->rows, v->cur);
}

/* The row showing event e, or the last row before it when e is not shown. */
static int64_t row_of_event(const viewer_t *v, uint32_t e)
{
    const rows_t *r = &v->rows;
    if (r->zoom != 0)
        return e < v->m->n ? v->m->ev[e].t / rows_zoom_us[r->zoom] : 0;
    uint32_t pos = rows_pos_of_event(r, e);
    if (pos < r->n && r->idx[pos] == e)
        return pos;
    return pos > 0 ? pos - 1 : 0;
}

static void jump(viewer_t *v, const uint32_t *list, uint32_t n, bool forward, const char *what)
{
    uint32_t k;
    if (forward) {
        k = model_lower_bound(list, n, moment_last(v) + 1);
        /* not shown (filtered out, background) or on this row: on to the next */
        while (k < n && (!rows_shows(&v->rows, list[k]) || row_of_event(v, list[k]) <= v->cur))
            k++;
    } else {
        k = model_lower_bound(list, n, moment_first(v));
        while (k > 0 && !rows_shows(&v->rows, list[k - 1]))
            k--;
        k = k > 0 ? k - 1 : n;
    }
    if (k >= n) {
        snprintf(v->msg, sizeof v->msg, "no %s %s", forward ? "later" : "earlier", what);
        return;
    }
    move_to(v, row_of_event(v, list[k]));
}

/* Zooming keeps the moment; zooming back in returns to the event selected before, as
 * long as the cursor is still on the row that holds it. */
static void set_zoom(viewer_t *v, int zoom)
{
    if (zoom < 0 || zoom >= ROWS_ZOOMS || zoom == v->rows.zoom)
        return;
    uint32_t e = moment_last(v);
    if (v->rows.zoom == 0)
        v->anchor = e;
    else if (v->anchor >= moment_first(v) && v->anchor <= e)
        e = v->anchor;
    v->rows.zoom = zoom;
    move_to(v, row_of_event(v, e));
}

static void scroll_lanes(viewer_t *v, int delta)
{
    tl_view_t tv = { v->m, &v->rows, v->top, v->cur, v->lane_off };
    int max = tl_max_lane_off(&tv, v->lay.tl_w ? v->lay.tl_w : v->lay.w);
    v->lane_off += delta;
    if (v->lane_off > max)
        v->lane_off = max;
    if (v->lane_off < 0)
        v->lane_off = 0;
}

/* ---- prompts ---- */

static void run_search(viewer_t *v)
{
    if (v->input[0])
        snprintf(v->last_search, sizeof v->last_search, "%s", v->input);
    if (!v->last_search[0])
        return;
    uint32_t a, b, from = v->rows.n;
    rows_range(&v->rows, v->cur, &a, &b);
    if (a < b)
        from = b - 1;
    else if (a > 0)
        from = a - 1;
    bool wrapped;
    uint32_t pos = search_next(v->m, &v->rows, from, v->last_search, &wrapped);
    if (pos >= v->rows.n) {
        snprintf(v->msg, sizeof v->msg, "nothing mentions \"%.200s\"", v->last_search);
        return;
    }
    if (wrapped)
        snprintf(v->msg, sizeof v->msg, "search went on from the top");
    move_to(v, rows_row_of(&v->rows, pos));
}

/* Nodes whose name starts with one of the words typed; empty input shows every node. */
static void run_filter(viewer_t *v)
{
    model_t *m = v->m;
    uint32_t e = moment_last(v);
    if (!v->input[strspn(v->input, " ,")]) {
        rows_filter(&v->rows, NULL);
        v->filter_text[0] = '\0';
        move_to(v, row_of_event(v, e));
        return;
    }
    uint8_t *on = calloc(m->nnodes ? m->nnodes : 1, 1);
    if (!on)
        abort();
    char bad[VIEWER_INPUT];
    if (rows_parse_nodes(m, v->input, on, bad, sizeof bad) == 0) {
        snprintf(v->msg, sizeof v->msg, "no node is called \"%.200s\"", v->input);
    } else {
        rows_filter(&v->rows, on);
        snprintf(v->filter_text, sizeof v->filter_text, "%s", v->input);
        v->lane_off = 0;
        move_to(v, row_of_event(v, e));
    }
    free(on);
}

/* Background traffic (heartbeats, idle fetches) in or out of the diagram; the state the
 * inspector shows does not change, and neither does the moment. */
static void toggle_bg(viewer_t *v)
{
    uint32_t e = moment_last(v);
    rows_show_bg(&v->rows, !v->rows.bg);
    move_to(v, row_of_event(v, e));
    snprintf(v->msg, sizeof v->msg, "%s", v->rows.bg
             ? "background traffic shown (heartbeats, idle fetches): b hides it"
             : "background traffic hidden: b shows it");
}

/* Appends a code point to the input as UTF-8. */
static void input_add(viewer_t *v, int cp)
{
    char u[5] = { 0 };
    if (cp < 0x80) {
        u[0] = (char)cp;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
    }
    size_t len = strlen(v->input);
    if (len + strlen(u) < sizeof v->input)
        memcpy(v->input + len, u, strlen(u) + 1);
}

static void input_backspace(viewer_t *v)
{
    size_t len = strlen(v->input);
    while (len > 0 && ((unsigned char)v->input[len - 1] & 0xC0) == 0x80)
        len--;
    if (len > 0)
        len--;
    v->input[len] = '\0';
}

static void prompt_key(viewer_t *v, int key)
{
    if (key == VK_ESC) {
        v->prompt = PROMPT_NONE;
    } else if (key == VK_ENTER) {
        int p = v->prompt;
        v->prompt = PROMPT_NONE;
        if (p == PROMPT_SEARCH)
            run_search(v);
        else
            run_filter(v);
    } else if (key == VK_BACKSPACE) {
        input_backspace(v);
    } else if (key >= 0x20 && key < 0x110000 && key != 0x7f) {
        input_add(v, key);
    }
}

static void open_prompt(viewer_t *v, int which)
{
    v->prompt = which;
    v->input[0] = '\0';
    if (which == PROMPT_FILTER)
        snprintf(v->input, sizeof v->input, "%s", v->filter_text);
}

/* ---- play ---- */

static void toggle_play(viewer_t *v)
{
    v->playing = !v->playing;
    v->play_wall = -1;
    if (v->playing) {
        uint32_t e = moment_last(v);
        v->play_t = e < v->m->n ? (double)v->m->ev[e].t : 0;
    }
}

/* The row for virtual time t: the last event at or before it, or its span. */
static int64_t row_at_time(const viewer_t *v, int64_t t)
{
    if (v->rows.zoom != 0)
        return t / rows_zoom_us[v->rows.zoom];
    uint32_t upto = model_at_time(v->m, t + 1); /* events with time <= t */
    uint32_t pos = rows_pos_of_event(&v->rows, upto);
    return pos > 0 ? pos - 1 : 0;
}

bool viewer_tick(viewer_t *v, int64_t now_us)
{
    if (!v->playing)
        return false;
    if (v->play_wall < 0) {
        v->play_wall = now_us;
        return false;
    }
    double speed = viewer_speeds[v->speed];
    v->play_t += (double)(now_us - v->play_wall) * speed;
    v->play_wall = now_us;
    int64_t before = v->cur;
    move_to(v, row_at_time(v, (int64_t)v->play_t));
    /* A quiet stretch longer than 1.5 s of wall time is skipped to 0.5 s before the next
     * event: play shows what happens, not the waiting. */
    uint32_t pos = rows_pos_of_event(&v->rows, moment_last(v) + 1);
    uint32_t next = pos < v->rows.n ? v->rows.idx[pos] : v->m->n;
    if (next < v->m->n && (double)v->m->ev[next].t - v->play_t > speed * 1.5e6)
        v->play_t = (double)v->m->ev[next].t - speed * 0.5e6;
    if (next >= v->m->n && v->cur >= rows_count(&v->rows) - 1) {
        v->playing = false;
        snprintf(v->msg, sizeof v->msg, "end of the trace");
    }
    return v->cur != before || !v->playing;
}

/* ---- keys ---- */

static void inspector_key(viewer_t *v, int key)
{
    int page = v->lay.main_h > 1 ? v->lay.main_h - 1 : 1;
    if (key == VK_DOWN || key == 'j' || key == VK_WHEEL_DOWN)
        v->insp_scroll++;
    else if (key == VK_UP || key == 'k' || key == VK_WHEEL_UP)
        v->insp_scroll--;
    else if (key == VK_PGDN)
        v->insp_scroll += page;
    else if (key == VK_PGUP)
        v->insp_scroll -= page;
    else if (key == VK_HOME || key == 'g')
        v->insp_scroll = 0;
    else if (key == VK_END || key == 'G')
        v->insp_scroll = v->insp_lines;
    if (v->insp_scroll < 0)
        v->insp_scroll = 0;
}

/* Keys that move the timeline's cursor; false when key is not one. */
static bool timeline_key(viewer_t *v, int key)
{
    int page = viewer_page(v);
    switch (key) {
    case VK_DOWN: case 'j': move_to(v, v->cur + 1); break;
    case VK_UP: case 'k': move_to(v, v->cur - 1); break;
    case VK_WHEEL_DOWN: move_to(v, v->cur + 3); break;
    case VK_WHEEL_UP: move_to(v, v->cur - 3); break;
    case VK_PGDN: case 'd': move_to(v, v->cur + page); break;
    case VK_PGUP: case 'u': move_to(v, v->cur - page); break;
    case VK_HOME: case 'g': move_to(v, 0); break;
    case VK_END: case 'G': move_to(v, rows_count(&v->rows) - 1); break;
    case VK_LEFT: case 'h': scroll_lanes(v, -1); break;
    case VK_RIGHT: case 'l': scroll_lanes(v, 1); break;
    default: return false;
    }
    return true;
}

static void command_key(viewer_t *v, int key)
{
    model_t *m = v->m;
    switch (key) {
    case 'q': case 'Q': v->done = true; break;
    case '?': v->help = true; break;
    case VK_TAB: v->focus = v->focus == PANE_TIMELINE ? PANE_INSPECTOR : PANE_TIMELINE; break;
    case 'n': jump(v, m->notes, m->nnotes, true, "note"); break;
    case 'N': jump(v, m->notes, m->nnotes, false, "note"); break;
    case 'f': jump(v, m->faults, m->nfaults, true, "fault"); break;
    case 'F': jump(v, m->faults, m->nfaults, false, "fault"); break;
    case '/': open_prompt(v, PROMPT_SEARCH); break;
    case 'o': open_prompt(v, PROMPT_FILTER); break;
    case 'b': toggle_bg(v); break;
    case '+': case '=': set_zoom(v, v->rows.zoom - 1); break;
    case '-': case '_': set_zoom(v, v->rows.zoom + 1); break;
    case ' ': toggle_play(v); break;
    case '>': case '.': if (v->speed + 1 < VIEWER_SPEEDS) v->speed++; break;
    case '<': case ',': if (v->speed > 0) v->speed--; break;
    default: break;
    }
}

static bool is_move_key(int key)
{
    switch (key) {
    case VK_DOWN: case VK_UP: case VK_PGDN: case VK_PGUP: case VK_HOME: case VK_END:
    case VK_WHEEL_DOWN: case VK_WHEEL_UP: case 'j': case 'k': case 'g': case 'G':
        return true;
    default:
        return false;
    }
}

void viewer_key(viewer_t *v, int key)
{
    v->msg[0] = '\0';
    if (v->prompt != PROMPT_NONE) {
        prompt_key(v, key);
        return;
    }
    if (v->help) { /* any key closes the help; q still quits */
        v->help = false;
        v->done = key == 'q' || key == 'Q';
        return;
    }
    if (v->focus == PANE_INSPECTOR && is_move_key(key)) {
        inspector_key(v, key);
        return;
    }
    if (!timeline_key(v, key))
        command_key(v, key);
}

void viewer_click(viewer_t *v, int x, int y)
{
    const viewer_layout_t *l = &v->lay;
    v->msg[0] = '\0';
    if (v->help) {
        v->help = false;
        return;
    }
    if (y <= l->main_y || y >= l->main_y + l->main_h)
        return;
    if (l->in_w && x >= l->in_x) {
        v->focus = PANE_INSPECTOR;
        return;
    }
    if (l->tl_w && x >= l->tl_x && x < l->tl_x + l->tl_w) {
        v->focus = PANE_TIMELINE;
        move_to(v, v->top + (y - l->main_y - 1));
    }
}
