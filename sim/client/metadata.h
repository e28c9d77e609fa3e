/* metadata: a client's view of the cluster (Kafka's client Metadata): bootstrap nodes,
 * known brokers, and per wanted topic its partitions and their leaders. It builds Metadata
 * requests and applies their responses; the client decides when to send them. */
#ifndef KSIM_CLIENT_METADATA_H
#define KSIM_CLIENT_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/world.h"
#include "../kafka/protocol.h"

typedef struct meta_topic {
    const char *name;     /* interned */
    int16_t error;        /* last error for it (UNKNOWN_TOPIC_OR_PARTITION …) */
    int32_t n;            /* partitions; 0 while unknown */
    int32_t *leaders;     /* Kafka broker ids, -1 none */
} meta_topic_t;

typedef struct client_meta {
    int32_t *bootstrap;   /* node ids */
    int32_t n_bootstrap;
    metadata_broker_t *brokers;
    int32_t n_brokers;
    meta_topic_t *topics;
    int32_t n_topics;
    bool update_needed;
    int64_t last_attempt; /* µs, of the last Metadata request */
} client_meta_t;

void meta_init(client_meta_t *m, const int32_t *bootstrap, int32_t n);
void meta_free(client_meta_t *m);
/* Forgets everything learnt (a restarted process knows only its bootstrap nodes). */
void meta_reset(client_meta_t *m);
meta_topic_t *meta_find(const client_meta_t *m, const char *topic);
/* Adds the topic to the wanted set (an update becomes needed if it is new). */
meta_topic_t *meta_want(client_meta_t *m, const char *topic);
/* The node of the partition's leader, or -1 when unknown. */
int32_t meta_leader_node(const client_meta_t *m, const char *topic, int32_t partition);
/* A Metadata request for every wanted topic. */
msg_t *meta_request(client_meta_t *m, world_t *w);
void meta_apply(client_meta_t *m, const metadata_resp_t *resp);
/* A node to send a Metadata request to, as NetworkClient.leastLoadedNode picks one: among
 * the known brokers (or the bootstrap ones), the one with the least load(ctx, node) (its
 * requests in flight; negative: unusable now), scanning from an offset drawn from the
 * client's stream so ties spread. When none is usable, the first scanned. */
int32_t meta_pick_node(const client_meta_t *m, rng_t *rng, int32_t (*load)(void *, int32_t),
                       void *ctx);

#endif
