/* model: indexing a trace in one pass. Each event line is parsed once, reduced to a mev_t,
 * linked to the events it belongs with (a message's drop, a partition's heal), and folded
 * into the state histories by its kind's function; the parsed object is then freed. */
#include "model.h"

#include "grow.h"

#include "../sim/trace.h"

#include <stdlib.h>
#include <string.h>

#define PROGRESS_EVERY 65536

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t size)
{
    return tui_grow(p, cap, need, size, 64);
}

typedef struct loader {
    model_t *m;
    model_progress_fn progress;
    void *ctx;
    uint32_t notes_cap, faults_cap, checks_cap, cuts_cap, kinds_cap, nkinds;
} loader_t;

static void push(uint32_t **list, uint32_t *n, uint32_t *cap, uint32_t v)
{
    *list = grow(*list, cap, *n + 1, sizeof **list);
    (*list)[(*n)++] = v;
}

uint16_t model_node_id(model_t *m, const char *name, uint32_t ev)
{
    if (strcmp(name, "world") == 0)
        return NODE_WORLD;
    uint32_t id = intern_find(&m->node_names, name);
    if (id != INTERN_NONE)
        return (uint16_t)id;
    if (m->nnodes >= NODE_WORLD)
        return NODE_NONE;
    id = intern_id(&m->node_names, name);
    if (m->nnodes == m->nodes_cap) {
        uint32_t cap = m->nodes_cap ? m->nodes_cap * 2u : 16;
        m->nodes_cap = (uint16_t)(cap < NODE_WORLD ? cap : NODE_WORLD);
        m->nodes = realloc(m->nodes, m->nodes_cap * sizeof *m->nodes);
        if (!m->nodes)
            abort();
    }
    m->nodes[m->nnodes++] = (model_node_t){ intern_id(&m->strs, ""), ev };
    return (uint16_t)id;
}

/* The kind's id, or MODEL_NONE past the 65,536 that an event's 16 bits can name. */
static uint32_t kind_id(loader_t *L, const char *kind)
{
    model_t *m = L->m;
    if (L->nkinds > UINT16_MAX && intern_find(&m->kind_names, kind) == INTERN_NONE)
        return MODEL_NONE;
    uint32_t id = intern_id(&m->kind_names, kind);
    if (id == L->nkinds) { /* ids are dense: a new kind is the next one */
        m->kinds = grow(m->kinds, &L->kinds_cap, id + 1, sizeof *m->kinds);
        m->kinds[L->nkinds++] = kinds_lookup(kind);
    }
    return id;
}

static bool is_error_name(const char *e)
{
    return e && strcmp(e, "NONE") != 0;
}

/* Whether a response says something failed: its own error, or a partition's. */
static bool message_failed(const cJSON *ev)
{
    if (is_error_name(trace_str(ev, "error")))
        return true;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(ev, "parts"))
        if (is_error_name(trace_str(p, "error")))
            return true;
    return false;
}

/* A message: its ends, its direction, and its place among the other events of its msg.
 * False when an end would be a node past the model's limit. */
static bool index_message(model_t *m, uint32_t i, const cJSON *ev, const char *kind)
{
    mev_t *e = &m->ev[i];
    const char *from = trace_str(ev, "from"), *to = trace_str(ev, "to");
    if (from)
        e->node = model_node_id(m, from, i);
    e->peer = to ? model_node_id(m, to, i) : NODE_NONE;
    if (e->node == NODE_NONE || (to && e->peer == NODE_NONE))
        return false;
    const char *dir = trace_str(ev, "dir");
    if (dir && strcmp(dir, "response") == 0)
        e->flags |= MF_RESPONSE;
    if ((e->flags & MF_RESPONSE) && message_failed(ev))
        e->flags |= MF_ERROR;
    int64_t msg = trace_int(ev, "msg", -1);
    if (msg < 0)
        return true;
    if (strcmp(kind, "send") == 0) {
        u64map_put(&m->msgs, (uint64_t)msg, i);
        return true;
    }
    uint32_t s = u64map_get(&m->msgs, (uint64_t)msg);
    if (s == INTERN_NONE)
        return true;
    e->link = s;
    e->flags |= MF_HIDDEN;
    if (strcmp(kind, "drop") == 0) {
        m->ev[s].flags |= MF_DROPPED;
        m->ev[s].link = i;
    }
    return true;
}

static void index_cut(loader_t *L, uint32_t i, const cJSON *ev, const char *kind)
{
    model_t *m = L->m;
    int64_t id = trace_int(ev, "partition", -1);
    if (strcmp(kind, "partition") == 0) {
        m->cuts = grow(m->cuts, &L->cuts_cap, m->ncuts + 1, sizeof *m->cuts);
        m->cuts[m->ncuts++] = (model_cut_t){ i, MODEL_NONE, id };
        return;
    }
    for (uint32_t k = m->ncuts; k-- > 0;)
        if (m->cuts[k].id == id && m->cuts[k].heal == MODEL_NONE) {
            m->cuts[k].heal = i;
            m->ev[m->cuts[k].ev].link = i;
            m->ev[i].link = m->cuts[k].ev;
            return;
        }
}

static void index_lists(loader_t *L, uint32_t i, const cJSON *ev, const kind_info_t *k)
{
    model_t *m = L->m;
    mev_t *e = &m->ev[i];
    if (k->flags & KF_NOTE)
        push(&m->notes, &m->nnotes, &L->notes_cap, i);
    if (k->flags & KF_CHECK) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "ok")))
            e->flags |= MF_ERROR;
        push(&m->checks, &m->nchecks, &L->checks_cap, i);
    }
    if (k->flags & KF_FAULT) /* a drop on its message's arrow: `f` stops on the arrow */
        push(&m->faults, &m->nfaults, &L->faults_cap,
             (e->flags & MF_HIDDEN) && e->link != MODEL_NONE ? e->link : i);
}

#define TOO_MANY_NODES "more than 65534 distinct node names (the viewer's limit)"

static const char *on_event(void *ctx, const cJSON *ev, int64_t off, uint32_t len)
{
    loader_t *L = ctx;
    model_t *m = L->m;
    if (m->n == UINT32_MAX - 1)
        return "more than 4294967294 events (the viewer's limit)";
    const char *kind = trace_str(ev, "kind");
    uint32_t kid = kind_id(L, kind);
    if (kid == MODEL_NONE)
        return "more than 65536 distinct kinds (the viewer's limit)";
    m->ev = grow(m->ev, &m->cap, m->n + 1, sizeof *m->ev);
    uint32_t i = m->n++;
    mev_t *e = &m->ev[i];
    /* tf_scan has checked that times never go back */
    *e = (mev_t){ .t = trace_int(ev, "t", 0), .off = off, .len = len, .link = MODEL_NONE,
                  .kind = (uint16_t)kid, .peer = NODE_NONE };
    e->node = model_node_id(m, trace_str(ev, "node"), i);
    if (e->node == NODE_NONE)
        return TOO_MANY_NODES;
    const kind_info_t *k = m->kinds[e->kind];
    e->shape = (uint8_t)k->shape;
    if (k->shape == KS_LANE && e->node == NODE_WORLD)
        e->shape = KS_WORLD;
    if (k->shape == KS_WORLD && e->node != NODE_WORLD && !(k->flags & (KF_NOTE | KF_CHECK)))
        e->shape = KS_LANE; /* a topic created by the controller: on the controller's lane */
    if (k->shape == KS_HIDDEN)
        e->flags |= MF_HIDDEN;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "bg")))
        e->flags |= MF_BG;
    if ((k->shape == KS_MESSAGE || strcmp(kind, "deliver") == 0) &&
        !index_message(m, i, ev, kind))
        return TOO_MANY_NODES;
    if (strcmp(kind, "partition") == 0 || strcmp(kind, "heal") == 0)
        index_cut(L, i, ev, kind);
    index_lists(L, i, ev, k);
    if (k->fold)
        k->fold(m, i, ev);
    if (L->progress && m->n % PROGRESS_EVERY == 0)
        L->progress(L->ctx, m->n);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Brokers (and controllers) first, then everyone else, each in order of appearance. */
static void order_lanes(model_t *m)
{
    m->lanes = malloc((m->nnodes ? m->nnodes : 1) * sizeof *m->lanes);
    m->lane_of = malloc((m->nnodes ? m->nnodes : 1) * sizeof *m->lane_of);
    if (!m->lanes || !m->lane_of)
        abort();
    m->nlanes = 0;
    for (int pass = 0; pass < 2; pass++)
        for (uint16_t id = 0; id < m->nnodes; id++) {
            const char *role = model_node_role(m, id);
            bool server = strcmp(role, "broker") == 0 || strcmp(role, "controller") == 0;
            if (server == (pass == 0)) {
                m->lane_of[id] = m->nlanes;
                m->lanes[m->nlanes++] = id;
            }
        }
}

/* Faults arrive out of order when a drop points back at its message: sort, dedupe. */
static void finish_lists(model_t *m)
{
    if (m->nfaults > 1)
        qsort(m->faults, m->nfaults, sizeof *m->faults, cmp_u32);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->nfaults; i++)
        if (k == 0 || m->faults[k - 1] != m->faults[i])
            m->faults[k++] = m->faults[i];
    m->nfaults = k;
    m->check_fails = malloc((m->nchecks + 1) * sizeof *m->check_fails);
    if (!m->check_fails)
        abort();
    m->check_fails[0] = 0;
    for (uint32_t i = 0; i < m->nchecks; i++)
        m->check_fails[i + 1] = m->check_fails[i] + ((m->ev[m->checks[i]].flags & MF_ERROR) != 0);
}

model_t *model_load(FILE *f, const char *name, model_progress_fn progress, void *ctx, char *err,
                    size_t errlen)
{
    model_t *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->name = strdup(name);
    if (!m->name)
        abort();
    intern_init(&m->node_names);
    intern_init(&m->strs);
    intern_init(&m->kind_names);
    st_init(&m->st);
    u64map_init(&m->msgs);
    u64map_init(&m->reqs);
    tf_source_init(&m->src, fileno(f));
    loader_t L = { .m = m, .progress = progress, .ctx = ctx };
    bool ok = tf_scan(f, name, &m->header, on_event, &L, err, errlen);
    u64map_free(&m->msgs);
    u64map_free(&m->reqs);
    if (!ok) {
        model_free(m);
        return NULL;
    }
    order_lanes(m);
    finish_lists(m);
    return m;
}

void model_free(model_t *m)
{
    if (!m)
        return;
    free(m->name);
    cJSON_Delete(m->header);
    free(m->ev);
    intern_free(&m->node_names);
    intern_free(&m->strs);
    intern_free(&m->kind_names);
    free(m->nodes);
    free(m->lanes);
    free(m->lane_of);
    free(m->kinds);
    free(m->notes);
    free(m->faults);
    free(m->checks);
    free(m->check_fails);
    free(m->cuts);
    st_free(&m->st);
    tf_source_free(&m->src);
    u64map_free(&m->msgs);
    u64map_free(&m->reqs);
    free(m);
}

const cJSON *model_json(model_t *m, uint32_t i)
{
    if (i >= m->n)
        return NULL;
    return tf_source_get(&m->src, i, m->ev[i].off, m->ev[i].len);
}

const kind_info_t *model_kind(const model_t *m, uint32_t i)
{
    return m->kinds[m->ev[i].kind];
}

const char *model_kind_name(const model_t *m, uint32_t i)
{
    return intern_str(&m->kind_names, m->ev[i].kind);
}

const char *model_node_name(const model_t *m, uint16_t node)
{
    if (node == NODE_WORLD)
        return "world";
    return node < m->nnodes ? intern_str(&m->node_names, node) : "?";
}

const char *model_node_role(const model_t *m, uint16_t node)
{
    return node < m->nnodes ? intern_str(&m->strs, m->nodes[node].role) : "";
}

uint16_t model_find_node(const model_t *m, const char *name)
{
    if (strcmp(name, "world") == 0)
        return NODE_WORLD;
    uint32_t id = intern_find(&m->node_names, name);
    return id == INTERN_NONE ? NODE_NONE : (uint16_t)id;
}

uint32_t model_at_time(const model_t *m, int64_t t)
{
    uint32_t lo = 0, hi = m->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->ev[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint32_t model_lower_bound(const uint32_t *list, uint32_t n, uint32_t v)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
