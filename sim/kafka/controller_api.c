#include "controller_api.h"

#include <stdlib.h>

#include "../trace.h"
#include "api.h"
#include "protocol.h"

static void free_plain(void *body)
{
    free(body);
}

static void registration_req_describe(const void *body, cJSON *ev)
{
    const broker_registration_t *r = body;
    trace_add_int(ev, "broker_id", r->broker_id);
}

static void registration_resp_describe(const void *body, cJSON *ev)
{
    const broker_registration_t *r = body;
    cJSON_AddStringToObject(ev, "error", kerr_name(r->error));
    if (r->error == KERR_NONE)
        trace_add_int(ev, "broker_epoch", r->broker_epoch);
}

const msg_body_ops_t registration_req_ops = { free_plain, registration_req_describe };
const msg_body_ops_t registration_resp_ops = { free_plain, registration_resp_describe };

static void heartbeat_req_describe(const void *body, cJSON *ev)
{
    const broker_heartbeat_t *h = body;
    trace_add_int(ev, "broker_id", h->broker_id);
    trace_add_int(ev, "broker_epoch", h->broker_epoch);
    trace_add_int(ev, "metadata_offset", h->metadata_offset);
}

static void heartbeat_resp_describe(const void *body, cJSON *ev)
{
    const broker_heartbeat_t *h = body;
    cJSON_AddStringToObject(ev, "error", kerr_name(h->error));
    cJSON_AddBoolToObject(ev, "fenced", h->fenced);
}

const msg_body_ops_t heartbeat_req_ops = { free_plain, heartbeat_req_describe };
const msg_body_ops_t heartbeat_resp_ops = { free_plain, heartbeat_resp_describe };

static void alter_req_describe(const void *body, cJSON *ev)
{
    const alter_partition_t *a = body;
    trace_add_tp(ev, a->topic, a->partition);
    trace_add_int(ev, "leader_epoch", a->leader_epoch);
    trace_add_int(ev, "partition_epoch", a->partition_epoch);
    cJSON_AddItemToObject(ev, "isr", md_ids_json(a->isr, a->n_isr));
}

static void alter_resp_describe(const void *body, cJSON *ev)
{
    const alter_partition_t *a = body;
    trace_add_tp(ev, a->topic, a->partition);
    cJSON_AddStringToObject(ev, "error", kerr_name(a->error));
    if (a->error == KERR_NONE) {
        trace_add_int(ev, "partition_epoch", a->state.partition_epoch);
        cJSON_AddItemToObject(ev, "isr", md_ids_json(a->state.isr, a->state.n_isr));
    }
}

const msg_body_ops_t alter_partition_req_ops = { free_plain, alter_req_describe };
const msg_body_ops_t alter_partition_resp_ops = { free_plain, alter_resp_describe };

static void md_fetch_free(void *body)
{
    md_fetch_t *f = body;
    free(f->recs);
    free(f);
}

static void md_fetch_req_describe(const void *body, cJSON *ev)
{
    const md_fetch_t *f = body;
    trace_add_int(ev, "replica_id", f->broker_id);
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    cJSON *o = cJSON_CreateObject();
    trace_add_tp(o, MD_LOG_TOPIC, 0);
    trace_add_int(o, "offset", f->offset);
    cJSON_AddItemToArray(parts, o);
}

static void md_fetch_resp_describe(const void *body, cJSON *ev)
{
    const md_fetch_t *f = body;
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    cJSON *o = cJSON_CreateObject();
    trace_add_tp(o, MD_LOG_TOPIC, 0);
    cJSON_AddStringToObject(o, "error", "NONE");
    trace_add_int(o, "records", f->n);
    if (f->n) {
        trace_add_int(o, "first", f->offset);
        trace_add_int(o, "last", f->offset + f->n - 1);
    }
    cJSON_AddItemToArray(parts, o);
}

const msg_body_ops_t md_fetch_req_ops = { md_fetch_free, md_fetch_req_describe };
const msg_body_ops_t md_fetch_resp_ops = { md_fetch_free, md_fetch_resp_describe };

static void alloc_pids_req_describe(const void *body, cJSON *ev)
{
    const alloc_pids_t *r = body;
    trace_add_int(ev, "broker_id", r->broker_id);
    trace_add_int(ev, "broker_epoch", r->broker_epoch);
}

static void alloc_pids_resp_describe(const void *body, cJSON *ev)
{
    const alloc_pids_t *r = body;
    cJSON_AddStringToObject(ev, "error", kerr_name(r->error));
    if (r->error == KERR_NONE) {
        trace_add_int(ev, "producer_id_start", r->first);
        trace_add_int(ev, "producer_id_len", r->len);
    }
}

const msg_body_ops_t alloc_pids_req_ops = { free_plain, alloc_pids_req_describe };
const msg_body_ops_t alloc_pids_resp_ops = { free_plain, alloc_pids_resp_describe };
