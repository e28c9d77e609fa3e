#include "group_store.h"

#include <stdlib.h>
#include <string.h>

#include "../core/world.h"
#include "../trace.h"
#include "protocol.h"

static cJSON *strings_json(char *const *v, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

cJSON *gstore_member_json(const gmember_t *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "member_id", m->id);
    if (m->instance)
        cJSON_AddStringToObject(o, "instance_id", m->instance);
    cJSON_AddStringToObject(o, "client_id", m->client_id ? m->client_id : "");
    cJSON_AddNumberToObject(o, "session_timeout", m->session_timeout_ms);
    cJSON_AddNumberToObject(o, "rebalance_timeout", m->rebalance_timeout_ms);
    cJSON_AddItemToObject(o, "protocols", strings_json(m->protocols, m->n_protocols));
    cJSON_AddItemToObject(o, "topics", strings_json((char *const *)m->sub.topics, m->sub.n_topics));
    cJSON *a = cJSON_AddArrayToObject(o, "assignment");
    for (int32_t k = 0; k < m->assignment.n; k++) {
        cJSON *tp = cJSON_CreateObject();
        cJSON_AddStringToObject(tp, "topic", m->assignment.v[k].topic);
        cJSON_AddNumberToObject(tp, "partition", m->assignment.v[k].partition);
        cJSON_AddItemToArray(a, tp);
    }
    return o;
}

void gstore_group_record(const group_t *g, char **key, char **value)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "group", g->id);
    *key = json_take_text(k);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "protocol_type", "consumer");
    cJSON_AddNumberToObject(v, "generation", g->generation);
    if (g->protocol)
        cJSON_AddStringToObject(v, "protocol", g->protocol);
    if (g->leader)
        cJSON_AddStringToObject(v, "leader", g->leader);
    cJSON *ms = cJSON_AddArrayToObject(v, "members");
    for (int32_t i = 0; i < g->n_members; i++)
        cJSON_AddItemToArray(ms, gstore_member_json(g->members[i]));
    *value = json_take_text(v);
}

void gstore_offset_record(const char *group, const offset_part_t *o, char **key, char **value)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "group", group);
    cJSON_AddStringToObject(k, "topic", o->topic);
    cJSON_AddNumberToObject(k, "partition", o->partition);
    *key = json_take_text(k);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddNumberToObject(v, "offset", (double)o->offset);
    *value = json_take_text(v);
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

static double num(const cJSON *o, const char *name)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(n) ? n->valuedouble : 0;
}


static void load_member(group_t *g, const cJSON *o, world_t *w)
{
    group_subscription_t sub = { 0 };
    sub.generation = -1;
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(o, "topics"), *t;
    sub.topics = proto_calloc((size_t)cJSON_GetArraySize(topics), sizeof *sub.topics);
    cJSON_ArrayForEach(t, topics)
        if (cJSON_IsString(t))
            sub.topics[sub.n_topics++] = world_intern(w, t->valuestring);
    group_tps_t asg = { 0 };
    const cJSON *tp;
    cJSON_ArrayForEach(tp, cJSON_GetObjectItemCaseSensitive(o, "assignment")) {
        const char *topic = str(tp, "topic");
        if (topic)
            group_tps_add(&asg, world_intern(w, topic), (int32_t)num(tp, "partition"));
    }
    gmember_t *m = group_load_member(g, str(o, "member_id"), str(o, "instance_id"),
                                     str(o, "client_id"), (int32_t)num(o, "session_timeout"),
                                     (int32_t)num(o, "rebalance_timeout"), &sub, &asg);
    const cJSON *protocols = cJSON_GetObjectItemCaseSensitive(o, "protocols"), *p;
    m->protocols = proto_calloc((size_t)cJSON_GetArraySize(protocols), sizeof *m->protocols);
    cJSON_ArrayForEach(p, protocols)
        if (cJSON_IsString(p))
            m->protocols[m->n_protocols++] = gp_strdup(p->valuestring);
    group_sub_free(&sub);
    group_tps_free(&asg);
}

/* GroupMetadataManager.loadGroup: the group as of its latest metadata record. */
static void load_group(group_t *g, const cJSON *v, world_t *w)
{
    group_clear_members(g);
    free(g->protocol);
    g->protocol = str(v, "protocol") ? gp_strdup(str(v, "protocol")) : NULL;
    g->leader = str(v, "leader") ? gp_strdup(str(v, "leader")) : NULL;
    g->generation = (int32_t)num(v, "generation");
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(v, "members"))
        load_member(g, m, w);
    g->state = g->n_members ? GROUP_STABLE : GROUP_EMPTY;
    g->join_at = INT64_MAX;
}

/* The groups a load touched, to complete their pending offsets at a marker. */
typedef struct loaded {
    group_t **v;
    int32_t n;
} loaded_t;

static group_t *touch(loaded_t *l, gstore_group_fn group, void *ctx, const char *id,
                      int32_t partition)
{
    group_t *g = group(ctx, id, partition);
    for (int32_t i = 0; i < l->n; i++)
        if (l->v[i] == g)
            return g;
    l->v = realloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
    if (!l->v)
        abort();
    l->v[l->n++] = g;
    return g;
}

/* A control batch: the producer's pending offsets are committed or dropped, as
 * loadGroupsAndOffsets does when it meets the marker. */
static void replay_marker(const loaded_t *l, const log_batch_t *b, const log_record_t *r)
{
    int type = control_marker_type(r->key);
    if (type < 0)
        return;
    for (int32_t i = 0; i < l->n; i++)
        group_txn_complete(l->v[i], b->producer_id, type == CONTROL_COMMIT, NULL);
}

/* One record of a data batch: group metadata, or an offset, committed or (in a
 * transactional batch) pending for the batch's producer. */
static bool replay_record(loaded_t *l, const log_batch_t *b, const log_record_t *r,
                          int32_t partition, gstore_group_fn group, void *ctx, world_t *w)
{
    if (bytes_is_null(r->key) || bytes_is_null(r->value))
        return false;
    cJSON *k = cJSON_ParseWithLength(r->key.p, (size_t)r->key.len);
    cJSON *v = cJSON_ParseWithLength(r->value.p, (size_t)r->value.len);
    const char *id = str(k, "group");
    const char *topic = str(k, "topic");
    bool offset = false;
    if (id && v) {
        group_t *g = touch(l, group, ctx, id, partition);
        if (topic) {
            const char *t = world_intern(w, topic);
            int32_t p = (int32_t)num(k, "partition");
            int64_t o = (int64_t)num(v, "offset");
            if (b->flags & LOG_REC_TRANSACTIONAL)
                group_txn_stage(g, b->producer_id, t, p, o, b->base_offset);
            else
                group_commit(g, t, p, o, b->base_offset);
            offset = true;
        } else {
            load_group(g, v, w);
        }
    }
    cJSON_Delete(k);
    cJSON_Delete(v);
    return offset;
}

int64_t gstore_load(const plog_t *log, int32_t partition, gstore_group_fn group, void *ctx,
                    world_t *w)
{
    int64_t offsets = 0;
    loaded_t l = { NULL, 0 };
    for (size_t i = 0; i < log->n_batches; i++) {
        const log_batch_t *b = &log->batches[i];
        for (int32_t k = 0; k < b->n; k++) {
            const log_record_t *r = &log->recs[b->first + (size_t)k];
            if (b->flags & LOG_REC_CONTROL)
                replay_marker(&l, b, r);
            else
                offsets += replay_record(&l, b, r, partition, group, ctx, w);
        }
    }
    free(l.v);
    return offsets;
}
