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

/* The widest node name (at least 12 columns, at most 24), so that roles line up. */
static int node_name_width(const insp_t *I)
{
    int w = 12;
    for (uint16_t i = 0; i < I->m->nnodes; i++) {
        int k = scr_width(I->s, model_node_name(I->m, i));
        w = k > w ? k : w;
    }
    return w > 24 ? 24 : w;
}

static void section_nodes(insp_t *I)
{
    model_t *m = I->m;
    bool any = false;
    char b1[32], b2[32], b3[32], padded[256];
    int namew = node_name_width(I);
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
        /* a broker as its controller sees it: registered, fenced or unfenced */
        const char *view = st_field(&m->st, e, "controller", I->at, b3, sizeof b3);
        scr_style_t st = status && strcmp(status, "crashed") == 0  ? SS_DROP
                         : status && strcmp(status, "paused") == 0 ? SS_PAUSED
                         : view && strcmp(view, "fenced") == 0     ? SS_FAULT
                                                                   : SS_NORMAL;
        pad(I, name, namew, padded, sizeof padded);
        if (view)
            putf(I, 2, st, "%s %-10s %-7s %s", padded, role ? role : "", status ? status : "?",
                 view);
        else
            putf(I, 2, st, "%s %-10s %s", padded, role ? role : "", status ? status : "?");
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

typedef void (*entity_fn)(insp_t *I, uint32_t ent);

/* Every entity of one section that exists at the moment (and says something then, when
 * need_value is set), in order of creation, under the section's title. */
typedef bool (*entity_skip_fn)(const insp_t *I, uint32_t ent);

/* each_entity, without the entities `skip` says to leave out (they count as absent). */
static void each_entity_but(insp_t *I, const char *section, const char *title, bool need_value,
                            entity_skip_fn skip, entity_fn fn)
{
    const state_t *S = &I->m->st;
    uint32_t sec = intern_find(&S->strs, section);
    bool any = false;
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++) {
        if (S->ents[i].section != sec || !st_exists(S, i, I->at) ||
            (need_value && !has_value(I, i)) || (skip && skip(I, i)))
            continue;
        if (!any)
            heading(I, title);
        any = true;
        fn(I, i);
    }
}

static void each_entity(insp_t *I, const char *section, const char *title, bool need_value,
                        entity_fn fn)
{
    each_entity_but(I, section, title, need_value, NULL, fn);
}

static void generic_entry(insp_t *I, uint32_t ent)
{
    putf(I, 2, SS_NORMAL, "%s", st_str(&I->m->st, I->m->st.ents[ent].name));
    entity_fields(I, ent, 4, SS_NORMAL);
}

static void section_generic(insp_t *I, const char *section, const char *title)
{
    each_entity(I, section, title, true, generic_entry);
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

/* A client: its fields, then its requests in flight. */
static void client_entry(insp_t *I, uint32_t ent)
{
    generic_entry(I, ent);
    const st_req_t *reqs[INFLIGHT_MAX];
    size_t n = st_inflight(&I->m->st, ent, I->at, reqs, INFLIGHT_MAX);
    if (n == 0)
        put(I, 4, SS_DIM, "no requests in flight");
    for (size_t k = n; k-- > 0;)
        request_line(I, reqs[k]);
}

/* ---- partitions: the controller's view, and each replica's ---- */

/* One replica: its broker's role, log end and HW (a crashed broker's is down). */
static void replica_line(insp_t *I, const char *broker, size_t blen, const char *tp, int namew)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    const state_t *S = &I->m->st;
    char name[512], node[256], b1[32], b2[32], hw[32] = "-";
    snprintf(node, sizeof node, "%.*s", (int)blen, broker);
    snprintf(name, sizeof name, "%s %s", node, tp);
    uint32_t log = st_find(S, "log", name);
    const char *status = st_field(S, st_find(S, "node", node), "status", I->at, b1, sizeof b1);
    const char *role = st_field(S, log, "role", I->at, b2, sizeof b2);
    bool down = status && strcmp(status, "crashed") == 0;
    int64_t end = st_log_end(S, log, I->at), h = st_field_int(S, log, "HW", I->at, -1);
    if (h >= 0)
        snprintf(hw, sizeof hw, "%lld", (long long)h);
    char padded[512];
    putf(I, 4, down ? SS_DROP : SS_NORMAL, "%s %-9s log end %-4lld HW %s",
         pad(I, node, namew, padded, sizeof padded), down ? "down" : role ? role : "-",
         (long long)(end < 0 ? 0 : end), hw);
}

/* The display width of the widest name in a comma-separated list. */
static int widest_name(const insp_t *I, const char *list)
{
    char name[256];
    int widest = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        int w = scr_width(I->s, name);
        widest = w > widest ? w : widest;
        p += len + (p[len] == ',');
    }
    return widest;
}

/* The brokers holding a replica of tp: the topic's assignment, or every log of tp. */
static void replica_lines(insp_t *I, uint32_t ent, const char *tp)
{
    const state_t *S = &I->m->st;
    char b[512];
    const char *list = st_field(S, ent, "replicas", I->at, b, sizeof b);
    if (list) {
        int namew = widest_name(I, list);
        for (const char *p = list; *p;) {
            size_t len = strcspn(p, ",");
            replica_line(I, p, len, tp, namew);
            p += len + (p[len] == ',');
        }
        return;
    }
    uint32_t sec = intern_find(&S->strs, "log");
    size_t k = strlen(tp);
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++) {
        const char *log = st_str(S, S->ents[i].name);
        size_t n = strlen(log);
        if (S->ents[i].section == sec && st_exists(S, i, I->at) && n > k + 1 &&
            log[n - k - 1] == ' ' && strcmp(log + n - k, tp) == 0)
            replica_line(I, log, n - k - 1, tp, 12);
    }
}

static int controller_count(const model_t *m)
{
    int n = 0;
    for (uint16_t i = 0; i < m->nnodes; i++)
        n += strcmp(model_node_role(m, i), "controller") == 0;
    return n;
}

/* "payments-0  leader broker-2 · epoch 1", or OFFLINE in red. */
static void partition_title(insp_t *I, uint32_t ent, const char *title)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    const state_t *S = &I->m->st;
    char b[256], epoch[32] = "";
    const char *leader = st_field(S, ent, "leader", I->at, b, sizeof b);
    int64_t e = st_field_int(S, ent, "leader epoch", I->at, -1);
    bool unclean = st_field_int(S, ent, "unclean", I->at, 0) == 1;
    if (e >= 0)
        snprintf(epoch, sizeof epoch, " · epoch %lld", (long long)e);
    if (!leader)
        putf(I, 2, SS_HEADER, "%s%s", title, epoch);
    else if (!leader[0])
        putf(I, 2, SS_DROP, "%s  OFFLINE (no leader)%s", title, epoch);
    else
        putf(I, 2, unclean ? SS_DROP : SS_HEADER, "%s  leader %s%s", title, leader, epoch);
}

/* One partition: its leader and epoch, the ISR and what it was, then its replicas. */
static void partition_entry(insp_t *I, uint32_t ent)
{
    const state_t *S = &I->m->st;
    char b1[512], b2[512], b3[32], b4[256], title[512];
    const char *name = st_str(S, S->ents[ent].name), *tp = strrchr(name, ' ');
    tp = tp ? tp + 1 : name;
    /* several clusters: say whose ("CONTROLLER TP" when the trace does not name it) */
    const char *cluster = st_field(S, ent, "cluster", I->at, b4, sizeof b4);
    if (controller_count(I->m) <= 1)
        snprintf(title, sizeof title, "%s", tp);
    else if (cluster)
        snprintf(title, sizeof title, "%s (%s)", tp, cluster);
    else
        snprintf(title, sizeof title, "%s (%.*s)", tp, (int)(tp - name - 1), name);
    partition_title(I, ent, title);
    if (st_field_int(S, ent, "unclean", I->at, 0) == 1)
        put(I, 4, SS_DROP, "UNCLEAN election: acknowledged records may be lost");
    const char *isr = st_field(S, ent, "ISR", I->at, b1, sizeof b1);
    const char *was = st_field(S, ent, "was", I->at, b2, sizeof b2);
    const char *change = st_field(S, ent, "change", I->at, b3, sizeof b3);
    if (isr)
        putf(I, 4, SS_NORMAL, "ISR %s", isr);
    if (was)
        putf(I, 4, SS_DIM, "was %s (%s)", was, change ? change : "changed");
    replica_lines(I, ent, tp);
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
    /* a follower's copy: the key and value are in its leader's append */
    const cJSON *ev = r->ev_src == ST_NEVER ? NULL : model_json(I->m, r->ev_src);
    const cJSON *recs = ev ? cJSON_GetObjectItemCaseSensitive(ev, "records") : NULL;
    const cJSON *rec = cJSON_GetArrayItem(recs, (int)r->rec_i);
    char kb[VALUE_CHARS * 4 + 32], vb[VALUE_CHARS * 4 + 32], prod[96] = "", mark[32] = "";
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(rec, "key");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "value");
    const char *key = rec ? bytes_text(k, kb, sizeof kb) : "?";
    const char *val = rec ? bytes_text(v, vb, sizeof vb) : "?";
    if (r->flags & ST_REC_CONTROL) /* a marker (txn_marker): its type says it all */
        key = val = "";
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

/* "broker-1 payments-0", and the replica's role as its broker sees it. */
static void log_heading(insp_t *I, uint32_t ent)
{
    if (!visible(I)) {
        I->line++;
        return;
    }
    const state_t *S = &I->m->st;
    char b1[32], b2[256];
    const char *role = st_field(S, ent, "role", I->at, b1, sizeof b1);
    const char *leader = st_field(S, ent, "leader", I->at, b2, sizeof b2);
    const char *name = st_str(S, S->ents[ent].name);
    if (role && strcmp(role, "follower") == 0 && leader)
        putf(I, 2, SS_HEADER, "%s  follower of %s", name, leader);
    else if (role)
        putf(I, 2, SS_HEADER, "%s  %s", name, role);
    else
        putf(I, 2, SS_HEADER, "%s", name);
}

static void log_entry(insp_t *I, uint32_t ent)
{
    log_heading(I, ent);
    log_body(I, ent);
}

/* ---- internal topics: listed only once they hold something ---- */

/* The partition an entity of "partition" or "log" is about: its name's last word. */
static const char *entity_tp(const insp_t *I, uint32_t ent)
{
    const char *name = st_str(&I->m->st, I->m->st.ents[ent].name), *sp = strrchr(name, ' ');
    return sp ? sp + 1 : name;
}

/* A partition of an internal topic (__consumer_offsets, __transaction_state) none of whose
 * replicas holds a record at the moment: dozens of them would hide everything else. */
static bool empty_internal(const insp_t *I, uint32_t ent)
{
    const char *tp = entity_tp(I, ent);
    if (strncmp(tp, "__", 2) != 0)
        return false;
    const state_t *S = &I->m->st;
    uint32_t sec = intern_find(&S->strs, "log");
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++)
        if (S->ents[i].section == sec && strcmp(entity_tp(I, i), tp) == 0 &&
            st_exists(S, i, I->at) && st_log_end(S, i, I->at) >= 0)
            return false;
    return true;
}

/* "(150 empty partitions of internal topics not listed)" under the section's entries. */
static void hidden_internal(insp_t *I, const char *section, const char *what)
{
    const state_t *S = &I->m->st;
    uint32_t sec = intern_find(&S->strs, section);
    int n = 0;
    for (uint32_t i = 0; i < S->n && sec != INTERN_NONE; i++)
        n += S->ents[i].section == sec && st_exists(S, i, I->at) && empty_internal(I, i);
    if (n > 0)
        putf(I, 2, SS_DIM, "(%d empty %s of internal topics not listed)", n, what);
}

/* ---- transaction coordinators ---- */

/* "broker-2  my-tx  Ongoing  producer 0 epoch 0", then its partitions and a fencing. */
static void txn_entry(insp_t *I, uint32_t ent)
{
    const state_t *S = &I->m->st;
    const char *name = st_str(S, S->ents[ent].name), *sp = strchr(name, ' ');
    char b1[64], b2[512], b3[64], pe[64] = "";
    const char *state = st_field(S, ent, "state", I->at, b1, sizeof b1);
    const char *parts = st_field(S, ent, "partitions", I->at, b2, sizeof b2);
    const char *fenced = st_field(S, ent, "fenced", I->at, b3, sizeof b3);
    int64_t pid = st_field_int(S, ent, "producer id", I->at, -1);
    if (pid >= 0)
        snprintf(pe, sizeof pe, "  producer %lld epoch %lld", (long long)pid,
                 (long long)st_field_int(S, ent, "epoch", I->at, -1));
    bool fencing = state && strcmp(state, "PrepareEpochFence") == 0;
    putf(I, 2, fencing ? SS_ERROR : SS_NORMAL, "%-*.*s  %s  %s%s", node_name_width(I),
         sp ? (int)(sp - name) : 0, name, sp ? sp + 1 : name, state ? state : "?", pe);
    if (parts)
        putf(I, 4, SS_NORMAL, "partitions %s", parts);
    if (fenced)
        putf(I, 4, SS_DIM, "fenced: %s", fenced);
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

/* "static" (the member id of each static member, fold.c) is for folding only. */
static const char *const known[] = { "node",     "network", "topic",  "partition", "log",
                                     "producer", "consumer", "client", "fault",     "run",
                                     "txn",      "static" };

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
    each_entity_but(&I, "partition", "Partitions", false, empty_internal, partition_entry);
    hidden_internal(&I, "partition", "partitions");
    each_entity_but(&I, "log", "Partition logs", false, empty_internal, log_entry);
    hidden_internal(&I, "log", "replica logs");
    each_entity(&I, "producer", "Producers", false, client_entry);
    each_entity(&I, "consumer", "Consumers", false, client_entry);
    each_entity(&I, "client", "Clients", false, client_entry);
    each_entity(&I, "txn", "Transaction coordinators", true, txn_entry);
    section_others(&I);
    section_generic(&I, "fault", "Fault rules");
    section_checks(&I);
    section_generic(&I, "run", "Run");
    return I.line;
}
