/* group: the classic group state machine (Kafka 3.9 GroupCoordinator / GroupMetadata). */
#include "group.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "protocol.h"

const char *group_state_name(group_state_t s)
{
    switch (s) {
    case GROUP_EMPTY: return "Empty";
    case GROUP_PREPARING_REBALANCE: return "PreparingRebalance";
    case GROUP_COMPLETING_REBALANCE: return "CompletingRebalance";
    case GROUP_STABLE: return "Stable";
    case GROUP_DEAD: return "Dead";
    }
    return "?";
}

group_t *group_new(const char *id, int64_t initial_delay_us)
{
    group_t *g = proto_calloc(1, sizeof *g);
    g->id = gp_strdup(id);
    g->state = GROUP_EMPTY;
    g->join_at = INT64_MAX;
    g->sync_at = INT64_MAX;
    g->initial_delay_us = initial_delay_us;
    return g;
}

static void member_free(gmember_t *m)
{
    free(m->id);
    free(m->instance);
    free(m->client_id);
    for (int32_t i = 0; i < m->n_protocols; i++)
        free(m->protocols[i]);
    free(m->protocols);
    group_sub_free(&m->sub);
    group_tps_free(&m->assignment);
    free(m);
}

void group_clear_members(group_t *g)
{
    for (int32_t i = 0; i < g->n_members; i++)
        member_free(g->members[i]);
    for (int32_t i = 0; i < g->n_pending; i++)
        member_free(g->pending[i]);
    free(g->members);
    free(g->pending);
    g->members = g->pending = NULL;
    g->n_members = g->n_pending = 0;
    free(g->leader);
    g->leader = NULL;
}

void group_free(group_t *g)
{
    if (!g)
        return;
    group_clear_members(g);
    free(g->id);
    free(g->protocol);
    group_offsets_free(g);
    free(g);
}

static int32_t find_in(gmember_t *const *v, int32_t n, const char *id)
{
    for (int32_t i = 0; i < n; i++)
        if (strcmp(v[i]->id, id) == 0)
            return i;
    return -1;
}

gmember_t *group_member(const group_t *g, const char *member_id)
{
    int32_t i = member_id ? find_in(g->members, g->n_members, member_id) : -1;
    return i >= 0 ? g->members[i] : NULL;
}

static gmember_t *static_member(const group_t *g, const char *instance)
{
    for (int32_t i = 0; instance && i < g->n_members; i++)
        if (g->members[i]->instance && strcmp(g->members[i]->instance, instance) == 0)
            return g->members[i];
    return NULL;
}

/* validateCurrentMember: a group.instance.id must be known (else UNKNOWN_MEMBER_ID) and
 * mapped to this member id (else FENCED_INSTANCE_ID: a zombie of a replaced process);
 * the member id must be known. */
static int16_t check_member(const group_t *g, const char *member_id, const char *instance)
{
    if (instance) {
        const gmember_t *st = static_member(g, instance);
        if (!st)
            return KERR_UNKNOWN_MEMBER_ID;
        if (!member_id || strcmp(st->id, member_id) != 0)
            return KERR_FENCED_INSTANCE_ID;
    }
    return group_member(g, member_id) ? KERR_NONE : KERR_UNKNOWN_MEMBER_ID;
}

static void push(gmember_t ***v, int32_t *n, gmember_t *m)
{
    *v = realloc(*v, (size_t)(*n + 1) * sizeof **v);
    if (!*v)
        abort();
    (*v)[(*n)++] = m;
}

static void take(gmember_t **v, int32_t *n, int32_t i)
{
    memmove(&v[i], &v[i + 1], (size_t)(*n - i - 1) * sizeof *v);
    (*n)--;
}

static void transition(group_t *g, const group_io_t *io, group_state_t to, const char *why)
{
    group_state_t from = g->state;
    g->state = to;
    if (io->state_changed)
        io->state_changed(io->ctx, g, from, why);
}

static bool is_leader(const group_t *g, const gmember_t *m)
{
    return g->leader && strcmp(g->leader, m->id) == 0;
}

/* The member's protocols and subscription as the request gives them. */
static void set_protocols(gmember_t *m, const group_join_args_t *a)
{
    for (int32_t i = 0; i < m->n_protocols; i++)
        free(m->protocols[i]);
    free(m->protocols);
    m->n_protocols = a->n_protocols;
    m->protocols = proto_calloc((size_t)a->n_protocols, sizeof *m->protocols);
    for (int32_t i = 0; i < a->n_protocols; i++)
        m->protocols[i] = gp_strdup(a->protocols[i]);
    group_sub_free(&m->sub);
    group_sub_copy(&m->sub, a->sub);
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
}

/* MemberMetadata.matches: the same protocols with the same metadata. */
static bool matches(const gmember_t *m, const group_join_args_t *a)
{
    if (m->n_protocols != a->n_protocols || !group_sub_equal(&m->sub, a->sub))
        return false;
    for (int32_t i = 0; i < a->n_protocols; i++)
        if (strcmp(m->protocols[i], a->protocols[i]) != 0)
            return false;
    return true;
}

static bool supports(const gmember_t *m, const char *protocol)
{
    for (int32_t i = 0; i < m->n_protocols; i++)
        if (strcmp(m->protocols[i], protocol) == 0)
            return true;
    return false;
}

/* GroupMetadata.supportsProtocols: an Empty group takes anything; otherwise some protocol
 * of the new member must be supported by every member. */
static bool supports_protocols(const group_t *g, const group_join_args_t *a)
{
    if (g->state == GROUP_EMPTY || g->n_members == 0)
        return a->n_protocols > 0;
    for (int32_t p = 0; p < a->n_protocols; p++) {
        bool all = true;
        for (int32_t i = 0; i < g->n_members && all; i++)
            all = supports(g->members[i], a->protocols[p]);
        if (all)
            return true;
    }
    return false;
}

/* GroupMetadata.selectProtocol: among the protocols every member supports, each member
 * votes for the first of its own list; most votes wins. Kafka breaks a tie by its map's
 * order; here the candidate listed first by the earliest member wins. */
static char *select_protocol(const group_t *g)
{
    const gmember_t *first = g->members[0];
    int32_t best = -1, best_votes = -1;
    for (int32_t p = 0; p < first->n_protocols; p++) {
        const char *cand = first->protocols[p];
        bool all = true;
        for (int32_t i = 0; i < g->n_members && all; i++)
            all = supports(g->members[i], cand);
        if (!all)
            continue;
        int32_t votes = 0;
        for (int32_t i = 0; i < g->n_members; i++) {
            const gmember_t *m = g->members[i];
            for (int32_t k = 0; k < m->n_protocols; k++) {
                bool candidate = true;
                for (int32_t j = 0; j < g->n_members && candidate; j++)
                    candidate = supports(g->members[j], m->protocols[k]);
                if (!candidate)
                    continue;
                votes += strcmp(m->protocols[k], cand) == 0;
                break;
            }
        }
        if (votes > best_votes) {
            best = p;
            best_votes = votes;
        }
    }
    assert(best >= 0);
    return gp_strdup(first->protocols[best]);
}

static int32_t rebalance_timeout_ms(const group_t *g)
{
    int32_t t = 0;
    for (int32_t i = 0; i < g->n_members; i++)
        if (g->members[i]->rebalance_timeout_ms > t)
            t = g->members[i]->rebalance_timeout_ms;
    return t;
}

/* A pending request that will never be answered (its client gave up on it). */
static void drop_req(const group_io_t *io, void **slot)
{
    if (*slot && io->drop)
        io->drop(io->ctx, *slot);
    *slot = NULL;
}

/* The member's new JoinGroup replaces any older one still waiting. */
static void await_join(const group_io_t *io, gmember_t *m, void *req)
{
    drop_req(io, &m->join_ctx);
    m->join_ctx = req;
}

static void answer_join(group_t *g, const group_io_t *io, gmember_t *m, int16_t error)
{
    void *req = m->join_ctx;
    m->join_ctx = NULL;
    m->is_new = false;
    if (req)
        io->join_done(io->ctx, g, m, req, error, m->id);
}

/* propagateAssignment: every member waiting in SyncGroup hears `error` (NONE: its
 * assignment), and its session starts over from that answer. */
static void propagate(group_t *g, const group_io_t *io, int16_t error, int64_t now)
{
    for (int32_t i = 0; i < g->n_members; i++) {
        gmember_t *m = g->members[i];
        void *req = m->sync_ctx;
        m->sync_ctx = NULL;
        if (!req)
            continue;
        io->sync_done(io->ctx, g, m, req, error);
        m->session_deadline = now + (int64_t)m->session_timeout_ms * 1000;
    }
}

/* resetAndPropagateAssignmentError: every assignment is cleared, the waiting members
 * hear the error. */
static void propagate_sync_error(group_t *g, const group_io_t *io, int16_t error, int64_t now)
{
    for (int32_t i = 0; i < g->n_members; i++)
        group_tps_free(&g->members[i]->assignment);
    propagate(g, io, error, now);
}

/* prepareRebalance: the join barrier starts (InitialDelayedJoin for an Empty group). */
static void prepare_rebalance(group_t *g, const group_io_t *io, int64_t now, const char *why)
{
    if (g->state == GROUP_COMPLETING_REBALANCE)
        propagate_sync_error(g, io, KERR_REBALANCE_IN_PROGRESS, now);
    g->sync_at = INT64_MAX;
    for (int32_t i = 0; i < g->n_members; i++)
        g->members[i]->pending_sync = false;
    int64_t timeout = (int64_t)rebalance_timeout_ms(g) * 1000;
    if (g->state == GROUP_EMPTY) {
        g->initial_delay = true;
        g->new_member_added = false;
        g->join_at = now + g->initial_delay_us;
        g->initial_remaining = timeout > g->initial_delay_us ? timeout - g->initial_delay_us : 0;
    } else {
        g->initial_delay = false;
        g->join_at = now + timeout;
    }
    transition(g, io, GROUP_PREPARING_REBALANCE, why);
}

static void maybe_prepare_rebalance(group_t *g, const group_io_t *io, int64_t now,
                                    const char *why)
{
    if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE ||
        g->state == GROUP_EMPTY)
        prepare_rebalance(g, io, now, why);
}

static bool all_joined(const group_t *g)
{
    if (g->n_pending)
        return false;
    for (int32_t i = 0; i < g->n_members; i++)
        if (!g->members[i]->join_ctx)
            return false;
    return true;
}

/* GroupMetadata.remove, after removeMemberAndUpdateGroup's answer to a pending join:
 * UNKNOWN_MEMBER_ID, so a member still alive joins again. A pending SyncGroup is dropped. */
static void remove_at(group_t *g, const group_io_t *io, int32_t i, const char *why)
{
    gmember_t *m = g->members[i];
    answer_join(g, io, m, KERR_UNKNOWN_MEMBER_ID);
    drop_req(io, &m->sync_ctx);
    if (io->member_removed)
        io->member_removed(io->ctx, g, m, why);
    take(g->members, &g->n_members, i);
    if (is_leader(g, m)) {
        free(g->leader);
        g->leader = g->n_members ? gp_strdup(g->members[0]->id) : NULL;
    }
    member_free(m);
}

/* maybeElectNewJoinedLeader: the leader stays if it rejoined, else the first member that
 * did takes over. False when no member rejoined. */
static bool elect_joined_leader(group_t *g)
{
    gmember_t *leader = g->leader ? group_member(g, g->leader) : NULL;
    if (leader && leader->join_ctx)
        return true;
    for (int32_t i = 0; i < g->n_members; i++)
        if (g->members[i]->join_ctx) {
            free(g->leader);
            g->leader = gp_strdup(g->members[i]->id);
            return true;
        }
    return false;
}

/* onCompleteJoin (Kafka 3.9): dynamic members that did not rejoin are gone, static ones
 * keep their place; the next generation starts. */
static void complete_join(group_t *g, const group_io_t *io, int64_t now)
{
    g->join_at = INT64_MAX;
    for (int32_t i = g->n_members - 1; i >= 0; i--)
        if (!g->members[i]->join_ctx && !g->members[i]->instance)
            remove_at(g, io, i, "did not rejoin within the rebalance timeout");
    if (g->n_members && !elect_joined_leader(g)) {
        /* Only static members are left and none rejoined: wait another rebalance timeout,
         * until their sessions expire. */
        g->join_at = now + (int64_t)rebalance_timeout_ms(g) * 1000;
        return;
    }
    g->generation++;
    free(g->protocol);
    g->protocol = NULL;
    if (g->n_members == 0) {
        free(g->leader);
        g->leader = NULL;
        transition(g, io, GROUP_EMPTY, "no member rejoined");
        if (io->store)
            io->store(io->ctx, g);
        return;
    }
    g->protocol = select_protocol(g);
    transition(g, io, GROUP_COMPLETING_REBALANCE, "every member joined");
    /* DelayedSync: every member must send its SyncGroup within the rebalance timeout. */
    g->sync_at = now + (int64_t)rebalance_timeout_ms(g) * 1000;
    for (int32_t i = 0; i < g->n_members; i++) {
        gmember_t *m = g->members[i];
        m->session_deadline = now + (int64_t)m->session_timeout_ms * 1000;
        m->pending_sync = true;
        answer_join(g, io, m, KERR_NONE);
    }
}

static void try_complete_join(group_t *g, const group_io_t *io, int64_t now)
{
    if (g->state == GROUP_PREPARING_REBALANCE && !g->initial_delay && all_joined(g))
        complete_join(g, io, now);
}

static gmember_t *new_member(const group_join_args_t *a, const char *id, int64_t now)
{
    gmember_t *m = proto_calloc(1, sizeof *m);
    m->id = gp_strdup(id);
    m->instance = gp_strdup(a->instance_id);
    m->client_id = gp_strdup(a->client_id);
    set_protocols(m, a);
    m->session_deadline = now + (int64_t)a->session_timeout_ms * 1000;
    return m;
}

/* addMemberAndRebalance. */
static void add_member(group_t *g, const group_io_t *io, gmember_t *m, void *req, int64_t now)
{
    m->join_ctx = req;
    m->is_new = true;
    /* A new member waits for its first join answer at most NewMemberJoinTimeoutMs. */
    m->session_deadline = now + GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS * 1000;
    push(&g->members, &g->n_members, m);
    if (!g->leader)
        g->leader = gp_strdup(m->id);
    if (io->member_joined)
        io->member_joined(io->ctx, g, m);
    if (g->state == GROUP_PREPARING_REBALANCE && g->initial_delay)
        g->new_member_added = true;
    char why[300];
    snprintf(why, sizeof why, "Adding new member %s", m->id);
    maybe_prepare_rebalance(g, io, now, why);
    try_complete_join(g, io, now);
}

/* updateMemberAndRebalance. */
static void update_member(group_t *g, const group_io_t *io, gmember_t *m,
                          const group_join_args_t *a, void *req, int64_t now, const char *why)
{
    set_protocols(m, a);
    await_join(io, m, req);
    maybe_prepare_rebalance(g, io, now, why);
    try_complete_join(g, io, now);
}

/* updateStaticMemberAndRebalance: a known group.instance.id with a new member id takes
 * the old id's place, assignment and metadata. A Stable group rebalances only when the
 * protocol it would select changes ("doesn't affect selectProtocol will not trigger
 * rebalance"): it stores the group and answers, the leader with SkipAssignment. */
static void static_rejoin(group_t *g, const group_io_t *io, gmember_t *m,
                          const group_join_args_t *a, void *req, int64_t now)
{
    char id[300];
    io->new_member_id(io->ctx, a->client_id, id, sizeof id);
    /* replaceStaticMember: whoever still waits under the old id is fenced at once. */
    answer_join(g, io, m, KERR_FENCED_INSTANCE_ID);
    void *sync = m->sync_ctx;
    m->sync_ctx = NULL;
    if (sync)
        io->sync_done(io->ctx, g, m, sync, KERR_FENCED_INSTANCE_ID);
    bool was_leader = is_leader(g, m);
    char *old = m->id;
    m->id = gp_strdup(id);
    if (io->member_renamed)
        io->member_renamed(io->ctx, g, old, m);
    free(old);
    if (was_leader) {
        free(g->leader);
        g->leader = gp_strdup(id);
    }
    m->session_deadline = now + (int64_t)a->session_timeout_ms * 1000;
    if (io->member_joined)
        io->member_joined(io->ctx, g, m);
    set_protocols(m, a);
    if (g->state == GROUP_STABLE) {
        char *next = select_protocol(g);
        bool same = g->protocol && strcmp(next, g->protocol) == 0;
        free(next);
        if (same) {
            if (io->store)
                io->store(io->ctx, g);
            await_join(io, m, req);
            m->skip_assignment = is_leader(g, m);
            answer_join(g, io, m, KERR_NONE);
            m->skip_assignment = false;
            return;
        }
    }
    update_member(g, io, m, a, req, now,
                  g->state == GROUP_STABLE ? "static member rejoined: the selected protocol "
                                             "would change"
                                           : "static member rejoined during the rebalance");
}

void group_join(group_t *g, const group_io_t *io, const group_join_args_t *a, void *req,
                int64_t now)
{
    assert(g->state != GROUP_DEAD); /* a Dead group is freed at once (group_unload) */
    bool unknown_id = !a->member_id || !*a->member_id;
    if (!supports_protocols(g, a)) {
        io->join_done(io->ctx, g, NULL, req, KERR_INCONSISTENT_GROUP_PROTOCOL, a->member_id);
        return;
    }
    if (unknown_id) {
        gmember_t *st = static_member(g, a->instance_id);
        if (st) {
            static_rejoin(g, io, st, a, req, now);
            return;
        }
        char id[300];
        io->new_member_id(io->ctx, a->client_id, id, sizeof id);
        gmember_t *m = new_member(a, id, now);
        if (a->instance_id) {
            add_member(g, io, m, req, now);
            return;
        }
        /* KIP-394: a dynamic member first gets its id and must join again with it. */
        push(&g->pending, &g->n_pending, m);
        io->join_done(io->ctx, g, NULL, req, KERR_MEMBER_ID_REQUIRED, id);
        return;
    }
    int32_t pi = find_in(g->pending, g->n_pending, a->member_id);
    if (pi >= 0) {
        gmember_t *m = g->pending[pi];
        take(g->pending, &g->n_pending, pi);
        set_protocols(m, a);
        add_member(g, io, m, req, now);
        return;
    }
    int16_t err = check_member(g, a->member_id, a->instance_id);
    if (err != KERR_NONE) {
        io->join_done(io->ctx, g, NULL, req, err, a->member_id);
        return;
    }
    gmember_t *m = group_member(g, a->member_id);
    m->session_deadline = now + (int64_t)a->session_timeout_ms * 1000;
    switch (g->state) {
    case GROUP_PREPARING_REBALANCE:
        update_member(g, io, m, a, req, now, "member rejoined during the rebalance");
        return;
    case GROUP_COMPLETING_REBALANCE:
        if (matches(m, a)) {
            await_join(io, m, req);
            answer_join(g, io, m, KERR_NONE);
        } else {
            update_member(g, io, m, a, req, now, "member rejoined with new metadata");
        }
        return;
    case GROUP_STABLE:
        if (is_leader(g, m) || !matches(m, a)) {
            char why[400];
            snprintf(why, sizeof why, "%s rejoined (%s)", m->id,
                     is_leader(g, m) ? "the leader" : "new metadata");
            update_member(g, io, m, a, req, now, why);
        } else {
            await_join(io, m, req);
            answer_join(g, io, m, KERR_NONE);
        }
        return;
    case GROUP_EMPTY:
    case GROUP_DEAD:
        io->join_done(io->ctx, g, NULL, req, KERR_UNKNOWN_MEMBER_ID, a->member_id);
        return;
    }
}

void group_sync(group_t *g, const group_io_t *io, const char *member_id, const char *instance,
                int32_t generation, const sync_assignment_t *assignments, int32_t n, void *req,
                int64_t now)
{
    int16_t err = check_member(g, member_id, instance);
    if (err != KERR_NONE) {
        io->sync_done(io->ctx, g, NULL, req, err);
        return;
    }
    gmember_t *m = group_member(g, member_id);
    if (generation != g->generation) {
        io->sync_done(io->ctx, g, m, req, KERR_ILLEGAL_GENERATION);
        return;
    }
    m->session_deadline = now + (int64_t)m->session_timeout_ms * 1000;
    if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE) {
        m->pending_sync = false;
        bool pending = false;
        for (int32_t i = 0; i < g->n_members && !pending; i++)
            pending = g->members[i]->pending_sync;
        if (!pending)
            g->sync_at = INT64_MAX;
    }
    switch (g->state) {
    case GROUP_EMPTY:
    case GROUP_DEAD:
        io->sync_done(io->ctx, g, m, req, KERR_UNKNOWN_MEMBER_ID);
        return;
    case GROUP_PREPARING_REBALANCE:
        io->sync_done(io->ctx, g, m, req, KERR_REBALANCE_IN_PROGRESS);
        return;
    case GROUP_STABLE:
        io->sync_done(io->ctx, g, m, req, KERR_NONE);
        return;
    case GROUP_COMPLETING_REBALANCE:
        break;
    }
    drop_req(io, &m->sync_ctx);
    m->sync_ctx = req;
    if (!is_leader(g, m))
        return;
    /* setAndPropagateAssignment: members the leader left out get nothing. */
    for (int32_t i = 0; i < g->n_members; i++) {
        gmember_t *x = g->members[i];
        group_tps_free(&x->assignment);
        for (int32_t k = 0; k < n; k++)
            if (strcmp(assignments[k].member_id, x->id) == 0)
                group_tps_copy(&x->assignment, &assignments[k].tps);
        group_tps_sort(&x->assignment);
    }
    if (io->store)
        io->store(io->ctx, g);
    transition(g, io, GROUP_STABLE, "the leader's assignment arrived");
    propagate(g, io, KERR_NONE, now);
}

int16_t group_heartbeat(group_t *g, const group_io_t *io, const char *member_id,
                        const char *instance, int32_t generation, int64_t now)
{
    assert(g->state != GROUP_DEAD);
    int16_t err = check_member(g, member_id, instance);
    if (err != KERR_NONE)
        return err;
    gmember_t *m = group_member(g, member_id);
    if (g->state == GROUP_EMPTY)
        return KERR_UNKNOWN_MEMBER_ID;
    if (generation != g->generation)
        return KERR_ILLEGAL_GENERATION;
    m->session_deadline = now + (int64_t)m->session_timeout_ms * 1000;
    /* Members may heartbeat between their JoinGroup and SyncGroup answers (Kafka 2.5+). */
    return g->state == GROUP_PREPARING_REBALANCE ? KERR_REBALANCE_IN_PROGRESS : KERR_NONE;
}

/* removeMemberAndUpdateGroup. */
static void remove_and_update(group_t *g, const group_io_t *io, int32_t i, int64_t now,
                              const char *why)
{
    char reason[400];
    snprintf(reason, sizeof reason, "removing member %s: %s", g->members[i]->id, why);
    remove_at(g, io, i, why);
    switch (g->state) {
    case GROUP_DEAD:
    case GROUP_EMPTY:
        return;
    case GROUP_STABLE:
    case GROUP_COMPLETING_REBALANCE:
        maybe_prepare_rebalance(g, io, now, reason);
        return;
    case GROUP_PREPARING_REBALANCE:
        try_complete_join(g, io, now);
        return;
    }
}

int16_t group_leave(group_t *g, const group_io_t *io, const char *member_id,
                    const char *instance, int64_t now)
{
    int32_t pi = member_id ? find_in(g->pending, g->n_pending, member_id) : -1;
    if (pi >= 0) {
        member_free(g->pending[pi]);
        take(g->pending, &g->n_pending, pi);
        try_complete_join(g, io, now);
        return KERR_NONE;
    }
    int16_t err = check_member(g, member_id, instance);
    if (err != KERR_NONE)
        return err;
    int32_t i = find_in(g->members, g->n_members, member_id);
    remove_and_update(g, io, i, now, "the member left the group (LeaveGroup)");
    return KERR_NONE;
}

/* validateOffsetCommit: the member and its generation when the commit names them; a
 * commit outside group management (no member, no generation) is taken by an Empty group,
 * and a transactional one by any group (older TxnOffsetCommits carry no member). */
static int16_t validate_commit(const group_t *g, const char *member_id, const char *instance,
                               int32_t generation, bool transactional)
{
    if (g->state == GROUP_DEAD)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    if (generation >= 0 || (member_id && *member_id) || instance) {
        int16_t err = check_member(g, member_id, instance);
        if (err != KERR_NONE)
            return err;
        if (generation != g->generation)
            return KERR_ILLEGAL_GENERATION;
    } else if (!transactional && g->state != GROUP_EMPTY) {
        return KERR_UNKNOWN_MEMBER_ID; /* only members commit to a group that has some */
    }
    return KERR_NONE;
}

int16_t group_check_txn_commit(const group_t *g, const char *member_id, const char *instance,
                               int32_t generation)
{
    return validate_commit(g, member_id, instance, generation, true);
}

int16_t group_check_commit(group_t *g, const char *member_id, const char *instance,
                           int32_t generation, int64_t now)
{
    assert(g->state != GROUP_DEAD);
    /* validateOffsetCommit first, then the state. */
    int16_t err = validate_commit(g, member_id, instance, generation, false);
    if (err != KERR_NONE)
        return err;
    if (g->state == GROUP_COMPLETING_REBALANCE)
        return KERR_REBALANCE_IN_PROGRESS;
    /* doCommitOffsets: a member's commit counts as a heartbeat. */
    gmember_t *m = group_member(g, member_id);
    if (m)
        m->session_deadline = now + (int64_t)m->session_timeout_ms * 1000;
    return KERR_NONE;
}

/* InitialDelayedJoin.onComplete: a member that arrived during the delay extends it, as long
 * as the rebalance timeout allows. */
static void join_deadline(group_t *g, const group_io_t *io, int64_t now)
{
    if (g->initial_delay && g->new_member_added && g->initial_remaining > 0) {
        int64_t d = g->initial_delay_us < g->initial_remaining ? g->initial_delay_us
                                                               : g->initial_remaining;
        g->new_member_added = false;
        g->initial_remaining -= d;
        g->join_at = now + d;
        return;
    }
    g->initial_delay = false;
    complete_join(g, io, now);
}

/* MemberMetadata.hasSatisfiedHeartbeat: waiting in a join or sync counts as alive. */
static bool expired(const gmember_t *m, int64_t now)
{
    if (m->session_deadline > now)
        return false;
    return m->is_new || (!m->join_ctx && !m->sync_ctx);
}

/* onExpirePendingSync: members that never sent their SyncGroup are removed. */
static void sync_deadline(group_t *g, const group_io_t *io, int64_t now)
{
    g->sync_at = INT64_MAX;
    bool removed = false;
    for (int32_t i = g->n_members - 1; i >= 0; i--)
        if (g->members[i]->pending_sync) {
            remove_at(g, io, i, "no SyncGroup within the rebalance timeout");
            removed = true;
        }
    if (removed)
        maybe_prepare_rebalance(g, io, now, "removing members on pending sync request expiration");
}

static bool syncing(const group_t *g)
{
    return g->state == GROUP_COMPLETING_REBALANCE || g->state == GROUP_STABLE;
}

void group_tick(group_t *g, const group_io_t *io, int64_t now)
{
    while (g->state == GROUP_PREPARING_REBALANCE && g->join_at <= now)
        join_deadline(g, io, now);
    if (syncing(g) && g->sync_at <= now)
        sync_deadline(g, io, now);
    for (int32_t i = g->n_pending - 1; i >= 0; i--)
        if (g->pending[i]->session_deadline <= now) {
            member_free(g->pending[i]);
            take(g->pending, &g->n_pending, i);
            try_complete_join(g, io, now);
        }
    for (int32_t i = g->n_members - 1; i >= 0; i--) {
        if (i >= g->n_members || !expired(g->members[i], now))
            continue;
        char why[200];
        snprintf(why, sizeof why, "session timeout (%d ms) expired",
                 g->members[i]->session_timeout_ms);
        remove_and_update(g, io, i, now, why);
    }
}

void group_unload(group_t *g, const group_io_t *io)
{
    transition(g, io, GROUP_DEAD, "the coordinator no longer leads the group's partition");
    for (int32_t i = 0; i < g->n_members; i++) {
        gmember_t *m = g->members[i];
        answer_join(g, io, m, KERR_NOT_COORDINATOR);
        void *req = m->sync_ctx;
        m->sync_ctx = NULL;
        if (req)
            io->sync_done(io->ctx, g, m, req, KERR_NOT_COORDINATOR);
    }
}

int64_t group_next_deadline(const group_t *g)
{
    int64_t t = g->state == GROUP_PREPARING_REBALANCE ? g->join_at : INT64_MAX;
    if (syncing(g) && g->sync_at < t)
        t = g->sync_at;
    for (int32_t i = 0; i < g->n_pending; i++)
        if (g->pending[i]->session_deadline < t)
            t = g->pending[i]->session_deadline;
    for (int32_t i = 0; i < g->n_members; i++) {
        const gmember_t *m = g->members[i];
        /* A member waiting in a join or sync is checked again when it is answered. */
        if ((m->join_ctx || m->sync_ctx) && !m->is_new)
            continue;
        if (m->session_deadline < t)
            t = m->session_deadline;
    }
    return t;
}

void group_restart_sessions(group_t *g, int64_t now)
{
    for (int32_t i = 0; i < g->n_members; i++)
        g->members[i]->session_deadline =
            now + (int64_t)g->members[i]->session_timeout_ms * 1000;
}

gmember_t *group_load_member(group_t *g, const char *id, const char *instance,
                             const char *client_id, int32_t session_ms, int32_t rebalance_ms,
                             const group_subscription_t *sub, const group_tps_t *assignment)
{
    gmember_t *m = proto_calloc(1, sizeof *m);
    m->id = gp_strdup(id);
    m->instance = gp_strdup(instance);
    m->client_id = gp_strdup(client_id);
    m->session_timeout_ms = session_ms;
    m->rebalance_timeout_ms = rebalance_ms;
    group_sub_copy(&m->sub, sub);
    group_tps_copy(&m->assignment, assignment);
    push(&g->members, &g->n_members, m);
    return m;
}
