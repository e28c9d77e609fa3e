/* Unit tests for sim/core/net: latency, FIFO links, every fault rule and filter, network
 * partitions, crashes, restarts and pauses as the receiver sees them, and the trace events
 * the network writes. Three trivial nodes A, B, C record what reaches them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "tests/unit/tap.h"

enum { A, B, C, N_NODES };
static const char *names[N_NODES] = { "A", "B", "C" };

typedef enum mode {
    RECORD, /* only record */
    ECHO,   /* record, and answer every request with an empty response */
    KEEP,   /* record, and keep requests so the test can answer them later */
} node_mode_t;

typedef struct got {
    int64_t t;
    int16_t api;
    int32_t corr;
    bool response;
    int32_t at, from;
} got_t;

#define MAX_GOT 40000
#define MAX_KEPT 16
#define MAX_TRACE 200000

typedef struct env {
    world_t *w;
    trace_t *tr;
    node_t *n[N_NODES];
    node_mode_t mode[64]; /* by node id */
    got_t got[MAX_GOT];
    int n_got;
    msg_t *kept[MAX_KEPT];
    int n_kept;
    cJSON **ev; /* copies of the trace events, in order */
    int n_ev;
    got_t resets[64]; /* connection resets heard: t, at, from = the peer */
    int n_resets;
} env_t;

static void on_message(node_t *n, msg_t *m)
{
    env_t *e = n->impl;
    if (e->n_got < MAX_GOT)
        e->got[e->n_got++] = (got_t){ n->w->now, m->api, m->corr, m->response, n->id, m->from };
    if (m->response)
        return;
    if (e->mode[n->id] == ECHO) {
        net_reply(n->w, n, m, msg_new(n->w, m->api, true, NULL, NULL));
    } else if (e->mode[n->id] == KEEP && e->n_kept < MAX_KEPT) {
        msg_ref(m);
        e->kept[e->n_kept++] = m;
    }
}

static void on_disconnect(node_t *n, int32_t peer, uint32_t conn)
{
    (void)conn;
    env_t *e = n->impl;
    if (e->n_resets < 64)
        e->resets[e->n_resets++] = (got_t){ .t = n->w->now, .at = n->id, .from = peer };
}

static const node_ops_t ops = { .on_message = on_message, .on_disconnect = on_disconnect };

static void collect(void *ctx, const cJSON *ev, const char *line)
{
    env_t *e = ctx;
    (void)line;
    if (e->n_ev < MAX_TRACE)
        e->ev[e->n_ev++] = cJSON_Duplicate(ev, true);
}

/* A world of five bare nodes. Streams are off: each message is lost or delivered on its
 * own, as the fault engine's tests want; test_streams turns them on. */
static env_t *env_new(uint64_t seed, bool traced)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->tr = trace_new();
    trace_set_enabled(e->tr, traced);
    if (traced) {
        e->ev = calloc(MAX_TRACE, sizeof *e->ev);
        trace_set_listener(e->tr, collect, e);
    }
    e->w = world_new(seed, e->tr);
    net_set_streams(e->w->net, false);
    for (int i = 0; i < N_NODES; i++)
        e->n[i] = world_add_node(e->w, names[i], ROLE_APP, &ops, e);
    return e;
}

static void env_free(env_t *e)
{
    for (int i = 0; i < e->n_kept; i++)
        msg_unref(e->w, e->kept[i]);
    /* Nothing may stay in flight: deliveries own their messages. */
    for (int i = 0; i < N_NODES; i++)
        world_resume(e->w, e->n[i]);
    world_run(e->w, INT64_MAX, NULL, NULL);
    world_free(e->w);
    trace_free(e->tr);
    for (int i = 0; i < e->n_ev; i++)
        cJSON_Delete(e->ev[i]);
    free(e->ev);
    free(e);
}

static void send_req(env_t *e, int from, int to, int16_t api, int32_t corr)
{
    msg_t *m = msg_new(e->w, api, false, NULL, NULL);
    m->corr = corr;
    net_send(e->w, e->n[from], to, m);
}

/* B answers the i-th request it kept. */
static void reply_kept(env_t *e, int node, int i)
{
    msg_t *req = e->kept[i];
    net_reply(e->w, e->n[node], req, msg_new(e->w, req->api, true, NULL, NULL));
}

static void run(env_t *e)
{
    world_run(e->w, INT64_MAX, NULL, NULL);
}

static void run_until(env_t *e, int64_t t)
{
    world_run(e->w, t, NULL, NULL);
}

/* The first message with this corr that reached node `at`, or NULL. */
static const got_t *find(const env_t *e, int at, int32_t corr, bool response)
{
    for (int i = 0; i < e->n_got; i++)
        if (e->got[i].at == at && e->got[i].corr == corr && e->got[i].response == response)
            return &e->got[i];
    return NULL;
}

static int count_at(const env_t *e, int at)
{
    int n = 0;
    for (int i = 0; i < e->n_got; i++)
        n += e->got[i].at == at;
    return n;
}

/* The nth (0-based) trace event of this kind, or NULL. */
static const cJSON *trace_nth(const env_t *e, const char *kind, int nth)
{
    for (int i = 0; i < e->n_ev; i++) {
        const char *k = trace_str(e->ev[i], "kind");
        if (k && strcmp(k, kind) == 0 && nth-- == 0)
            return e->ev[i];
    }
    return NULL;
}

/* The last trace event of this kind, or NULL. */
static const cJSON *trace_last(const env_t *e, const char *kind)
{
    for (int i = e->n_ev; i-- > 0;) {
        const char *k = trace_str(e->ev[i], "kind");
        if (k && strcmp(k, kind) == 0)
            return e->ev[i];
    }
    return NULL;
}

static int trace_count_kind(const env_t *e, const char *kind)
{
    int n = 0;
    while (trace_nth(e, kind, n))
        n++;
    return n;
}

static bool str_is(const cJSON *ev, const char *field, const char *want)
{
    const char *v = ev ? trace_str(ev, field) : NULL;
    return v && strcmp(v, want) == 0;
}

static int add_rule(env_t *e, fault_action_t action, void (*edit)(fault_spec_t *))
{
    fault_spec_t s;
    fault_spec_init(&s, action);
    if (edit)
        edit(&s);
    return net_add_fault(e->w->net, &s);
}

/* ---- latency ---- */

static void test_default_latency(void)
{
    env_t *e = env_new(1, true);
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    const got_t *g = find(e, B, 1, false);
    ok(g && g->t == 500 && g->from == A && g->api == API_PRODUCE,
       "a message arrives after the default latency of 500 us");
    ok(net_sent(e->w->net) == 1 && net_delivered(e->w->net) == 1,
       "the network counts messages sent and delivered");
    env_free(e);
}

static void test_link_latency(void)
{
    env_t *e = env_new(1, true);
    net_set_link_latency(e->w->net, A, B, (latency_t){ LAT_FIXED, 2000, 0 });
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, B, A, API_PRODUCE, 2);
    send_req(e, A, C, API_PRODUCE, 3);
    run(e);
    const got_t *ab = find(e, B, 1, false), *ba = find(e, A, 2, false), *ac = find(e, C, 3, false);
    ok(ab && ab->t == 2000, "a link with a fixed latency delivers after exactly that latency");
    ok(ba && ba->t == 500, "a link latency applies to one direction only");
    ok(ac && ac->t == 500, "other links keep the default latency");

    net_set_default_latency(e->w->net, (latency_t){ LAT_FIXED, 50, 0 });
    int64_t t0 = e->w->now;
    send_req(e, A, C, API_PRODUCE, 4);
    run(e);
    const got_t *g = find(e, C, 4, false);
    ok(g && g->t == t0 + 50, "the default latency can be changed");
    env_free(e);
}

static void test_uniform_latency(void)
{
    env_t *e = env_new(3, false);
    net_set_link_latency(e->w->net, A, B, (latency_t){ LAT_UNIFORM, 100, 900 });
    /* Far apart, so FIFO never holds one back and each latency is the drawn one. */
    for (int i = 0; i < 200; i++) {
        run_until(e, (int64_t)i * 1000);
        send_req(e, A, B, API_FETCH, i);
    }
    run(e);
    bool inside = count_at(e, B) == 200;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < e->n_got; i++) {
        int64_t lat = e->got[i].t - (int64_t)e->got[i].corr * 1000;
        inside = inside && lat >= 100 && lat <= 900;
        lo = lat < lo ? lat : lo;
        hi = lat > hi ? lat : hi;
    }
    ok(inside, "a uniform latency stays within [a, b]");
    ok(lo < 200 && hi > 800, "a uniform latency spreads over its range");
    env_free(e);

    e = env_new(3, false);
    net_set_link_latency(e->w->net, A, B, (latency_t){ LAT_UNIFORM, 100, 5000 });
    for (int i = 0; i < 1000; i++) {
        run_until(e, (int64_t)i * 10);
        send_req(e, A, B, API_FETCH, i);
    }
    run(e);
    bool fifo = e->n_got == 1000;
    int waited = 0;
    for (int i = 0; fifo && i < e->n_got; i++) {
        fifo = e->got[i].corr == i && (i == 0 || e->got[i].t >= e->got[i - 1].t);
        waited += i > 0 && e->got[i].t == e->got[i - 1].t;
    }
    ok(fifo, "a link stays FIFO with random latency: arrival order is send order");
    ok(waited > 100, "messages that drew a short latency wait behind earlier ones");
    env_free(e);

    e = env_new(3, false);
    net_set_link_latency(e->w->net, A, B, (latency_t){ LAT_NORMAL, 100, 1000 });
    for (int i = 0; i < 200; i++) {
        run_until(e, (int64_t)i * 100000);
        send_req(e, A, B, API_FETCH, i);
    }
    run(e);
    bool nonneg = count_at(e, B) == 200;
    int zero = 0;
    for (int i = 0; i < e->n_got; i++) {
        int64_t lat = e->got[i].t - (int64_t)e->got[i].corr * 100000;
        nonneg = nonneg && lat >= 0;
        zero += lat == 0;
    }
    ok(nonneg && zero > 0, "a normal latency is clamped at zero, never negative");
    env_free(e);
}

/* ---- drop rules ---- */

static void dir_request(fault_spec_t *s) { s->dir = DIR_REQUEST; }
static void dir_response(fault_spec_t *s) { s->dir = DIR_RESPONSE; }

static void test_drop_direction(void)
{
    env_t *e = env_new(1, true);
    e->mode[B] = KEEP;
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    int id = add_rule(e, FAULT_DROP, dir_request);
    reply_kept(e, B, 0);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(!find(e, B, 2, false), "a request drop rule drops requests");
    ok(find(e, A, 1, true) != NULL, "a request drop rule lets responses through");
    is_int(net_fault_hits(e->w->net, id), 1, "the rule counts the one message it dropped");
    const cJSON *d = trace_nth(e, "drop", 0);
    ok(str_is(d, "reason", "fault") && trace_int(d, "fault", 0) == id && trace_int(d, "corr", 0) == 2,
       "a dropped message is traced with the reason and the rule's id");
    env_free(e);

    e = env_new(1, true);
    e->mode[B] = KEEP;
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    id = add_rule(e, FAULT_DROP, dir_response);
    reply_kept(e, B, 0);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(!find(e, A, 1, true), "a response drop rule loses the response (the lost ACK)");
    ok(find(e, B, 2, false) != NULL, "a response drop rule lets requests through");
    is_int(net_fault_hits(e->w->net, id), 1, "the response rule counts the one response it dropped");
    env_free(e);

    /* A response built with net_reply carries the request's api and correlation id. */
    e = env_new(1, true);
    e->mode[B] = ECHO;
    send_req(e, A, B, API_FETCH, 77);
    run(e);
    const got_t *g = find(e, A, 77, true);
    ok(g && g->api == API_FETCH && g->from == B && g->t == 1000,
       "a reply goes back to the requester with the request's api and correlation id");
    env_free(e);
}

static void once(fault_spec_t *s) { s->count = 1; }

/* With streams on (Kafka's worlds), a lost message breaks its direction of the connection
 * until an end closes it or a crash resets it. */
static void test_streams(void)
{
    env_t *e = env_new(1, true);
    net_set_streams(e->w->net, true);
    int id = add_rule(e, FAULT_DROP, once);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, A, B, API_PRODUCE, 2);
    send_req(e, A, C, API_PRODUCE, 3);
    send_req(e, B, A, API_PRODUCE, 4);
    run(e);
    ok(!find(e, B, 1, false) && net_fault_hits(e->w->net, id) == 1, "the fault drops message 1");
    ok(!find(e, B, 2, false), "nothing sent after it on the same connection arrives");
    const cJSON *d = trace_nth(e, "drop", 1);
    ok(d && trace_int(d, "corr", 0) == 2 && strstr(trace_str(d, "reason"), "connection broken"),
       "the later message is traced as lost with its broken connection");
    ok(find(e, C, 3, false) && find(e, A, 4, false),
       "other connections, and the other direction of this one, still work");
    send_req(e, A, B, API_PRODUCE, 5);
    run(e);
    ok(!find(e, B, 5, false), "the connection stays broken while nobody closes it");
    net_close(e->w->net, e->n[A]->id, e->n[B]->id);
    send_req(e, A, B, API_PRODUCE, 6);
    run(e);
    ok(find(e, B, 6, false), "after the connection is closed the next message goes on a new one");
    env_free(e);

    /* What was sent before the lost message still arrives; a one-way message breaks
     * nothing. */
    e = env_new(1, true);
    net_set_streams(e->w->net, true);
    net_set_link_latency(e->w->net, e->n[A]->id, e->n[B]->id, (latency_t){ LAT_FIXED, 5000, 0 });
    send_req(e, A, B, API_PRODUCE, 1);
    run_until(e, 1000);
    add_rule(e, FAULT_DROP, once);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(find(e, B, 1, false) && !find(e, B, 2, false),
       "a message sent before the lost one, still on its way, arrives");
    env_free(e);

    e = env_new(1, true);
    net_set_streams(e->w->net, true);
    add_rule(e, FAULT_DROP, once);
    msg_t *m = msg_new(e->w, API_PRODUCE, false, NULL, NULL);
    m->corr = 1;
    m->oneway = true;
    net_send(e->w, e->n[A], B, m);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(!find(e, B, 1, false) && find(e, B, 2, false),
       "a lost one-way message (acks=0: no answer expected) leaves the connection working");
    env_free(e);

    e = env_new(1, true);
    net_set_streams(e->w->net, true);
    int32_t a[] = { A }, b[] = { B };
    int p = net_partition(e->w->net, a, 1, b, 1, false);
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    net_heal(e->w->net, p);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(!find(e, B, 2, false),
       "a message lost to a network partition breaks the connection too, healed or not");
    world_crash(e->w, e->n[B], "test crash");
    world_restart(e->w, e->n[B]);
    run(e);
    send_req(e, A, B, API_PRODUCE, 3);
    run(e);
    ok(find(e, B, 3, false), "a crash resets the connection: the next message arrives");
    env_free(e);
}

static void nth3_once(fault_spec_t *s)
{
    s->nth = 3;
    s->count = 1;
}

static void count2(fault_spec_t *s) { s->count = 2; }

static void test_nth_and_count(void)
{
    env_t *e = env_new(1, false);
    int id = add_rule(e, FAULT_DROP, nth3_once);
    for (int i = 1; i <= 6; i++)
        send_req(e, A, B, API_PRODUCE, i);
    run(e);
    bool only_third = count_at(e, B) == 5 && !find(e, B, 3, false);
    ok(only_third, "nth=3 count=1 drops the third matching message only");
    is_int(net_fault_hits(e->w->net, id), 1, "an nth rule with count 1 triggers once");
    env_free(e);

    e = env_new(1, false);
    id = add_rule(e, FAULT_DROP, count2);
    for (int i = 1; i <= 5; i++)
        send_req(e, A, B, API_PRODUCE, i);
    run(e);
    ok(count_at(e, B) == 3 && !find(e, B, 1, false) && !find(e, B, 2, false) && find(e, B, 3, false),
       "a count limit drops the first matches and then stops");
    is_int(net_fault_hits(e->w->net, id), 2, "a rule with count 2 triggers twice");
    env_free(e);

    e = env_new(1, false);
    id = add_rule(e, FAULT_DROP, NULL);
    send_req(e, A, B, API_PRODUCE, 1);
    ok(net_remove_fault(e->w->net, id), "a rule can be removed");
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(!find(e, B, 1, false) && find(e, B, 2, false), "a removed rule no longer fires");
    ok(!net_remove_fault(e->w->net, id) && !net_remove_fault(e->w->net, 99),
       "removing a rule twice, or one that does not exist, fails");
    env_free(e);
}

static void window(fault_spec_t *s)
{
    s->after = 1000;
    s->until = 2000;
}

static void test_window(void)
{
    env_t *e = env_new(1, false);
    add_rule(e, FAULT_DROP, window);
    static const int64_t at[] = { 999, 1000, 1999, 2000 };
    for (int i = 0; i < 4; i++) {
        run_until(e, at[i]);
        send_req(e, A, B, API_PRODUCE, i);
    }
    run(e);
    ok(find(e, B, 0, false) && !find(e, B, 1, false) && !find(e, B, 2, false) && find(e, B, 3, false),
       "a rule is active only for messages sent in [after, until)");
    env_free(e);
}

static void prob30(fault_spec_t *s) { s->probability = 0.3; }

/* Drops 10,000 messages with probability 0.3; fills dropped[] and returns the hit count. */
static int64_t probability_run(uint64_t seed, bool *dropped, int n)
{
    env_t *e = env_new(seed, false);
    int id = add_rule(e, FAULT_DROP, prob30);
    for (int i = 0; i < n; i++)
        send_req(e, A, B, API_PRODUCE, i);
    run(e);
    for (int i = 0; i < n; i++)
        dropped[i] = true;
    for (int i = 0; i < e->n_got; i++)
        dropped[e->got[i].corr] = false;
    int64_t hits = net_fault_hits(e->w->net, id);
    int64_t delivered = e->n_got;
    env_free(e);
    return hits + delivered == n ? hits : -1;
}

static void test_probability(void)
{
    enum { N = 10000 };
    static bool d1[N], d2[N], d3[N];
    int64_t h1 = probability_run(11, d1, N);
    int64_t h2 = probability_run(11, d2, N);
    int64_t h3 = probability_run(12, d3, N);
    /* Binomial(10000, 0.3): mean 3000, sd 46; 2700..3300 is over 6 sd each side. */
    if (!ok(h1 >= 2700 && h1 <= 3300, "probability 0.3 drops about 30%% of 10,000 messages"))
        tap_diag("  hits %lld (or -1 when hits and deliveries disagree)", (long long)h1);
    ok(h1 == h2 && memcmp(d1, d2, sizeof d1) == 0,
       "the same seed drops the same messages");
    ok(memcmp(d1, d3, sizeof d1) != 0, "a different seed drops a different pattern");
    ok(h3 >= 2700 && h3 <= 3300, "the other seed also drops about 30%%");
}

/* ---- filters ---- */

static void only_fetch(fault_spec_t *s) { s->api = API_FETCH; }
static void only_from_c(fault_spec_t *s) { s->from = C; }
static void only_to_c(fault_spec_t *s) { s->to = C; }

static void test_filters(void)
{
    env_t *e = env_new(1, false);
    add_rule(e, FAULT_DROP, only_fetch);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, A, B, API_FETCH, 2);
    run(e);
    ok(find(e, B, 1, false) && !find(e, B, 2, false), "an api filter drops only that api");
    env_free(e);

    e = env_new(1, false);
    add_rule(e, FAULT_DROP, only_from_c);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, C, B, API_PRODUCE, 2);
    run(e);
    ok(find(e, B, 1, false) && !find(e, B, 2, false), "a from filter drops only that sender's messages");
    env_free(e);

    e = env_new(1, false);
    add_rule(e, FAULT_DROP, only_to_c);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, A, C, API_PRODUCE, 2);
    run(e);
    ok(find(e, B, 1, false) && !find(e, C, 2, false), "a to filter drops only messages to that node");
    env_free(e);
}

/* ---- delay and duplicate ---- */

static void delay_fetch(fault_spec_t *s)
{
    s->api = API_FETCH;
    s->delay = 7000;
}

static void test_delay_duplicate(void)
{
    env_t *e = env_new(1, true);
    int id = add_rule(e, FAULT_DELAY, delay_fetch);
    send_req(e, A, B, API_FETCH, 1);
    send_req(e, A, C, API_PRODUCE, 2);
    run(e);
    const got_t *g1 = find(e, B, 1, false), *g2 = find(e, C, 2, false);
    ok(g1 && g1->t == 7500, "a delay rule adds exactly its delay to the latency");
    ok(g2 && g2->t == 500, "a delay rule leaves messages it does not match alone");
    const cJSON *f = trace_nth(e, "fault", 0);
    ok(f && trace_int(f, "fault", 0) == id && str_is(f, "action", "delay") &&
           trace_int(f, "delay", 0) == 7000 && trace_int(f, "msg", 0) == 1,
       "a delay is traced as a fault with the rule, the message and the delay");
    env_free(e);

    e = env_new(1, true);
    add_rule(e, FAULT_DUPLICATE, once);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    int copies = 0;
    for (int i = 0; i < e->n_got; i++)
        copies += e->got[i].corr == 1 && e->got[i].t == 500;
    ok(copies == 2, "a duplicate rule delivers the message twice");
    ok(count_at(e, B) == 3 && e->got[2].corr == 2, "the duplicate arrives before later messages on the link");
    is_int(net_delivered(e->w->net), 3, "both copies count as deliveries");
    env_free(e);
}

/* ---- partitions ---- */

static void test_partitions(void)
{
    env_t *e = env_new(1, true);
    int32_t a[] = { A }, b[] = { B };
    int p = net_partition(e->w->net, a, 1, b, 1, false);
    ok(net_link_cut(e->w->net, A, B) && net_link_cut(e->w->net, B, A) && !net_link_cut(e->w->net, A, C),
       "a two-way partition cuts both directions between the sides and nothing else");
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, B, A, API_PRODUCE, 2);
    send_req(e, A, C, API_PRODUCE, 3);
    run(e);
    ok(!find(e, B, 1, false) && !find(e, A, 2, false) && find(e, C, 3, false),
       "a two-way partition drops messages in both directions");
    const cJSON *d = trace_nth(e, "drop", 0);
    ok(str_is(d, "reason", "network partition"), "a message sent across a partition is traced as dropped by it");
    net_heal(e->w->net, p);
    send_req(e, A, B, API_PRODUCE, 4);
    send_req(e, B, A, API_PRODUCE, 5);
    run(e);
    ok(find(e, B, 4, false) && find(e, A, 5, false), "healing the partition restores both directions");
    env_free(e);

    e = env_new(1, true);
    net_partition(e->w->net, a, 1, b, 1, true);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, B, A, API_PRODUCE, 2);
    run(e);
    ok(!find(e, B, 1, false) && find(e, A, 2, false), "a one-way partition drops only the a-to-b direction");
    env_free(e);

    e = env_new(1, true);
    int32_t ac[] = { A, C };
    int p1 = net_partition(e->w->net, a, 1, b, 1, false);
    int p2 = net_partition(e->w->net, ac, 2, b, 1, false);
    net_heal(e->w->net, p1);
    ok(net_link_cut(e->w->net, A, B), "a link cut by two partitions stays cut until both heal");
    net_heal(e->w->net, 0);
    ok(!net_link_cut(e->w->net, A, B) && !net_link_cut(e->w->net, C, B) && p2 == p1 + 1,
       "healing with id 0 heals every partition");
    env_free(e);

    e = env_new(1, true);
    send_req(e, A, B, API_PRODUCE, 1);
    run_until(e, 100);
    net_partition(e->w->net, a, 1, b, 1, false);
    run(e);
    d = trace_nth(e, "drop", 0);
    ok(!find(e, B, 1, false) && d && trace_int(d, "t", 0) == 500 && str_is(d, "reason", "network partition"),
       "a message in flight when a partition starts is dropped at arrival");
    env_free(e);
}

/* ---- crashes and restarts ---- */

static void crash_b(fault_spec_t *s)
{
    s->to = B;
    s->api = API_PRODUCE;
    s->count = 1;
}

static void test_crash_restart(void)
{
    env_t *e = env_new(1, true);
    world_crash(e->w, e->n[B], "test");
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    const cJSON *d = trace_nth(e, "drop", 0);
    ok(!find(e, B, 1, false) && str_is(d, "reason", "node down"),
       "a message to a crashed node is dropped as \"node down\"");
    env_free(e);

    e = env_new(1, true);
    send_req(e, A, B, API_PRODUCE, 1);
    run_until(e, 100);
    world_crash(e->w, e->n[B], "test");
    run_until(e, 200);
    world_restart(e->w, e->n[B]);
    run_until(e, 300);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    const got_t *g = find(e, B, 2, false);
    d = trace_nth(e, "drop", 0);
    ok(!find(e, B, 1, false) && str_is(d, "reason", "connection reset (receiver restarted)"),
       "after a restart, a message addressed to the old incarnation is dropped");
    ok(g && g->t == 800, "after a restart, new messages are delivered");
    env_free(e);

    e = env_new(1, true);
    e->mode[B] = ECHO;
    send_req(e, C, B, API_FETCH, 1);
    run_until(e, 600);
    world_crash(e->w, e->n[C], "test");
    run_until(e, 700);
    world_restart(e->w, e->n[C]);
    run(e);
    ok(find(e, B, 1, false) && !find(e, C, 1, true),
       "a response to a requester that restarted meanwhile is dropped");
    env_free(e);

    e = env_new(1, true);
    int id = add_rule(e, FAULT_CRASH, crash_b);
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    const cJSON *cr = trace_nth(e, "crash", 0);
    const cJSON *f = trace_nth(e, "fault", 0);
    d = trace_nth(e, "drop", 0);
    ok(!e->n[B]->up && !find(e, B, 1, false), "a crash rule crashes the receiver and loses the message");
    ok(cr && str_is(cr, "node", "B") && str_is(cr, "reason", "fault 1") && trace_int(cr, "t", 0) == 500,
       "the crash happens when the message would arrive and names the rule");
    ok(f && str_is(f, "action", "crash") && str_is(f, "target", "B") && trace_int(f, "fault", 0) == id,
       "the crash rule is traced as a fault naming its target");
    ok(str_is(d, "reason", "node down"), "the message that triggered the crash is dropped as \"node down\"");
    world_restart(e->w, e->n[B]);
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    ok(find(e, B, 2, false) != NULL, "after the restart the next message is delivered");
    env_free(e);
}

/* ---- pauses ---- */

static void pause_b(fault_spec_t *s)
{
    s->to = B;
    s->count = 1;
    s->duration = 3000;
}

static void test_pause(void)
{
    env_t *e = env_new(1, true);
    world_pause(e->w, e->n[B]);
    for (int i = 1; i <= 5; i++) {
        run_until(e, (i - 1) * 10);
        send_req(e, A, B, API_PRODUCE, i);
    }
    run_until(e, 10000);
    is_int(count_at(e, B), 0, "a paused node receives nothing");
    world_resume(e->w, e->n[B]);
    run(e);
    bool in_order = count_at(e, B) == 5;
    for (int i = 0; in_order && i < 5; i++)
        in_order = e->got[i].corr == i + 1 && e->got[i].t == 10000;
    ok(in_order, "a pause holds deliveries and releases them in order on resume");
    const cJSON *r = trace_nth(e, "resume", 0);
    ok(r && trace_int(r, "held", -1) == 5, "the resume is traced with the number of held deliveries");
    env_free(e);

    e = env_new(1, true);
    add_rule(e, FAULT_PAUSE, pause_b);
    send_req(e, A, B, API_PRODUCE, 1);
    run_until(e, 1000);
    ok(e->n[B]->paused, "a pause rule pauses the receiver when the message arrives");
    send_req(e, A, B, API_PRODUCE, 2);
    run(e);
    const got_t *g1 = find(e, B, 1, false), *g2 = find(e, B, 2, false);
    ok(!e->n[B]->paused, "a pause with a duration resumes by itself");
    ok(g1 && g2 && g1->t == 3500 && g2->t == 3500 && e->got[0].corr == 1,
       "messages held by a timed pause arrive in order when it ends");
    env_free(e);
}

/* Deliveries held by a pause belong to the network; a crash must drop them, in the trace. */
static void test_crash_while_paused(void)
{
    env_t *e = env_new(1, true);
    world_pause(e->w, e->n[B]);
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, A, B, API_PRODUCE, 2);
    run_until(e, 1000);
    world_crash(e->w, e->n[B], "test");
    run(e);
    int dropped = 0;
    for (int i = 0; trace_nth(e, "drop", i); i++)
        dropped += str_is(trace_nth(e, "drop", i), "reason", "node down") &&
                   trace_int(trace_nth(e, "drop", i), "t", 0) == 1000;
    ok(dropped == 2 && count_at(e, B) == 0,
       "deliveries held by a pause are dropped as \"node down\" when the node crashes");
    env_free(e);
}

/* Message bodies: freed exactly once, when the last reference goes or the world ends. */
static int bodies_freed;

static void body_free(void *body)
{
    bodies_freed++;
    free(body);
}

static void body_describe(const void *body, cJSON *ev)
{
    cJSON_AddNumberToObject(ev, "value", *(const int *)body);
}

static const msg_body_ops_t body_ops = { .free = body_free, .describe = body_describe };

static void send_body(env_t *e, int from, int to, int32_t corr, int value)
{
    int *body = malloc(sizeof *body);
    if (!body)
        abort();
    *body = value;
    msg_t *m = msg_new(e->w, API_PRODUCE, false, body, &body_ops);
    m->corr = corr;
    net_send(e->w, e->n[from], to, m);
}

static void test_bodies(void)
{
    env_t *e = env_new(1, true);
    add_rule(e, FAULT_DUPLICATE, once);
    bodies_freed = 0;
    send_body(e, A, B, 1, 41);
    send_body(e, A, C, 2, 42);
    run_until(e, 499);
    is_int(bodies_freed, 0, "a body lives while its message is in flight");
    run(e);
    ok(count_at(e, B) == 2 && bodies_freed == 2,
       "a body is freed once after delivery, even when the message was duplicated");
    const cJSON *s = trace_nth(e, "send", 0);
    ok(s && trace_int(s, "value", 0) == 41, "a body describes itself in the send event");
    env_free(e);

    e = env_new(1, false);
    bodies_freed = 0;
    send_body(e, A, B, 1, 1);
    send_body(e, A, C, 2, 2);
    world_free(e->w);
    e->w = NULL;
    is_int(bodies_freed, 2, "freeing a world frees the bodies of messages still in flight");
    trace_free(e->tr);
    free(e);
}

/* The link table grows with the nodes; what was set on it must survive the growth. */
static void test_many_nodes(void)
{
    env_t *e = env_new(1, false);
    int32_t a[] = { A }, c[] = { C };
    net_partition(e->w->net, a, 1, c, 1, true);
    net_set_link_latency(e->w->net, A, B, (latency_t){ LAT_FIXED, 1234, 0 });
    node_t *last = NULL;
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "extra-%d", i);
        last = world_add_node(e->w, name, ROLE_APP, &ops, e);
    }
    send_req(e, A, B, API_PRODUCE, 1);
    send_req(e, A, C, API_PRODUCE, 2);
    send_req(e, A, last->id, API_PRODUCE, 3);
    run(e);
    const got_t *g = find(e, B, 1, false);
    ok(g && g->t == 1234 && !find(e, C, 2, false), "link latencies and partitions survive adding many nodes");
    ok(find(e, last->id, 3, false) != NULL, "a node added late receives messages");
    env_free(e);
}

/* ---- trace ---- */

static void delay_once(fault_spec_t *s)
{
    s->count = 1;
    s->delay = 100;
}

/* One of everything, for the trace tests. */
static env_t *busy_run(uint64_t seed)
{
    env_t *e = env_new(seed, true);
    e->mode[B] = ECHO;
    net_set_link_latency(e->w->net, A, C, (latency_t){ LAT_UNIFORM, 100, 900 });
    add_rule(e, FAULT_DELAY, delay_once);
    send_req(e, A, B, API_PRODUCE, 1);
    run(e);
    int32_t a[] = { A }, c[] = { C };
    int p = net_partition(e->w->net, a, 1, c, 1, false);
    send_req(e, A, C, API_FETCH, 2);
    net_heal(e->w->net, p);
    for (int i = 0; i < 5; i++)
        send_req(e, A, C, API_FETCH, 10 + i);
    world_crash(e->w, e->n[C], "test crash");
    run_until(e, e->w->now + 2000);
    world_restart(e->w, e->n[C]);
    world_pause(e->w, e->n[B]);
    send_req(e, A, B, API_PRODUCE, 3);
    run_until(e, 5000);
    world_resume(e->w, e->n[B]);
    run(e);
    return e;
}

static void test_trace(void)
{
    env_t *e = busy_run(5);
    static const char *kinds[] = { "node", "send", "deliver", "drop", "fault", "partition",
                                   "heal", "crash", "restart", "pause", "resume" };
    bool all = true;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!trace_nth(e, kinds[i], 0)) {
            tap_diag("  no \"%s\" event", kinds[i]);
            all = false;
        }
    ok(all, "the trace has node, send, deliver, drop, fault, partition, heal, crash, restart, pause and resume events");

    const cJSON *s = trace_nth(e, "send", 0);
    ok(s && trace_int(s, "msg", 0) == 1 && str_is(s, "api", "Produce") && str_is(s, "dir", "request") &&
           str_is(s, "from", "A") && str_is(s, "to", "B") && trace_int(s, "corr", 0) == 1 &&
           str_is(s, "node", "A") && trace_int(s, "t", -1) == 0,
       "a send event has msg, api, dir, from, to and corr, written by the sender");
    const cJSON *dl = trace_nth(e, "deliver", 0);
    ok(dl && trace_int(dl, "msg", 0) == 1 && str_is(dl, "node", "B") && str_is(dl, "dir", "request") &&
           trace_int(dl, "t", -1) == 600 && trace_int(dl, "corr", 0) == 1,
       "a deliver event names the message and is written by the receiver at arrival");
    const cJSON *resp = trace_nth(e, "send", 1);
    ok(resp && str_is(resp, "dir", "response") && str_is(resp, "from", "B") && str_is(resp, "to", "A") &&
           trace_int(resp, "corr", 0) == 1 && str_is(resp, "api", "Produce"),
       "a response is traced with dir \"response\" and the request's corr");
    const cJSON *dr = trace_nth(e, "drop", 0);
    ok(dr && str_is(dr, "reason", "network partition") && str_is(dr, "api", "Fetch") &&
           trace_int(dr, "corr", 0) == 2 && str_is(dr, "from", "A") && str_is(dr, "to", "C"),
       "a drop event has the message's fields and the reason");
    const cJSON *pa = trace_nth(e, "partition", 0);
    const cJSON *pa_a = pa ? cJSON_GetObjectItemCaseSensitive(pa, "a") : NULL;
    const cJSON *pa_b = pa ? cJSON_GetObjectItemCaseSensitive(pa, "b") : NULL;
    ok(pa && trace_int(pa, "partition", 0) == 1 && cJSON_GetArraySize(pa_a) == 1 &&
           cJSON_GetArraySize(pa_b) == 1 && strcmp(cJSON_GetArrayItem(pa_b, 0)->valuestring, "C") == 0 &&
           cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(pa, "oneway")),
       "a partition event lists both sides and whether it is one-way");
    const cJSON *he = trace_nth(e, "heal", 0);
    ok(he && trace_int(he, "partition", 0) == 1, "a heal event names the partition it heals");
    const cJSON *cr = trace_nth(e, "crash", 0);
    ok(cr && str_is(cr, "node", "C") && str_is(cr, "reason", "test crash"),
       "a crash event names the node and the reason");
    ok(str_is(trace_nth(e, "restart", 0), "node", "C") && str_is(trace_nth(e, "pause", 0), "node", "B") &&
           trace_int(trace_nth(e, "resume", 0), "held", -1) == 1,
       "restart, pause and resume events name their node");
    int lost = 0;
    for (int i = 0; trace_nth(e, "drop", i); i++)
        lost += str_is(trace_nth(e, "drop", i), "reason", "node down");
    ok(lost == 5, "messages in flight to a node that crashed are dropped as \"node down\"");

    bool seq_ok = true;
    for (int i = 1; i < e->n_ev; i++)
        seq_ok = seq_ok && trace_int(e->ev[i], "seq", 0) == trace_int(e->ev[i - 1], "seq", 0) + 1 &&
                 trace_int(e->ev[i], "t", 0) >= trace_int(e->ev[i - 1], "t", 0);
    ok(seq_ok, "trace events are numbered consecutively and never go back in time");

    uint64_t d1 = trace_digest(e->tr);
    int sends = trace_count_kind(e, "send");
    env_free(e);
    e = busy_run(5);
    uint64_t d2 = trace_digest(e->tr);
    ok(d1 == d2 && trace_count_kind(e, "send") == sends, "the same run with the same seed writes the same trace");
    env_free(e);
    e = busy_run(6);
    ok(trace_digest(e->tr) != d1, "a different seed changes the trace when latency is random");
    env_free(e);
}

/* The TCP resets a real client sees: a crash resets every open connection, a message to a
 * dead or restarted process is refused, and a partition swallows the reset. */
static void test_resets(void)
{
    env_t *e = env_new(1, true);
    send_req(e, A, B, API_PRODUCE, 1); /* A and B are connected; C never talked to B */
    run(e);
    int64_t t0 = e->w->now;
    world_crash(e->w, e->n[B], "test");
    run(e);
    ok(e->n_resets == 1 && e->resets[0].at == A && e->resets[0].from == B &&
           e->resets[0].t == t0 + 500,
       "a crash resets the connections of its peers one latency later");
    const cJSON *d = trace_last(e, "disconnect");
    ok(d && str_is(d, "node", "A") && str_is(d, "peer", "B") &&
           str_is(d, "reason", "connection reset: the peer crashed"),
       "the reset is traced on the peer that hears it, with the reason");

    e->n_resets = 0;
    t0 = e->w->now;
    send_req(e, C, B, API_PRODUCE, 2);
    run(e);
    ok(e->n_resets == 1 && e->resets[0].at == C && e->resets[0].t == t0 + 1000,
       "a request to a dead process is refused: the sender hears it after a round trip");
    ok(str_is(trace_last(e, "disconnect"), "reason", "connection refused: the peer is down"),
       "the refusal is traced as such");

    e->n_resets = 0;
    world_restart(e->w, e->n[B]);
    msg_t *stale = msg_new(e->w, API_PRODUCE, false, NULL, NULL);
    stale->corr = 3;
    net_send(e->w, e->n[A], B, stale);
    world_crash(e->w, e->n[B], "again");
    world_restart(e->w, e->n[B]);
    run(e);
    ok(e->n_resets == 1 && e->resets[0].at == A &&
           str_is(trace_last(e, "disconnect"), "reason", "connection reset: the peer crashed") &&
           str_is(trace_last(e, "drop"), "reason", "connection reset (receiver restarted)"),
       "a message of a connection the crash already reset is dropped by the restarted "
       "process, with no second reset");

    e->n_resets = 0;
    send_req(e, A, B, API_PRODUCE, 4);
    run(e);
    int32_t a[] = { A }, b[] = { B };
    int part = net_partition(e->w->net, b, 1, a, 1, false);
    world_crash(e->w, e->n[B], "cut off");
    run(e);
    ok(e->n_resets == 0, "a partition swallows the reset: the peer hears nothing");
    net_heal(e->w->net, part);
    env_free(e);
}

static void set_rule(fault_spec_t *s)
{
    s->dir = DIR_RESPONSE;
    s->api = API_PRODUCE;
    s->from = B;
    s->count = 1;
}

static void test_rule_traced(void)
{
    env_t *e = env_new(1, true);
    int id = add_rule(e, FAULT_DROP, set_rule);
    const cJSON *r = trace_last(e, "fault_rule");
    ok(r && trace_int(r, "fault", 0) == id && str_is(r, "action", "drop") &&
           str_is(r, "dir", "response") && str_is(r, "api", "Produce") && str_is(r, "from", "B") &&
           trace_int(r, "count", 0) == 1 && !trace_str(r, "to"),
       "installing a rule is traced with its action and every filter given");
    ok(net_remove_fault(e->w->net, id) && trace_int(trace_last(e, "fault_cleared"), "fault", 0) == id,
       "clearing a rule is traced");
    env_free(e);
}

int main(void)
{
    test_default_latency();
    test_link_latency();
    test_uniform_latency();
    test_drop_direction();
    test_streams();
    test_nth_and_count();
    test_window();
    test_probability();
    test_filters();
    test_delay_duplicate();
    test_partitions();
    test_crash_restart();
    test_pause();
    test_crash_while_paused();
    test_resets();
    test_rule_traced();
    test_many_nodes();
    test_bodies();
    test_trace();
    return tap_done();
}
