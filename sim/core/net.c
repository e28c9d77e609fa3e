#include "net.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"

typedef struct link {
    int64_t last_arrival; /* FIFO: nothing overtakes an earlier message of the connection */
    latency_t lat;
    bool has_lat;
    int32_t cuts;         /* partitions currently cutting this link */
    bool open;            /* a connection exists between its two ends */
    uint32_t conn;        /* its number; equal in both directions */
    /* On link (client, server): where its requests and its responses lost a message. */
    struct break_mark {
        uint32_t conn_plus1;  /* the connection number + 1, 0: none */
        uint64_t after;       /* the id of the lost message: later ones are lost too */
    } broken_req, broken_resp;
} link_t;

typedef struct fault_rule {
    int id;
    fault_spec_t spec;
    int64_t matched, hits;
    bool removed;
    rng_t rng;            /* its own stream, so adding a rule never shifts another */
} fault_rule_t;

typedef struct partition {
    int id;
    int32_t *a, *b;
    size_t na, nb;
    bool oneway, healed;
} partition_t;

struct net {
    world_t *w;
    latency_t dflt;
    link_t *links; /* n_cap x n_cap */
    int32_t n_cap;
    msg_t *free_msgs;
    msg_t **all;   /* every message ever allocated, to free what is still in flight */
    size_t n_all, cap_all;
    uint64_t next_msg_id;
    fault_rule_t *rules;
    int n_rules;
    partition_t *parts;
    int n_parts;
    uint64_t sent, delivered;
    bool streams;  /* a lost message breaks its connection (net_set_streams) */
};

net_t *net_new(world_t *w)
{
    net_t *net = calloc(1, sizeof *net);
    if (!net)
        abort();
    net->w = w;
    net->dflt = (latency_t){ LAT_FIXED, 500, 0 }; /* 0.5 ms: a LAN round trip of 1 ms */
    net->streams = true;
    return net;
}

void net_free(net_t *net)
{
    if (!net)
        return;
    /* Messages still in flight (or held by a paused node) die with the world. */
    for (size_t i = 0; i < net->n_all; i++) {
        msg_t *m = net->all[i];
        if (m->refs && m->ops && m->ops->free && m->body)
            m->ops->free(m->body);
        free(m);
    }
    free(net->all);
    for (int i = 0; i < net->n_parts; i++) {
        free(net->parts[i].a);
        free(net->parts[i].b);
    }
    free(net->parts);
    free(net->rules);
    free(net->links);
    free(net);
}

static link_t *link_of(const net_t *net, int32_t from, int32_t to)
{
    return &net->links[(size_t)from * (size_t)net->n_cap + (size_t)to];
}

void net_node_added(net_t *net, node_t *n)
{
    if (n->id < net->n_cap)
        return;
    int32_t cap = net->n_cap ? net->n_cap * 2 : 16;
    link_t *links = calloc((size_t)cap * (size_t)cap, sizeof *links);
    if (!links)
        abort();
    for (int32_t i = 0; i < net->n_cap; i++)
        memcpy(&links[(size_t)i * (size_t)cap], &net->links[(size_t)i * (size_t)net->n_cap],
               (size_t)net->n_cap * sizeof *links);
    free(net->links);
    net->links = links;
    net->n_cap = cap;
}

/* ---- messages ---- */

msg_t *msg_new(world_t *w, int16_t api, bool response, void *body, const msg_body_ops_t *ops)
{
    net_t *net = w->net;
    msg_t *m = net->free_msgs;
    if (m) {
        net->free_msgs = m->next_free;
    } else {
        if (!(m = malloc(sizeof *m)))
            abort();
        if (net->n_all == net->cap_all) {
            net->cap_all = net->cap_all ? net->cap_all * 2 : 64;
            net->all = realloc(net->all, net->cap_all * sizeof *net->all);
            if (!net->all)
                abort();
        }
        net->all[net->n_all++] = m;
    }
    memset(m, 0, sizeof *m);
    m->api = api;
    m->response = response;
    m->body = body;
    m->ops = ops;
    m->refs = 1;
    m->size = 64;
    return m;
}

void msg_ref(msg_t *m)
{
    m->refs++;
}

void msg_unref(world_t *w, msg_t *m)
{
    assert(m->refs > 0);
    if (--m->refs)
        return;
    if (m->ops && m->ops->free && m->body)
        m->ops->free(m->body);
    m->next_free = w->net->free_msgs;
    w->net->free_msgs = m;
}

/* ---- tracing ---- */

static void describe_msg(world_t *w, const msg_t *m, cJSON *ev)
{
    trace_add_int(ev, "msg", (int64_t)m->id);
    cJSON_AddStringToObject(ev, "api", api_name(m->api));
    cJSON_AddStringToObject(ev, "dir", m->response ? "response" : "request");
    cJSON_AddStringToObject(ev, "from", w->nodes[m->from]->name);
    cJSON_AddStringToObject(ev, "to", w->nodes[m->to]->name);
    trace_add_int(ev, "corr", m->corr);
    if (m->bg)
        cJSON_AddBoolToObject(ev, "bg", true);
}

static void trace_drop(world_t *w, const msg_t *m, const char *reason, int fault_id)
{
    cJSON *ev = world_trace(w, w->nodes[m->from], "drop");
    if (!ev)
        return;
    describe_msg(w, m, ev);
    cJSON_AddStringToObject(ev, "reason", reason);
    if (fault_id)
        trace_add_int(ev, "fault", fault_id);
    world_emit(w, ev);
}

static void trace_fault(world_t *w, const fault_rule_t *r, const msg_t *m)
{
    cJSON *ev = world_trace(w, NULL, "fault");
    if (!ev)
        return;
    trace_add_int(ev, "fault", r->id);
    cJSON_AddStringToObject(ev, "action", fault_action_name(r->spec.action));
    trace_add_int(ev, "msg", (int64_t)m->id);
    if (r->spec.action == FAULT_DELAY)
        trace_add_int(ev, "delay", (int64_t)r->spec.delay);
    if (r->spec.action == FAULT_CRASH || r->spec.action == FAULT_PAUSE) {
        int32_t target = r->spec.target >= 0 ? r->spec.target : m->to;
        cJSON_AddStringToObject(ev, "target", w->nodes[target]->name);
    }
    world_emit(w, ev);
}

/* ---- sending and delivering ---- */

static int64_t draw_latency(node_t *from, latency_t l)
{
    switch (l.kind) {
    case LAT_FIXED:
        return l.a;
    case LAT_UNIFORM:
        return rng_range(&from->rng, l.a, l.b);
    case LAT_NORMAL: {
        double v = rng_normal(&from->rng, (double)l.a, (double)l.b);
        return v < 0 ? 0 : (int64_t)v;
    }
    }
    return l.a;
}

static bool rule_matches(const fault_rule_t *r, const msg_t *m, int64_t now)
{
    const fault_spec_t *s = &r->spec;
    if (r->removed || now < s->after || now >= s->until)
        return false;
    if (s->dir == DIR_REQUEST && m->response)
        return false;
    if (s->dir == DIR_RESPONSE && !m->response)
        return false;
    if (s->api >= 0 && s->api != m->api)
        return false;
    if (s->from >= 0 && s->from != m->from)
        return false;
    if (s->to >= 0 && s->to != m->to)
        return false;
    return true;
}

static bool rule_fires(fault_rule_t *r)
{
    r->matched++;
    if (r->spec.nth > 0 && r->matched < r->spec.nth)
        return false;
    if (r->spec.count > 0 && r->hits >= r->spec.count)
        return false;
    if (r->spec.probability < 1.0 && rng_unit(&r->rng) >= r->spec.probability)
        return false;
    r->hits++;
    return true;
}

static void deliver(void *a, void *b, int64_t fault_id);

static void schedule_delivery(world_t *w, msg_t *m, int64_t at, int64_t fault_id)
{
    world_schedule(w, at, deliver, w->net, m, fault_id);
}

/* A connection is a TCP stream from a client to a server: when a message of it is lost,
 * nothing sent after it in that direction arrives either, until an end closes the
 * connection (a timeout) or a crash resets it. Kafka's ordering and de-duplication rely on
 * exactly that. A node pair shares one connection number, but the node that sends a
 * request is the client: its requests and their responses make one stream each way. */
static struct break_mark *broken_mark(const net_t *net, const msg_t *m)
{
    link_t *lk = m->response ? link_of(net, m->to, m->from) : link_of(net, m->from, m->to);
    return m->response ? &lk->broken_resp : &lk->broken_req;
}

/* A lost message breaks the stream it was on, from itself on. A request no answer will
 * come for is the exception: nothing would ever notice and close the connection (on TCP the
 * operating system would, after its retransmission timeout). */
static void break_stream(net_t *net, const msg_t *m)
{
    struct break_mark *b = broken_mark(net, m);
    if (!net->streams || m->oneway || link_of(net, m->from, m->to)->conn != m->conn ||
        b->conn_plus1 == m->conn + 1)
        return;
    *b = (struct break_mark){ m->conn + 1, m->id };
}

/* Whether m was sent after a lost message of its stream: what was sent before still
 * arrives. */
static bool stream_broken(const net_t *net, const msg_t *m)
{
    const struct break_mark *b = broken_mark(net, m);
    return b->conn_plus1 == m->conn + 1 && m->id > b->after;
}

void net_send(world_t *w, node_t *from, int32_t to, msg_t *m)
{
    net_t *net = w->net;
    node_t *dest = world_node(w, to);
    assert(dest);
    m->id = ++net->next_msg_id;
    m->from = from->id;
    m->from_inc = from->inc;
    m->to = to;
    if (!m->response)
        m->to_inc = dest->inc;
    m->sent_at = w->now;
    net->sent++;
    link_of(net, m->from, to)->open = link_of(net, to, m->from)->open = true;
    m->conn = link_of(net, m->from, to)->conn;

    cJSON *ev = world_trace(w, from, "send");
    if (ev) {
        describe_msg(w, m, ev);
        if (m->error)
            cJSON_AddStringToObject(ev, "error", kerr_name(m->error));
        if (m->ops && m->ops->describe && m->body)
            m->ops->describe(m->body, ev);
        world_emit(w, ev);
    }
    if (net_link_cut(net, m->from, to)) {
        trace_drop(w, m, "network partition", 0);
        break_stream(net, m);
        msg_unref(w, m);
        return;
    }
    if (stream_broken(net, m)) {
        trace_drop(w, m, "connection broken: an earlier message on it was lost", 0);
        msg_unref(w, m);
        return;
    }

    link_t *lk = link_of(net, m->from, to);
    int64_t extra = 0, copies = 1, action_fault = 0;
    for (int i = 0; i < net->n_rules; i++) {
        fault_rule_t *r = &net->rules[i];
        if (!rule_matches(r, m, w->now) || !rule_fires(r))
            continue;
        if (r->spec.action == FAULT_DROP) {
            trace_drop(w, m, "fault", r->id);
            break_stream(net, m);
            msg_unref(w, m);
            return;
        }
        trace_fault(w, r, m);
        if (r->spec.action == FAULT_DELAY)
            extra += r->spec.delay;
        else if (r->spec.action == FAULT_DUPLICATE)
            copies++;
        else if (!action_fault)
            action_fault = r->id;
    }
    int64_t at = w->now + draw_latency(from, lk->has_lat ? lk->lat : net->dflt) + extra;
    if (at < lk->last_arrival)
        at = lk->last_arrival;
    lk->last_arrival = at;
    schedule_delivery(w, m, at, action_fault);
    for (int64_t c = 1; c < copies; c++) {
        msg_ref(m);
        schedule_delivery(w, m, at, 0);
    }
}

void net_reply(world_t *w, node_t *from, const msg_t *req, msg_t *resp)
{
    resp->response = true;
    resp->api = req->api;
    resp->corr = req->corr;
    resp->to_inc = req->from_inc;
    net_send(w, from, req->from, resp);
}

static void run_action(world_t *w, const msg_t *m, int fault_id)
{
    const fault_rule_t *r = &w->net->rules[fault_id - 1];
    node_t *target = world_node(w, r->spec.target >= 0 ? r->spec.target : m->to);
    if (r->spec.action == FAULT_CRASH) {
        char why[48];
        snprintf(why, sizeof why, "fault %d", fault_id);
        world_crash(w, target, why);
    } else if (r->spec.action == FAULT_PAUSE) {
        if (r->spec.duration > 0)
            world_pause_for(w, target, r->spec.duration);
        else
            world_pause(w, target);
    }
}

enum reset_kind { RESET_CRASHED, RESET_REFUSED, RESET_NOT_LISTENING };

static const char *reset_reason(int kind)
{
    static const char *why[] = { "connection reset: the peer crashed",
                                 "connection refused: the peer is down",
                                 "connection refused: the peer is not listening yet" };
    return why[kind];
}

uint32_t net_conn(const net_t *net, int32_t a, int32_t b)
{
    return link_of(net, a, b)->conn;
}

/* Ends the current connection between a and b; returns the number it had. Order holds
 * within a connection: the next one does not queue behind what the old one still carries. */
static uint32_t close_conn(net_t *net, int32_t a, int32_t b)
{
    link_t *ab = link_of(net, a, b), *ba = link_of(net, b, a);
    uint32_t old = ab->conn;
    ab->conn = ba->conn = old + 1;
    ab->open = ba->open = false;
    ab->broken_req = ab->broken_resp = ba->broken_req = ba->broken_resp =
        (struct break_mark){ 0, 0 };
    ab->last_arrival = ba->last_arrival = 0;
    return old;
}

void net_close(net_t *net, int32_t a, int32_t b)
{
    close_conn(net, a, b);
}

/* A reset event's argument: the connection, the peer that reset it, and why. */
static int64_t reset_arg(uint32_t conn, int32_t peer, int kind)
{
    return ((int64_t)conn << 16) | ((int64_t)peer << 2) | kind;
}

static void reset_arrives(void *a, void *b, int64_t arg)
{
    net_t *net = a;
    node_t *n = b;
    int32_t peer = (int32_t)((arg >> 2) & 0x3fff);
    uint32_t conn = (uint32_t)(arg >> 16);
    cJSON *ev = world_trace(net->w, n, "disconnect");
    if (ev) {
        cJSON_AddStringToObject(ev, "peer", net->w->nodes[peer]->name);
        trace_add_int(ev, "conn", conn);
        cJSON_AddStringToObject(ev, "reason", reset_reason((int)(arg & 3)));
        world_emit(net->w, ev);
    }
    if (n->ops && n->ops->on_disconnect)
        n->ops->on_disconnect(n, peer, conn);
}

/* The TCP reset of connection `conn` from `from` reaches `to` after the link's latency,
 * behind what is already on the link, unless a partition cuts it. */
static void send_reset(net_t *net, node_t *from, node_t *to, uint32_t conn, int kind)
{
    if (!to->up || net_link_cut(net, from->id, to->id))
        return;
    link_t *lk = link_of(net, from->id, to->id);
    int64_t at = net->w->now + draw_latency(from, lk->has_lat ? lk->lat : net->dflt);
    if (at < lk->last_arrival)
        at = lk->last_arrival;
    lk->last_arrival = at;
    node_timer(to, at - net->w->now, reset_arrives, net, to, reset_arg(conn, from->id, kind));
}

void net_node_down(net_t *net, node_t *n)
{
    for (int32_t i = 0; i < net->w->n_nodes; i++) {
        node_t *m = net->w->nodes[i];
        if (m == n || !link_of(net, n->id, m->id)->open)
            continue;
        send_reset(net, n, m, close_conn(net, n->id, m->id), RESET_CRASHED);
    }
}

/* A message that found no process to take it: its sender hears one reset for its
 * connection (later messages on the same dead connection add nothing). */
static void refuse(net_t *net, node_t *dest, const msg_t *m, int kind)
{
    node_t *sender = net->w->nodes[m->from];
    if (sender->inc != m->from_inc || net_conn(net, dest->id, m->from) != m->conn)
        return;
    send_reset(net, dest, sender, close_conn(net, dest->id, m->from), kind);
}

static void deliver(void *a, void *b, int64_t fault_id)
{
    net_t *net = a;
    msg_t *m = b;
    world_t *w = net->w;
    if (fault_id)
        run_action(w, m, (int)fault_id);
    node_t *dest = w->nodes[m->to];
    if (net_link_cut(net, m->from, m->to)) {
        trace_drop(w, m, "network partition", 0);
        break_stream(net, m);
    } else if (stream_broken(net, m)) {
        trace_drop(w, m, "connection broken: an earlier message on it was lost", 0);
    } else if (!dest->up) {
        trace_drop(w, m, "node down", 0);
        refuse(net, dest, m, RESET_REFUSED);
    } else if (dest->inc != m->to_inc) {
        /* Its connection died with the old process, whose crash already reset it. */
        trace_drop(w, m, "connection reset (receiver restarted)", 0);
    } else if (dest->paused) {
        event_t ev = { .t = w->now, .fn = deliver, .a = net, .b = m, .node = -1 };
        node_defer(dest, &ev);
        return;
    } else if (dest->ops->accepts && !dest->ops->accepts(dest, m)) {
        trace_drop(w, m, "not listening yet", 0);
        refuse(net, dest, m, RESET_NOT_LISTENING);
    } else {
        net->delivered++;
        cJSON *ev = world_trace(w, dest, "deliver");
        if (ev) {
            describe_msg(w, m, ev);
            world_emit(w, ev);
        }
        dest->ops->on_message(dest, m);
    }
    msg_unref(w, m);
}

void net_set_streams(net_t *net, bool on)
{
    net->streams = on;
}

/* ---- latency ---- */

void net_set_default_latency(net_t *net, latency_t l)
{
    net->dflt = l;
}

void net_set_link_latency(net_t *net, int32_t from, int32_t to, latency_t l)
{
    link_t *lk = link_of(net, from, to);
    lk->lat = l;
    lk->has_lat = true;
}

/* ---- faults ---- */

void fault_spec_init(fault_spec_t *s, fault_action_t action)
{
    memset(s, 0, sizeof *s);
    s->action = action;
    s->dir = DIR_ANY;
    s->api = -1;
    s->from = s->to = s->target = -1;
    s->probability = 1.0;
    s->after = INT64_MIN;
    s->until = INT64_MAX;
}

const char *fault_action_name(fault_action_t a)
{
    static const char *names[] = { "drop", "delay", "duplicate", "crash", "pause" };
    return names[a];
}

static void add_node_name(world_t *w, cJSON *ev, const char *field, int32_t id)
{
    if (id >= 0)
        cJSON_AddStringToObject(ev, field, w->nodes[id]->name);
}

/* The rule as installed, so that a reader of the trace knows what may happen. */
static void trace_rule(world_t *w, const fault_rule_t *r)
{
    static const char *dirs[] = { "any", "request", "response" };
    const fault_spec_t *s = &r->spec;
    cJSON *ev = world_trace(w, NULL, "fault_rule");
    if (!ev)
        return;
    trace_add_int(ev, "fault", r->id);
    cJSON_AddStringToObject(ev, "action", fault_action_name(s->action));
    cJSON_AddStringToObject(ev, "dir", dirs[s->dir]);
    if (s->api >= 0)
        cJSON_AddStringToObject(ev, "api", api_name(s->api));
    add_node_name(w, ev, "from", s->from);
    add_node_name(w, ev, "to", s->to);
    add_node_name(w, ev, "target", s->target);
    if (s->action == FAULT_DELAY)
        trace_add_int(ev, "delay", s->delay);
    if (s->action == FAULT_PAUSE)
        trace_add_int(ev, "duration", s->duration);
    if (s->nth > 0)
        trace_add_int(ev, "nth", s->nth);
    if (s->count > 0)
        trace_add_int(ev, "count", s->count);
    if (s->probability < 1.0)
        cJSON_AddNumberToObject(ev, "probability", s->probability);
    if (s->after != INT64_MIN)
        trace_add_int(ev, "after", s->after);
    if (s->until != INT64_MAX)
        trace_add_int(ev, "until", s->until);
    world_emit(w, ev);
}

int net_add_fault(net_t *net, const fault_spec_t *spec)
{
    fault_rule_t *rules = realloc(net->rules, (size_t)(net->n_rules + 1) * sizeof *rules);
    if (!rules)
        abort();
    net->rules = rules;
    fault_rule_t *r = &net->rules[net->n_rules];
    memset(r, 0, sizeof *r);
    r->id = ++net->n_rules;
    r->spec = *spec;
    char name[32];
    snprintf(name, sizeof name, "fault#%d", r->id);
    rng_stream(&r->rng, net->w->seed, name);
    trace_rule(net->w, r);
    return r->id;
}

bool net_remove_fault(net_t *net, int id)
{
    if (id < 1 || id > net->n_rules || net->rules[id - 1].removed)
        return false;
    net->rules[id - 1].removed = true;
    cJSON *ev = world_trace(net->w, NULL, "fault_cleared");
    if (ev) {
        trace_add_int(ev, "fault", id);
        world_emit(net->w, ev);
    }
    return true;
}

int64_t net_fault_hits(const net_t *net, int id)
{
    if (id < 1 || id > net->n_rules)
        return 0;
    return net->rules[id - 1].hits;
}

/* ---- partitions ---- */

static void cut(net_t *net, const partition_t *p, int32_t delta)
{
    for (size_t i = 0; i < p->na; i++)
        for (size_t j = 0; j < p->nb; j++) {
            link_of(net, p->a[i], p->b[j])->cuts += delta;
            if (!p->oneway)
                link_of(net, p->b[j], p->a[i])->cuts += delta;
        }
}

static int32_t *dup_ids(const int32_t *ids, size_t n)
{
    int32_t *c = malloc((n ? n : 1) * sizeof *c);
    if (!c)
        abort();
    memcpy(c, ids, n * sizeof *c);
    return c;
}

int net_partition(net_t *net, const int32_t *a, size_t na, const int32_t *b, size_t nb,
                  bool oneway)
{
    partition_t *parts = realloc(net->parts, (size_t)(net->n_parts + 1) * sizeof *parts);
    if (!parts)
        abort();
    net->parts = parts;
    partition_t *p = &net->parts[net->n_parts];
    p->id = ++net->n_parts;
    p->a = dup_ids(a, na);
    p->b = dup_ids(b, nb);
    p->na = na;
    p->nb = nb;
    p->oneway = oneway;
    p->healed = false;
    cut(net, p, +1);
    world_t *w = net->w;
    cJSON *ev = world_trace(w, NULL, "partition");
    if (ev) {
        trace_add_int(ev, "partition", p->id);
        cJSON *ja = cJSON_AddArrayToObject(ev, "a");
        cJSON *jb = cJSON_AddArrayToObject(ev, "b");
        for (size_t i = 0; i < na; i++)
            cJSON_AddItemToArray(ja, cJSON_CreateString(w->nodes[a[i]]->name));
        for (size_t i = 0; i < nb; i++)
            cJSON_AddItemToArray(jb, cJSON_CreateString(w->nodes[b[i]]->name));
        cJSON_AddBoolToObject(ev, "oneway", oneway);
        world_emit(w, ev);
    }
    return p->id;
}

void net_heal(net_t *net, int id)
{
    for (int i = 0; i < net->n_parts; i++) {
        partition_t *p = &net->parts[i];
        if (p->healed || (id != 0 && p->id != id))
            continue;
        p->healed = true;
        cut(net, p, -1);
        cJSON *ev = world_trace(net->w, NULL, "heal");
        if (ev) {
            trace_add_int(ev, "partition", p->id);
            world_emit(net->w, ev);
        }
    }
}

bool net_link_cut(const net_t *net, int32_t from, int32_t to)
{
    return link_of(net, from, to)->cuts > 0;
}

uint64_t net_sent(const net_t *net)
{
    return net->sent;
}

uint64_t net_delivered(const net_t *net)
{
    return net->delivered;
}
