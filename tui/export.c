/* export: choosing the events to export, and the text format. The text is exactly the
 * timeline `ksim run` prints (text.c's lines, checks as TAP lines with TAP's escapes), so
 * a saved trace can be replayed as the run's output without running the scenario. */
#include "export.h"

#include "../sim/trace.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static bool in_window(const export_opts_t *o, int64_t t)
{
    return t >= o->from && (o->to < 0 || t <= o->to);
}

/* The lanes to draw: the nodes the filter names, and every end of a chosen message. */
static void select_lanes(model_t *m, export_sel_t *sel)
{
    uint8_t *used = calloc(m->nnodes ? m->nnodes : 1, 1);
    sel->lanes = malloc((m->nnodes ? m->nnodes : 1) * sizeof *sel->lanes);
    if (!used || !sel->lanes)
        abort();
    for (uint16_t id = 0; id < m->nnodes; id++)
        used[id] = rows_node_shown(&sel->rows, id);
    for (uint32_t p = sel->a; p < sel->b; p++) {
        const mev_t *e = &m->ev[sel->rows.idx[p]];
        if (e->node < m->nnodes && e->node != NODE_WORLD)
            used[e->node] = 1;
        if (e->shape == KS_MESSAGE && e->peer < m->nnodes)
            used[e->peer] = 1;
    }
    sel->nlanes = 0;
    for (uint16_t i = 0; i < m->nlanes; i++)
        if (used[m->lanes[i]])
            sel->lanes[sel->nlanes++] = m->lanes[i];
    free(used);
}

static uint8_t *parse_filter(model_t *m, const char *nodes, char *err, size_t errlen)
{
    uint8_t *on = calloc(m->nnodes ? m->nnodes : 1, 1);
    if (!on)
        abort();
    char bad[256];
    rows_parse_nodes(m, nodes, on, bad, sizeof bad);
    if (bad[0]) {
        snprintf(err, errlen, "--nodes: no node is called '%s' in %s", bad, m->name);
        free(on);
        return NULL;
    }
    return on;
}

bool export_select(model_t *m, const export_opts_t *o, export_sel_t *sel, char *err,
                   size_t errlen)
{
    memset(sel, 0, sizeof *sel);
    uint8_t *on = NULL;
    if (o->nodes && !(on = parse_filter(m, o->nodes, err, errlen)))
        return false;
    rows_init(&sel->rows, m);
    if (on)
        rows_filter(&sel->rows, on);
    if (o->all)
        rows_show_bg(&sel->rows, true);
    free(on);
    const rows_t *r = &sel->rows;
    sel->a = 0;
    while (sel->a < r->n && !in_window(o, m->ev[r->idx[sel->a]].t))
        sel->a++;
    sel->b = sel->a;
    while (sel->b < r->n && in_window(o, m->ev[r->idx[sel->b]].t))
        sel->b++;
    select_lanes(m, sel);
    return true;
}

void export_sel_free(export_sel_t *sel)
{
    rows_free(&sel->rows);
    free(sel->lanes);
    memset(sel, 0, sizeof *sel);
}

int export_lane(const export_sel_t *sel, uint16_t node)
{
    for (int i = 0; i < sel->nlanes; i++)
        if (sel->lanes[i] == node)
            return i;
    return -1;
}

void export_label(model_t *m, uint32_t e, char *buf, size_t n)
{
    const cJSON *ev = model_json(m, e);
    const kind_info_t *k = model_kind(m, e);
    buf[0] = '\0';
    if (!ev)
        snprintf(buf, n, "%s", model_kind_name(m, e));
    else if (k->label)
        k->label(ev, buf, n);
    else
        label_default(ev, buf, n);
}

/* ---- text ---- */

/* As `ksim run` writes a check's message: one line, '#' and '\' escaped (TAP). */
static void put_tap(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else if (*s == '#' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
}

static void text_check(FILE *out, const cJSON *ev, uint32_t number)
{
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "ok"));
    const char *msg = trace_str(ev, "msg"), *where = trace_str(ev, "where");
    fprintf(out, "%sok %u - ", ok ? "" : "not ", number);
    put_tap(out, msg ? msg : "");
    if (!ok) {
        fputs(" (", out);
        put_tap(out, where ? where : "?");
        fputc(')', out);
    }
    fputc('\n', out);
}

bool export_text(model_t *m, const export_opts_t *o, FILE *out, char *err, size_t errlen)
{
    uint8_t *on = NULL;
    if (o->nodes && !(on = parse_filter(m, o->nodes, err, errlen)))
        return false;
    char line[4096];
    uint32_t checks = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        bool check = model_kind(m, i)->flags & KF_CHECK;
        checks += check; /* numbered as the run numbered them, window or not */
        if (!in_window(o, m->ev[i].t) || !rows_event_passes(m, on, i))
            continue;
        const cJSON *ev = model_json(m, i);
        if (!ev)
            continue;
        if (check)
            text_check(out, ev, checks);
        else if (text_format_event(ev, line, sizeof line))
            fprintf(out, "%s\n", line);
    }
    free(on);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "write error");
        return false;
    }
    return true;
}
