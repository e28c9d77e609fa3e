#include "txn_protocol.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "protocol.h"

static void add_str(cJSON *ev, const char *name, const char *s)
{
    if (s)
        cJSON_AddStringToObject(ev, name, s);
}

static void add_producer(cJSON *ev, const char *txn_id, int64_t pid, int16_t epoch)
{
    add_str(ev, "transactional_id", txn_id);
    trace_add_int(ev, "producer_id", pid);
    trace_add_int(ev, "producer_epoch", epoch);
}

static txn_part_t *parts_copy(const txn_part_t *v, int32_t n)
{
    txn_part_t *c = proto_calloc((size_t)n, sizeof *c);
    if (n)
        memcpy(c, v, (size_t)n * sizeof *c);
    return c;
}

/* The partitions as ["t-0", …] in a request, [{tp, error}, …] in a response. */
static void parts_describe(cJSON *ev, const txn_part_t *v, int32_t n, bool response)
{
    cJSON *a = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < n; i++) {
        if (!response) {
            cJSON_AddItemToArray(a, tp_json(v[i].topic, v[i].partition));
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        trace_add_tp(o, v[i].topic, v[i].partition);
        cJSON_AddStringToObject(o, "error", kerr_name(v[i].error));
        cJSON_AddItemToArray(a, o);
    }
}

/* ---- AddPartitionsToTxn ---- */

add_parts_txn_t *add_parts_txn_copy(const add_parts_txn_t *r)
{
    add_parts_txn_t *c = proto_calloc(1, sizeof *c);
    *c = *r;
    c->transactional_id = gp_strdup(r->transactional_id);
    c->parts = parts_copy(r->parts, r->n);
    return c;
}

static void add_parts_free(void *body)
{
    add_parts_txn_t *r = body;
    free(r->transactional_id);
    free(r->parts);
    free(r);
}

static void add_parts_describe(const add_parts_txn_t *r, cJSON *ev, bool response)
{
    if (!response)
        add_producer(ev, r->transactional_id, r->producer_id, r->producer_epoch);
    parts_describe(ev, r->parts, r->n, response);
}

static void add_parts_req_describe(const void *body, cJSON *ev)
{
    add_parts_describe(body, ev, false);
}

static void add_parts_resp_describe(const void *body, cJSON *ev)
{
    add_parts_describe(body, ev, true);
}

const msg_body_ops_t add_parts_txn_req_ops = { add_parts_free, add_parts_req_describe };
const msg_body_ops_t add_parts_txn_resp_ops = { add_parts_free, add_parts_resp_describe };

/* ---- AddOffsetsToTxn, EndTxn ---- */

txn_req_t *txn_req_copy(const txn_req_t *r)
{
    txn_req_t *c = proto_calloc(1, sizeof *c);
    *c = *r;
    c->transactional_id = gp_strdup(r->transactional_id);
    c->group = gp_strdup(r->group);
    return c;
}

static void txn_req_free(void *body)
{
    txn_req_t *r = body;
    free(r->transactional_id);
    free(r->group);
    free(r);
}

static void add_offsets_req_describe(const void *body, cJSON *ev)
{
    const txn_req_t *r = body;
    add_producer(ev, r->transactional_id, r->producer_id, r->producer_epoch);
    add_str(ev, "group", r->group);
}

static void end_txn_req_describe(const void *body, cJSON *ev)
{
    const txn_req_t *r = body;
    add_producer(ev, r->transactional_id, r->producer_id, r->producer_epoch);
    cJSON_AddStringToObject(ev, "result", r->commit ? "commit" : "abort");
}

static void txn_resp_describe(const void *body, cJSON *ev)
{
    cJSON_AddStringToObject(ev, "error", kerr_name(((const txn_req_t *)body)->error));
}

const msg_body_ops_t add_offsets_txn_req_ops = { txn_req_free, add_offsets_req_describe };
const msg_body_ops_t add_offsets_txn_resp_ops = { txn_req_free, txn_resp_describe };
const msg_body_ops_t end_txn_req_ops = { txn_req_free, end_txn_req_describe };
const msg_body_ops_t end_txn_resp_ops = { txn_req_free, txn_resp_describe };

/* ---- WriteTxnMarkers ---- */

write_markers_t *write_markers_copy(const write_markers_t *r)
{
    write_markers_t *c = proto_calloc(1, sizeof *c);
    c->n = r->n;
    c->entries = proto_calloc((size_t)r->n, sizeof *c->entries);
    for (int32_t i = 0; i < r->n; i++) {
        c->entries[i] = r->entries[i];
        c->entries[i].parts = parts_copy(r->entries[i].parts, r->entries[i].n);
    }
    return c;
}

static void write_markers_free(void *body)
{
    write_markers_t *r = body;
    for (int32_t i = 0; i < r->n; i++)
        free(r->entries[i].parts);
    free(r->entries);
    free(r);
}

static void write_markers_describe(const write_markers_t *r, cJSON *ev, bool response)
{
    cJSON *a = cJSON_AddArrayToObject(ev, "markers");
    for (int32_t i = 0; i < r->n; i++) {
        const txn_marker_entry_t *e = &r->entries[i];
        cJSON *o = cJSON_CreateObject();
        trace_add_int(o, "producer_id", e->producer_id);
        if (!response) {
            trace_add_int(o, "producer_epoch", e->producer_epoch);
            cJSON_AddStringToObject(o, "result", e->commit ? "commit" : "abort");
            trace_add_int(o, "coordinator_epoch", e->coordinator_epoch);
        }
        parts_describe(o, e->parts, e->n, response);
        cJSON_AddItemToArray(a, o);
    }
}

static void write_markers_req_describe(const void *body, cJSON *ev)
{
    write_markers_describe(body, ev, false);
}

static void write_markers_resp_describe(const void *body, cJSON *ev)
{
    write_markers_describe(body, ev, true);
}

const msg_body_ops_t write_markers_req_ops = { write_markers_free, write_markers_req_describe };
const msg_body_ops_t write_markers_resp_ops = { write_markers_free,
                                                write_markers_resp_describe };

/* ---- TxnOffsetCommit ---- */

txn_offset_commit_t *txn_offset_commit_copy(const txn_offset_commit_t *r)
{
    txn_offset_commit_t *c = proto_calloc(1, sizeof *c);
    *c = *r;
    c->transactional_id = gp_strdup(r->transactional_id);
    c->group = gp_strdup(r->group);
    c->member_id = gp_strdup(r->member_id);
    c->instance_id = gp_strdup(r->instance_id);
    c->parts = proto_calloc((size_t)r->n, sizeof *c->parts);
    if (r->n)
        memcpy(c->parts, r->parts, (size_t)r->n * sizeof *c->parts);
    return c;
}

static void txn_offset_commit_free(void *body)
{
    txn_offset_commit_t *r = body;
    free(r->transactional_id);
    free(r->group);
    free(r->member_id);
    free(r->instance_id);
    free(r->parts);
    free(r);
}

static void txn_offset_commit_describe(const txn_offset_commit_t *r, cJSON *ev, bool response)
{
    if (!response) {
        add_producer(ev, r->transactional_id, r->producer_id, r->producer_epoch);
        add_str(ev, "group", r->group);
        add_str(ev, "member_id", r->member_id);
        trace_add_int(ev, "generation", r->generation);
    }
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    for (int32_t i = 0; i < r->n; i++) {
        cJSON *o = cJSON_CreateObject();
        trace_add_tp(o, r->parts[i].topic, r->parts[i].partition);
        if (response)
            cJSON_AddStringToObject(o, "error", kerr_name(r->parts[i].error));
        else
            trace_add_int(o, "offset", r->parts[i].offset);
        cJSON_AddItemToArray(parts, o);
    }
}

static void txn_offset_commit_req_describe(const void *body, cJSON *ev)
{
    txn_offset_commit_describe(body, ev, false);
}

static void txn_offset_commit_resp_describe(const void *body, cJSON *ev)
{
    txn_offset_commit_describe(body, ev, true);
}

const msg_body_ops_t txn_offset_commit_req_ops = { txn_offset_commit_free,
                                                   txn_offset_commit_req_describe };
const msg_body_ops_t txn_offset_commit_resp_ops = { txn_offset_commit_free,
                                                    txn_offset_commit_resp_describe };
