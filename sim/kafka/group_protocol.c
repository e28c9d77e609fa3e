#include "group_protocol.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "protocol.h"

char *gp_strdup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

void group_tps_copy(group_tps_t *dst, const group_tps_t *src)
{
    dst->n = src->n;
    dst->v = proto_calloc((size_t)src->n, sizeof *dst->v);
    if (src->n)
        memcpy(dst->v, src->v, (size_t)src->n * sizeof *dst->v);
}

void group_tps_free(group_tps_t *t)
{
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

bool group_tps_has(const group_tps_t *t, const char *topic, int32_t partition)
{
    for (int32_t i = 0; i < t->n; i++)
        if (t->v[i].partition == partition && strcmp(t->v[i].topic, topic) == 0)
            return true;
    return false;
}

static int tp_cmp(const void *a, const void *b)
{
    const group_tp_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

void group_tps_sort(group_tps_t *t)
{
    if (t->n > 1)
        qsort(t->v, (size_t)t->n, sizeof *t->v, tp_cmp);
}

void group_tps_add(group_tps_t *t, const char *topic, int32_t partition)
{
    t->v = realloc(t->v, (size_t)(t->n + 1) * sizeof *t->v);
    if (!t->v)
        abort();
    t->v[t->n++] = (group_tp_t){ topic, partition };
}

cJSON *group_tps_json(const group_tps_t *t)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < t->n; i++)
        cJSON_AddItemToArray(a, tp_json(t->v[i].topic, t->v[i].partition));
    return a;
}

void group_sub_copy(group_subscription_t *dst, const group_subscription_t *src)
{
    dst->n_topics = src->n_topics;
    dst->topics = proto_calloc((size_t)src->n_topics, sizeof *dst->topics);
    if (src->n_topics)
        memcpy(dst->topics, src->topics, (size_t)src->n_topics * sizeof *dst->topics);
    group_tps_copy(&dst->owned, &src->owned);
    dst->generation = src->generation;
}

void group_sub_free(group_subscription_t *s)
{
    free(s->topics);
    s->topics = NULL;
    s->n_topics = 0;
    group_tps_free(&s->owned);
}

bool group_sub_equal(const group_subscription_t *a, const group_subscription_t *b)
{
    if (a->n_topics != b->n_topics || a->owned.n != b->owned.n ||
        a->generation != b->generation)
        return false;
    for (int32_t i = 0; i < a->n_topics; i++)
        if (strcmp(a->topics[i], b->topics[i]) != 0)
            return false;
    for (int32_t i = 0; i < a->owned.n; i++)
        if (tp_cmp(&a->owned.v[i], &b->owned.v[i]) != 0)
            return false;
    return true;
}

static void add_str(cJSON *ev, const char *name, const char *s)
{
    if (s)
        cJSON_AddStringToObject(ev, name, s);
}

static void add_error(cJSON *ev, int16_t error)
{
    cJSON_AddStringToObject(ev, "error", kerr_name(error));
}

static cJSON *sub_json(const group_subscription_t *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *t = cJSON_AddArrayToObject(o, "topics");
    for (int32_t i = 0; i < s->n_topics; i++)
        cJSON_AddItemToArray(t, cJSON_CreateString(s->topics[i]));
    if (s->owned.n || s->generation >= 0) {
        cJSON_AddItemToObject(o, "owned", group_tps_json(&s->owned));
        trace_add_int(o, "generation", s->generation);
    }
    return o;
}

/* ---- FindCoordinator ---- */

static void find_coord_free(void *body)
{
    find_coord_t *f = body;
    free(f->key);
    free(f);
}

static void find_coord_req_describe(const void *body, cJSON *ev)
{
    const find_coord_t *f = body;
    add_str(ev, "key", f->key);
    if (f->key_type == COORD_KEY_TRANSACTION)
        cJSON_AddStringToObject(ev, "key_type", "transaction");
}

static void find_coord_resp_describe(const void *body, cJSON *ev)
{
    const find_coord_t *f = body;
    add_error(ev, f->error);
    if (f->error == KERR_NONE)
        trace_add_int(ev, "coordinator", f->broker_id);
}

const msg_body_ops_t find_coord_req_ops = { find_coord_free, find_coord_req_describe };
const msg_body_ops_t find_coord_resp_ops = { find_coord_free, find_coord_resp_describe };

/* ---- JoinGroup ---- */

static void join_req_free(void *body)
{
    join_req_t *r = body;
    free(r->group);
    free(r->member_id);
    free(r->instance_id);
    free(r->client_id);
    for (int32_t i = 0; i < r->n_protocols; i++)
        free(r->protocols[i]);
    free(r->protocols);
    group_sub_free(&r->sub);
    free(r);
}

static void join_req_describe(const void *body, cJSON *ev)
{
    const join_req_t *r = body;
    add_str(ev, "group", r->group);
    add_str(ev, "member_id", r->member_id);
    add_str(ev, "instance_id", r->instance_id);
    cJSON *p = cJSON_AddArrayToObject(ev, "protocols");
    for (int32_t i = 0; i < r->n_protocols; i++)
        cJSON_AddItemToArray(p, cJSON_CreateString(r->protocols[i]));
    cJSON_AddItemToObject(ev, "subscription", sub_json(&r->sub));
}

static void join_resp_free(void *body)
{
    join_resp_t *r = body;
    free(r->protocol);
    free(r->leader);
    free(r->member_id);
    for (int32_t i = 0; i < r->n_members; i++) {
        free(r->members[i].member_id);
        free(r->members[i].instance_id);
        group_sub_free(&r->members[i].sub);
    }
    free(r->members);
    free(r);
}

static void join_resp_describe(const void *body, cJSON *ev)
{
    const join_resp_t *r = body;
    add_error(ev, r->error);
    add_str(ev, "member_id", r->member_id);
    if (r->error != KERR_NONE)
        return;
    trace_add_int(ev, "generation", r->generation);
    add_str(ev, "protocol", r->protocol);
    add_str(ev, "leader", r->leader);
    if (r->skip_assignment)
        cJSON_AddBoolToObject(ev, "skip_assignment", true);
    if (!r->n_members)
        return;
    cJSON *m = cJSON_AddArrayToObject(ev, "members");
    for (int32_t i = 0; i < r->n_members; i++)
        cJSON_AddItemToArray(m, cJSON_CreateString(r->members[i].member_id));
}

const msg_body_ops_t join_req_ops = { join_req_free, join_req_describe };
const msg_body_ops_t join_resp_ops = { join_resp_free, join_resp_describe };

/* ---- SyncGroup ---- */

static void sync_req_free(void *body)
{
    sync_req_t *r = body;
    free(r->group);
    free(r->member_id);
    free(r->instance_id);
    for (int32_t i = 0; i < r->n; i++) {
        free(r->v[i].member_id);
        group_tps_free(&r->v[i].tps);
    }
    free(r->v);
    free(r);
}

static void sync_req_describe(const void *body, cJSON *ev)
{
    const sync_req_t *r = body;
    add_str(ev, "group", r->group);
    add_str(ev, "member_id", r->member_id);
    trace_add_int(ev, "generation", r->generation);
    if (!r->n)
        return;
    cJSON *a = cJSON_AddObjectToObject(ev, "assignments");
    for (int32_t i = 0; i < r->n; i++)
        cJSON_AddItemToObject(a, r->v[i].member_id, group_tps_json(&r->v[i].tps));
}

static void sync_resp_free(void *body)
{
    sync_resp_t *r = body;
    group_tps_free(&r->tps);
    free(r);
}

static void sync_resp_describe(const void *body, cJSON *ev)
{
    const sync_resp_t *r = body;
    add_error(ev, r->error);
    if (r->error == KERR_NONE)
        cJSON_AddItemToObject(ev, "assignment", group_tps_json(&r->tps));
}

const msg_body_ops_t sync_req_ops = { sync_req_free, sync_req_describe };
const msg_body_ops_t sync_resp_ops = { sync_resp_free, sync_resp_describe };

/* ---- Heartbeat, LeaveGroup ---- */

static void member_req_free(void *body)
{
    member_req_t *r = body;
    free(r->group);
    free(r->member_id);
    free(r->instance_id);
    free(r->reason);
    free(r);
}

static void heartbeat_req_describe(const void *body, cJSON *ev)
{
    const member_req_t *r = body;
    add_str(ev, "group", r->group);
    add_str(ev, "member_id", r->member_id);
    trace_add_int(ev, "generation", r->generation);
}

static void leave_req_describe(const void *body, cJSON *ev)
{
    const member_req_t *r = body;
    add_str(ev, "group", r->group);
    add_str(ev, "member_id", r->member_id);
    add_str(ev, "reason", r->reason);
}

static void group_resp_free(void *body)
{
    free(body);
}

static void group_resp_describe(const void *body, cJSON *ev)
{
    add_error(ev, ((const group_resp_t *)body)->error);
}

const msg_body_ops_t group_heartbeat_req_ops = { member_req_free, heartbeat_req_describe };
const msg_body_ops_t leave_req_ops = { member_req_free, leave_req_describe };
const msg_body_ops_t group_resp_ops = { group_resp_free, group_resp_describe };

/* ---- OffsetCommit, OffsetFetch ---- */

static void offsets_free(void *body)
{
    offsets_msg_t *r = body;
    free(r->group);
    free(r->member_id);
    free(r->instance_id);
    free(r->parts);
    free(r);
}

static void offsets_describe(const offsets_msg_t *r, cJSON *ev, bool request, bool commit)
{
    if (request)
        add_str(ev, "group", r->group);
    if (request && commit) {
        add_str(ev, "member_id", r->member_id);
        trace_add_int(ev, "generation", r->generation);
    }
    if (request && !commit && r->require_stable)
        cJSON_AddTrueToObject(ev, "require_stable");
    if (!request && r->error != KERR_NONE)
        add_error(ev, r->error);
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        cJSON *o = cJSON_CreateObject();
        trace_add_tp(o, r->parts[i].topic, r->parts[i].partition);
        if (!request)
            add_error(o, r->parts[i].error);
        if (commit ? request : !request)
            trace_add_int(o, "offset", r->parts[i].offset);
        cJSON_AddItemToArray(parts, o);
    }
}

static void commit_req_describe(const void *body, cJSON *ev)
{
    offsets_describe(body, ev, true, true);
}

static void commit_resp_describe(const void *body, cJSON *ev)
{
    offsets_describe(body, ev, false, true);
}

static void fetch_req_describe(const void *body, cJSON *ev)
{
    offsets_describe(body, ev, true, false);
}

static void fetch_resp_describe(const void *body, cJSON *ev)
{
    offsets_describe(body, ev, false, false);
}

const msg_body_ops_t offset_commit_req_ops = { offsets_free, commit_req_describe };
const msg_body_ops_t offset_commit_resp_ops = { offsets_free, commit_resp_describe };
const msg_body_ops_t offset_fetch_req_ops = { offsets_free, fetch_req_describe };
const msg_body_ops_t offset_fetch_resp_ops = { offsets_free, fetch_resp_describe };
