/* group_assign: the group leader's part (ConsumerCoordinator.onLeaderElected): the
 * members' subscriptions from the JoinGroup answer become an assignor's group, the chosen
 * assignor runs, and its answer becomes the SyncGroup's assignments. */
#include <stdlib.h>
#include <string.h>

#include "assignors/assignor.h"
#include "consumer_internal.h"
#include "coordinator_internal.h"

static int32_t topic_index(const char **names, int32_t n, const char *t)
{
    for (int32_t i = 0; i < n; i++)
        if (strcmp(names[i], t) == 0)
            return i;
    return -1;
}

/* ConsumerCoordinator.onLeaderElected: the assignor runs over every member's
 * subscription; topics this consumer has no metadata for count as without partitions. */
bool coord_leader_assign(coordinator_t *co, const join_resp_t *r, sync_req_t *out, char *err,
                         size_t errlen)
{
    const char **names = NULL;
    int32_t nt = 0;
    for (int32_t i = 0; i < r->n_members; i++)
        for (int32_t k = 0; k < r->members[i].sub.n_topics; k++) {
            const char *t = r->members[i].sub.topics[k];
            if (topic_index(names, nt, t) >= 0)
                continue;
            names = realloc(names, (size_t)(nt + 1) * sizeof *names);
            if (!names)
                abort();
            names[nt++] = t;
            meta_want(&co->c->meta, t);
        }
    assign_topic_t *topics = proto_calloc((size_t)nt, sizeof *topics);
    for (int32_t i = 0; i < nt; i++) {
        const meta_topic_t *mt = meta_find(&co->c->meta, names[i]);
        topics[i] = (assign_topic_t){ names[i], mt ? mt->n : 0, NULL };
    }
    assign_member_t *ms = proto_calloc((size_t)r->n_members, sizeof *ms);
    int32_t **subs = proto_calloc((size_t)r->n_members, sizeof *subs);
    assign_tp_t **owns = proto_calloc((size_t)r->n_members, sizeof *owns);
    for (int32_t i = 0; i < r->n_members; i++) {
        const join_member_t *jm = &r->members[i];
        subs[i] = proto_calloc((size_t)jm->sub.n_topics, sizeof **subs);
        for (int32_t k = 0; k < jm->sub.n_topics; k++)
            subs[i][k] = topic_index(names, nt, jm->sub.topics[k]);
        owns[i] = proto_calloc((size_t)jm->sub.owned.n, sizeof **owns);
        int32_t no = 0;
        for (int32_t k = 0; k < jm->sub.owned.n; k++) {
            int32_t ti = topic_index(names, nt, jm->sub.owned.v[k].topic);
            if (ti >= 0 && jm->sub.owned.v[k].partition < topics[ti].partitions)
                owns[i][no++] = (assign_tp_t){ ti, jm->sub.owned.v[k].partition };
        }
        ms[i] = (assign_member_t){ jm->member_id, jm->instance_id, NULL, subs[i],
                                   jm->sub.n_topics, owns[i], no, jm->sub.generation };
    }
    assign_group_t g = { topics, nt, ms, r->n_members, 0, false };
    assign_result_t res;
    bool ok = assign_run(r->protocol, &g, &res, err, errlen);
    if (ok) {
        out->n = r->n_members;
        out->v = proto_calloc((size_t)r->n_members, sizeof *out->v);
        for (int32_t i = 0; i < r->n_members; i++) {
            out->v[i].member_id = gp_strdup(r->members[i].member_id);
            for (int64_t k = res.first[i]; k < res.first[i + 1]; k++)
                group_tps_add(&out->v[i].tps, names[res.tps[k].topic], res.tps[k].partition);
        }
        assign_result_free(&res);
    }
    for (int32_t i = 0; i < r->n_members; i++) {
        free(subs[i]);
        free(owns[i]);
    }
    free(subs);
    free(owns);
    free(ms);
    free(topics);
    free(names);
    return ok;
}
