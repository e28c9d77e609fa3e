/* world: virtual time, the run loop and the nodes.
 * It owns the clock, the event queue, the nodes (with their PRNG streams and their
 * up/paused/incarnation state), the network and the trace writer. */
#ifndef KSIM_WORLD_H
#define KSIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "../trace.h"
#include "evq.h"
#include "rng.h"

/* Links are kept for every pair of nodes, so a world stays small: a course's cluster,
 * not a data centre. */
#define WORLD_MAX_NODES 1024

#define US_PER_MS 1000LL
#define US_PER_S 1000000LL

typedef struct world world_t;
typedef struct node node_t;
typedef struct msg msg_t;
typedef struct net net_t;

typedef enum node_role {
    ROLE_BROKER,
    ROLE_CONTROLLER,
    ROLE_PRODUCER,
    ROLE_CONSUMER,
    ROLE_APP,
} node_role_t;

const char *node_role_name(node_role_t r);

typedef struct node_ops {
    /* A delivered message; borrowed for the call (msg_ref to keep it). */
    void (*on_message)(node_t *n, msg_t *m);
    /* The process died: drop all volatile state. Durable state (the log) stays. */
    void (*on_crash)(node_t *n);
    /* The process starts again from its durable state. */
    void (*on_restart)(node_t *n);
    /* Connection `conn` to `peer` was reset, as TCP tells a real client: the peer's process
     * crashed, or a message found it down or restarted. Requests sent on that connection
     * (or an older one) are lost; later connections are not affected. NULL: ignored. */
    void (*on_disconnect)(node_t *n, int32_t peer, uint32_t conn);
    /* Whether the process takes this message now; one it refuses is answered with a
     * connection reset, as a port nobody listens on is. NULL: every message. */
    bool (*accepts)(node_t *n, const msg_t *m);
} node_ops_t;

struct node {
    int32_t id;
    char *name;
    node_role_t role;
    world_t *w;
    rng_t rng;        /* this node's own stream */
    bool up;
    bool paused;
    uint32_t inc;     /* incarnation: bumped by every crash */
    uint32_t pauses;  /* pauses so far: a timed resume ends only its own pause */
    const node_ops_t *ops;
    void *impl;
    event_t *deferred; /* what arrived while paused, in arrival order */
    size_t n_deferred, cap_deferred;
};

typedef enum run_status {
    RUN_IDLE,        /* nothing left to do */
    RUN_DEADLINE,    /* reached the requested time */
    RUN_PREDICATE,   /* the predicate became true */
    RUN_TIME_LIMIT,  /* hit the world's virtual-time limit */
    RUN_EVENT_LIMIT, /* hit the world's event budget */
    RUN_STOPPED,     /* world_stop was called */
    RUN_STALLED,     /* stall_limit events ran without the clock moving */
} run_status_t;

/* Events at one instant before a run counts as stalled (an endless exchange at zero
 * latency with zero waits, which no time limit would ever end). */
#define WORLD_STALL_EVENTS 1000000ULL

const char *run_status_name(run_status_t s);

struct world {
    int64_t now;
    uint64_t seed;
    evq_t q;
    trace_t *trace;   /* not owned */
    net_t *net;
    node_t **nodes;   /* by id */
    int32_t n_nodes;
    int64_t time_limit;   /* µs; runs stop there */
    uint64_t event_limit; /* events; runs stop there */
    uint64_t events_run;
    uint64_t events_at_now; /* events run since the clock last moved */
    uint64_t stall_limit;   /* WORLD_STALL_EVENTS unless changed */
    bool stop;
    rng_t rng;        /* the world's own stream (scenario-level draws) */
    char **strings;   /* interned names (topics), in first-seen order */
    size_t n_strings, cap_strings;
};

world_t *world_new(uint64_t seed, trace_t *trace);
void world_free(world_t *w);

/* Adds a node; names are unique, at most WORLD_MAX_NODES. Nodes are freed by the world, their impl by their owner. */
node_t *world_add_node(world_t *w, const char *name, node_role_t role, const node_ops_t *ops,
                       void *impl);
node_t *world_node(const world_t *w, int32_t id);
node_t *world_find(const world_t *w, const char *name);

/* A timer owned by node n: skipped if n crashed since, deferred while n is paused.
 * Background timers do not keep the world from being idle. */
ev_handle_t node_timer(node_t *n, int64_t delay, ev_fn fn, void *a, void *b, int64_t arg);
ev_handle_t node_timer_bg(node_t *n, int64_t delay, ev_fn fn, void *a, void *b, int64_t arg);
/* A world-level event (scenario actions) at absolute time `at`. */
ev_handle_t world_schedule(world_t *w, int64_t at, ev_fn fn, void *a, void *b, int64_t arg);
bool world_cancel(world_t *w, ev_handle_t h);
/* Holds an event for n until it resumes (used by the network for deliveries). */
void node_defer(node_t *n, const event_t *ev);

void world_crash(world_t *w, node_t *n, const char *why);
void world_restart(world_t *w, node_t *n);
/* Returns false when n was not running (down or already paused): nothing changes. */
bool world_pause(world_t *w, node_t *n);
/* A pause that ends by itself after `duration` µs, unless resumed earlier. */
void world_pause_for(world_t *w, node_t *n, int64_t duration);
void world_resume(world_t *w, node_t *n);

/* Runs events until idle, until `deadline` (INT64_MAX for none), until pred(ctx) is true
 * (checked after every event; NULL for none), or until a limit. */
run_status_t world_run(world_t *w, int64_t deadline, bool (*pred)(void *), void *ctx);
/* Makes the current world_run return RUN_STOPPED after the running event. */
void world_stop(world_t *w);

/* A stable copy of `s`, one per distinct string, freed with the world. Topic names are
 * interned so that messages, logs and results can share them by pointer. */
const char *world_intern(world_t *w, const char *s);

/* Starts a trace event stamped now; NULL when tracing is off. */
cJSON *world_trace(world_t *w, const node_t *n, const char *kind);
void world_emit(world_t *w, cJSON *ev);

#endif
