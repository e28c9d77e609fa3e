/* inspector: rebuilding the state at a moment from the histories (state.h) and writing it
 * as lines. Lines are counted for every section, but formatted (and their events parsed)
 * only when they fall inside the region, so a long log costs only what is visible. */
#include "inspector.h"

#include "../sim/trace.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MAX 1000     /* records of one log listed, the newest */
#define INFLIGHT_MAX 8
#define CHECKS_SHOWN 6
#define LINE_MAX 1024
#define VALUE_CHARS 24

typedef struct insp {
    scr_t *s;
    model_t *m;
    uint32_t at;
    int x, y, w, h, scroll, line;
} insp_t;

static bool visible(const insp_t *I)
{
    return I->line >= I->scroll && I->line < I->scroll + I->h;
}

static void put(insp_t *I, int indent, scr_style_t st, const char *text)
{
    if (visible(I))
        scr_put_clip(I->s, I->x + indent, I->y + I->line - I->scroll, text, I->w - indent, st);
    I->line++;
}

static void putf(insp_t *I, int indent, scr_style_t st, const char *fmt, ...)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    char buf[LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(I, indent, st, buf);
}

static void heading(insp_t *I, const char *title)
{
    if (I->line > 0)
        I->line++; /* a blank line between sections */
    if (visible(I)) {
        put(I, 0, SS_HEADER, title);
        scr_add_flags(I->s, I->x, I->y + I->line - 1 - I->scroll, I->w, SF_BOLD);
        return;
    }
    I->line++;
}

/* ---- values ---- */

/* A key or value as the trace holds it: text, null, or {"hex": "..."}. */
static const char *bytes_text(const cJSON *v, char *buf, size_t n)
{
    char tmp[VALUE_CHARS * 4 + 16];
    if (!v || cJSON_IsNull(v))
        return "null";
    if (cJSON_IsString(v))
        return text_short(v->valuestring, VALUE_CHARS, buf, n);
    const char *hex = trace_str(v, "hex");
    if (hex) {
        snprintf(buf, n, "0x%s", text_short(hex, VALUE_CHARS, tmp, sizeof tmp));
        return buf;
    }
    return "?";
}

/* text padded with spaces to `cols` display columns (CJK counts two). */
static const char *pad(const insp_t *I, const char *text, int cols, char *buf, size_t n)
{
    int w = scr_width(I->s, text);
    snprintf(buf, n, "%s%*s", text, w < cols ? cols - w : 0, "");
    return buf;
}

static void format_ms(char *buf, size_t n, int64_t us)
{
    snprintf(buf, n, "%.3f ms", (double)us / 1000.0);
}

/* ---- sections ---- */

static void section_title(insp_t *I)
{
    char t[64];
    if (I->at == 0) {
        putf(I, 0, SS_TITLE, "State before the first event (%u events)", I->m->n);
        return;
    }
    format_ms(t, sizeof t, I->m->ev[I->at - 1].t);
    const cJSON *ev = visible(I) ? model_json(I->m, I->at - 1) : NULL;
    putf(I, 0, SS_TITLE, "State at %s, after seq %lld", t,
         (long long)(ev ? trace_int(ev, "seq", I->at) : I->at));
}

static void section_nodes(insp_t *I)
{
    model_t *m = I->m;
    bool any = false;
    char b1[32], b2[32];
    for (uint16_t i = 0; i < m->nlanes; i++) {
        const char *name = model_node_name(m, m->lanes[i]);
        uint32_t e = st_find(&m->st, "node", name);
        if (e == ST_NEVER || !st_exists(&m->st, e, I->at))
            continue;
        if (!any)
            heading(I, "Nodes");
        any = true;
        const char *status = st_field(&m->st, e, "status", I->at, b1, sizeof b1);
        const char *role = st_field(&m->st, e, "role", I->at, b2, sizeof b2);
        scr_style_t st = status && strcmp(status, "crashed") == 0  ? SS_DROP
                         : status && strcmp(status, "paused") == 0 ? SS_PAUSED
                                                                   : SS_NORMAL;
        putf(I, 2, st, "%-12s %-10s %s", name, role ? role : "", status ? status : "?");
    }
}

/* Fields of an entity packed into lines "name value · name value". */
static bool entity_fields(insp_t *I, uint32_t ent, int indent, scr_style_t st)
{
    const state_t *S = &I->m->st;
    const st_entity_t *e = st_get_entity(S, ent);
    char line[LINE_MAX] = "", item[LINE_MAX / 2];
    int width = 0;
    bool any = false;
    for (uint32_t k = 0; k < e->nslots; k++) {
        const st_change_t *c = st_value(S, ent, k, I->at);
        if (!c)
            continue;
        if (c->type == ST_STR)
            snprintf(item, sizeof item, "%s %s", st_str(S, e->slots[k].field),
                     st_str(S, (uint32_t)c->v));
        else
            snprintf(item, sizeof item, "%s %lld", st_str(S, e->slots[k].field), (long long)c->v);
        int iw = scr_width(I->s, item) + (width ? 3 : 0);
        if (width && width + iw > I->w - indent) {
            put(I, indent, st, line);
            line[0] = '\0';
            width = 0;
            iw -= 3;
        }
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, "%s%s", width ? " · " : "", item);
        width += iw;
        any = true;
    }
    if (width)
        put(I, indent, st, line);
    return any;
}

static bool has_value(const insp_t *I, uint32_t ent)
{
    const st_entity_t *e = st_get_entity(&I->m->st, ent);
    for (uint32_t k = 0; k < e->nslots; k++)
        if (st_value(&I->m->st, ent, k, I->at))
            return true;
    return false;
}

/* Entities of one section that exist at the moment and say something then. */
static void section_generic(insp_t *I, const char *section, const char *title)
{
    const state_t *S = &I->m->st;
    uint32_t sec = intern_find(&S->strs, section);
    bool any = false;
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++) {
        if (S->ents[i].section != sec || !st_exists(S, i, I->at) || !has_value(I, i))
            continue;
        if (!any)
            heading(I, title);
        any = true;
        putf(I, 2, SS_NORMAL, "%s", st_str(S, S->ents[i].name));
        entity_fields(I, i, 4, SS_NORMAL);
    }
}

static void request_line(insp_t *I, const st_req_t *q)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    char label[LINE_MAX] = "", t[32];
    const cJSON *ev = model_json(I->m, q->ev_open);
    if (ev)
        label_message(ev, label, sizeof label);
    format_ms(t, sizeof t, I->m->ev[q->ev_open].t);
    putf(I, 4, SS_REQUEST, "in flight: %s to %s since %s", label, st_str(&I->m->st, q->peer), t);
}

static void section_clients(insp_t *I, const char *section, const char *title)
{
    const state_t *S = &I->m->st;
    uint32_t sec = intern_find(&S->strs, section);
    bool any = false;
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++) {
        if (S->ents[i].section != sec || !st_exists(S, i, I->at))
            continue;
        if (!any)
            heading(I, title);
        any = true;
        putf(I, 2, SS_NORMAL, "%s", st_str(S, S->ents[i].name));
        entity_fields(I, i, 4, SS_NORMAL);
        const st_req_t *reqs[INFLIGHT_MAX];
        size_t n = st_inflight(S, i, I->at, reqs, INFLIGHT_MAX);
        if (n == 0)
            put(I, 4, SS_DIM, "no requests in flight");
        for (size_t k = n; k-- > 0;)
            request_line(I, reqs[k]);
    }
}

/* ---- partition logs ---- */

typedef struct marker {
    const char *name;
    int64_t value;
} marker_t;

static void record_line(insp_t *I, const st_rec_t *r)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    const cJSON *ev = model_json(I->m, r->ev_add);
    const cJSON *recs = ev ? cJSON_GetObjectItemCaseSensitive(ev, "records") : NULL;
    const cJSON *rec = cJSON_GetArrayItem(recs, (int)r->rec_i);
    char kb[VALUE_CHARS * 4 + 32], vb[VALUE_CHARS * 4 + 32], prod[96] = "", mark[32] = "";
    const char *key = bytes_text(cJSON_GetObjectItemCaseSensitive(rec, "key"), kb, sizeof kb);
    const char *val = bytes_text(cJSON_GetObjectItemCaseSensitive(rec, "value"), vb, sizeof vb);
    if (r->producer_id >= 0) {
        int64_t seq = trace_int(ev, "base_seq", -1);
        snprintf(prod, sizeof prod, "  pid %lld e%lld", (long long)r->producer_id,
                 (long long)trace_int(ev, "producer_epoch", -1));
        if (seq >= 0)
            snprintf(prod + strlen(prod), sizeof prod - strlen(prod), " s%lld",
                     (long long)(seq + r->rec_i));
    }
    if (r->flags & ST_REC_CONTROL)
        snprintf(mark, sizeof mark, "  [%s]", trace_str(ev, "control"));
    else if (r->flags & ST_REC_TXN)
        snprintf(mark, sizeof mark, "  [txn]");
    bool aborted = r->ev_abort < I->at;
    if (aborted)
        snprintf(mark + strlen(mark), sizeof mark - strlen(mark), " aborted");
    scr_style_t st = aborted ? SS_DIM : (r->flags & ST_REC_CONTROL) ? SS_MARK : SS_NORMAL;
    char kp[sizeof kb + 16], vp[sizeof vb + 16];
    putf(I, 4, st, "%6lld  %s %s%s%s", (long long)r->offset, pad(I, key, 8, kp, sizeof kp),
         pad(I, val, 10, vp, sizeof vp), prod, mark);
}

static void marker_line(insp_t *I, const marker_t *mk, int n)
{
    char line[256] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s %s %lld",
                                i ? "  " : "", scr_glyph(I->s, G_HW), mk[i].name,
                                (long long)mk[i].value);
    put(I, 4, SS_MARK, line);
}

static int collect_markers(insp_t *I, uint32_t ent, marker_t *mk)
{
    static const char *const fields[] = { "log start", "LSO", "HW" };
    int n = 0;
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        int64_t v = st_field_int(&I->m->st, ent, fields[k], I->at, -1);
        if (v >= 0)
            mk[n++] = (marker_t){ fields[k], v };
    }
    int64_t end = st_log_end(&I->m->st, ent, I->at);
    mk[n++] = (marker_t){ "log end", end < 0 ? 0 : end };
    for (int i = 1; i < n; i++) /* few: insertion sort by value, stable */
        for (int j = i; j > 0 && mk[j - 1].value > mk[j].value; j--) {
            marker_t tmp = mk[j];
            mk[j] = mk[j - 1];
            mk[j - 1] = tmp;
        }
    return n;
}

static void log_body(insp_t *I, uint32_t ent)
{
    const st_rec_t *recs[LOG_MAX];
    size_t total, n = st_log_tail(&I->m->st, ent, I->at, recs, LOG_MAX, &total);
    marker_t mk[4];
    int nmk = collect_markers(I, ent, mk), next = 0;
    if (total > n)
        putf(I, 4, SS_DIM, "%zu earlier records not listed", total - n);
    if (n > 0)
        putf(I, 4, SS_DIM, "%6s  %-8s %-10s%s", "offset", "key", "value", "  producer");
    for (size_t k = 0; k < n; k++) {
        int start = next;
        while (next < nmk && mk[next].value <= recs[k]->offset)
            next++;
        if (next > start)
            marker_line(I, mk + start, next - start);
        record_line(I, recs[k]);
    }
    if (next < nmk)
        marker_line(I, mk + next, nmk - next);
}

static void section_logs(insp_t *I)
{
    const state_t *S = &I->m->st;
    uint32_t sec = intern_find(&S->strs, "log");
    bool any = false;
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++) {
        if (S->ents[i].section != sec || !st_exists(S, i, I->at))
            continue;
        if (!any)
            heading(I, "Partition logs");
        any = true;
        putf(I, 2, SS_HEADER, "%s", st_str(S, S->ents[i].name));
        log_body(I, i);
    }
}

/* ---- checks ---- */

static void check_line(insp_t *I, uint32_t e)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    char label[LINE_MAX] = "";
    const cJSON *ev = model_json(I->m, e);
    if (ev)
        label_check(ev, label, sizeof label);
    bool failed = I->m->ev[e].flags & MF_ERROR;
    putf(I, 2, failed ? SS_DROP : SS_OK, "%s %s", scr_glyph(I->s, failed ? G_CROSS : G_CHECK),
         label);
}

static void section_checks(insp_t *I)
{
    model_t *m = I->m;
    uint32_t k = model_lower_bound(m->checks, m->nchecks, I->at);
    if (k == 0)
        return;
    uint32_t failed = m->check_fails[k];
    char title[96];
    snprintf(title, sizeof title, "Checks so far: %u passed, %u failed", k - failed, failed);
    heading(I, title);
    for (uint32_t j = k > CHECKS_SHOWN ? k - CHECKS_SHOWN : 0; j < k; j++)
        check_line(I, m->checks[j]);
}

/* ---- the order of sections ---- */

static const char *const known[] = { "node", "network", "topic", "log", "producer",
                                     "consumer", "client", "fault", "run" };

static bool is_known(const state_t *S, uint32_t sec)
{
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (intern_find(&S->strs, known[k]) == sec)
            return true;
    return false;
}

/* Sections that later kinds fold (groups, transactions …), in order of appearance. */
static void section_others(insp_t *I)
{
    const state_t *S = &I->m->st;
    for (uint32_t i = 0; i < S->n; i++) {
        uint32_t sec = S->ents[i].section;
        bool first = !is_known(S, sec);
        for (uint32_t j = 0; j < i && first; j++)
            first = S->ents[j].section != sec;
        if (first)
            section_generic(I, st_str(S, sec), st_str(S, sec));
    }
}

int insp_draw(scr_t *s, const insp_view_t *v, int x, int y, int w, int h)
{
    if (w <= 0 || h <= 0)
        return 0;
    insp_t I = { s, v->m, v->at, x, y, w, h, v->scroll < 0 ? 0 : v->scroll, 0 };
    section_title(&I);
    section_nodes(&I);
    section_generic(&I, "network", "Network partitions");
    section_generic(&I, "topic", "Topics");
    section_logs(&I);
    section_clients(&I, "producer", "Producers");
    section_clients(&I, "consumer", "Consumers");
    section_clients(&I, "client", "Clients");
    section_others(&I);
    section_generic(&I, "fault", "Fault rules");
    section_checks(&I);
    section_generic(&I, "run", "Run");
    return I.line;
}
