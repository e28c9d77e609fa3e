#include "broker.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../core/net.h"
#include "api.h"
#include "protocol.h"

typedef struct bpartition {
    int32_t leader;       /* Kafka broker id */
    int32_t leader_epoch;
    plog_t log;           /* only on the brokers that host a replica */
    bool hosted;
} bpartition_t;

typedef struct btopic {
    const char *name;
    int32_t n;
    bpartition_t *parts;
} btopic_t;

typedef struct peer {
    int32_t broker_id;
    int32_t node;
} peer_t;

/* A Fetch waiting in purgatory for fetch.min.bytes or fetch.max.wait.ms. */
typedef struct delayed_fetch {
    msg_t *req;
    ev_handle_t timer;
} delayed_fetch_t;

struct broker {
    node_t *node;
    world_t *w;
    int32_t id;
    btopic_t *topics;
    int32_t n_topics;
    peer_t *peers;
    int32_t n_peers;
    delayed_fetch_t *waiting;
    size_t n_waiting, cap_waiting;
};

static void on_message(node_t *n, msg_t *m);
static void on_crash(node_t *n);

static void on_disconnect(node_t *n, int32_t peer, uint32_t conn);
static const node_ops_t broker_ops = { on_message, on_crash, NULL, on_disconnect };

broker_t *broker_new(world_t *w, const char *name, int32_t id)
{
    broker_t *b = proto_calloc(1, sizeof *b);
    b->w = w;
    b->id = id;
    b->node = world_add_node(w, name, ROLE_BROKER, &broker_ops, b);
    return b;
}

void broker_free(broker_t *b)
{
    if (!b)
        return;
    for (int32_t i = 0; i < b->n_topics; i++) {
        for (int32_t p = 0; p < b->topics[i].n; p++)
            if (b->topics[i].parts[p].hosted)
                plog_free(&b->topics[i].parts[p].log);
        free(b->topics[i].parts);
    }
    free(b->topics);
    free(b->peers);
    for (size_t i = 0; i < b->n_waiting; i++)
        msg_unref(b->w, b->waiting[i].req);
    free(b->waiting);
    free(b);
}

node_t *broker_node(const broker_t *b)
{
    return b->node;
}

int32_t broker_id(const broker_t *b)
{
    return b->id;
}

void broker_register_peer(broker_t *b, int32_t id, int32_t node)
{
    b->peers = realloc(b->peers, (size_t)(b->n_peers + 1) * sizeof *b->peers);
    if (!b->peers)
        abort();
    b->peers[b->n_peers++] = (peer_t){ id, node };
}

void broker_add_topic(broker_t *b, const char *topic, int32_t partitions, const int32_t *leaders)
{
    b->topics = realloc(b->topics, (size_t)(b->n_topics + 1) * sizeof *b->topics);
    if (!b->topics)
        abort();
    btopic_t *t = &b->topics[b->n_topics++];
    t->name = topic;
    t->n = partitions;
    t->parts = proto_calloc((size_t)partitions, sizeof *t->parts);
    for (int32_t p = 0; p < partitions; p++) {
        t->parts[p].leader = leaders[p];
        t->parts[p].leader_epoch = 0;
        t->parts[p].hosted = leaders[p] == b->id;
        if (t->parts[p].hosted)
            plog_init(&t->parts[p].log);
    }
}

static btopic_t *find_topic(const broker_t *b, const char *topic)
{
    for (int32_t i = 0; i < b->n_topics; i++)
        if (strcmp(b->topics[i].name, topic) == 0)
            return &b->topics[i];
    return NULL;
}

/* The partition if this broker leads it; otherwise *err says why not. */
static bpartition_t *led_partition(const broker_t *b, const char *topic, int32_t p, int16_t *err)
{
    btopic_t *t = find_topic(b, topic);
    if (!t || p < 0 || p >= t->n) {
        *err = KERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    if (t->parts[p].leader != b->id || !t->parts[p].hosted) {
        *err = KERR_NOT_LEADER_OR_FOLLOWER;
        return NULL;
    }
    *err = KERR_NONE;
    return &t->parts[p];
}

const plog_t *broker_log(const broker_t *b, const char *topic, int32_t partition)
{
    btopic_t *t = find_topic(b, topic);
    if (!t || partition < 0 || partition >= t->n || !t->parts[partition].hosted)
        return NULL;
    return &t->parts[partition].log;
}

/* ---- Produce ---- */

static void trace_append(broker_t *b, const char *topic, int32_t p, const plog_t *log,
                         int64_t base, const record_batch_t *batch)
{
    cJSON *ev = world_trace(b->w, b->node, "append");
    if (!ev)
        return;
    trace_add_tp(ev, topic, p);
    trace_add_int(ev, "base_offset", (int64_t)base);
    trace_add_int(ev, "last_offset", (int64_t)(base + batch->n - 1));
    if (batch->producer_id >= 0) {
        trace_add_int(ev, "producer_id", (int64_t)batch->producer_id);
        trace_add_int(ev, "producer_epoch", batch->producer_epoch);
        trace_add_int(ev, "base_seq", batch->base_sequence);
    }
    cJSON *recs = cJSON_AddArrayToObject(ev, "records");
    size_t first = plog_find(log, base);
    for (int32_t i = 0; i < batch->n; i++) {
        const log_record_t *r = &log->recs[first + (size_t)i];
        cJSON *o = cJSON_CreateObject();
        trace_add_int(o, "offset", (int64_t)r->offset);
        cJSON_AddItemToObject(o, "key", bytes_json(r->key));
        cJSON_AddItemToObject(o, "value", bytes_json(r->value));
        cJSON_AddItemToArray(recs, o);
    }
    world_emit(b->w, ev);
}

static void trace_hw(broker_t *b, const char *topic, int32_t p, int64_t hw)
{
    cJSON *ev = world_trace(b->w, b->node, "hw");
    if (!ev)
        return;
    trace_add_tp(ev, topic, p);
    trace_add_int(ev, "hw", (int64_t)hw);
    world_emit(b->w, ev);
}

static void try_complete_fetches(broker_t *b);

static int16_t append_batch(broker_t *b, const produce_part_t *pp, int64_t *base)
{
    int16_t err;
    bpartition_t *part = led_partition(b, pp->topic, pp->partition, &err);
    if (!part)
        return err;
    const record_batch_t *batch = pp->batch;
    log_append_t meta = { .producer_id = batch->producer_id,
                          .producer_epoch = batch->producer_epoch,
                          .base_sequence = batch->base_sequence,
                          .leader_epoch = part->leader_epoch,
                          .flags = batch->flags,
                          .size = batch->size };
    *base = plog_append(&part->log, batch->recs, batch->n, &meta);
    trace_append(b, pp->topic, pp->partition, &part->log, *base, batch);
    /* A single replica is the whole ISR: the high watermark follows the log end. */
    part->log.hw = part->log.leo;
    trace_hw(b, pp->topic, pp->partition, part->log.hw);
    return KERR_NONE;
}

static void handle_produce(broker_t *b, msg_t *m)
{
    const produce_req_t *req = m->body;
    bool valid_acks = req->acks == -1 || req->acks == 0 || req->acks == 1;
    produce_resp_t *resp = proto_calloc(1, sizeof *resp);
    resp->n = req->n;
    resp->parts = proto_calloc((size_t)req->n, sizeof *resp->parts);
    for (int32_t i = 0; i < req->n; i++) {
        produce_part_resp_t *pr = &resp->parts[i];
        pr->topic = req->parts[i].topic;
        pr->partition = req->parts[i].partition;
        pr->base_offset = -1;
        pr->error = valid_acks ? append_batch(b, &req->parts[i], &pr->base_offset)
                               : KERR_INVALID_REQUIRED_ACKS;
    }
    try_complete_fetches(b);
    /* acks=0: Kafka sends no response at all. */
    if (req->acks == 0) {
        produce_resp_ops.free(resp);
        return;
    }
    net_reply(b->w, b->node, m, msg_new(b->w, API_PRODUCE, true, resp, &produce_resp_ops));
}

/* ---- Fetch ---- */

/* Whole batches from the one holding fetch_offset, up to `upto` (exclusive). */
static void read_part(const bpartition_t *part, const fetch_part_t *fp, int64_t upto,
                      int32_t budget, bool first, fetch_part_resp_t *out, int32_t *bytes)
{
    const plog_t *log = &part->log;
    size_t bi = plog_find_batch(log, fp->fetch_offset);
    size_t first_rec = bi < log->n_batches ? log->batches[bi].first : log->n;
    size_t end_rec = first_rec;
    int32_t size = 0;
    for (; bi < log->n_batches; bi++) {
        const log_batch_t *batch = &log->batches[bi];
        if (batch->last_offset >= upto)
            break;
        /* KIP-74: the first batch is returned even when larger than the limit. */
        if (size + batch->size > budget && !(first && size == 0))
            break;
        size += batch->size;
        end_rec = batch->first + (size_t)batch->n;
    }
    out->n = (int32_t)(end_rec - first_rec);
    *bytes += size;
    if (!out->n)
        return;
    size_t data_len = 0;
    for (size_t i = first_rec; i < end_rec; i++) {
        data_len += log->recs[i].key.len > 0 ? (size_t)log->recs[i].key.len : 0;
        data_len += log->recs[i].value.len > 0 ? (size_t)log->recs[i].value.len : 0;
    }
    out->recs = proto_calloc((size_t)out->n, sizeof *out->recs);
    out->data = proto_calloc(data_len + 1, 1);
    char *d = out->data;
    for (size_t i = first_rec; i < end_rec; i++) {
        log_record_t r = log->recs[i];
        if (r.key.len > 0) {
            memcpy(d, r.key.p, (size_t)r.key.len);
            r.key.p = d;
            d += r.key.len;
        }
        if (r.value.len > 0) {
            memcpy(d, r.value.p, (size_t)r.value.len);
            r.value.p = d;
            d += r.value.len;
        }
        out->recs[i - first_rec] = r;
    }
}

/* Builds the response; returns the bytes it carries. */
static int32_t build_fetch(broker_t *b, const fetch_req_t *req, fetch_resp_t *resp)
{
    int32_t bytes = 0;
    resp->n = req->n;
    resp->parts = proto_calloc((size_t)req->n, sizeof *resp->parts);
    for (int32_t i = 0; i < req->n; i++) {
        const fetch_part_t *fp = &req->parts[i];
        fetch_part_resp_t *out = &resp->parts[i];
        out->topic = fp->topic;
        out->partition = fp->partition;
        out->hw = out->lso = out->log_start = -1;
        bpartition_t *part = led_partition(b, fp->topic, fp->partition, &out->error);
        if (!part)
            continue;
        const plog_t *log = &part->log;
        out->hw = log->hw;
        out->lso = log->hw; /* no transactions yet: the last stable offset is the HW */
        out->log_start = log->log_start;
        if (fp->fetch_offset < log->log_start || fp->fetch_offset > log->leo) {
            out->error = KERR_OFFSET_OUT_OF_RANGE;
            continue;
        }
        int64_t upto = req->replica_id >= 0 ? log->leo : req->isolation ? out->lso : log->hw;
        int32_t budget = fp->max_bytes;
        if (req->max_bytes - bytes < budget)
            budget = req->max_bytes - bytes;
        read_part(part, fp, upto, budget, bytes == 0, out, &bytes);
    }
    return bytes;
}

static void respond_fetch(broker_t *b, msg_t *m)
{
    fetch_resp_t *resp = proto_calloc(1, sizeof *resp);
    build_fetch(b, m->body, resp);
    net_reply(b->w, b->node, m, msg_new(b->w, API_FETCH, true, resp, &fetch_resp_ops));
}

static bool fetch_satisfied(broker_t *b, const fetch_req_t *req)
{
    fetch_resp_t probe = { 0 };
    int32_t bytes = build_fetch(b, req, &probe);
    bool errors = false;
    for (int32_t i = 0; i < probe.n; i++)
        errors |= probe.parts[i].error != KERR_NONE;
    for (int32_t i = 0; i < probe.n; i++) {
        free(probe.parts[i].recs);
        free(probe.parts[i].data);
    }
    free(probe.parts);
    return errors || bytes >= req->min_bytes;
}

static void remove_waiting(broker_t *b, size_t i)
{
    msg_unref(b->w, b->waiting[i].req);
    memmove(&b->waiting[i], &b->waiting[i + 1], (b->n_waiting - i - 1) * sizeof *b->waiting);
    b->n_waiting--;
}

static void fetch_expired(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    msg_t *m = bb;
    for (size_t i = 0; i < b->n_waiting; i++) {
        if (b->waiting[i].req == m) {
            respond_fetch(b, m);
            remove_waiting(b, i);
            return;
        }
    }
}

static void try_complete_fetches(broker_t *b)
{
    for (size_t i = 0; i < b->n_waiting;) {
        msg_t *m = b->waiting[i].req;
        if (fetch_satisfied(b, m->body)) {
            world_cancel(b->w, b->waiting[i].timer);
            respond_fetch(b, m);
            remove_waiting(b, i);
        } else {
            i++;
        }
    }
}

static void handle_fetch(broker_t *b, msg_t *m)
{
    const fetch_req_t *req = m->body;
    if (req->max_wait_ms <= 0 || fetch_satisfied(b, req)) {
        respond_fetch(b, m);
        return;
    }
    if (b->n_waiting == b->cap_waiting) {
        b->cap_waiting = b->cap_waiting ? b->cap_waiting * 2 : 8;
        b->waiting = realloc(b->waiting, b->cap_waiting * sizeof *b->waiting);
        if (!b->waiting)
            abort();
    }
    msg_ref(m);
    delayed_fetch_t *d = &b->waiting[b->n_waiting++];
    d->req = m;
    d->timer = node_timer(b->node, (int64_t)req->max_wait_ms * US_PER_MS, fetch_expired, b, m, 0);
}

/* ---- ListOffsets ---- */

static void handle_list_offsets(broker_t *b, msg_t *m)
{
    const list_offsets_t *req = m->body;
    list_offsets_t *resp = proto_calloc(1, sizeof *resp);
    resp->n = req->n;
    resp->parts = proto_calloc((size_t)req->n, sizeof *resp->parts);
    for (int32_t i = 0; i < req->n; i++) {
        list_offsets_part_t *out = &resp->parts[i];
        *out = req->parts[i];
        out->offset = -1;
        bpartition_t *part = led_partition(b, out->topic, out->partition, &out->error);
        if (!part)
            continue;
        /* Consumers see the latest offset as the high watermark. */
        out->offset = out->timestamp == LIST_OFFSETS_EARLIEST ? part->log.log_start
                                                                : part->log.hw;
    }
    net_reply(b->w, b->node, m,
              msg_new(b->w, API_LIST_OFFSETS, true, resp, &list_offsets_resp_ops));
}

/* ---- Metadata ---- */

static void fill_topic(const btopic_t *t, metadata_topic_t *out)
{
    out->n = t->n;
    out->partitions = proto_calloc((size_t)t->n, sizeof *out->partitions);
    for (int32_t p = 0; p < t->n; p++)
        out->partitions[p] = (metadata_partition_t){ p, KERR_NONE, t->parts[p].leader,
                                                     t->parts[p].leader_epoch };
}

static void handle_metadata(broker_t *b, msg_t *m)
{
    const metadata_req_t *req = m->body;
    metadata_resp_t *resp = proto_calloc(1, sizeof *resp);
    resp->n_brokers = b->n_peers;
    resp->brokers = proto_calloc((size_t)b->n_peers, sizeof *resp->brokers);
    for (int32_t i = 0; i < b->n_peers; i++)
        resp->brokers[i] = (metadata_broker_t){ b->peers[i].broker_id, b->peers[i].node };
    bool all = req->n == 0;
    resp->n = all ? b->n_topics : req->n;
    resp->topics = proto_calloc((size_t)resp->n, sizeof *resp->topics);
    for (int32_t i = 0; i < resp->n; i++) {
        metadata_topic_t *out = &resp->topics[i];
        const btopic_t *t = all ? &b->topics[i] : find_topic(b, req->topics[i]);
        out->topic = all ? t->name : req->topics[i];
        if (!t) {
            out->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        fill_topic(t, out);
    }
    net_reply(b->w, b->node, m, msg_new(b->w, API_METADATA, true, resp, &metadata_resp_ops));
}

/* ---- dispatch ---- */

static void on_message(node_t *n, msg_t *m)
{
    broker_t *b = n->impl;
    if (m->response)
        return;
    switch (m->api) {
    case API_PRODUCE:
        handle_produce(b, m);
        break;
    case API_FETCH:
        handle_fetch(b, m);
        break;
    case API_LIST_OFFSETS:
        handle_list_offsets(b, m);
        break;
    case API_METADATA:
        handle_metadata(b, m);
        break;
    default:
        break;
    }
}

/* A crash loses the purgatory; the logs are on disk and stay. */
static void on_crash(node_t *n)
{
    broker_t *b = n->impl;
    while (b->n_waiting)
        remove_waiting(b, b->n_waiting - 1);
}

/* A client connection that went away: its fetches waiting in purgatory have no one to
 * answer. Fetches that came on a newer connection stay. */
static void on_disconnect(node_t *n, int32_t peer, uint32_t conn)
{
    broker_t *b = n->impl;
    for (size_t i = 0; i < b->n_waiting;) {
        const msg_t *req = b->waiting[i].req;
        if (req->from == peer && req->conn <= conn) {
            world_cancel(b->w, b->waiting[i].timer);
            remove_waiting(b, i);
        } else {
            i++;
        }
    }
}
