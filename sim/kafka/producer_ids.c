/* producer_ids: a broker's producer id manager (Kafka's RPCProducerIdManager), which takes
 * blocks of 1000 ids from the controller with AllocateProducerIds and asks for the next
 * block when 90% of the current one is used, and InitProducerId for idempotent producers,
 * which the broker's transaction coordinator answers with a fresh id at epoch 0. */
#include <stdlib.h>

#include "api.h"
#include "broker_internal.h"
#include "controller_api.h"
#include "protocol.h"

/* ProducerIdManager.PID_PREFETCH_THRESHOLD and RPCProducerIdManager.RETRY_BACKOFF_MS */
#define PID_PREFETCH_PERCENT 90
#define PID_RETRY_BACKOFF_MS 50
#define PID_ITERATION_LIMIT 3

/* handleTimeout: the next attempt may go at once. */
static void request_timed_out(void *a, void *bb, int64_t corr)
{
    broker_t *b = a;
    if (b->pids.requesting && b->pids.corr == (int32_t)corr)
        b->pids.requesting = false;
}

/* maybeRequestNextBlock: one request at a time, none while a block waits, none before the
 * back-off after a failure has passed. */
static void maybe_request_next_block(broker_t *b)
{
    pid_manager_t *pm = &b->pids;
    if (pm->requesting || pm->have_next || b->w->now < pm->retry_at)
        return;
    alloc_pids_t *req = proto_calloc(1, sizeof *req);
    req->broker_id = b->id;
    req->broker_epoch = b->broker_epoch;
    msg_t *m = msg_new(b->w, API_ALLOCATE_PRODUCER_IDS, false, req, &alloc_pids_req_ops);
    broker_send(b, b->controller, m);
    pm->requesting = true;
    pm->corr = m->corr;
    pm->retry_at = 0;
    node_timer_bg(b->node, MD_REQUEST_TIMEOUT_MS * US_PER_MS, request_timed_out, b, NULL,
                  m->corr);
}

/* generateProducerId: the next id of the current block, moving to the prefetched block
 * when it is used up; with none there yet, COORDINATOR_LOAD_IN_PROGRESS (retriable). */
int64_t pids_generate(broker_t *b, int16_t *err)
{
    pid_manager_t *pm = &b->pids;
    for (int iteration = 0; iteration < PID_ITERATION_LIMIT; iteration++) {
        if (pm->next < pm->first + pm->len) {
            int64_t id = pm->next++;
            if (id == pm->first + pm->len * PID_PREFETCH_PERCENT / 100)
                maybe_request_next_block(b);
            *err = KERR_NONE;
            return id;
        }
        if (!pm->have_next) {
            maybe_request_next_block(b);
            break;
        }
        pm->first = pm->next = pm->next_first;
        pm->len = pm->next_len;
        pm->have_next = false;
        pm->requesting = false;
    }
    *err = KERR_COORDINATOR_LOAD_IN_PROGRESS;
    return -1;
}

void pids_handle_init(broker_t *b, msg_t *m)
{
    const init_pid_t *req = m->body;
    init_pid_t *resp = proto_calloc(1, sizeof *resp);
    *resp = *req;
    resp->producer_epoch = -1;
    if (req->transactional_id) {
        /* Transactional producers need the transaction coordinator's state. */
        resp->producer_id = -1;
        resp->error = KERR_INVALID_REQUEST;
    } else {
        resp->producer_id = pids_generate(b, &resp->error);
        if (resp->error == KERR_NONE)
            resp->producer_epoch = 0;
    }
    net_reply(b->w, b->node, m, msg_new(b->w, API_INIT_PRODUCER_ID, true, resp,
                                        &init_pid_resp_ops));
}

void pids_alloc_response(broker_t *b, const msg_t *m)
{
    pid_manager_t *pm = &b->pids;
    const alloc_pids_t *r = m->body;
    if (!pm->requesting || m->corr != pm->corr)
        return;
    /* handleAllocateProducerIdsResponse's sanity checks: ids only move forward. */
    if (r->error == KERR_NONE && r->len > 0 && r->first >= pm->first + pm->len) {
        pm->next_first = r->first;
        pm->next_len = r->len;
        pm->have_next = true; /* requesting stays set until the block is taken */
        return;
    }
    pm->requesting = false;
    pm->retry_at = b->w->now + PID_RETRY_BACKOFF_MS * US_PER_MS;
}

void pids_reset(broker_t *b)
{
    b->pids = (pid_manager_t){ 0 };
}

void pids_controller_lost(broker_t *b)
{
    if (b->pids.requesting && !b->pids.have_next)
        b->pids.requesting = false;
}
