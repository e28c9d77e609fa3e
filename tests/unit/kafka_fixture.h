/* kafka_fixture: a small Kafka world for the client unit tests: brokers, the topic "t",
 * a trace whose events are kept (in order) for inspection, config helpers, and the
 * teardown that frees it all. Include after tap.h. */
#ifndef KSIM_KAFKA_FIXTURE_H
#define KSIM_KAFKA_FIXTURE_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "sim/trace.h"

#define TOPIC "t"

typedef struct fixture {
    trace_t *tr;
    world_t *w;
    cluster_t *c;
    char err[512];
    cJSON **ev;      /* copies of every trace event, in order */
    size_t n_ev, cap_ev;
} fixture_t;

static inline void fixture_listen(void *ctx, const cJSON *ev, const char *line)
{
    fixture_t *f = ctx;
    (void)line;
    if (f->n_ev == f->cap_ev) {
        f->cap_ev = f->cap_ev ? f->cap_ev * 2 : 1024;
        f->ev = realloc(f->ev, f->cap_ev * sizeof *f->ev);
        if (!f->ev)
            abort();
    }
    f->ev[f->n_ev++] = cJSON_Duplicate(ev, true);
}

/* kv: "key", "value", ..., NULL. A bad pair is a broken test: it aborts. */
static inline void fixture_config(config_t *c, const char *const *kv)
{
    char err[256];
    for (size_t i = 0; kv && kv[i]; i += 2)
        if (!config_set(c, kv[i], kv[i + 1], err, sizeof err)) {
            tap_diag("bad test config: %s", err);
            abort();
        }
}

/* `brokers` brokers (broker configs `broker_kv`) and the topic "t" (topic configs
 * `topic_kv`, e.g. partitions and replication.factor). */
static inline void fixture_init_with(fixture_t *f, uint64_t seed, int brokers,
                                     const char *const *broker_kv, const char *const *topic_kv)
{
    memset(f, 0, sizeof *f);
    f->tr = trace_new();
    trace_set_listener(f->tr, fixture_listen, f);
    f->w = world_new(seed, f->tr);
    config_t bc, tc;
    config_init(&bc, &broker_config_schema);
    fixture_config(&bc, broker_kv);
    f->c = cluster_new(f->w, "main", brokers, &bc, f->err, sizeof f->err);
    config_free(&bc);
    config_init(&tc, &topic_config_schema);
    fixture_config(&tc, topic_kv);
    if (!f->c || !cluster_create_topic(f->c, TOPIC, &tc, f->err, sizeof f->err))
        abort();
    config_free(&tc);
}

/* `brokers` brokers and the topic "t" with `partitions` partitions, one replica each. */
static inline void fixture_init(fixture_t *f, uint64_t seed, int brokers, int32_t partitions)
{
    char parts[16];
    snprintf(parts, sizeof parts, "%d", partitions);
    const char *tkv[] = { "partitions", parts, NULL };
    fixture_init_with(f, seed, brokers, NULL, tkv);
}

static inline void fixture_free(fixture_t *f)
{
    /* Crash every node so nothing stays in flight, then let the last deliveries drop. */
    for (int32_t i = 0; i < f->w->n_nodes; i++)
        world_crash(f->w, f->w->nodes[i], "end of test");
    world_run(f->w, INT64_MAX, NULL, NULL);
    cluster_free(f->c);
    world_free(f->w);
    trace_free(f->tr);
    for (size_t i = 0; i < f->n_ev; i++)
        cJSON_Delete(f->ev[i]);
    free(f->ev);
}

/* A consumer with configs kv ("key", "value", ..., NULL); one the cluster refuses is a
 * broken test: it aborts. */
static inline consumer_t *fixture_consumer(fixture_t *f, const char *name,
                                           const char *const *kv)
{
    config_t cc;
    config_init(&cc, &consumer_config_schema);
    fixture_config(&cc, kv);
    consumer_t *k = cluster_consumer(f->c, name, &cc, f->err, sizeof f->err);
    config_free(&cc);
    if (!k) {
        tap_diag("no consumer: %s", f->err);
        abort();
    }
    return k;
}

/* The leader's log of partition p of topic "t"; a partition without one is a broken
 * test: it aborts. */
static inline const plog_t *fixture_log(const fixture_t *f, int32_t p)
{
    char err[256];
    const plog_t *l = cluster_log(f->c, TOPIC, p, err, sizeof err);
    if (!l) {
        tap_diag("no log: %s", err);
        abort();
    }
    return l;
}

/* ---- faults, as world_schedule callbacks (a: the world, b: the node) ---- */

/* Crashes the node unless it is already down. */
static inline void fixture_crash_cb(void *a, void *b, int64_t arg)
{
    node_t *n = b;
    (void)arg;
    if (n->up)
        world_crash(a, n, "random crash");
}

/* Restarts the node unless it is already up. */
static inline void fixture_restart_cb(void *a, void *b, int64_t arg)
{
    node_t *n = b;
    (void)arg;
    if (!n->up)
        world_restart(a, n);
}

/* Loses Produce messages going `dir`: at most `count` (0: no limit), each with
 * `probability`. Returns the rule's id. */
static inline int fixture_drop_produce(fixture_t *f, fault_dir_t dir, int64_t count,
                                       double probability)
{
    fault_spec_t s;
    fault_spec_init(&s, FAULT_DROP);
    s.dir = dir;
    s.api = API_PRODUCE;
    s.count = count;
    s.probability = probability;
    return net_add_fault(f->w->net, &s);
}

/* Cuts the node off from every other node, both ways; returns the partition's id. */
static inline int fixture_isolate(world_t *w, int32_t node)
{
    int32_t others[WORLD_MAX_NODES];
    size_t n = 0;
    for (int32_t i = 0; i < w->n_nodes; i++)
        if (i != node)
            others[n++] = i;
    return net_partition(w->net, &node, 1, others, n, false);
}

/* ---- reading the kept trace ---- */

static inline int64_t ev_t(const cJSON *ev)
{
    return ev ? trace_int(ev, "t", -1) : -1;
}

/* Whether the event's field is `want` (NULL: anything). */
static inline bool str_is(const cJSON *ev, const char *field, const char *want)
{
    const char *s = trace_str(ev, field);
    return want == NULL || (s && strcmp(s, want) == 0);
}

/* Events of this kind so far. */
static inline int fixture_count(const fixture_t *f, const char *kind)
{
    int n = 0;
    for (size_t i = 0; i < f->n_ev; i++)
        n += str_is(f->ev[i], "kind", kind);
    return n;
}

static inline bytes_t str(const char *s)
{
    return s ? (bytes_t){ s, (int32_t)strlen(s) } : BYTES_NULL;
}

#endif
