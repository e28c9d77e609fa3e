#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

void *proto_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

cJSON *tp_json(const char *topic, int32_t partition)
{
    char buf[300];
    snprintf(buf, sizeof buf, "%s-%d", topic, partition);
    return cJSON_CreateString(buf);
}

void trace_add_tp(cJSON *obj, const char *topic, int32_t partition)
{
    cJSON_AddItemToObject(obj, "tp", tp_json(topic, partition));
}

cJSON *bytes_json(bytes_t b)
{
    return trace_bytes(b.p, b.len);
}

static cJSON *add_part(cJSON *parts, const char *topic, int32_t partition)
{
    cJSON *o = cJSON_CreateObject();
    trace_add_tp(o, topic, partition);
    cJSON_AddItemToArray(parts, o);
    return o;
}

/* ---- record batches ---- */

record_batch_t *batch_new(const char *topic, int32_t partition)
{
    record_batch_t *b = proto_calloc(1, sizeof *b);
    b->refs = 1;
    b->topic = topic;
    b->partition = partition;
    b->producer_id = -1;
    b->base_sequence = -1;
    b->size = RECORD_BATCH_OVERHEAD;
    return b;
}

static int64_t ts_delta_ms(const record_batch_t *b, int64_t ts)
{
    return b->n ? (ts - b->first_timestamp) / 1000 : 0;
}

int32_t batch_size_with(const record_batch_t *b, bytes_t key, bytes_t value, int64_t ts)
{
    return b->size + record_size_in_batch(b->n, ts_delta_ms(b, ts), key, value);
}

bytes_t bytes_dup(bytes_t in)
{
    if (bytes_is_null(in))
        return BYTES_NULL;
    char *p = malloc((size_t)in.len + 1);
    if (!p)
        abort();
    memcpy(p, in.p, (size_t)in.len);
    p[in.len] = '\0';
    return (bytes_t){ p, in.len };
}

void batch_add(record_batch_t *b, bytes_t key, bytes_t value, int64_t ts)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4;
        b->recs = realloc(b->recs, (size_t)b->cap * sizeof *b->recs);
        if (!b->recs)
            abort();
    }
    b->size = batch_size_with(b, key, value, ts);
    if (b->n == 0)
        b->first_timestamp = ts;
    b->recs[b->n++] = (log_input_t){ ts, bytes_dup(key), bytes_dup(value) };
}

record_batch_t *batch_ref(record_batch_t *b)
{
    b->refs++;
    return b;
}

void batch_unref(record_batch_t *b)
{
    if (!b || --b->refs)
        return;
    for (int32_t i = 0; i < b->n; i++) {
        free((void *)b->recs[i].key.p);
        free((void *)b->recs[i].value.p);
    }
    free(b->recs);
    free(b);
}

record_batch_t *batch_with_producer(record_batch_t *b, int64_t pid, int16_t epoch, int32_t seq)
{
    if (b->producer_id == pid && b->producer_epoch == epoch && b->base_sequence == seq)
        return b;
    if (b->refs > 1) {
        /* The bytes already sent stay as they were: the new header goes on a copy. */
        record_batch_t *c = batch_new(b->topic, b->partition);
        c->flags = b->flags;
        for (int32_t i = 0; i < b->n; i++)
            batch_add(c, b->recs[i].key, b->recs[i].value, b->recs[i].timestamp);
        batch_unref(b);
        b = c;
    }
    b->producer_id = pid;
    b->producer_epoch = epoch;
    b->base_sequence = seq;
    return b;
}

/* ---- Produce ---- */

static void produce_req_free(void *body)
{
    produce_req_t *r = body;
    for (int32_t i = 0; i < r->n; i++)
        batch_unref(r->parts[i].batch);
    free(r->parts);
    free(r);
}

static void produce_req_describe(const void *body, cJSON *ev)
{
    const produce_req_t *r = body;
    cJSON_AddStringToObject(ev, "acks", r->acks == -1 ? "all" : r->acks == 0 ? "0" : "1");
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        const record_batch_t *b = r->parts[i].batch;
        cJSON *o = add_part(parts, r->parts[i].topic, r->parts[i].partition);
        trace_add_int(o, "records", b->n);
        trace_add_int(o, "bytes", b->size);
        if (b->producer_id >= 0) {
            trace_add_int(o, "producer_id", (int64_t)b->producer_id);
            trace_add_int(o, "producer_epoch", b->producer_epoch);
            trace_add_int(o, "base_seq", b->base_sequence);
        }
    }
}

static void produce_resp_free(void *body)
{
    produce_resp_t *r = body;
    free(r->parts);
    free(r);
}

static void produce_resp_describe(const void *body, cJSON *ev)
{
    const produce_resp_t *r = body;
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        cJSON *o = add_part(parts, r->parts[i].topic, r->parts[i].partition);
        cJSON_AddStringToObject(o, "error", kerr_name(r->parts[i].error));
        trace_add_int(o, "base_offset", (int64_t)r->parts[i].base_offset);
    }
}

const msg_body_ops_t produce_req_ops = { produce_req_free, produce_req_describe };
const msg_body_ops_t produce_resp_ops = { produce_resp_free, produce_resp_describe };

/* ---- Fetch ---- */

static void fetch_req_free(void *body)
{
    fetch_req_t *r = body;
    free(r->parts);
    free(r);
}

static void fetch_req_describe(const void *body, cJSON *ev)
{
    const fetch_req_t *r = body;
    if (r->replica_id >= 0)
        trace_add_int(ev, "replica_id", r->replica_id);
    trace_add_int(ev, "max_wait_ms", r->max_wait_ms);
    trace_add_int(ev, "min_bytes", r->min_bytes);
    if (r->isolation)
        cJSON_AddStringToObject(ev, "isolation", "read_committed");
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        cJSON *o = add_part(parts, r->parts[i].topic, r->parts[i].partition);
        trace_add_int(o, "offset", (int64_t)r->parts[i].fetch_offset);
        if (r->parts[i].last_fetched_epoch >= 0)
            trace_add_int(o, "last_fetched_epoch", r->parts[i].last_fetched_epoch);
    }
}

void fetch_part_resp_clear(fetch_part_resp_t *p)
{
    free(p->recs);
    free(p->data);
    free(p->batches);
    free(p->aborted);
    p->recs = NULL;
    p->data = NULL;
    p->batches = NULL;
    p->aborted = NULL;
    p->n_aborted = 0;
}

static void fetch_resp_free(void *body)
{
    fetch_resp_t *r = body;
    for (int32_t i = 0; i < r->n; i++)
        fetch_part_resp_clear(&r->parts[i]);
    free(r->parts);
    free(r);
}

static void fetch_resp_describe(const void *body, cJSON *ev)
{
    const fetch_resp_t *r = body;
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        const fetch_part_resp_t *p = &r->parts[i];
        cJSON *o = add_part(parts, p->topic, p->partition);
        cJSON_AddStringToObject(o, "error", kerr_name(p->error));
        trace_add_int(o, "hw", (int64_t)p->hw);
        if (p->lso >= 0 && p->lso != p->hw)
            trace_add_int(o, "lso", p->lso);
        if (p->n_aborted) {
            cJSON *ab = cJSON_AddArrayToObject(o, "aborted");
            for (int32_t k = 0; k < p->n_aborted; k++) {
                cJSON *a = cJSON_CreateObject();
                trace_add_int(a, "producer_id", p->aborted[k].producer_id);
                trace_add_int(a, "first_offset", p->aborted[k].first_offset);
                cJSON_AddItemToArray(ab, a);
            }
        }
        if (p->diverging_epoch >= 0) {
            cJSON *d = cJSON_AddObjectToObject(o, "diverging_epoch");
            trace_add_int(d, "epoch", p->diverging_epoch);
            trace_add_int(d, "end_offset", p->diverging_end);
        }
        trace_add_int(o, "records", p->n);
        if (p->n) {
            trace_add_int(o, "first", (int64_t)p->recs[0].offset);
            trace_add_int(o, "last", (int64_t)p->recs[p->n - 1].offset);
        }
    }
}

const msg_body_ops_t fetch_req_ops = { fetch_req_free, fetch_req_describe };
const msg_body_ops_t fetch_resp_ops = { fetch_resp_free, fetch_resp_describe };

/* ---- ListOffsets ---- */

static void list_offsets_free(void *body)
{
    list_offsets_t *r = body;
    free(r->parts);
    free(r);
}

static void list_offsets_req_describe(const void *body, cJSON *ev)
{
    const list_offsets_t *r = body;
    if (r->isolation)
        cJSON_AddStringToObject(ev, "isolation", "read_committed");
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        cJSON *o = add_part(parts, r->parts[i].topic, r->parts[i].partition);
        int64_t ts = r->parts[i].timestamp;
        if (ts == LIST_OFFSETS_EARLIEST)
            cJSON_AddStringToObject(o, "timestamp", "earliest");
        else if (ts == LIST_OFFSETS_LATEST)
            cJSON_AddStringToObject(o, "timestamp", "latest");
        else
            trace_add_int(o, "timestamp", (int64_t)ts);
    }
}

static void list_offsets_resp_describe(const void *body, cJSON *ev)
{
    const list_offsets_t *r = body;
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        cJSON *o = add_part(parts, r->parts[i].topic, r->parts[i].partition);
        cJSON_AddStringToObject(o, "error", kerr_name(r->parts[i].error));
        trace_add_int(o, "offset", (int64_t)r->parts[i].offset);
    }
}

const msg_body_ops_t list_offsets_req_ops = { list_offsets_free, list_offsets_req_describe };
const msg_body_ops_t list_offsets_resp_ops = { list_offsets_free, list_offsets_resp_describe };

/* ---- InitProducerId ---- */

static void init_pid_req_describe(const void *body, cJSON *ev)
{
    const init_pid_t *r = body;
    if (r->transactional_id)
        cJSON_AddStringToObject(ev, "transactional_id", r->transactional_id);
    else
        cJSON_AddNullToObject(ev, "transactional_id");
    trace_add_int(ev, "producer_id", r->producer_id);
    trace_add_int(ev, "producer_epoch", r->producer_epoch);
}

static void init_pid_resp_describe(const void *body, cJSON *ev)
{
    const init_pid_t *r = body;
    cJSON_AddStringToObject(ev, "error", kerr_name(r->error));
    trace_add_int(ev, "producer_id", r->producer_id);
    trace_add_int(ev, "producer_epoch", r->producer_epoch);
}

const msg_body_ops_t init_pid_req_ops = { free, init_pid_req_describe };
const msg_body_ops_t init_pid_resp_ops = { free, init_pid_resp_describe };

/* ---- Metadata ---- */

static void metadata_req_free(void *body)
{
    metadata_req_t *r = body;
    free(r->topics);
    free(r);
}

static void metadata_req_describe(const void *body, cJSON *ev)
{
    const metadata_req_t *r = body;
    cJSON *topics = cJSON_AddArrayToObject(ev, "topics");
    for (int32_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(topics, cJSON_CreateString(r->topics[i]));
}

static void metadata_resp_free(void *body)
{
    metadata_resp_t *r = body;
    for (int32_t i = 0; i < r->n; i++)
        free(r->topics[i].partitions);
    free(r->topics);
    free(r->brokers);
    free(r);
}

static void metadata_resp_describe(const void *body, cJSON *ev)
{
    const metadata_resp_t *r = body;
    cJSON *topics = cJSON_AddArrayToObject(ev, "topics");
    for (int32_t i = 0; i < r->n; i++) {
        const metadata_topic_t *t = &r->topics[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "topic", t->topic);
        cJSON_AddStringToObject(o, "error", kerr_name(t->error));
        cJSON *leaders = cJSON_AddArrayToObject(o, "leaders");
        for (int32_t p = 0; p < t->n; p++)
            cJSON_AddItemToArray(leaders, trace_int_item(t->partitions[p].leader));
        cJSON_AddItemToArray(topics, o);
    }
}

const msg_body_ops_t metadata_req_ops = { metadata_req_free, metadata_req_describe };
const msg_body_ops_t metadata_resp_ops = { metadata_resp_free, metadata_resp_describe };

char *json_take_text(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s)
        abort();
    return s;
}
