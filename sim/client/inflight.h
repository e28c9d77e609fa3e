/* inflight: a client's requests awaiting their answers (Kafka's InFlightRequests): the
 * correlation id, the broker, the API, the request-timeout timer, and what the client
 * attached to settle when the answer (or the timeout) comes. */
#ifndef KSIM_INFLIGHT_H
#define KSIM_INFLIGHT_H

#include <stdint.h>

#include "../core/net.h"

typedef struct inflight {
    int32_t corr;
    int32_t node;
    int16_t api;
    ev_handle_t timer;
    void *data;   /* the client's, malloc'd: e.g. the batches of a Produce */
    int32_t n;    /* entries in data */
} inflight_t;

typedef struct inflight_table {
    inflight_t *e;
    int32_t n, cap;
} inflight_table_t;

/* Tracks request m, sent by `self` to `node`, and arms its timeout: after `timeout` µs
 * on_timeout(ctx, NULL, corr) runs unless the entry was taken before. */
inflight_t *inflight_add(inflight_table_t *t, node_t *self, const msg_t *m, int32_t node,
                         int64_t timeout, ev_fn on_timeout, void *ctx);
/* Index of the entry with this correlation id, or -1. */
int32_t inflight_find(const inflight_table_t *t, int32_t corr);
/* Removes entry i (cancelling its timer) and hands it, data included, to the caller. */
inflight_t inflight_take(inflight_table_t *t, world_t *w, int32_t i);
/* Entries to `node` (-1: any) for `api` (-1: any). */
int32_t inflight_count(const inflight_table_t *t, int32_t node, int16_t api);
/* Forgets every entry (timers cancelled, data freed), keeping the table usable. */
void inflight_clear(inflight_table_t *t, world_t *w);
void inflight_free(inflight_table_t *t, world_t *w);

#endif
