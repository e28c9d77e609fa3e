#include "metadata.h"

#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"

void meta_init(client_meta_t *m, const int32_t *bootstrap, int32_t n)
{
    memset(m, 0, sizeof *m);
    m->bootstrap = proto_calloc((size_t)n, sizeof *m->bootstrap);
    memcpy(m->bootstrap, bootstrap, (size_t)n * sizeof *bootstrap);
    m->n_bootstrap = n;
    m->last_attempt = INT64_MIN / 2;
}

void meta_free(client_meta_t *m)
{
    for (int32_t i = 0; i < m->n_topics; i++)
        free(m->topics[i].leaders);
    free(m->topics);
    free(m->brokers);
    free(m->bootstrap);
    memset(m, 0, sizeof *m);
}

void meta_reset(client_meta_t *m)
{
    for (int32_t i = 0; i < m->n_topics; i++)
        free(m->topics[i].leaders);
    free(m->topics);
    free(m->brokers);
    m->topics = NULL;
    m->brokers = NULL;
    m->n_topics = m->n_brokers = 0;
    m->update_needed = false;
    m->last_attempt = INT64_MIN / 2;
}

meta_topic_t *meta_find(const client_meta_t *m, const char *topic)
{
    for (int32_t i = 0; i < m->n_topics; i++)
        if (m->topics[i].name == topic || strcmp(m->topics[i].name, topic) == 0)
            return &m->topics[i];
    return NULL;
}

meta_topic_t *meta_want(client_meta_t *m, const char *topic)
{
    meta_topic_t *t = meta_find(m, topic);
    if (t)
        return t;
    m->topics = realloc(m->topics, (size_t)(m->n_topics + 1) * sizeof *m->topics);
    if (!m->topics)
        abort();
    t = &m->topics[m->n_topics++];
    memset(t, 0, sizeof *t);
    t->name = topic;
    m->update_needed = true;
    return t;
}

static int32_t broker_node(const client_meta_t *m, int32_t broker_id)
{
    for (int32_t i = 0; i < m->n_brokers; i++)
        if (m->brokers[i].broker_id == broker_id)
            return m->brokers[i].node;
    return -1;
}

int32_t meta_leader_node(const client_meta_t *m, const char *topic, int32_t partition)
{
    const meta_topic_t *t = meta_find(m, topic);
    if (!t || partition < 0 || partition >= t->n || t->leaders[partition] < 0)
        return -1;
    return broker_node(m, t->leaders[partition]);
}

msg_t *meta_request(client_meta_t *m, world_t *w)
{
    metadata_req_t *req = proto_calloc(1, sizeof *req);
    req->n = m->n_topics;
    req->topics = proto_calloc((size_t)m->n_topics, sizeof *req->topics);
    for (int32_t i = 0; i < m->n_topics; i++)
        req->topics[i] = m->topics[i].name;
    m->last_attempt = w->now;
    return msg_new(w, API_METADATA, false, req, &metadata_req_ops);
}

void meta_apply(client_meta_t *m, const metadata_resp_t *resp)
{
    free(m->brokers);
    m->n_brokers = resp->n_brokers;
    m->brokers = proto_calloc((size_t)resp->n_brokers, sizeof *m->brokers);
    memcpy(m->brokers, resp->brokers, (size_t)resp->n_brokers * sizeof *m->brokers);
    m->update_needed = false;
    for (int32_t i = 0; i < resp->n; i++) {
        const metadata_topic_t *rt = &resp->topics[i];
        meta_topic_t *t = meta_find(m, rt->topic);
        if (!t)
            continue;
        /* An error leaves the topic unknown; the client asks again only while it still
         * has something waiting for it. */
        t->error = rt->error;
        if (rt->error != KERR_NONE)
            continue;
        free(t->leaders);
        t->n = rt->n;
        t->leaders = proto_calloc((size_t)rt->n, sizeof *t->leaders);
        for (int32_t p = 0; p < rt->n; p++)
            t->leaders[p] = rt->partitions[p].leader;
    }
}

int32_t meta_pick_node(const client_meta_t *m, rng_t *rng, int32_t (*load)(void *, int32_t),
                       void *ctx)
{
    int32_t n = m->n_brokers ? m->n_brokers : m->n_bootstrap;
    int32_t start = (int32_t)rng_range(rng, 0, n - 1);
    int32_t best = -1, best_load = INT32_MAX, first = -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t k = (start + i) % n;
        int32_t node = m->n_brokers ? m->brokers[k].node : m->bootstrap[k];
        int32_t l = load(ctx, node);
        if (first < 0)
            first = node;
        if (l >= 0 && l < best_load) {
            best = node;
            best_load = l;
        }
    }
    return best >= 0 ? best : first;
}
