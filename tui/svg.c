/* svg: the sequence diagram as an SVG image for slides and handouts. One row per event
 * (26 px), one lane per node (240 px), a monospace font large enough to read when
 * projected; lanes show crashes (red dots) and pauses (orange dashes), network partitions
 * shade the links they cut, lost messages end in a red cross half-way, notes are yellow
 * bands. Coordinates are integers and nothing depends on the clock or on addresses, so
 * the same trace gives the same bytes. */
#include "export.h"

#include "../sim/trace.h"
#include "screen.h"

#include <stdlib.h>
#include <string.h>

#define MARGIN 16
#define TIME_W 100
#define LANE_W 240
#define HEAD_H 64
#define ROW_H 26
#define CHAR_W10 84 /* tenths of a pixel per column at 14 px */
#define LABEL_MAX 1024

typedef struct svg {
    FILE *out;
    model_t *m;
    export_sel_t *sel;
    scr_t *measure; /* for display widths only */
    int width, height;
} svg_t;

static int lane_cx(int lane)
{
    return MARGIN + TIME_W + LANE_W * lane + LANE_W / 2;
}

static int row_top(uint32_t row)
{
    return HEAD_H + ROW_H * (int)row;
}

/* ---- text ---- */

/* Length of the valid UTF-8 character at p, or 0. */
static size_t utf8_char(const unsigned char *p)
{
    size_t len = p[0] < 0x80 ? 1 : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
                 : p[0] >= 0xE0 && p[0] <= 0xEF                 ? 3
                 : p[0] >= 0xF0 && p[0] <= 0xF4                 ? 4
                                                                 : 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* XML character data: markup escaped, control characters and invalid bytes replaced. */
static void xml_text(FILE *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t len = utf8_char(p);
        if (len == 0 || p + len > end) {
            fputs("\xEF\xBF\xBD", out);
            p++;
            continue;
        }
        if (*p == '&')
            fputs("&amp;", out);
        else if (*p == '<')
            fputs("&lt;", out);
        else if (*p == '>')
            fputs("&gt;", out);
        else if (*p == '"')
            fputs("&quot;", out);
        else if (*p < 0x20)
            fputc(' ', out);
        else
            fwrite(p, 1, len, out);
        p += len;
    }
}

/* Text clipped to `px` pixels of width, with "…" when cut. */
static void svg_text(svg_t *g, int x, int y, const char *cls, const char *anchor,
                     const char *text, int px)
{
    int cols = px * 10 / CHAR_W10;
    if (cols < 1)
        return;
    int w;
    size_t n = scr_prefix(g->measure, text, cols, &w);
    bool cut = text[n] != '\0';
    if (cut)
        n = scr_prefix(g->measure, text, cols - 1, &w);
    fprintf(g->out, "<text x=\"%d\" y=\"%d\" class=\"%s\"%s%s%s>", x, y, cls,
            anchor ? " text-anchor=\"" : "", anchor ? anchor : "", anchor ? "\"" : "");
    xml_text(g->out, text, n);
    if (cut)
        fputs("…", g->out);
    fputs("</text>\n", g->out);
}

/* ---- the frame ---- */

static const char *style =
    "text{font-family:'DejaVu Sans Mono','Noto Sans Mono CJK SC','Noto Sans CJK SC',Menlo,"
    "Consolas,monospace;font-size:14px;fill:#1f2d3d}"
    ".title{font-size:16px;font-weight:bold}.time{fill:#7f8c8d}"
    ".head{fill:#e8eef7;stroke:#5b7bb5;stroke-width:1.5}.name{font-weight:bold}"
    ".lane{stroke:#9aa7b8;stroke-width:2}.down{stroke:#c0392b;stroke-width:2;"
    "stroke-dasharray:2 4}.paused{stroke:#d68910;stroke-width:2;stroke-dasharray:8 4}"
    ".cut{fill:#f5b7b1;opacity:0.45}.req{stroke:#1f2d3d;stroke-width:1.6}"
    ".resp{stroke:#16a085;stroke-width:1.6;stroke-dasharray:6 4}"
    ".err{stroke:#8e44ad;stroke-width:1.6;stroke-dasharray:6 4}"
    ".drop{stroke:#c0392b;stroke-width:1.6}.x{stroke:#c0392b;stroke-width:3}"
    ".bg{stroke:#aab7c4;stroke-width:1.2}.t-bg{fill:#95a5a6}"
    ".t-req{fill:#1f2d3d}.t-resp{fill:#117a65}.t-err{fill:#8e44ad}"
    ".t-drop{fill:#c0392b;font-weight:bold}.band{fill:#fff3b0}.note{fill:#5d4037}"
    ".ok{fill:#1e8449}.fail{fill:#c0392b;font-weight:bold}.world{fill:#5d6d7e}"
    ".mark{fill:#1e8449}.mark-bad{fill:#c0392b}.mark-warn{fill:#d68910}"
    ".t-mark{fill:#145a32}.t-bad{fill:#c0392b}.t-warn{fill:#9c640c}.t-dim{fill:#7f8c8d}";

static void open_svg(svg_t *g)
{
    const char *scenario = trace_str(g->m->header, "scenario");
    const char *seed = trace_str(g->m->header, "seed");
    fprintf(g->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                    "viewBox=\"0 0 %d %d\">\n<title>",
            g->width, g->height, g->width, g->height);
    xml_text(g->out, scenario ? scenario : g->m->name,
             strlen(scenario ? scenario : g->m->name));
    fprintf(g->out, "</title>\n<style>%s</style>\n<defs>\n", style);
    fputs("<marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
          "markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
          "fill=\"#1f2d3d\"/></marker>\n"
          "<marker id=\"head-resp\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
          "markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\"><path "
          "d=\"M0,0 L10,5 L0,10 z\" fill=\"#16a085\"/></marker>\n</defs>\n",
          g->out);
    fprintf(g->out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
            g->width, g->height);
    char title[512];
    snprintf(title, sizeof title, "%s  seed %s", scenario ? scenario : g->m->name,
             seed ? seed : "?");
    svg_text(g, MARGIN, 24, "title", NULL, title, g->width - 2 * MARGIN);
    svg_text(g, MARGIN + TIME_W - 10, HEAD_H - 14, "time", "end", "ms", TIME_W);
}

static void lane_heads(svg_t *g)
{
    for (int i = 0; i < g->sel->nlanes; i++) {
        int cx = lane_cx(i);
        fprintf(g->out,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"26\" rx=\"5\" class=\"head\"/>\n",
                cx - LANE_W / 2 + 12, HEAD_H - 34, LANE_W - 24);
        svg_text(g, cx, HEAD_H - 15, "name", "middle", model_node_name(g->m, g->sel->lanes[i]),
                 LANE_W - 32);
    }
}

/* ---- lanes over time ---- */

static const char *lane_class(svg_t *g, uint16_t node, uint32_t at)
{
    char buf[32];
    uint32_t ent = st_find(&g->m->st, "node", model_node_name(g->m, node));
    if (ent != ST_NEVER && !st_exists(&g->m->st, ent, at))
        return NULL;
    const char *status = st_field(&g->m->st, ent, "status", at, buf, sizeof buf);
    if (status && strcmp(status, "crashed") == 0)
        return "down";
    if (status && strcmp(status, "paused") == 0)
        return "paused";
    return "lane";
}

static uint32_t moment_before(svg_t *g, uint32_t row)
{
    return g->sel->rows.idx[g->sel->a + row];
}

/* Each lane as segments of one look: up, crashed, paused (or absent before it starts). */
static void lane_lines(svg_t *g)
{
    uint32_t nrows = g->sel->b - g->sel->a;
    for (int i = 0; i < g->sel->nlanes; i++) {
        uint16_t node = g->sel->lanes[i];
        uint32_t start = 0;
        const char *cls = nrows ? lane_class(g, node, moment_before(g, 0)) : NULL;
        for (uint32_t r = 1; r <= nrows; r++) {
            const char *next = r < nrows ? lane_class(g, node, moment_before(g, r)) : NULL;
            if (r < nrows && next == cls)
                continue;
            if (cls)
                fprintf(g->out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\"/>\n",
                        lane_cx(i), row_top(start), lane_cx(i), row_top(r), cls);
            cls = next;
            start = r;
        }
    }
}

static void cut_pair(svg_t *g, const cJSON *a, const cJSON *b, uint32_t r0, uint32_t r1)
{
    const cJSON *x, *y;
    cJSON_ArrayForEach(x, a) {
        cJSON_ArrayForEach(y, b) {
            int la = cJSON_IsString(x) ? export_lane(g->sel, model_find_node(g->m, x->valuestring)) : -1;
            int lb = cJSON_IsString(y) ? export_lane(g->sel, model_find_node(g->m, y->valuestring)) : -1;
            if (la < 0 || lb < 0 || la == lb)
                continue;
            int x0 = lane_cx(la < lb ? la : lb), x1 = lane_cx(la < lb ? lb : la);
            fprintf(g->out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"cut\"/>\n",
                    x0, row_top(r0), x1 - x0, row_top(r1) - row_top(r0));
        }
    }
}

/* A network partition shades the links it cuts, from its own row to the row before its
 * heal (as the viewer does). */
static void cuts(svg_t *g)
{
    uint32_t nrows = g->sel->b - g->sel->a;
    for (uint32_t k = 0; k < g->m->ncuts; k++) {
        const model_cut_t *c = &g->m->cuts[k];
        uint32_t r0 = nrows, r1 = nrows;
        for (uint32_t r = 0; r < nrows; r++) {
            uint32_t at = moment_before(g, r) + 1;
            bool on = c->ev < at && (c->heal == MODEL_NONE || c->heal >= at);
            if (on && r0 == nrows)
                r0 = r;
            if (!on && r0 != nrows) {
                r1 = r;
                break;
            }
        }
        const cJSON *ev = r0 < nrows ? model_json(g->m, c->ev) : NULL;
        if (ev)
            cut_pair(g, cJSON_GetObjectItemCaseSensitive(ev, "a"),
                     cJSON_GetObjectItemCaseSensitive(ev, "b"), r0, r1);
    }
}

/* ---- events ---- */

static void message(svg_t *g, uint32_t e, int y, const char *label)
{
    const mev_t *ev = &g->m->ev[e];
    int la = export_lane(g->sel, ev->node), lb = export_lane(g->sel, ev->peer);
    if (la < 0 || lb < 0 || la == lb)
        return;
    int xa = lane_cx(la), xb = lane_cx(lb), dir = xb > xa ? 1 : -1;
    int span = (xb - xa) * dir - 16, mid = (xa + xb) / 2;
    bool resp = ev->flags & MF_RESPONSE, err = ev->flags & MF_ERROR;
    bool bg = (ev->flags & MF_BG) && !err; /* background traffic (--all): greyed */
    const char *cls = bg ? "bg" : resp ? (err ? "err" : "resp") : "req";
    if (ev->flags & MF_DROPPED) {
        fprintf(g->out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\"/>\n",
                xa + 4 * dir, y, mid, y, cls);
        fprintf(g->out, "<path d=\"M%d,%d L%d,%d M%d,%d L%d,%d\" class=\"x\"/>\n", mid - 6,
                y - 6, mid + 6, y + 6, mid - 6, y + 6, mid + 6, y - 6);
        /* The label takes the half the message never crossed. */
        if (dir > 0)
            svg_text(g, mid + 12, y + 5, "t-drop", NULL, label, g->width - MARGIN - mid - 12);
        else
            svg_text(g, mid - 12, y + 5, "t-drop", "end", label, mid - 12 - MARGIN - TIME_W);
        return;
    }
    fprintf(g->out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"%s\" "
            "marker-end=\"url(#%s)\"/>\n",
            xa + 4 * dir, y, xb - 4 * dir, y, cls, resp ? "head-resp" : "head");
    svg_text(g, mid, y - 5, bg ? "t-bg" : resp ? (err ? "t-err" : "t-resp") : "t-req", "middle",
             label, span);
}

static void mark(svg_t *g, uint32_t e, int y, const char *label)
{
    const kind_info_t *k = model_kind(g->m, e);
    int lane = export_lane(g->sel, g->m->ev[e].node);
    if (lane < 0)
        return;
    bool bad = k->style == SS_DROP || k->style == SS_ERROR || (g->m->ev[e].flags & MF_ERROR);
    bool warn = k->style == SS_FAULT || k->style == SS_PAUSED;
    int cx = lane_cx(lane);
    fprintf(g->out, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" class=\"%s\"/>\n", cx, y,
            bad ? "mark-bad" : warn ? "mark-warn" : "mark");
    const char *cls = bad ? "t-bad" : warn ? "t-warn" : k->style == SS_DIM ? "t-dim" : "t-mark";
    int right = g->width - MARGIN - cx - 10, left = cx - 10 - MARGIN - TIME_W;
    int need = scr_width(g->measure, label) * CHAR_W10 / 10;
    if (need <= right || right >= left)
        svg_text(g, cx + 10, y + 5, cls, NULL, label, right);
    else
        svg_text(g, cx - 10, y + 5, cls, "end", label, left);
}

static void world(svg_t *g, uint32_t e, int y, const char *label)
{
    const kind_info_t *k = model_kind(g->m, e);
    int x = MARGIN + TIME_W, w = g->width - MARGIN - x;
    char text[LABEL_MAX + 8];
    if (k->flags & KF_NOTE) {
        fprintf(g->out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" "
                        "class=\"band\"/>\n",
                x, y - ROW_H / 2 + 2, w, ROW_H - 4);
        snprintf(text, sizeof text, "» %s", label);
        svg_text(g, x + 8, y + 5, "note", NULL, text, w - 16);
        return;
    }
    if (k->flags & KF_CHECK) {
        bool failed = g->m->ev[e].flags & MF_ERROR;
        snprintf(text, sizeof text, "%s %s", failed ? "✗" : "✓", label);
        svg_text(g, x + 8, y + 5, failed ? "fail" : "ok", NULL, text, w - 16);
        return;
    }
    svg_text(g, x + 8, y + 5, "world", NULL, label, w - 16);
}

static void events(svg_t *g)
{
    char label[LABEL_MAX], t[32];
    int64_t prev = -1;
    for (uint32_t p = g->sel->a; p < g->sel->b; p++) {
        uint32_t e = g->sel->rows.idx[p];
        int y = row_top(p - g->sel->a) + ROW_H / 2;
        if (g->m->ev[e].t != prev) {
            snprintf(t, sizeof t, "%.3f", (double)g->m->ev[e].t / 1000.0);
            svg_text(g, MARGIN + TIME_W - 10, y + 5, "time", "end", t, TIME_W);
        }
        prev = g->m->ev[e].t;
        export_label(g->m, e, label, sizeof label);
        if (g->m->ev[e].shape == KS_MESSAGE)
            message(g, e, y, label);
        else if (g->m->ev[e].shape == KS_WORLD)
            world(g, e, y, label);
        else
            mark(g, e, y, label);
    }
}

bool export_svg(model_t *m, const export_opts_t *o, FILE *out, char *err, size_t errlen)
{
    export_sel_t sel;
    if (!export_select(m, o, &sel, err, errlen))
        return false;
    svg_t g = { out, m, &sel, scr_new(1, 1, false), 0, 0 };
    int lanes = sel.nlanes ? sel.nlanes : 1;
    g.width = 2 * MARGIN + TIME_W + LANE_W * lanes;
    g.height = row_top(sel.b - sel.a) + MARGIN;
    open_svg(&g);
    cuts(&g);
    lane_lines(&g);
    lane_heads(&g);
    events(&g);
    fputs("</svg>\n", out);
    scr_free(g.measure);
    export_sel_free(&sel);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "write error");
        return false;
    }
    return true;
}
