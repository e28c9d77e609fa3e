/* net: the simulated network. It owns messages in flight, link latencies, network
 * partitions and the fault rules (drop, delay, duplicate, crash, pause), and traces every
 * send, delivery and drop. Links are FIFO, as Kafka's TCP connections are. */
#ifndef KSIM_NET_H
#define KSIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "world.h"

/* A message body: typed by its API; ops free it and describe it for the trace. */
typedef struct msg_body_ops {
    void (*free)(void *body);
    void (*describe)(const void *body, cJSON *ev);
} msg_body_ops_t;

struct msg {
    uint64_t id;          /* unique per world, in send order */
    int16_t api;
    bool response;
    int16_t error;        /* top-level error of a response, KERR_NONE otherwise */
    int32_t corr;         /* correlation id chosen by the requester */
    int32_t from, to;     /* node ids */
    uint32_t from_inc, to_inc;
    uint32_t conn;        /* the connection it was sent on (see net_conn) */
    int64_t sent_at;
    int32_t size;         /* bytes on the wire (estimate), for quotas and metrics */
    bool bg;              /* routine background traffic (heartbeats, idle fetches): traced
                             with "bg": true, so timelines can leave it out */
    bool oneway;          /* a request no answer will come for (acks=0): its loss goes
                             unnoticed, so it does not break the connection */
    uint32_t refs;
    void *body;
    const msg_body_ops_t *ops;
    struct msg *next_free;
};

net_t *net_new(world_t *w);
void net_free(net_t *net);
void net_node_added(net_t *net, node_t *n);

/* A message from the pool; the caller fills it and hands it to net_send. */
msg_t *msg_new(world_t *w, int16_t api, bool response, void *body, const msg_body_ops_t *ops);
void msg_ref(msg_t *m);
void msg_unref(world_t *w, msg_t *m);

/* Sends `m` from `from` to node id `to`; takes the caller's reference. */
void net_send(world_t *w, node_t *from, int32_t to, msg_t *m);
/* A response to `req`, addressed back to its sender's incarnation. */
void net_reply(world_t *w, node_t *from, const msg_t *req, msg_t *resp);

/* ---- latency ---- */
typedef enum latency_kind { LAT_FIXED, LAT_UNIFORM, LAT_NORMAL } latency_kind_t;
typedef struct latency {
    latency_kind_t kind;
    int64_t a, b; /* fixed: a; uniform: [a, b]; normal: mean a, sd b (never below 0) µs */
} latency_t;

void net_set_default_latency(net_t *net, latency_t l);
/* One direction; call twice for both. */
void net_set_link_latency(net_t *net, int32_t from, int32_t to, latency_t l);

/* ---- faults ---- */
typedef enum fault_action {
    FAULT_DROP,
    FAULT_DELAY,
    FAULT_DUPLICATE,
    FAULT_CRASH, /* crash the target node when the matching message would arrive */
    FAULT_PAUSE, /* pause the target node then, for `duration` */
} fault_action_t;

typedef enum fault_dir { DIR_ANY, DIR_REQUEST, DIR_RESPONSE } fault_dir_t;

typedef struct fault_spec {
    fault_action_t action;
    fault_dir_t dir;
    int16_t api;         /* -1: any */
    int32_t from, to;    /* -1: any */
    int32_t target;      /* crash/pause: the node; -1: the message's receiver */
    int64_t delay;       /* FAULT_DELAY: extra µs */
    int64_t duration;    /* FAULT_PAUSE: µs paused (0: until resumed) */
    int64_t nth;         /* trigger from the nth matching message (1-based); 0: from the first */
    int64_t count;       /* triggers at most this many times; 0: unlimited */
    double probability;  /* each candidate triggers with this probability */
    int64_t after, until;/* active for sends in [after, until) µs */
} fault_spec_t;

/* Defaults: any direction, api, endpoints; probability 1; always active; unlimited. */
void fault_spec_init(fault_spec_t *s, fault_action_t action);
const char *fault_action_name(fault_action_t a);
/* Installs a rule; rules are checked in the order installed. Returns its id (1, 2, …). */
int net_add_fault(net_t *net, const fault_spec_t *spec);
bool net_remove_fault(net_t *net, int id);
/* How many times a rule has triggered so far. */
int64_t net_fault_hits(const net_t *net, int id);

/* Whether a lost message breaks its connection (on by default): on a TCP stream nothing
 * sent after a lost message arrives until an end closes the connection or a crash resets
 * it. Off, every message is lost or delivered on its own (the fault engine's own tests). */
void net_set_streams(net_t *net, bool on);

/* ---- network partitions ---- */
/* Cuts the links from every node of `a` to every node of `b` (and back unless oneway).
 * Returns its id; messages crossing a cut are lost. */
int net_partition(net_t *net, const int32_t *a, size_t na, const int32_t *b, size_t nb,
                  bool oneway);
/* Heals one partition by id, or every one with id 0. */
void net_heal(net_t *net, int id);
bool net_link_cut(const net_t *net, int32_t from, int32_t to);

/* The connection between a and b: a number that changes whenever it is closed or reset,
 * so that what belonged to an old connection can be told from the new one. */
uint32_t net_conn(const net_t *net, int32_t a, int32_t b);
/* Closes the connection between a and b without telling b (a client giving up on it
 * after a request timeout); the next message opens a new one. */
void net_close(net_t *net, int32_t a, int32_t b);

/* n's process died: every node connected to it learns of the reset (on_disconnect) one
 * link latency later, unless a network partition swallows the reset. Called by world_crash. */
void net_node_down(net_t *net, node_t *n);


/* Messages sent and delivered so far. */
uint64_t net_sent(const net_t *net);
uint64_t net_delivered(const net_t *net);

#endif
