#include "cluster.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/consumer.h"
#include "../client/producer.h"
#include "../../util/utf8.h"
#include "broker.h"
#include "controller.h"
#include "group_coordinator.h"
#include "group_store.h"
#include "protocol.h"
#include "txn_coordinator.h"

struct cluster {
    world_t *w;
    char *name;
    broker_t **brokers;
    int n_brokers;
    controller_t *controller;
    config_t broker_cfg;
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

/* Before the first run the cluster is being formed: brokers replay the controller's
 * records at once, so a scenario starts with a settled cluster. Later changes travel
 * through the metadata log's Fetch like any other. */
static void catch_up_brokers(cluster_t *c)
{
    if (c->w->events_run > 0)
        return;
    int64_t n;
    const md_record_t *recs = controller_log(c->controller, &n);
    for (int i = 0; i < c->n_brokers; i++)
        broker_catch_up(c->brokers[i], recs, n);
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
    if (n_brokers > 1000) {
        snprintf(err, errlen, "cluster '%s': at most 1000 brokers", name);
        return NULL;
    }
    /* The first cluster names its nodes "broker-N" and "controller", later ones
     * "<cluster>-broker-N" and "<cluster>-controller". */
    bool first = world_find(w, "broker-1") == NULL;
    char bname[256], cname[256];
    if (first)
        snprintf(cname, sizeof cname, "controller");
    else
        snprintf(cname, sizeof cname, "%s-controller", name);
    if (!can_add_node(w, cname, err, errlen))
        return NULL;
    if (w->n_nodes + n_brokers + 1 > WORLD_MAX_NODES) {
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
    /* Nodes are numbered in creation order: the brokers, then their controller. Every
     * broker knows where the others listen (its configuration, as bootstrap files). */
    int32_t *nodes = proto_calloc((size_t)n_brokers, sizeof *nodes);
    for (int i = 0; i < n_brokers; i++)
        nodes[i] = w->n_nodes + i;
    int32_t ctl_node = w->n_nodes + n_brokers;
    for (int i = 1; i <= n_brokers; i++) {
        if (first)
            snprintf(bname, sizeof bname, "broker-%d", i);
        else
            snprintf(bname, sizeof bname, "%s-broker-%d", name, i);
        c->brokers[i - 1] = broker_new(w, bname, i, ctl_node, nodes, n_brokers, broker_cfg);
    }
    c->controller = controller_new(w, cname, n_brokers, nodes, broker_cfg);
    assert(controller_node(c->controller)->id == ctl_node);
    free(nodes);
    controller_bootstrap(c->controller);
    catch_up_brokers(c);
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
    controller_free(c->controller);
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

node_t *cluster_controller(const cluster_t *c)
{
    return controller_node(c->controller);
}

static const md_image_t *image(const cluster_t *c)
{
    return controller_image(c->controller);
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

/* The "topic" event: a topic was created, with its leaders and replicas. */
static void trace_topic(cluster_t *c, const char *name, int32_t parts, int32_t rf,
                        int32_t min_isr, const log_config_t *log)
{
    const md_image_t *img = image(c);
    cJSON *ev = world_trace(c->w, controller_node(c->controller), "topic");
    if (!ev)
        return;
    const md_topic_t *t = md_find_topic(img, name);
    cJSON_AddStringToObject(ev, "cluster", c->name);
    cJSON_AddStringToObject(ev, "topic", name);
    trace_add_int(ev, "partitions", parts);
    trace_add_int(ev, "replication_factor", rf);
    trace_add_int(ev, "min_insync_replicas", min_isr);
    if (log->compact)
        cJSON_AddStringToObject(ev, "cleanup_policy", log_config_policy(log));
    cJSON *leaders = cJSON_AddArrayToObject(ev, "leaders");
    cJSON *replicas = cJSON_AddArrayToObject(ev, "replicas");
    for (int32_t p = 0; p < parts; p++) {
        const md_partition_t *mp = &t->parts[p];
        cJSON_AddItemToArray(leaders, cJSON_CreateString(cluster_broker_name(c, mp->leader)));
        cJSON *r = cJSON_CreateArray();
        for (int32_t i = 0; i < mp->n_replicas; i++)
            cJSON_AddItemToArray(r, cJSON_CreateString(cluster_broker_name(c, mp->replicas[i])));
        cJSON_AddItemToArray(replicas, r);
    }
    world_emit(c->w, ev);
}

bool cluster_create_topic(cluster_t *c, const char *topic, const config_t *cfg, char *err,
                          size_t errlen)
{
    if (!valid_topic_name(topic, err, errlen))
        return false;
    const md_image_t *img = image(c);
    if (md_find_topic(img, topic)) {
        snprintf(err, errlen, "Topic '%s' already exists.", topic);
        return false;
    }
    for (int32_t i = 0; i < img->n_topics; i++) {
        if (topics_collide(topic, img->topics[i].name)) {
            /* KRaft's ReplicationControlManager, in its own words (INVALID_TOPIC_EXCEPTION). */
            snprintf(err, errlen, "Topic '%s' collides with existing topic: %s", topic,
                     img->topics[i].name);
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
    if (rf > MD_MAX_REPLICAS) {
        snprintf(err, errlen, "topic '%s': replication.factor=%d: ksim models at most %d "
                 "replicas per partition", topic, rf, MD_MAX_REPLICAS);
        return false;
    }
    int32_t min_isr = config_is_set(cfg, "min.insync.replicas")
                          ? config_int(cfg, "min.insync.replicas")
                          : config_int(&c->broker_cfg, "min.insync.replicas");
    bool unclean = config_is_set(cfg, "unclean.leader.election.enable")
                       ? config_bool(cfg, "unclean.leader.election.enable")
                       : config_bool(&c->broker_cfg, "unclean.leader.election.enable");
    log_config_t log;
    if (!log_config_read(cfg, &log, err, errlen))
        return false;
    const char *name = world_intern(c->w, topic);
    if (!controller_create_topic(c->controller, name, parts, rf, min_isr, unclean, &log, err,
                                 errlen))
        return false;
    trace_topic(c, name, parts, rf, min_isr, &log);
    catch_up_brokers(c);
    return true;
}

int32_t cluster_partition_count(const cluster_t *c, const char *topic)
{
    const md_topic_t *t = md_find_topic(image(c), topic);
    return t ? t->n : -1;
}

int32_t cluster_leader(const cluster_t *c, const char *topic, int32_t partition)
{
    const md_partition_t *p = md_find_partition(image(c), topic, partition);
    return p ? p->leader : -1;
}

static const md_partition_t *find_partition(const cluster_t *c, const char *topic,
                                            int32_t partition, char *err, size_t errlen)
{
    const md_topic_t *t = md_find_topic(image(c), topic);
    if (!t) {
        snprintf(err, errlen, "cluster '%s' has no topic '%s'", c->name, topic);
        return NULL;
    }
    if (partition < 0 || partition >= t->n) {
        snprintf(err, errlen, "topic '%s' has partitions 0..%d, not %d", topic, t->n - 1,
                 partition);
        return NULL;
    }
    return &t->parts[partition];
}

const plog_t *cluster_log(const cluster_t *c, const char *topic, int32_t partition, char *err,
                          size_t errlen)
{
    const md_partition_t *p = find_partition(c, topic, partition, err, errlen);
    if (!p)
        return NULL;
    if (p->leader == MD_NO_LEADER) {
        snprintf(err, errlen, "%s-%d has no leader (offline): name a replica's broker to read "
                 "its log", topic, partition);
        return NULL;
    }
    return broker_log(c->brokers[p->leader - 1], topic, partition);
}

const plog_t *cluster_replica_log(const cluster_t *c, const char *topic, int32_t partition,
                                  int broker, char *err, size_t errlen)
{
    const md_partition_t *p = find_partition(c, topic, partition, err, errlen);
    if (!p)
        return NULL;
    if (broker < 1 || broker > c->n_brokers || !md_is_replica(p, broker)) {
        snprintf(err, errlen, "broker %d holds no replica of %s-%d", broker, topic, partition);
        return NULL;
    }
    return broker_log(c->brokers[broker - 1], topic, partition);
}

bool cluster_describe(const cluster_t *c, const char *topic, int32_t partition,
                      cluster_partition_t *out, char *err, size_t errlen)
{
    const md_partition_t *p = find_partition(c, topic, partition, err, errlen);
    if (!p)
        return false;
    memset(out, 0, sizeof *out);
    out->reg = *p;
    out->hw = out->leo = out->lso = -1;
    if (p->leader != MD_NO_LEADER) {
        const plog_t *log = broker_log(c->brokers[p->leader - 1], topic, partition);
        out->hw = log->hw;
        out->leo = log->leo;
        out->lso = plog_lso(log);
    }
    return true;
}

const char *cluster_broker_name(const cluster_t *c, int32_t id)
{
    return id >= 1 && id <= c->n_brokers ? broker_node(c->brokers[id - 1])->name : NULL;
}

int cluster_broker_id(const cluster_t *c, const char *name)
{
    for (int i = 0; i < c->n_brokers; i++)
        if (strcmp(broker_node(c->brokers[i])->name, name) == 0)
            return i + 1;
    return -1;
}

void cluster_metrics(const cluster_t *c, cluster_metrics_t *m)
{
    memset(m, 0, sizeof *m);
    m->active_controllers = controller_node(c->controller)->up ? 1 : 0;
    const md_image_t *img = image(c);
    for (int32_t t = 0; t < img->n_topics; t++)
        for (int32_t p = 0; p < img->topics[t].n; p++)
            m->offline_partitions += img->topics[t].parts[p].leader == MD_NO_LEADER;
    m->n_brokers = c->n_brokers;
    for (int i = 0; i < c->n_brokers; i++) {
        m->brokers[i].under_replicated = broker_under_replicated(c->brokers[i]);
        m->brokers[i].counters = *broker_counters(c->brokers[i]);
    }
}

static int32_t *bootstrap_nodes(const cluster_t *c)
{
    int32_t *ids = proto_calloc((size_t)c->n_brokers, sizeof *ids);
    for (int i = 0; i < c->n_brokers; i++)
        ids[i] = broker_node(c->brokers[i])->id;
    return ids;
}

static bool ensure_offsets_topic(cluster_t *c, char *err, size_t errlen);

producer_t *cluster_producer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen)
{
    if (!can_add_node(c->w, name, err, errlen))
        return NULL;
    /* A transactional producer may send offsets to a group's coordinator
     * (send_offsets_to_transaction): __consumer_offsets is made too. */
    if (config_str(cfg, "transactional.id") &&
        (!cluster_ensure_txn_topic(c, err, errlen) || !ensure_offsets_topic(c, err, errlen)))
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

/* Kafka creates __consumer_offsets when the first FindCoordinator asks for it; ksim creates
 * it, through the controller, when the first consumer with a group.id is made. Kafka
 * would refuse offsets.topic.replication.factor above the brokers alive (the group waits
 * with COORDINATOR_NOT_AVAILABLE); ksim caps it to the cluster's brokers. */
static bool create_internal_topic(cluster_t *c, const char *topic, int32_t parts, int32_t rf,
                                  int32_t min_isr, char *err, size_t errlen)
{
    if (rf > c->n_brokers)
        rf = c->n_brokers;
    if (rf > MD_MAX_REPLICAS)
        rf = MD_MAX_REPLICAS;
    /* The coordinators' topic config (GroupMetadataManager, TransactionLog):
     * cleanup.policy=compact. */
    log_config_t log = log_config_default();
    log.compact = true;
    log.delete = false;
    const char *name = world_intern(c->w, topic);
    if (!controller_create_topic(c->controller, name, parts, rf, min_isr, false, &log, err,
                                 errlen))
        return false;
    trace_topic(c, name, parts, rf, min_isr, &log);
    catch_up_brokers(c);
    return true;
}

static bool ensure_offsets_topic(cluster_t *c, char *err, size_t errlen)
{
    if (md_find_topic(image(c), OFFSETS_TOPIC))
        return true;
    return create_internal_topic(c, OFFSETS_TOPIC,
                                 config_int(&c->broker_cfg, "offsets.topic.num.partitions"),
                                 config_int(&c->broker_cfg, "offsets.topic.replication.factor"),
                                 config_int(&c->broker_cfg, "min.insync.replicas"), err, errlen);
}

/* __transaction_state, made like __consumer_offsets when the first producer with a
 * transactional.id is made (Kafka: at the first FindCoordinator(TRANSACTION)), with
 * transaction.state.log.{num.partitions,replication.factor,min.isr}. */
bool cluster_ensure_txn_topic(cluster_t *c, char *err, size_t errlen)
{
    if (md_find_topic(image(c), TXN_STATE_TOPIC))
        return true;
    const config_t *bc = &c->broker_cfg;
    return create_internal_topic(c, TXN_STATE_TOPIC,
                                 config_int(bc, "transaction.state.log.num.partitions"),
                                 config_int(bc, "transaction.state.log.replication.factor"),
                                 config_int(bc, "transaction.state.log.min.isr"), err, errlen);
}

consumer_t *cluster_consumer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen)
{
    if (!can_add_node(c->w, name, err, errlen))
        return NULL;
    if (config_str(cfg, "group.id") && !ensure_offsets_topic(c, err, errlen))
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

/* ---- consumer groups ---- */

static cJSON *tp_item(const char *topic, int32_t partition)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "topic", topic);
    cJSON_AddNumberToObject(o, "partition", partition);
    return o;
}

static const char *owner_of(const group_t *g, const char *topic, int32_t partition)
{
    if (g->state != GROUP_STABLE)
        return NULL;
    for (int32_t i = 0; i < g->n_members; i++)
        if (group_tps_has(&g->members[i]->assignment, topic, partition))
            return g->members[i]->id;
    return NULL;
}

/* One row of kafka-consumer-groups --describe: committed offset, log end, lag, owner. */
static void describe_partition(const cluster_t *c, const group_t *g, cJSON *rows,
                               const char *topic, int32_t partition)
{
    cJSON *o = tp_item(topic, partition);
    int64_t committed = group_committed(g, topic, partition);
    cluster_partition_t d;
    char err[256];
    int64_t end = cluster_describe(c, topic, partition, &d, err, sizeof err) ? d.hw : -1;
    if (committed >= 0)
        cJSON_AddNumberToObject(o, "committed", (double)committed);
    if (end >= 0)
        cJSON_AddNumberToObject(o, "log_end", (double)end);
    if (committed >= 0 && end >= 0)
        cJSON_AddNumberToObject(o, "lag", (double)(end - committed));
    const char *owner = owner_of(g, topic, partition);
    if (owner)
        cJSON_AddStringToObject(o, "member", owner);
    /* Not in kafka-consumer-groups: the newest offset a transaction has pending. */
    int64_t pending = group_txn_pending(g, topic, partition);
    if (pending >= 0)
        cJSON_AddNumberToObject(o, "pending", (double)pending);
    cJSON_AddItemToArray(rows, o);
}

static bool row_listed(const cJSON *rows, const char *topic, int32_t partition)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, rows)
        if (cJSON_GetObjectItem(r, "partition")->valueint == partition &&
            strcmp(cJSON_GetObjectItem(r, "topic")->valuestring, topic) == 0)
            return true;
    return false;
}

cJSON *cluster_describe_group(const cluster_t *c, const char *group, char *err, size_t errlen)
{
    const md_topic_t *t = md_find_topic(image(c), OFFSETS_TOPIC);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "group", group);
    if (!t) {
        cJSON_AddStringToObject(out, "state", "Dead");
        return out;
    }
    const md_partition_t *p = &t->parts[gcoord_partition_for(group, t->n)];
    if (p->leader == MD_NO_LEADER) {
        snprintf(err, errlen, "group '%s': COORDINATOR_NOT_AVAILABLE (%s-%d has no leader)", group,
                 OFFSETS_TOPIC, gcoord_partition_for(group, t->n));
        cJSON_Delete(out);
        return NULL;
    }
    const gcoord_t *gc = broker_group_coordinator(c->brokers[p->leader - 1]);
    const group_t *g = gcoord_group(gc, group);
    cJSON_AddStringToObject(out, "coordinator", cluster_broker_name(c, p->leader));
    cJSON_AddStringToObject(out, "state", g ? group_state_name(g->state) : "Dead");
    if (!g)
        return out;
    cJSON_AddStringToObject(out, "protocol_type", "consumer");
    if (g->protocol)
        cJSON_AddStringToObject(out, "protocol", g->protocol);
    cJSON_AddNumberToObject(out, "generation", g->generation);
    cJSON_AddNumberToObject(out, "unowned_ms", (double)gcoord_unowned_us(gc, group) / 1000.0);
    cJSON *members = cJSON_AddArrayToObject(out, "members");
    for (int32_t i = 0; i < g->n_members; i++)
        cJSON_AddItemToArray(members, gstore_member_json(g->members[i]));
    /* Rows: every partition of the subscribed topics, then any other with a commit. */
    cJSON *rows = cJSON_AddArrayToObject(out, "partitions");
    for (int32_t i = 0; i < g->n_members; i++)
        for (int32_t k = 0; k < g->members[i]->sub.n_topics; k++) {
            const char *topic = g->members[i]->sub.topics[k];
            int32_t n = cluster_partition_count(c, topic);
            for (int32_t q = 0; q < n; q++)
                if (!row_listed(rows, topic, q))
                    describe_partition(c, g, rows, topic, q);
        }
    for (int32_t i = 0; i < g->n_offsets; i++)
        if (!row_listed(rows, g->offsets[i].topic, g->offsets[i].partition))
            describe_partition(c, g, rows, g->offsets[i].topic, g->offsets[i].partition);
    for (int32_t i = 0; i < g->n_txns; i++)
        for (int32_t k = 0; k < g->txns[i].n; k++) {
            const group_offset_t *o = &g->txns[i].v[k];
            if (!row_listed(rows, o->topic, o->partition))
                describe_partition(c, g, rows, o->topic, o->partition);
        }
    return out;
}

/* ---- transactions ---- */

/* The coordinator (leader of the id's __transaction_state partition), or -1 with err. */
static int32_t txn_coordinator_of(const cluster_t *c, const char *id, char *err, size_t errlen)
{
    const md_topic_t *t = md_find_topic(image(c), TXN_STATE_TOPIC);
    if (!t) {
        snprintf(err, errlen, "transactional id '%s': TRANSACTIONAL_ID_NOT_FOUND (no producer "
                 "with a transactional.id was made)", id);
        return -1;
    }
    int32_t p = tcoord_partition_for(id, t->n);
    if (t->parts[p].leader == MD_NO_LEADER) {
        snprintf(err, errlen, "transactional id '%s': COORDINATOR_NOT_AVAILABLE (%s-%d has no "
                 "leader)", id, TXN_STATE_TOPIC, p);
        return -1;
    }
    return t->parts[p].leader;
}

static cJSON *describe_txn(const cluster_t *c, const char *id, char *err, size_t errlen)
{
    int32_t leader = txn_coordinator_of(c, id, err, errlen);
    if (leader < 0)
        return NULL;
    const txn_meta_t *m = tcoord_find(broker_txn_coordinator(c->brokers[leader - 1]), id);
    if (!m) {
        snprintf(err, errlen, "transactional id '%s': TRANSACTIONAL_ID_NOT_FOUND", id);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "coordinator", cluster_broker_name(c, leader));
    cJSON_AddStringToObject(out, "transactional_id", id);
    cJSON_AddNumberToObject(out, "producer_id", (double)m->producer_id);
    cJSON_AddNumberToObject(out, "producer_epoch", m->producer_epoch);
    cJSON_AddStringToObject(out, "state", txn_state_name(m->state));
    cJSON_AddNumberToObject(out, "timeout_ms", m->timeout_ms);
    if (m->start_ms >= 0) {
        cJSON_AddNumberToObject(out, "start_ms", (double)m->start_ms);
        cJSON_AddNumberToObject(out, "duration_ms",
                                (double)(c->w->now / US_PER_MS - m->start_ms));
    }
    cJSON *parts = cJSON_AddArrayToObject(out, "partitions");
    for (int32_t i = 0; i < m->parts.n; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%d", m->parts.v[i].topic, m->parts.v[i].partition);
        cJSON_AddItemToArray(parts, cJSON_CreateString(name));
    }
    return out;
}

static int by_id(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(cJSON_GetObjectItem(x, "transactional_id")->valuestring,
                  cJSON_GetObjectItem(y, "transactional_id")->valuestring);
}

/* Every id a coordinator holds for a partition the cluster's metadata says it leads. */
static cJSON *list_txns(const cluster_t *c)
{
    cJSON **rows = NULL;
    size_t n = 0;
    const md_topic_t *t = md_find_topic(image(c), TXN_STATE_TOPIC);
    for (int b = 0; t && b < c->n_brokers; b++) {
        const tcoord_t *tc = broker_txn_coordinator(c->brokers[b]);
        for (int32_t i = 0; i < tcoord_count(tc); i++) {
            const txn_meta_t *m = tcoord_txn(tc, i);
            if (t->parts[tcoord_partition_for(m->id, t->n)].leader != b + 1)
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "transactional_id", m->id);
            cJSON_AddStringToObject(o, "coordinator", cluster_broker_name(c, b + 1));
            cJSON_AddNumberToObject(o, "producer_id", (double)m->producer_id);
            cJSON_AddStringToObject(o, "state", txn_state_name(m->state));
            rows = realloc(rows, (n + 1) * sizeof *rows);
            if (!rows)
                abort();
            rows[n++] = o;
        }
    }
    if (n)
        qsort(rows, n, sizeof *rows, by_id);
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(out, rows[i]);
    free(rows);
    return out;
}

cJSON *cluster_describe_transactions(const cluster_t *c, const char *id, char *err,
                                     size_t errlen)
{
    return id ? describe_txn(c, id, err, errlen) : list_txns(c);
}
