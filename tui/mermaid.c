/* mermaid: the sequence diagram as Mermaid `sequenceDiagram` text, so that a scenario's
 * story can live in Markdown. Participants are aliases (n0, n1 …) for the node names,
 * which may hold characters Mermaid's arrows would misread; requests are solid arrows,
 * responses dotted, a lost message ends in a cross (-x, --x); node events are notes over
 * their node, scenario lines notes over every lane. Text is escaped with Mermaid's
 * entity codes (#35; for '#', #59; for ';', #60; and #62; for '<' and '>') and kept on
 * one line. */
#include "export.h"

#include "../util/utf8.h"
#include "../sim/trace.h"

#include <string.h>

#define LABEL_MAX 1024

/* Mermaid text: its markup as entity codes, white space as spaces, other control
 * characters (C0, DEL, C1) left out and invalid bytes as U+FFFD. */
static void mm_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t k = utf8_seq(p, strnlen((const char *)p, 4));
        switch (k == 1 ? *p : 0) {
        case '#': fputs("#35;", out); break;
        case ';': fputs("#59;", out); break;
        case '<': fputs("#60;", out); break;
        case '>': fputs("#62;", out); break;
        case '\n': case '\r': case '\t': fputc(' ', out); break;
        default: {
            bool control = (k == 1 && (*p < 0x20 || *p == 0x7F)) ||
                           (k == 2 && p[0] == 0xC2 && p[1] < 0xA0);
            if (k == 0)
                fputs("\xEF\xBF\xBD", out);
            else if (!control)
                fwrite(p, 1, k, out);
        }
        }
        p += k ? k : 1;
    }
    fputc('\n', out);
}

static const char *arrow(const mev_t *e)
{
    bool resp = e->flags & MF_RESPONSE;
    if (e->flags & MF_DROPPED)
        return resp ? "--x" : "-x";
    return resp ? "-->>" : "->>";
}

/* A lost message says why: the fault rule, or the network's reason. */
static void lost_reason(model_t *m, const mev_t *e, char *label, size_t n)
{
    const cJSON *d = e->link != MODEL_NONE ? model_json(m, e->link) : NULL;
    size_t len = strlen(label);
    if (!d || len + 1 >= n)
        return;
    int64_t fault = trace_int(d, "fault", -1);
    const char *reason = trace_str(d, "reason");
    if (fault >= 0)
        snprintf(label + len, n - len, " (lost: fault %lld)", (long long)fault);
    else
        snprintf(label + len, n - len, " (lost: %s)", reason ? reason : "dropped");
}

static void mm_message(FILE *out, model_t *m, const export_sel_t *sel, const mev_t *e,
                       char *label, size_t n)
{
    int a = export_lane(sel, e->node), b = export_lane(sel, e->peer);
    if (a < 0 || b < 0)
        return;
    if (e->flags & MF_DROPPED)
        lost_reason(m, e, label, n);
    fprintf(out, "    n%d%sn%d: ", a, arrow(e), b);
    mm_text(out, label);
}

static void mm_note(FILE *out, const export_sel_t *sel, const mev_t *e, const char *prefix,
                    const char *label)
{
    int a = e->node == NODE_WORLD ? 0 : export_lane(sel, e->node);
    if (a < 0 || sel->nlanes == 0)
        return;
    if (e->node == NODE_WORLD && sel->nlanes > 1)
        fprintf(out, "    Note over n0,n%d: %s", sel->nlanes - 1, prefix);
    else
        fprintf(out, "    Note over n%d: %s", a, prefix);
    mm_text(out, label);
}

bool export_mermaid(model_t *m, const export_opts_t *o, FILE *out, char *err, size_t errlen)
{
    export_sel_t sel;
    if (!export_select(m, o, &sel, err, errlen))
        return false;
    const char *scenario = trace_str(m->header, "scenario");
    const char *seed = trace_str(m->header, "seed");
    fputs("sequenceDiagram\n    %% ksim trace ", out);
    mm_text(out, scenario ? scenario : m->name);
    fprintf(out, "    %%%% seed %s\n", seed ? seed : "?");
    for (int i = 0; i < sel.nlanes; i++) {
        fprintf(out, "    participant n%d as ", i);
        mm_text(out, model_node_name(m, sel.lanes[i]));
    }
    char label[LABEL_MAX];
    for (uint32_t p = sel.a; p < sel.b; p++) {
        uint32_t i = sel.rows.idx[p];
        const mev_t *e = &m->ev[i];
        const kind_info_t *k = model_kind(m, i);
        export_label(m, i, label, sizeof label);
        if (e->shape == KS_MESSAGE)
            mm_message(out, m, &sel, e, label, sizeof label);
        else if (k->flags & KF_CHECK)
            mm_note(out, &sel, e, e->flags & MF_ERROR ? "✗ " : "✓ ", label);
        else if (k->flags & KF_NOTE)
            mm_note(out, &sel, e, "» ", label);
        else
            mm_note(out, &sel, e, "", label);
    }
    export_sel_free(&sel);
    if (fflush(out) != 0 || ferror(out)) {
        snprintf(err, errlen, "write error");
        return false;
    }
    return true;
}
