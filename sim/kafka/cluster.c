#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/consumer.h"
#include "../client/producer.h"
#include "../core/utf8.h"
#include "broker.h"
#include "protocol.h"

typedef struct ctopic {
    const char *name;
    int32_t partitions;
    int32_t *leaders; /* broker ids */
} ctopic_t;

struct cluster {
    world_t *w;
    char *name;
    broker_t **brokers;
    int n_brokers;
    config_t broker_cfg;
    ctopic_t *topics;
    int32_t n_topics;
    producer_t **producers;
    int n_producers;
    consumer_t **consumers;
    int n_consumers;
};

/* Whether a node called `name` can join the world (unique names, bounded size). */
static bool can_add_node(const world_t *w, const char *name, char *err, size_t errlen)
{
    if (!*name || !utf8_text(name, strlen(name)) || strpbrk(name, "\t\n")) {
        snprintf(err, errlen, "node names must be non-empty printable text");
        return false;
    }
    if (w->n_nodes >= WORLD_MAX_NODES) {
        snprintf(err, errlen, "cannot add '%s': a world holds at most %d nodes", name,
                 WORLD_MAX_NODES);
        return false;
    }
    if (!world_find(w, name))
        return true;
    snprintf(err, errlen, "a node named '%s' already exists", name);
    return false;
}

cluster_t *cluster_new(world_t *w, const char *name, int n_brokers, const config_t *broker_cfg,
                       char *err, size_t errlen)
{
    if (!*name || !utf8_text(name, strlen(name)) || strpbrk(name, "\t\n")) {
        snprintf(err, errlen, "cluster names must be non-empty printable text");
        return NULL;
    }
    if (n_brokers < 1) {
        snprintf(err, errlen, "cluster '%s': brokers must be at least 1", name);
        return NULL;
    }
    /* The first cluster names its brokers "broker-N", later ones "<cluster>-broker-N". */
    bool first = world_find(w, "broker-1") == NULL;
    char bname[256];
    if (w->n_nodes + n_brokers > WORLD_MAX_NODES) {
        snprintf(err, errlen, "cluster '%s': %d brokers do not fit: a world holds at most %d "
                 "nodes", name, n_brokers, WORLD_MAX_NODES);
        return NULL;
    }
    for (int i = 1; i <= n_brokers; i++) {
        if (first)
            snprintf(bname, sizeof bname, "broker-%d", i);
        else
            snprintf(bname, sizeof bname, "%s-broker-%d", name, i);
        if (!can_add_node(w, bname, err, errlen))
            return NULL;
    }
    cluster_t *c = proto_calloc(1, sizeof *c);
    c->w = w;
    c->name = strdup(name);
    config_copy(&c->broker_cfg, broker_cfg);
    c->n_brokers = n_brokers;
    c->brokers = proto_calloc((size_t)n_brokers, sizeof *c->brokers);
    for (int i = 1; i <= n_brokers; i++) {
        if (first)
            snprintf(bname, sizeof bname, "broker-%d", i);
        else
            snprintf(bname, sizeof bname, "%s-broker-%d", name, i);
        c->brokers[i - 1] = broker_new(w, bname, i);
    }
    /* Every broker knows every other one (the metadata log's broker registrations). */
    for (int i = 0; i < n_brokers; i++)
        for (int j = 0; j < n_brokers; j++)
            broker_register_peer(c->brokers[i], j + 1, broker_node(c->brokers[j])->id);
    return c;
}

void cluster_free(cluster_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_producers; i++)
        producer_free(c->producers[i]);
    for (int i = 0; i < c->n_consumers; i++)
        consumer_free(c->consumers[i]);
    for (int i = 0; i < c->n_brokers; i++)
        broker_free(c->brokers[i]);
    for (int32_t i = 0; i < c->n_topics; i++)
        free(c->topics[i].leaders);
    free(c->topics);
    free(c->producers);
    free(c->consumers);
    free(c->brokers);
    config_free(&c->broker_cfg);
    free(c->name);
    free(c);
}

const char *cluster_name(const cluster_t *c)
{
    return c->name;
}

int cluster_broker_count(const cluster_t *c)
{
    return c->n_brokers;
}

node_t *cluster_broker(const cluster_t *c, int id)
{
    return id >= 1 && id <= c->n_brokers ? broker_node(c->brokers[id - 1]) : NULL;
}

static const ctopic_t *find_topic(const cluster_t *c, const char *topic)
{
    for (int32_t i = 0; i < c->n_topics; i++)
        if (strcmp(c->topics[i].name, topic) == 0)
            return &c->topics[i];
    return NULL;
}

/* Kafka's Topic.validate: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
static bool valid_topic_name(const char *t, char *err, size_t errlen)
{
    size_t len = strlen(t);
    if (len == 0 || len > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0) {
        snprintf(err, errlen, "Topic name \"%s\" is illegal: it must have 1 to 249 characters "
                 "and cannot be '.' or '..'", t);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = t[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok) {
            snprintf(err, errlen, "Topic name \"%s\" is illegal, it contains a character other "
                     "than ASCII alphanumerics, '.', '_' and '-'", t);
            return false;
        }
    }
    return true;
}

/* Kafka's Topic.hasCollision: metric names turn '.' into '_', so "a.b" and "a_b" clash. */
static bool topics_collide(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '.' ? '_' : *a, y = *b == '.' ? '_' : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

bool cluster_create_topic(cluster_t *c, const char *topic, const config_t *cfg, char *err,
                          size_t errlen)
{
    if (!valid_topic_name(topic, err, errlen))
        return false;
    if (find_topic(c, topic)) {
        snprintf(err, errlen, "Topic '%s' already exists.", topic);
        return false;
    }
    for (int32_t i = 0; i < c->n_topics; i++) {
        if (topics_collide(topic, c->topics[i].name)) {
            /* KRaft's ReplicationControlManager, in its own words (INVALID_TOPIC_EXCEPTION). */
            snprintf(err, errlen, "Topic '%s' collides with existing topic: %s", topic,
                     c->topics[i].name);
            return false;
        }
    }
    int32_t parts = config_is_set(cfg, "partitions") ? config_int(cfg, "partitions")
                                                     : config_int(&c->broker_cfg, "num.partitions");
    int32_t rf = config_is_set(cfg, "replication.factor")
                     ? config_int(cfg, "replication.factor")
                     : config_int(&c->broker_cfg, "default.replication.factor");
    if (rf > c->n_brokers) {
        snprintf(err, errlen, "Replication factor: %d larger than available brokers: %d.", rf,
                 c->n_brokers);
        return false;
    }
    if (rf > 1) {
        snprintf(err, errlen, "topic '%s': replication.factor=%d is not modelled by this "
                 "version of ksim yet (one replica per partition)", topic, rf);
        return false;
    }
    c->topics = realloc(c->topics, (size_t)(c->n_topics + 1) * sizeof *c->topics);
    if (!c->topics)
        abort();
    ctopic_t *t = &c->topics[c->n_topics++];
    t->name = world_intern(c->w, topic);
    t->partitions = parts;
    t->leaders = proto_calloc((size_t)parts, sizeof *t->leaders);
    /* Round-robin placement from broker 1, so students can predict the leaders. */
    for (int32_t p = 0; p < parts; p++)
        t->leaders[p] = p % c->n_brokers + 1;
    for (int i = 0; i < c->n_brokers; i++)
        broker_add_topic(c->brokers[i], t->name, parts, t->leaders);
    cJSON *ev = world_trace(c->w, NULL, "topic");
    if (ev) {
        cJSON_AddStringToObject(ev, "cluster", c->name);
        cJSON_AddStringToObject(ev, "topic", t->name);
        trace_add_int(ev, "partitions", parts);
        trace_add_int(ev, "replication_factor", rf);
        cJSON *leaders = cJSON_AddArrayToObject(ev, "leaders");
        for (int32_t p = 0; p < parts; p++)
            cJSON_AddItemToArray(
                leaders, cJSON_CreateString(broker_node(c->brokers[t->leaders[p] - 1])->name));
        world_emit(c->w, ev);
    }
    return true;
}

int32_t cluster_partition_count(const cluster_t *c, const char *topic)
{
    const ctopic_t *t = find_topic(c, topic);
    return t ? t->partitions : -1;
}

int32_t cluster_leader(const cluster_t *c, const char *topic, int32_t partition)
{
    const ctopic_t *t = find_topic(c, topic);
    if (!t || partition < 0 || partition >= t->partitions)
        return -1;
    return t->leaders[partition];
}

const plog_t *cluster_log(const cluster_t *c, const char *topic, int32_t partition, char *err,
                          size_t errlen)
{
    const ctopic_t *t = find_topic(c, topic);
    if (!t) {
        snprintf(err, errlen, "cluster '%s' has no topic '%s'", c->name, topic);
        return NULL;
    }
    if (partition < 0 || partition >= t->partitions) {
        snprintf(err, errlen, "topic '%s' has partitions 0..%d, not %d", topic,
                 t->partitions - 1, partition);
        return NULL;
    }
    return broker_log(c->brokers[t->leaders[partition] - 1], topic, partition);
}

static int32_t *bootstrap_nodes(const cluster_t *c)
{
    int32_t *ids = proto_calloc((size_t)c->n_brokers, sizeof *ids);
    for (int i = 0; i < c->n_brokers; i++)
        ids[i] = broker_node(c->brokers[i])->id;
    return ids;
}

producer_t *cluster_producer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen)
{
    if (!can_add_node(c->w, name, err, errlen))
        return NULL;
    int32_t *boot = bootstrap_nodes(c);
    producer_t *p = producer_create(c->w, name, cfg, boot, c->n_brokers, err, errlen);
    free(boot);
    if (!p)
        return NULL;
    c->producers = realloc(c->producers, (size_t)(c->n_producers + 1) * sizeof *c->producers);
    if (!c->producers)
        abort();
    c->producers[c->n_producers++] = p;
    return p;
}

consumer_t *cluster_consumer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen)
{
    if (!can_add_node(c->w, name, err, errlen))
        return NULL;
    int32_t *boot = bootstrap_nodes(c);
    consumer_t *k = consumer_create(c->w, name, cfg, boot, c->n_brokers, err, errlen);
    free(boot);
    if (!k)
        return NULL;
    c->consumers = realloc(c->consumers, (size_t)(c->n_consumers + 1) * sizeof *c->consumers);
    if (!c->consumers)
        abort();
    c->consumers[c->n_consumers++] = k;
    return k;
}
