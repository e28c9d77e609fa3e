/* The member's side of the classic group protocol (sim/client/coordinator.c) and the
 * coordinator's commits and failovers, in small worlds (the topic "t", consumers of group
 * "g"). A JoinGroup answer or an OffsetCommit is handed over directly where the test needs
 * one a real member would not send. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kafka_fixture.h"
#include "sim/client/consumer.h"
#include "sim/client/producer.h"
#include "sim/client/consumer_internal.h"
#include "sim/client/coordinator_internal.h"
#include "sim/kafka/api.h"
#include "sim/kafka/group_coordinator.h"
#include "sim/kafka/group_protocol.h"

typedef struct app {
    fixture_t *f;
    consumer_t *k;
    int16_t last_error;
    char last_what[256];
    bool stop;
} app_t;

static void polled(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                   int16_t error, const char *what);

static void poll_again(void *a, void *b, int64_t arg)
{
    app_t *app = a;
    if (!app->stop && !consumer_polling(app->k))
        consumer_poll(app->k, 200 * US_PER_MS, polled, app);
}

static void polled(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                   int16_t error, const char *what)
{
    app_t *app = ctx;
    if (error) {
        app->last_error = error;
        snprintf(app->last_what, sizeof app->last_what, "%s", what ? what : "");
    }
    world_schedule(app->f->w, app->f->w->now + 10 * US_PER_MS, poll_again, app, NULL, 0);
}

static int in_flight(const consumer_t *c, int16_t api)
{
    int n = 0;
    for (int32_t i = 0; i < c->inflight.n; i++)
        n += c->inflight.e[i].api == api;
    return n;
}

static consumer_t *member_named(fixture_t *f, const char *name, const char *const *kv)
{
    consumer_t *k = fixture_consumer(f, name, kv);
    const char *topics[] = { TOPIC };
    char err[256];
    if (!consumer_subscribe(k, topics, 1, NULL, NULL, err, sizeof err))
        abort();
    return k;
}

static consumer_t *member(fixture_t *f, const char *const *kv)
{
    return member_named(f, "c1", kv);
}

/* The leader's JoinGroup answer lists a member the assignor refuses: as Kafka's
 * onLeaderElected throwing, no SyncGroup goes out, the poll raises the error, and the
 * member joins again. */
static void test_assignor_failure(void)
{
    fixture_t f;
    fixture_init(&f, 1, 1, 2);
    const char *kv[] = { "group.id", "g", "partition.assignment.strategy", "range", NULL };
    app_t app = { &f, member(&f, kv), 0, "", false };
    world_schedule(f.w, 0, poll_again, &app, NULL, 0);
    world_run(f.w, 10 * US_PER_S, NULL, NULL);
    topic_partition_t tps[4];
    is_int((int)consumer_assignment(app.k, tps, 4), 2, "the member owns both partitions");
    ok(consumer_polling(app.k), "a poll is running");
    coordinator_t *co = app.k->co;
    join_resp_t *r = proto_calloc(1, sizeof *r);
    const char **topics = proto_calloc(1, sizeof *topics);
    topics[0] = world_intern(f.w, TOPIC);
    char self[200];
    snprintf(self, sizeof self, "%s", co->member_id);
    r->generation = co->generation;
    r->protocol = gp_strdup("range");
    r->member_id = gp_strdup(self);
    r->leader = gp_strdup(self);
    r->n_members = 1;
    r->members = proto_calloc(1, sizeof *r->members);
    r->members[0].member_id = gp_strdup(self);
    r->members[0].sub = (group_subscription_t){ 1, topics, { 0, NULL }, -5 };
    msg_t *m = msg_new(f.w, API_JOIN_GROUP, true, r, &join_resp_ops);
    inflight_t fl = { .api = API_JOIN_GROUP, .node = -1 };
    coord_response(co, &fl, m);
    msg_unref(f.w, m);
    is_int(in_flight(app.k, API_SYNC_GROUP), 0, "no SyncGroup goes out");
    world_run(f.w, f.w->now + 250 * US_PER_MS, NULL, NULL);
    is_int(app.last_error, KERR_INVALID_REQUEST, "the poll ends with the assignor's error");
    ok(strstr(app.last_what, "generation -5") != NULL, "which says why: %s", app.last_what);
    world_run(f.w, 30 * US_PER_S, NULL, NULL);
    is_int((int)consumer_assignment(app.k, tps, 4), 2, "the member joins again and owns both");
    char err[256];
    cJSON *d = cluster_describe_group(f.c, "g", err, sizeof err);
    is_str(d ? trace_str(d, "state") : "?", "Stable", "the group is Stable");
    cJSON_Delete(d);
    app.stop = true;
    fixture_free(&f);
}

/* Heartbeat.sessionTimeoutExpired: when no heartbeat is answered for session.timeout.ms
 * the member marks the coordinator unknown and looks for it again, long before the
 * request timeout (30 s) would end the lost heartbeat. */
static void test_session_expiry_marks_coordinator_unknown(void)
{
    fixture_t f;
    fixture_init(&f, 2, 1, 2);
    const char *kv[] = { "group.id", "g", "session.timeout.ms", "10000", NULL };
    app_t app = { &f, member(&f, kv), 0, "", false };
    world_schedule(f.w, 0, poll_again, &app, NULL, 0);
    world_run(f.w, 10 * US_PER_S, NULL, NULL);
    topic_partition_t tps[4];
    is_int((int)consumer_assignment(app.k, tps, 4), 2, "the member joined");
    int32_t a = consumer_node(app.k)->id, b = cluster_broker(f.c, 1)->id;
    size_t from = f.n_ev;
    net_partition(f.w->net, &a, 1, &b, 1, false);
    world_run(f.w, 25 * US_PER_S, NULL, NULL);
    const cJSON *hit = NULL;
    for (size_t i = from; i < f.n_ev && !hit; i++)
        if (str_is(f.ev[i], "kind", "coordinator_unknown") &&
            str_is(f.ev[i], "reason", "session timed out without receiving a heartbeat response"))
            hit = f.ev[i];
    ok(hit != NULL, "the member marks the coordinator unknown when its session runs out");
    ok(hit && ev_t(hit) <= 20 * US_PER_S,
       "within session.timeout.ms of the last answer (t=%lld us)",
       hit ? (long long)ev_t(hit) : -1LL);
    app.stop = true;
    fixture_free(&f);
}

/* Two live processes with one group.instance.id: the second replaces the first, whose
 * calls are then FENCED_INSTANCE_ID. As Kafka's FencedInstanceIdException that is fatal for
 * the zombie: its poll raises it and it does not join again under a new member id, so the
 * live process keeps its place (no fencing back and forth). */
static void test_fenced_zombie(void)
{
    fixture_t f;
    fixture_init(&f, 3, 1, 2);
    const char *kv[] = { "group.id", "g", "group.instance.id", "app", NULL };
    app_t a = { &f, member_named(&f, "c1", kv), 0, "", false };
    world_schedule(f.w, 0, poll_again, &a, NULL, 0);
    world_run(f.w, 10 * US_PER_S, NULL, NULL);
    app_t b = { &f, member_named(&f, "c2", kv), 0, "", false };
    world_schedule(f.w, f.w->now, poll_again, &b, NULL, 0);
    world_run(f.w, 20 * US_PER_S, NULL, NULL);
    is_int(a.last_error, KERR_FENCED_INSTANCE_ID, "the replaced process's poll is fenced");
    ok(strstr(a.last_what, "FencedInstanceIdException") != NULL, "%s", a.last_what);
    char err[256];
    cJSON *d = cluster_describe_group(f.c, "g", err, sizeof err);
    int64_t gen = d ? trace_int(d, "generation", -1) : -1;
    cJSON_Delete(d);
    world_run(f.w, 50 * US_PER_S, NULL, NULL);
    d = cluster_describe_group(f.c, "g", err, sizeof err);
    is_int((int)(d ? trace_int(d, "generation", -1) : -2), (int)gen,
           "the group's generation stays put: the zombie never rejoins as a new member");
    is_str(d ? trace_str(d, "state") : "?", "Stable", "Stable");
    cJSON_Delete(d);
    topic_partition_t tps[4];
    is_int((int)consumer_assignment(b.k, tps, 4), 2, "the live process owns both partitions");
    is_int(b.last_error, 0, "and its polls never failed");
    a.stop = b.stop = true;
    fixture_free(&f);
}

typedef struct commit_seen {
    bool done;
    int16_t error;
} commit_seen_t;

static void commit_done(void *ctx, consumer_t *c, int16_t error, const char *what)
{
    commit_seen_t *s = ctx;
    s->done = true;
    s->error = error;
}

static void send_cb(void *a, void *b, int64_t i)
{
    char err[256];
    producer_send(a, TOPIC, (int32_t)(i % 2), str("k"), str("v"), -1, err, sizeof err);
}

/* offsets.commit.required.acks = -1: a commit is answered once the followers have its
 * records, so a coordinator that fails over never loses an acknowledged commit. Here the
 * coordinator is cut off from its followers when the member commits, then crashes. */
static void test_acknowledged_commit_survives_failover(void)
{
    fixture_t f;
    const char *bkv[] = { "offsets.topic.num.partitions", "1", NULL };
    const char *tkv[] = { "partitions", "2", "replication.factor", "3", NULL };
    fixture_init_with(&f, 4, 3, bkv, tkv);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    producer_t *p = cluster_producer(f.c, "p1", &pc, f.err, sizeof f.err);
    config_free(&pc);
    for (int i = 0; i < 20; i++)
        world_schedule(f.w, i * 100 * US_PER_MS, send_cb, p, NULL, i);
    const char *kv[] = { "group.id", "g", "enable.auto.commit", "false",
                         "auto.offset.reset", "earliest", NULL };
    app_t app = { &f, member(&f, kv), 0, "", false };
    world_schedule(f.w, 0, poll_again, &app, NULL, 0);
    world_run(f.w, 10 * US_PER_S, NULL, NULL);
    int32_t leader = cluster_leader(f.c, OFFSETS_TOPIC, gcoord_partition_for("g", 1));
    node_t *coord = cluster_broker(f.c, leader);
    int32_t a = coord->id, others[2], n = 0;
    for (int id = 1; id <= 3; id++)
        if (id != leader)
            others[n++] = cluster_broker(f.c, id)->id;
    int cut = net_partition(f.w->net, &a, 1, others, 2, false);
    commit_seen_t seen = { false, 0 };
    consumer_commit(app.k, false, commit_done, &seen);
    world_run(f.w, 12 * US_PER_S, NULL, NULL);
    world_crash(f.w, coord, "the coordinator crashes");
    net_heal(f.w->net, cut);
    world_run(f.w, 40 * US_PER_S, NULL, NULL);
    ok(seen.done, "the commit has its answer");
    ok(seen.error != KERR_NONE,
       "unreplicated, it is not acknowledged (%s)", kerr_name(seen.error));
    char err[256];
    cJSON *d = cluster_describe_group(f.c, "g", err, sizeof err);
    int acked_lost = 0;
    const cJSON *parts = d ? cJSON_GetObjectItem(d, "partitions") : NULL, *pt;
    cJSON_ArrayForEach(pt, parts) {
        if (seen.error == KERR_NONE && trace_int(pt, "committed", -1) < 10)
            acked_lost++;
    }
    is_int(acked_lost, 0, "after the failover no acknowledged commit is missing");
    cJSON_Delete(d);
    app.stop = true;
    fixture_free(&f);
}

/* The coordinator that takes over a group after a failover knows who owns what from the
 * loaded assignment, so a partition given up afterwards counts in the time without owner. */
static void test_unowned_after_coordinator_move(void)
{
    fixture_t f;
    const char *bkv[] = { "offsets.topic.num.partitions", "1", NULL };
    const char *tkv[] = { "partitions", "2", "replication.factor", "3", NULL };
    fixture_init_with(&f, 5, 3, bkv, tkv);
    const char *kv[] = { "group.id", "g", "partition.assignment.strategy", "range", NULL };
    app_t a = { &f, member_named(&f, "c1", kv), 0, "", false };
    app_t b = { &f, member_named(&f, "c2", kv), 0, "", false };
    world_schedule(f.w, 0, poll_again, &a, NULL, 0);
    world_schedule(f.w, 0, poll_again, &b, NULL, 0);
    world_run(f.w, 10 * US_PER_S, NULL, NULL);
    int32_t leader = cluster_leader(f.c, OFFSETS_TOPIC, gcoord_partition_for("g", 1));
    world_crash(f.w, cluster_broker(f.c, leader), "the coordinator crashes");
    world_run(f.w, 25 * US_PER_S, NULL, NULL);
    b.stop = true;
    world_run(f.w, 26 * US_PER_S, NULL, NULL);
    consumer_close(b.k);
    world_run(f.w, 40 * US_PER_S, NULL, NULL);
    char err[256];
    cJSON *d = cluster_describe_group(f.c, "g", err, sizeof err);
    is_str(d ? trace_str(d, "state") : "?", "Stable", "c1 alone is Stable on the new coordinator");
    ok(d && cJSON_GetObjectItem(d, "unowned_ms") &&
           cJSON_GetObjectItem(d, "unowned_ms")->valuedouble > 0,
       "c2's partition, given up after the move, counts as time without an owner");
    cJSON_Delete(d);
    a.stop = true;
    fixture_free(&f);
}

/* handleCommitOffsets: a commit with a generation to a group the coordinator does not
 * know is ILLEGAL_GENERATION and creates no group. */
static void test_commit_to_unknown_group(void)
{
    fixture_t f;
    fixture_init(&f, 6, 1, 2);
    const char *kv[] = { "group.id", "g", NULL };
    consumer_t *k = member(&f, kv);
    world_run(f.w, 5 * US_PER_S, NULL, NULL);
    offsets_msg_t *r = proto_calloc(1, sizeof *r);
    r->group = gp_strdup("nobody-knows");
    r->member_id = gp_strdup("m-1");
    r->generation = 3;
    r->n = 1;
    r->parts = proto_calloc(1, sizeof *r->parts);
    r->parts[0] = (offset_part_t){ world_intern(f.w, TOPIC), 0, 5, 0 };
    size_t from = f.n_ev;
    net_send(f.w, consumer_node(k), cluster_broker(f.c, 1)->id,
             msg_new(f.w, API_OFFSET_COMMIT, false, r, &offset_commit_req_ops));
    world_run(f.w, 6 * US_PER_S, NULL, NULL);
    const char *error = NULL;
    for (size_t i = from; i < f.n_ev && !error; i++) {
        const cJSON *ev = f.ev[i];
        if (!str_is(ev, "api", "OffsetCommit") || !str_is(ev, "dir", "response"))
            continue;
        const cJSON *parts = cJSON_GetObjectItem(ev, "parts");
        error = trace_str(cJSON_GetArrayItem(parts, 0), "error");
    }
    is_str(error ? error : "(no answer)", "ILLEGAL_GENERATION",
           "the commit is ILLEGAL_GENERATION");
    char err[256];
    cJSON *d = cluster_describe_group(f.c, "nobody-knows", err, sizeof err);
    is_str(d ? trace_str(d, "state") : "?", "Dead", "and no group was made for it");
    cJSON_Delete(d);
    fixture_free(&f);
}

int main(void)
{
    test_commit_to_unknown_group();
    test_unowned_after_coordinator_move();
    test_acknowledged_commit_survives_failover();
    test_fenced_zombie();
    test_assignor_failure();
    test_session_expiry_marks_coordinator_unknown();
    return tap_done();
}
