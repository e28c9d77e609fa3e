/* compare: the assignors side by side over one history of group changes. It owns the
 * rebalance bookkeeping a real group does around its assignor (what each member owns
 * and reports, generations, the eager and cooperative protocols' revocations and extra
 * rounds) and the metrics of each step: partitions per member, moved, revoked, rounds.
 * A history in, numbers out (and, to an observer, every round's assignment).
 *
 * The protocols, as Kafka 3.9's ConsumerCoordinator runs them (classic group protocol):
 *   eager        before joining, every member revokes everything it owns and reports no
 *                owned partitions; one JoinGroup/SyncGroup round assigns everything.
 *                StickyAssignor still sees the previous assignment: it travels in its
 *                user data (with its generation).
 *   cooperative  members keep what they own and report it with their generation; a
 *                member only revokes, before joining, the partitions of topics it no
 *                longer subscribes to. After the round it revokes what it owned but was
 *                not given; if any member revoked something, the group rebalances again,
 *                and the partitions freed go out in that next round.
 * Range, RoundRobin and Sticky support only EAGER (their supportedProtocols()); Cooperative-
 * Sticky supports both, and a group whose members list only it runs COOPERATIVE. */
#ifndef KSIM_ASSIGN_COMPARE_H
#define KSIM_ASSIGN_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assignor.h"

typedef enum compare_protocol { COMPARE_EAGER, COMPARE_COOPERATIVE } compare_protocol_t;

typedef struct compare_strategy {
    const char *assignor; /* one of ASSIGN_NAMES */
    compare_protocol_t protocol;
} compare_strategy_t;

/* The four strategies of a default comparison: range, roundrobin and sticky (eager),
 * cooperative-sticky (cooperative). */
#define COMPARE_NDEFAULT 4
/* Members in a group at once, at most (each join is checked against every member). */
#define COMPARE_MAX_MEMBERS 10000
extern const compare_strategy_t compare_default_strategies[COMPARE_NDEFAULT];

/* "eager" or "cooperative". */
const char *compare_protocol_name(compare_protocol_t p);

/* Reads "ASSIGNOR" or "ASSIGNOR/PROTOCOL" ("range", "cooperative-sticky/eager"). Without
 * a protocol, the one Kafka runs when every member lists only that assignor. False with a
 * sentence in err for an unknown name or a protocol the assignor does not support. */
bool compare_strategy_parse(const char *text, compare_strategy_t *out, char *err,
                            size_t errlen);

/* The short name of a strategy: the assignor alone when the protocol is its own default,
 * else "assignor/protocol". Points into a static table or into buf. */
const char *compare_strategy_name(const compare_strategy_t *s, char *buf, size_t n);

/* ---- a history ---- */

typedef enum compare_change_kind {
    COMPARE_JOIN,       /* a member joins: member, topics, instance, rack */
    COMPARE_LEAVE,      /* a member leaves the group (LeaveGroup) */
    COMPARE_CRASH,      /* a member dies; the group drops it when its session times out */
    COMPARE_PARTITIONS, /* a topic grows to `partitions` partitions (CreatePartitions) */
    COMPARE_SUBSCRIBE,  /* a member's subscription becomes `topics` */
} compare_change_kind_t;

typedef struct compare_change {
    compare_change_kind_t kind;
    const char *member;          /* join, leave, crash, subscribe */
    const char *instance;        /* join: group.instance.id, NULL for a dynamic member */
    const char *rack;            /* join: client.rack, NULL for none */
    const int32_t *topics;       /* join, subscribe: indexes into the history's topics */
    int32_t ntopics;
    int32_t topic, partitions;   /* partitions: the topic and its new partition count */
} compare_change_t;

/* Changes that happen together, followed by the group's rebalance (if they call for
 * one: a member joins or goes, a subscription changes, a subscribed topic grows). */
typedef struct compare_step {
    const compare_change_t *changes;
    int32_t nchanges;
    const char *label; /* what to call the step; NULL: described from its changes */
} compare_step_t;

typedef struct compare_history {
    /* Every topic of the history with its partition count at the start (0: it does not
     * exist yet). A topic's replicas, when not NULL, list every partition it will ever
     * have in the history. */
    const assign_topic_t *topics;
    int32_t ntopics;
    const compare_step_t *steps;
    int32_t nsteps;
} compare_history_t;

/* Writes the step's label, or a description of its changes ("C3 joins; C1 leaves",
 * "orders grows to 6 partitions"), into buf; returns buf. */
const char *compare_describe_step(const compare_history_t *h, int32_t step, char *buf,
                                  size_t n);

/* The largest partition count each topic reaches in the history, most[t] for topic t:
 * the room its replicas' racks need. */
void compare_largest_counts(const compare_history_t *h, int32_t *most);

/* ---- the numbers ---- */

typedef struct compare_metrics {
    int64_t min, max;   /* partitions per member once the step settled (0, 0: no members) */
    int64_t spread;     /* max - min */
    int64_t moved;      /* partitions owned before the step and by another member after */
    int64_t revoked;    /* partitions that staying members gave up (onPartitionsRevoked);
                         * those of a member that leaves or crashes are not counted */
    int32_t rounds;     /* JoinGroup/SyncGroup rounds the step took (0: no rebalance) */
} compare_metrics_t;

/* The metrics by index and name, in the order tables and charts show them. */
enum {
    COMPARE_MIN,
    COMPARE_MAX,
    COMPARE_SPREAD,
    COMPARE_MOVED,
    COMPARE_REVOKED,
    COMPARE_ROUNDS,
    COMPARE_NMETRICS
};
extern const char *const compare_metric_names[COMPARE_NMETRICS];
int64_t compare_metric(const compare_metrics_t *m, int i);

typedef struct compare_step_info {
    int32_t members;    /* members in the group once the step is applied */
    int64_t partitions; /* partitions of topics some member subscribes to */
    bool rebalance;     /* whether the step made the group rebalance */
} compare_step_info_t;

typedef struct compare_result {
    int32_t nsteps, nstrategies;
    compare_step_info_t *info;  /* per step */
    compare_metrics_t *metrics; /* metrics[step * nstrategies + strategy] */
    /* Per strategy: moved, revoked and rounds summed over the steps; min and max the
     * lowest and highest seen in a step with members; spread the worst step's. */
    compare_metrics_t *total;
} compare_result_t;

static inline const compare_metrics_t *compare_at(const compare_result_t *r, int32_t step,
                                                  int32_t strategy)
{
    return &r->metrics[(size_t)step * (size_t)r->nstrategies + (size_t)strategy];
}

/* One JoinGroup/SyncGroup round, as an observer sees it. Partitions are listed per member
 * of `group` in the layout of assign_result_t. */
typedef struct compare_round {
    int32_t step, strategy;
    int32_t round;                  /* 1 for the step's first round */
    int32_t generation;             /* the group's generation after the round */
    const assign_group_t *group;    /* what the assignor was given, in JoinGroup order */
    const assign_result_t *assigned; /* its answer */
    const assign_result_t *revoked; /* what each member revoked in this round (eager:
                                     * everything it had; cooperative: before joining,
                                     * topics it left, and after, what it was not given) */
} compare_round_t;

typedef struct compare_observer {
    void (*round)(void *ctx, const compare_round_t *r);
    /* Once a step has settled: group->members[m].owned is what member m owns now. */
    void (*settled)(void *ctx, int32_t step, int32_t strategy, const assign_group_t *group);
    void *ctx;
} compare_observer_t;

typedef struct compare_error {
    int32_t step;     /* the step at fault, -1 when the topics are */
    int32_t change;   /* the change at fault within the step, -1 when none in particular */
    int32_t strategy; /* the strategy at fault, -1 when the history is */
    char msg[512];
} compare_error_t;

/* Runs every strategy over the history. Each starts from an empty group at generation 0
 * and applies the steps in order; members are listed to the assignor in the order they
 * joined. On success fills *out (free with compare_result_free). A strategy Kafka does
 * not allow (range under COOPERATIVE), a bad history (a member that joins twice or leaves
 * without having joined, a topic that shrinks, ...) or an assignor that fails (Kafka's
 * would throw) returns false and says where in *err (the first two before any strategy
 * runs). The observer (NULL for none) sees every round, strategy by strategy.
 * Deterministic. */
bool compare_run(const compare_history_t *h, const compare_strategy_t *strategies,
                 int32_t nstrategies, const compare_observer_t *obs, compare_result_t *out,
                 compare_error_t *err);

void compare_result_free(compare_result_t *r);

#endif
