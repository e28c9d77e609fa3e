/* inflight: a client's requests awaiting their answers (Kafka's InFlightRequests): the
 * correlation id, the broker, the API, the request-timeout timer, and what the client
 * attached to settle when the answer (or the timeout) comes; and, per broker, the
 * reconnect backoff after a connection was reset (Kafka's ClusterConnectionStates). */
#ifndef KSIM_INFLIGHT_H
#define KSIM_INFLIGHT_H

#include <stdint.h>

#include "../core/net.h"

typedef struct inflight {
    int32_t corr;
    int32_t node;
    int16_t api;
    ev_handle_t timer;
    uint32_t conn;   /* the connection it went out on (net_conn) */
    void *data;   /* the client's, malloc'd: e.g. the batches of a Produce */
    int32_t n;    /* entries in data */
} inflight_t;

/* A broker whose connection was reset: no new connection before `until`. */
typedef struct conn_backoff {
    int32_t node;
    int32_t failures;   /* resets since the last answer from it */
    int64_t until;
} conn_backoff_t;

typedef struct inflight_table {
    inflight_t *e;
    int32_t n, cap;
    conn_backoff_t *down;
    int32_t n_down;
} inflight_table_t;

/* Tracks request m, sent by `self` to `node`, and arms its timeout: after `timeout` µs
 * on_timeout(ctx, NULL, corr) runs unless the entry was taken before. */
inflight_t *inflight_add(inflight_table_t *t, node_t *self, const msg_t *m, int32_t node,
                         int64_t timeout, ev_fn on_timeout, void *ctx);
/* Index of the entry with this correlation id, or -1. */
int32_t inflight_find(const inflight_table_t *t, int32_t corr);
/* Removes entry i (cancelling its timer) and hands it, data included, to the caller. */
inflight_t inflight_take(inflight_table_t *t, world_t *w, int32_t i);
/* Index of the first entry to `node` sent on connection `conn` or an older one, or -1:
 * the requests a reset of that connection loses. */
int32_t inflight_on_conn(const inflight_table_t *t, int32_t node, uint32_t conn);
/* Entries to `node` (-1: any) for `api` (-1: any). */
int32_t inflight_count(const inflight_table_t *t, int32_t node, int16_t api);
/* Kafka's ExponentialBackoff (KIP-580) with multiplier 2 and ±20% jitter: the wait before
 * the attempt after `attempts` failures (0: the first retry), at most `max`. When `max` is
 * below `initial`, Kafka waits `max` every time, without jitter. */
int64_t client_backoff(int64_t initial, int64_t max, int32_t attempts, rng_t *rng);
/* The connection to `node` was reset: reconnecting waits reconnect.backoff.ms, doubling
 * with every further reset up to reconnect.backoff.max.ms, ±20% jitter (Kafka 2.1+). */
void inflight_reset(inflight_table_t *t, int32_t node, int64_t now, int64_t base, int64_t max,
                    rng_t *rng);
/* An answer came from `node`: its backoff starts over. */
void inflight_answered(inflight_table_t *t, int32_t node);
/* When a request may next go to `node` (INT64_MIN: now). */
int64_t inflight_ready_at(const inflight_table_t *t, int32_t node);
/* Forgets every entry (timers cancelled, data freed), keeping the table usable. */
void inflight_clear(inflight_table_t *t, world_t *w);
void inflight_free(inflight_table_t *t, world_t *w);

#endif
