/* coordinator: the consumer's side of the classic group protocol (Kafka's
 * ConsumerCoordinator over AbstractCoordinator). It owns the membership (member id,
 * generation, protocol, the join and sync exchanges, the leader's assignment), the
 * background heartbeat with max.poll.interval.ms, the eager and cooperative (KIP-429)
 * rebalances with their listener calls, and the offset commits and fetches. */
#ifndef KSIM_COORDINATOR_H
#define KSIM_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/net.h"
#include "../kafka/config.h"
#include "consumer.h"
#include "inflight.h"

typedef struct coordinator coordinator_t;

/* For a consumer with a group.id; NULL with err for a bad partition.assignment.strategy. */
coordinator_t *coord_new(consumer_t *c, const char *name, const config_t *cfg, char *err,
                         size_t errlen);
void coord_free(coordinator_t *co);
bool coord_subscribed(const coordinator_t *co);
void coord_subscribe(coordinator_t *co, const char *const *topics, size_t n,
                     consumer_listener_fn fn, void *ctx);
/* What the group needs now (while polling): the coordinator, the join, the assignment
 * taking effect, auto-commit, committed offsets of new partitions. */
void coord_step(coordinator_t *co);
/* A listener call that ran later is done (consumer_listener_done). */
void coord_listener_done(coordinator_t *co);
/* A listener call is still outstanding: poll returns no records meanwhile, as Kafka's
 * poll runs the listener before it fetches. */
bool coord_listening(const coordinator_t *co);
/* poll was called: max.poll.interval.ms starts over. */
void coord_polled(coordinator_t *co);
void coord_commit(coordinator_t *co, bool sync, consumer_commit_fn fn, void *ctx);
/* An answer to one of the coordinator's requests, or the request lost (m NULL). */
void coord_response(coordinator_t *co, const inflight_t *f, const msg_t *m);
bool coord_owns_api(int16_t api);
/* close(): commit (auto-commit), revoke, leave the group (dynamic members). */
void coord_close(coordinator_t *co);
/* KafkaConsumer.groupMetadata() (strings borrowed from the coordinator). */
void coord_group_metadata(const coordinator_t *co, consumer_group_metadata_t *out);
/* The process died: the membership is gone; the subscription stays. */
void coord_crash(coordinator_t *co);

#endif
