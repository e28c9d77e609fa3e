/* The classic group state machine (sim/kafka/group.c) driven directly: joins, the
 * MEMBER_ID_REQUIRED round, the initial delay, protocol votes, the sync barrier,
 * heartbeats, session and rebalance timeouts, static members and the generation checks of
 * OffsetCommit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "sim/kafka/api.h"
#include "sim/kafka/group.h"
#include "sim/kafka/group_coordinator.h"

#define MS 1000LL

/* What the group answered to each request, by request number. */
typedef struct answer {
    bool join, sync;
    bool dropped;           /* replaced or forgotten without an answer */
    int16_t error;
    char member_id[128];
    int32_t generation;
    int32_t n_members;      /* the join answer listed members (the leader's) */
    bool skip;              /* SkipAssignment */
    int32_t n_assigned;
} answer_t;

typedef struct rec {
    answer_t a[64];
    int next_id;
    char states[1024];      /* "Empty>PreparingRebalance," ... */
    int removed;
    int stores;
} rec_t;

static rec_t R;

static void join_done(void *ctx, const group_t *g, const gmember_t *m, void *req, int16_t error,
                      const char *member_id)
{
    answer_t *a = &R.a[(intptr_t)req];
    a->join = true;
    a->error = error;
    snprintf(a->member_id, sizeof a->member_id, "%s", member_id ? member_id : "");
    a->generation = error == KERR_NONE ? g->generation : -1;
    a->n_members = error == KERR_NONE && g->leader && strcmp(g->leader, m->id) == 0 ? g->n_members
                                                                                   : 0;
    a->skip = m && m->skip_assignment;
}

static void sync_done(void *ctx, const group_t *g, const gmember_t *m, void *req, int16_t error)
{
    answer_t *a = &R.a[(intptr_t)req];
    a->sync = true;
    a->error = error;
    a->n_assigned = error == KERR_NONE ? m->assignment.n : -1;
}

static void new_id(void *ctx, const char *client_id, char *out, size_t n)
{
    snprintf(out, n, "%s-%d", client_id, ++R.next_id);
}

static void state_changed(void *ctx, const group_t *g, group_state_t from, const char *why)
{
    size_t l = strlen(R.states);
    snprintf(R.states + l, sizeof R.states - l, "%s,", group_state_name(g->state));
}

static void removed(void *ctx, const group_t *g, const gmember_t *m, const char *why)
{
    R.removed++;
}

static void store(void *ctx, const group_t *g)
{
    R.stores++;
}

static void drop(void *ctx, void *req)
{
    R.a[(intptr_t)req].dropped = true;
}

static const group_io_t IO = { NULL, join_done, sync_done, new_id, state_changed, NULL, NULL,
                               removed, store, drop };

static const char *topics[] = { "t" };
static char *eager[] = { "range", "cooperative-sticky" };
static char *coop_first[] = { "cooperative-sticky", "range" };

/* A JoinGroup as request number `req`. */
static void join(group_t *g, int req, const char *member, const char *client, char **protocols,
                 int n_protocols, int64_t now)
{
    group_subscription_t sub = { 1, topics, { 0, NULL }, -1 };
    group_join_args_t a = { member, NULL, client, 10000, 30000, n_protocols, protocols, &sub };
    memset(&R.a[req], 0, sizeof R.a[req]);
    group_join(g, &IO, &a, (void *)(intptr_t)req, now);
}

static void join_static(group_t *g, int req, const char *member, const char *instance,
                        int64_t now)
{
    group_subscription_t sub = { 1, topics, { 0, NULL }, -1 };
    group_join_args_t a = { member, instance, instance, 10000, 30000, 2, eager, &sub };
    memset(&R.a[req], 0, sizeof R.a[req]);
    group_join(g, &IO, &a, (void *)(intptr_t)req, now);
}

static void sync_(group_t *g, int req, const char *member, int32_t gen, bool leader, int64_t now)
{
    group_tp_t tps[2] = { { "t", 0 }, { "t", 1 } };
    sync_assignment_t as[8];
    int32_t n = 0;
    for (int32_t i = 0; leader && i < g->n_members && i < 8; i++)
        as[n++] = (sync_assignment_t){ g->members[i]->id, { 1, &tps[i % 2] } };
    memset(&R.a[req], 0, sizeof R.a[req]);
    group_sync(g, &IO, member, NULL, gen, as, n, (void *)(intptr_t)req, now);
}

static void reset(void)
{
    memset(&R, 0, sizeof R);
}

/* Two members through MEMBER_ID_REQUIRED and the initial delay to a Stable group. */
static group_t *stable_pair(char *m1, char *m2)
{
    reset();
    group_t *g = group_new("g", 3000 * MS);
    join(g, 1, "", "a", eager, 2, 0);
    strcpy(m1, R.a[1].member_id);
    join(g, 2, m1, "a", eager, 2, 0);
    join(g, 3, "", "b", eager, 2, 100 * MS);
    strcpy(m2, R.a[3].member_id);
    join(g, 4, m2, "b", eager, 2, 100 * MS);
    group_tick(g, &IO, 3000 * MS);
    group_tick(g, &IO, 6000 * MS);
    sync_(g, 5, m2, 1, false, 6001 * MS);
    sync_(g, 6, m1, 1, true, 6001 * MS);
    return g;
}

/* Two dynamic members (m1 leads) that joined without an initial delay: generation 1,
 * CompletingRebalance. */
static group_t *joined_pair(char *m1, char *m2)
{
    reset();
    group_t *g = group_new("g", 0);
    join(g, 1, "", "a", eager, 2, 0);
    strcpy(m1, R.a[1].member_id);
    join(g, 2, m1, "a", eager, 2, 0);
    join(g, 3, "", "b", eager, 2, 0);
    strcpy(m2, R.a[3].member_id);
    join(g, 4, m2, "b", eager, 2, 0);
    group_tick(g, &IO, 0);
    return g;
}

/* Two static members (app-1 leads) to a Stable generation 1. */
static group_t *static_pair(char *m1, char *m2)
{
    reset();
    group_t *g = group_new("g", 0);
    join_static(g, 1, "", "app-1", 0);
    join_static(g, 2, "", "app-2", 0);
    group_tick(g, &IO, 0);
    strcpy(m1, R.a[1].member_id);
    strcpy(m2, R.a[2].member_id);
    sync_(g, 3, m2, 1, false, 1);
    sync_(g, 4, m1, 1, true, 1);
    return g;
}

static void test_partition_for(void)
{
    is_int(gcoord_partition_for("my-group", 50), 12,
           "my-group is coordinated by partition 12 of 50");
    is_int(gcoord_partition_for("kafka-txn-0", 50), 30, "kafka-txn-0 hashes to partition 30");
}

static void test_join_and_sync(void)
{
    reset();
    group_t *g = group_new("g", 3000 * MS);
    join(g, 1, "", "a", eager, 2, 0);
    ok(R.a[1].join && R.a[1].error == KERR_MEMBER_ID_REQUIRED,
       "a new dynamic member is answered MEMBER_ID_REQUIRED");
    ok(strncmp(R.a[1].member_id, "a-", 2) == 0, "its id is client.id-<uuid>");
    is_int(g->state, GROUP_EMPTY, "the group stays Empty until it joins again");
    char m1[128];
    strcpy(m1, R.a[1].member_id);
    join(g, 2, m1, "a", eager, 2, 0);
    is_int(g->state, GROUP_PREPARING_REBALANCE, "the second join starts a rebalance");
    ok(!R.a[2].join, "the join waits for group.initial.rebalance.delay.ms");
    is_int(group_next_deadline(g), 3000 * MS, "the delay ends 3000 ms later");
    join(g, 3, "", "b", eager, 2, 2000 * MS);
    join(g, 4, R.a[3].member_id, "b", eager, 2, 2000 * MS);
    group_tick(g, &IO, 3000 * MS);
    ok(!R.a[2].join, "a member that arrived during the delay extends it");
    is_int(group_next_deadline(g), 6000 * MS, "by another 3000 ms");
    group_tick(g, &IO, 6000 * MS);
    ok(R.a[2].join && R.a[4].join, "both members are answered when the delay ends");
    is_int(R.a[2].generation, 1, "generation 1");
    is_int(R.a[2].n_members, 2, "the leader (first to join) learns both members");
    is_int(R.a[4].n_members, 0, "a follower learns none");
    is_str(g->protocol, "range", "the protocol is the one both list first");
    is_int(g->state, GROUP_COMPLETING_REBALANCE, "CompletingRebalance");
    sync_(g, 5, R.a[4].member_id, 1, false, 6001 * MS);
    ok(!R.a[5].sync, "a follower's SyncGroup waits for the leader's");
    sync_(g, 6, m1, 1, true, 6001 * MS);
    ok(R.a[5].sync && R.a[6].sync && R.a[5].error == KERR_NONE,
       "the leader's sync answers everyone");
    is_int(R.a[5].n_assigned, 1, "with its own assignment");
    is_int(g->state, GROUP_STABLE, "Stable");
    is_int(R.stores, 1, "the group was stored once");
    is_str(R.states, "PreparingRebalance,CompletingRebalance,Stable,", "the states in order");
    group_free(g);
}

static void test_protocol_vote(void)
{
    reset();
    group_t *g = group_new("g", 0);
    join(g, 1, "", "a", eager, 2, 0);
    join(g, 2, R.a[1].member_id, "a", eager, 2, 0);
    join(g, 3, "", "b", coop_first, 2, 0);
    join(g, 4, R.a[3].member_id, "b", coop_first, 2, 0);
    join(g, 5, "", "c", coop_first, 2, 0);
    join(g, 6, R.a[5].member_id, "c", coop_first, 2, 0);
    group_tick(g, &IO, 0);
    is_str(g->protocol, "cooperative-sticky",
           "two votes for cooperative-sticky beat one for range");
    static char *only_rr[] = { "roundrobin" };
    join(g, 7, "", "d", only_rr, 1, 0);
    is_int(R.a[7].error, KERR_INCONSISTENT_GROUP_PROTOCOL,
           "a member with no protocol in common is refused");
    group_free(g);
}

static void test_heartbeat_and_commit_checks(void)
{
    char m1[128], m2[128];
    group_t *g = stable_pair(m1, m2);
    is_int(group_heartbeat(g, &IO, m1, NULL, 1, 7000 * MS), KERR_NONE,
           "a heartbeat in Stable is fine");
    is_int(group_heartbeat(g, &IO, m1, NULL, 0, 7000 * MS), KERR_ILLEGAL_GENERATION,
           "an old generation gets ILLEGAL_GENERATION");
    is_int(group_heartbeat(g, &IO, "nobody", NULL, 1, 7000 * MS), KERR_UNKNOWN_MEMBER_ID,
           "an unknown member gets UNKNOWN_MEMBER_ID");
    is_int(group_check_commit(g, m1, NULL, 1, 7000 * MS), KERR_NONE,
           "a commit with the current generation is taken");
    is_int(group_check_commit(g, m1, NULL, 0, 7000 * MS), KERR_ILLEGAL_GENERATION,
           "a stale generation is refused");
    is_int(group_check_commit(g, "nobody", NULL, 1, 7000 * MS), KERR_UNKNOWN_MEMBER_ID,
           "an unknown member is refused");
    /* A third member starts a rebalance. */
    join(g, 10, "", "c", eager, 2, 7000 * MS);
    join(g, 11, R.a[10].member_id, "c", eager, 2, 7000 * MS);
    is_int(g->state, GROUP_PREPARING_REBALANCE, "a new member moves Stable to PreparingRebalance");
    is_int(group_heartbeat(g, &IO, m1, NULL, 1, 7001 * MS), KERR_REBALANCE_IN_PROGRESS,
           "heartbeats answer REBALANCE_IN_PROGRESS");
    is_int(group_check_commit(g, m1, NULL, 1, 7000 * MS), KERR_NONE,
           "commits are still taken in PreparingRebalance");
    join(g, 12, m1, "a", eager, 2, 7002 * MS);
    join(g, 13, m2, "b", eager, 2, 7002 * MS);
    ok(R.a[11].join && R.a[12].join && R.a[13].join, "every member rejoined: the join completes");
    is_int(g->generation, 2, "generation 2");
    is_int(group_check_commit(g, m1, NULL, 2, 7002 * MS), KERR_REBALANCE_IN_PROGRESS,
           "in CompletingRebalance commits get REBALANCE_IN_PROGRESS");
    is_int(group_check_commit(g, m1, NULL, 1, 7002 * MS), KERR_ILLEGAL_GENERATION,
           "but a stale generation is ILLEGAL_GENERATION first (validateOffsetCommit)");
    is_int(group_check_commit(g, "nobody", NULL, 2, 7002 * MS), KERR_UNKNOWN_MEMBER_ID,
           "and an unknown member UNKNOWN_MEMBER_ID");
    is_int(group_check_commit(g, "", NULL, -1, 7002 * MS), KERR_UNKNOWN_MEMBER_ID,
           "a commit without member or generation is refused by a group with members");
    is_int(group_heartbeat(g, &IO, m1, NULL, 2, 7003 * MS), KERR_NONE,
           "heartbeats between join and sync are fine");
    sync_(g, 14, m2, 2, false, 7003 * MS);
    join(g, 15, "", "d", eager, 2, 7004 * MS);
    join(g, 16, R.a[15].member_id, "d", eager, 2, 7004 * MS);
    ok(R.a[14].sync && R.a[14].error == KERR_REBALANCE_IN_PROGRESS,
       "a rebalance during CompletingRebalance fails the waiting SyncGroup");
    sync_(g, 17, m1, 2, true, 7005 * MS);
    is_int(R.a[17].error, KERR_REBALANCE_IN_PROGRESS,
           "a SyncGroup in PreparingRebalance is refused");
    group_free(g);
}

static void test_commit_to_empty_group(void)
{
    group_t *g = group_new("g", 0);
    is_int(group_check_commit(g, "", NULL, -1, 0), KERR_NONE,
           "an Empty group takes a commit without member or generation (offsets storage only)");
    is_int(group_check_commit(g, "ghost", NULL, -1, 0), KERR_UNKNOWN_MEMBER_ID,
           "but a commit naming a member it does not have is UNKNOWN_MEMBER_ID, generation -1 "
           "or not (validateOffsetCommit runs for it)");
    group_free(g);
}

static void test_timeouts(void)
{
    char m1[128], m2[128];
    group_t *g = stable_pair(m1, m2);
    /* Sessions: 10 s from the sync at 6001 ms. m1 heartbeats, m2 does not. */
    is_int(group_heartbeat(g, &IO, m1, NULL, 1, 15000 * MS), KERR_NONE, "m1 heartbeats");
    is_int(group_next_deadline(g), 16001 * MS, "m2's session ends 10 s after its SyncGroup");
    group_tick(g, &IO, 16001 * MS);
    is_int(R.removed, 1, "the silent member is removed when its session expires");
    is_int(g->state, GROUP_PREPARING_REBALANCE, "and the group rebalances");
    ok(group_member(g, m2) == NULL, "m2 is gone");
    join(g, 20, m1, "a", eager, 2, 16002 * MS);
    ok(R.a[20].join && R.a[20].generation == 2, "the remaining member completes the join alone");
    sync_(g, 21, m1, 2, true, 16003 * MS);
    /* A new member joins; m1 never rejoins and is dropped at the rebalance timeout. */
    join(g, 22, "", "c", eager, 2, 17000 * MS);
    join(g, 23, R.a[22].member_id, "c", eager, 2, 17000 * MS);
    is_int(g->join_at, 47000 * MS, "the join waits at most the rebalance timeout (30 s)");
    group_heartbeat(g, &IO, m1, NULL, 2, 20000 * MS);
    group_tick(g, &IO, 47000 * MS);
    ok(group_member(g, m1) == NULL, "a member that did not rejoin in time is removed");
    ok(R.a[23].join && R.a[23].generation == 3 && R.a[23].n_members == 1,
       "the newcomer leads generation 3 alone");
    is_int(group_leave(g, &IO, R.a[23].member_id, NULL, 48000 * MS), KERR_NONE, "LeaveGroup");
    is_int(g->state, GROUP_PREPARING_REBALANCE, "the last member's leave starts a rebalance");
    group_tick(g, &IO, g->join_at);
    is_int(g->state, GROUP_EMPTY, "which ends Empty");
    group_free(g);
}

static void test_static_member(void)
{
    reset();
    group_t *g = group_new("g", 0);
    join_static(g, 1, "", "app-1", 0);
    ok(!R.a[1].join, "a new static member needs no MEMBER_ID_REQUIRED round");
    join_static(g, 2, "", "app-2", 0);
    group_tick(g, &IO, 0);
    ok(R.a[1].join && R.a[2].join, "both static members joined");
    char old[128];
    strcpy(old, R.a[2].member_id);
    sync_(g, 3, R.a[2].member_id, 1, false, 1);
    sync_(g, 4, R.a[1].member_id, 1, true, 1);
    is_int(g->state, GROUP_STABLE, "Stable");
    /* app-2 restarts: a JoinGroup with its instance id and no member id. */
    join_static(g, 5, "", "app-2", 5000 * MS);
    ok(R.a[5].join && R.a[5].error == KERR_NONE, "the restarted static member is answered at once");
    is_int(g->state, GROUP_STABLE, "without a rebalance");
    is_int(R.a[5].generation, 1, "in the same generation");
    ok(strcmp(R.a[5].member_id, old) != 0, "under a new member id");
    is_int(group_heartbeat(g, &IO, old, NULL, 1, 5001 * MS), KERR_UNKNOWN_MEMBER_ID,
           "the old member id is fenced");
    sync_(g, 6, R.a[5].member_id, 1, false, 5001 * MS);
    is_int(R.a[6].n_assigned, 1, "the new id gets the old assignment");
    group_free(g);
}

/* A static member of a cooperative group restarts: its process owns nothing now
 * (owned [] and generation -1), so its subscription bytes differ, yet the protocol the group
 * would select is the same: Kafka 3.9 answers without a rebalance. */
static void test_static_restart_new_metadata(void)
{
    reset();
    group_t *g = group_new("g", 0);
    group_tp_t owned_tp[1] = { { "t", 1 } };
    group_subscription_t sub = { 1, topics, { 0, NULL }, -1 };
    group_join_args_t a = { "", "app-1", "app-1", 10000, 30000, 2, coop_first, &sub };
    group_join(g, &IO, &a, (void *)(intptr_t)1, 0);
    a.instance_id = a.client_id = "app-2";
    group_join(g, &IO, &a, (void *)(intptr_t)2, 0);
    group_tick(g, &IO, 0);
    char m1[128], m2[128];
    strcpy(m1, R.a[1].member_id);
    strcpy(m2, R.a[2].member_id);
    sync_(g, 3, m2, 1, false, 1);
    sync_(g, 4, m1, 1, true, 1);
    /* Both rejoin with what they own (a second, cooperative generation). */
    group_subscription_t owns = { 1, topics, { 1, owned_tp }, 1 };
    a = (group_join_args_t){ m1, "app-1", "app-1", 10000, 30000, 2, coop_first, &owns };
    group_join(g, &IO, &a, (void *)(intptr_t)5, 2);
    a.member_id = m2;
    a.instance_id = a.client_id = "app-2";
    group_join(g, &IO, &a, (void *)(intptr_t)6, 2);
    sync_(g, 7, m2, 2, false, 3);
    sync_(g, 8, m1, 2, true, 3);
    is_int(g->state, GROUP_STABLE, "generation 2 is Stable");
    int stores = R.stores;
    /* app-2 and then the leader app-1 restart: no member id, nothing owned. */
    a = (group_join_args_t){ "", "app-2", "app-2", 10000, 30000, 2, coop_first, &sub };
    memset(&R.a[9], 0, sizeof R.a[9]);
    group_join(g, &IO, &a, (void *)(intptr_t)9, 5000 * MS);
    ok(R.a[9].join && R.a[9].error == KERR_NONE && R.a[9].generation == 2,
       "a restarted static member with other subscription bytes is answered at once");
    is_int(g->state, GROUP_STABLE, "without a rebalance");
    is_int(R.stores, stores + 1, "the group is stored with its new member id");
    ok(!R.a[9].skip && R.a[9].n_members == 0, "a follower learns no members");
    a.instance_id = a.client_id = "app-1";
    memset(&R.a[10], 0, sizeof R.a[10]);
    group_join(g, &IO, &a, (void *)(intptr_t)10, 6000 * MS);
    ok(R.a[10].join && R.a[10].skip && R.a[10].n_members == 2,
       "the restarted leader gets the members with SkipAssignment");
    is_int(g->generation, 2, "still generation 2");
    /* A restart whose protocols change what the group would select rebalances. */
    static char *range_only[] = { "range" };
    a = (group_join_args_t){ "", "app-2", "app-2", 10000, 30000, 1, range_only, &sub };
    group_join(g, &IO, &a, (void *)(intptr_t)11, 7000 * MS);
    is_int(g->state, GROUP_PREPARING_REBALANCE,
           "a restart that changes the protocol the group would select rebalances");
    group_free(g);
}

/* validateCurrentMember / replaceStaticMember: once a restarted process took the instance
 * id, every call of the old member id with that instance id is FENCED_INSTANCE_ID, and a
 * join the old id still had waiting is answered so. */
static void test_fenced_instance(void)
{
    char m1[128], old[128];
    group_t *g = static_pair(m1, old);
    /* A third member starts a rebalance; the old app-2 rejoins and waits. */
    join(g, 5, "", "c", eager, 2, 1000 * MS);
    join(g, 6, R.a[5].member_id, "c", eager, 2, 1000 * MS);
    join_static(g, 7, old, "app-2", 1001 * MS);
    ok(!R.a[7].join, "the old app-2 waits in the join barrier");
    join_static(g, 8, "", "app-2", 1002 * MS);
    ok(R.a[7].join && R.a[7].error == KERR_FENCED_INSTANCE_ID,
       "a new app-2 process fences the old one's waiting join");
    char now_id[128];
    strcpy(now_id, group_member(g, R.a[7].member_id) ? "" : "gone");
    is_str(now_id, "gone", "the old member id is gone");
    join_static(g, 9, old, "app-2", 1003 * MS);
    is_int(R.a[9].error, KERR_FENCED_INSTANCE_ID, "the zombie's next JoinGroup is fenced");
    is_int(group_heartbeat(g, &IO, old, "app-2", 1, 1003 * MS), KERR_FENCED_INSTANCE_ID,
           "its heartbeat is fenced");
    is_int(group_check_commit(g, old, "app-2", 1, 1003 * MS), KERR_FENCED_INSTANCE_ID,
           "its commit is fenced");
    is_int(group_leave(g, &IO, old, "app-2", 1003 * MS), KERR_FENCED_INSTANCE_ID,
           "its LeaveGroup is fenced");
    memset(&R.a[10], 0, sizeof R.a[10]);
    group_sync(g, &IO, old, "app-2", 1, NULL, 0, (void *)(intptr_t)10, 1003 * MS);
    is_int(R.a[10].error, KERR_FENCED_INSTANCE_ID, "its SyncGroup is fenced");
    is_int(group_heartbeat(g, &IO, "nobody", "app-9", 1, 1003 * MS), KERR_UNKNOWN_MEMBER_ID,
           "an unknown instance id is UNKNOWN_MEMBER_ID");
    group_free(g);
}

/* Kafka 3.9 keeps static members that did not rejoin in time; dynamic ones are removed. */
static void test_static_not_rejoined(void)
{
    char m1[128], m2[128];
    group_t *g = static_pair(m1, m2);
    join(g, 5, "", "c", eager, 2, 1000 * MS);
    join(g, 6, R.a[5].member_id, "c", eager, 2, 1000 * MS);
    join_static(g, 7, m1, "app-1", 1001 * MS);
    group_heartbeat(g, &IO, m2, NULL, 1, 20000 * MS);
    group_tick(g, &IO, g->join_at);
    is_int(g->state, GROUP_COMPLETING_REBALANCE, "the rebalance timeout completes the join");
    ok(group_member(g, m2) != NULL, "the static member that did not rejoin stays a member");
    is_int(g->n_members, 3, "with the two that did");
    ok(R.a[6].join && R.a[7].join, "those two are answered");
    group_free(g);
}

/* DelayedSync: a member that never sends SyncGroup is removed at the rebalance timeout. */
static void test_pending_sync(void)
{
    char m1[128], m2[128];
    group_t *g = joined_pair(m1, m2);
    is_int(g->state, GROUP_COMPLETING_REBALANCE, "both joined");
    sync_(g, 5, m2, 1, false, 1000 * MS);
    is_int(group_next_deadline(g), 10000 * MS, "the leader's session ends first (10 s)");
    for (int64_t t = 9000; t <= 27000; t += 9000) {
        group_heartbeat(g, &IO, m1, NULL, 1, t * MS);
        group_heartbeat(g, &IO, m2, NULL, 1, t * MS);
    }
    group_tick(g, &IO, 27000 * MS);
    is_int(g->n_members, 2, "a leader that heartbeats but never syncs stays until the timeout");
    is_int(group_next_deadline(g), 30000 * MS, "the pending-sync deadline: the rebalance timeout");
    group_tick(g, &IO, 30000 * MS);
    ok(group_member(g, m1) == NULL, "then it is removed");
    is_int(g->state, GROUP_PREPARING_REBALANCE, "and the group rebalances");
    ok(R.a[5].sync && R.a[5].error == KERR_REBALANCE_IN_PROGRESS,
       "the follower's waiting SyncGroup hears REBALANCE_IN_PROGRESS");
    group_free(g);
}

/* Every pending JoinGroup / SyncGroup ends: answered, or dropped when replaced, as Kafka
 * overwrites the member's callback; a member removed while its join waits hears
 * UNKNOWN_MEMBER_ID (removeMemberAndUpdateGroup). */
static void test_pending_requests_end(void)
{
    char m1[128], m2[128];
    group_t *g = stable_pair(m1, m2);
    join(g, 10, "", "c", eager, 2, 7000 * MS);
    char m3[128];
    strcpy(m3, R.a[10].member_id);
    join(g, 11, m3, "c", eager, 2, 7000 * MS);
    join(g, 12, m1, "a", eager, 2, 7001 * MS);
    join(g, 13, m1, "a", eager, 2, 7002 * MS);
    ok(R.a[12].dropped && !R.a[12].join, "a join replaced by the member's next one is dropped");
    is_int(group_leave(g, &IO, m3, NULL, 7003 * MS), KERR_NONE,
           "the new member leaves while waiting");
    ok(R.a[11].join && R.a[11].error == KERR_UNKNOWN_MEMBER_ID,
       "its pending join is answered UNKNOWN_MEMBER_ID");
    join(g, 14, m2, "b", eager, 2, 7004 * MS);
    is_int(g->state, GROUP_COMPLETING_REBALANCE, "the two remaining members complete the join");
    sync_(g, 15, m2, 2, false, 7005 * MS);
    sync_(g, 16, m2, 2, false, 7006 * MS);
    ok(R.a[15].dropped && !R.a[15].sync, "a sync replaced by the member's next one is dropped");
    is_int(group_leave(g, &IO, m2, NULL, 7007 * MS), KERR_NONE,
           "the follower leaves while syncing");
    ok(R.a[16].dropped && !R.a[16].sync, "its pending sync is dropped with it");
    int open = 0;
    for (int i = 10; i <= 16; i++)
        open += !R.a[i].join && !R.a[i].sync && !R.a[i].dropped;
    is_int(open, 0, "no request is left waiting");
    group_free(g);
}

/* propagateAssignment: a follower's session starts over when the leader's SyncGroup
 * answers it, not when its own SyncGroup arrived. */
static void test_sync_answer_renews_session(void)
{
    char m1[128], m2[128];
    group_t *g = joined_pair(m1, m2);
    sync_(g, 5, m2, 1, false, 1000 * MS);
    group_heartbeat(g, &IO, m1, NULL, 1, 8000 * MS);
    sync_(g, 6, m1, 1, true, 9000 * MS);
    ok(R.a[5].sync && R.a[5].error == KERR_NONE, "the follower has its assignment at 9 s");
    group_heartbeat(g, &IO, m1, NULL, 1, 12000 * MS);
    group_tick(g, &IO, 12000 * MS);
    ok(group_member(g, m2) != NULL,
       "11 s after its SyncGroup but 3 s after the answer, its session (10 s) still runs");
    is_int(group_member(g, m2)->session_deadline, 19000 * MS, "it ends 10 s after the answer");
    group_free(g);
}

/* onGroupUnloaded: the group goes Dead and whoever waits hears NOT_COORDINATOR. */
static void test_unload(void)
{
    char m1[128], m2[128];
    group_t *g = stable_pair(m1, m2);
    join(g, 10, "", "c", eager, 2, 7000 * MS);
    join(g, 11, R.a[10].member_id, "c", eager, 2, 7000 * MS);
    group_unload(g, &IO);
    is_int(g->state, GROUP_DEAD, "an unloaded group is Dead");
    ok(R.a[11].join && R.a[11].error == KERR_NOT_COORDINATOR,
       "its waiting join hears NOT_COORDINATOR");
    ok(strstr(R.states, "Dead,") != NULL, "the move to Dead is reported");
    group_free(g);
}

static void test_offsets(void)
{
    group_t *g = group_new("g", 0);
    is_int(group_check_commit(g, "", NULL, -1, 0), KERR_NONE,
           "an Empty group takes commits without a generation");
    group_commit(g, "t", 1, 5, 0);
    group_commit(g, "a", 0, 7, 1);
    group_commit(g, "t", 1, 9, 2);
    is_int(group_committed(g, "t", 1), 9, "the latest commit wins");
    is_int(group_committed(g, "a", 0), 7, "per partition");
    is_int(group_committed(g, "t", 0), -1, "none: -1");
    group_free(g);
}

int main(void)
{
    test_partition_for();
    test_join_and_sync();
    test_protocol_vote();
    test_heartbeat_and_commit_checks();
    test_commit_to_empty_group();
    test_timeouts();
    test_static_member();
    test_static_not_rejoined();
    test_static_restart_new_metadata();
    test_fenced_instance();
    test_pending_sync();
    test_pending_requests_end();
    test_sync_answer_renews_session();
    test_unload();
    test_offsets();
    return tap_done();
}
