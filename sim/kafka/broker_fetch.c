/* broker_fetch: the Fetch handler, for consumers (read_uncommitted up to the high
 * watermark; read_committed up to the last stable offset, with the aborted transactions
 * the records overlap) and for followers (up to the log end, with the leader-epoch checks
 * of KIP-320 and KIP-595), and the purgatory where fetches wait for fetch.min.bytes
 * (Kafka's DelayedFetch). */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "broker_internal.h"
#include "protocol.h"

/* Whole batches from the one holding fetch_offset, up to `upto` (exclusive). */
static void read_part(const plog_t *log, const fetch_part_t *fp, int64_t upto, int32_t budget,
                      bool first, fetch_part_resp_t *out, int32_t *bytes)
{
    size_t b0 = plog_find_batch(log, fp->fetch_offset), bi = b0;
    int32_t size = 0;
    for (; bi < log->n_batches; bi++) {
        const log_batch_t *batch = &log->batches[bi];
        if (batch->last_offset >= upto)
            break;
        /* KIP-74: the first batch is returned even when larger than the limit. */
        if (size + batch->size > budget && !(first && size == 0))
            break;
        size += batch->size;
    }
    *bytes += size;
    if (bi == b0)
        return;
    size_t first_rec = log->batches[b0].first;
    size_t end_rec = log->batches[bi - 1].first + (size_t)log->batches[bi - 1].n;
    out->n = (int32_t)(end_rec - first_rec);
    out->n_batches = (int32_t)(bi - b0);
    out->batches = proto_calloc((size_t)out->n_batches, sizeof *out->batches);
    for (size_t i = b0; i < bi; i++) {
        out->batches[i - b0] = log->batches[i];
        out->batches[i - b0].first -= first_rec;
    }
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

/* UnifiedLog.collectAbortedTransactions for a read_committed fetch: the aborted
 * transactions overlapping the records returned, from the fetch offset to the end of the
 * last batch. */
static void add_aborted(const pstate_t *ps, int64_t from, fetch_part_resp_t *out)
{
    if (out->n_batches == 0)
        return;
    int64_t upper = out->batches[out->n_batches - 1].last_offset + 1;
    size_t n = pstate_collect_aborted(ps, from, upper, NULL, 0);
    if (n == 0)
        return;
    pstate_aborted_t *a = proto_calloc(n, sizeof *a);
    pstate_collect_aborted(ps, from, upper, a, n);
    out->aborted = proto_calloc(n, sizeof *out->aborted);
    for (size_t i = 0; i < n; i++)
        out->aborted[i] = (fetch_aborted_t){ a[i].producer_id, a[i].first_offset };
    out->n_aborted = (int32_t)n;
    free(a);
}

/* KIP-320: a request from an older leader epoch is fenced, one from a newer epoch than
 * this broker knows waits for its metadata. */
static int16_t check_epoch(const bpartition_t *part, int32_t epoch)
{
    if (epoch < 0 || epoch == part->reg.leader_epoch)
        return KERR_NONE;
    return epoch < part->reg.leader_epoch ? KERR_FENCED_LEADER_EPOCH : KERR_UNKNOWN_LEADER_EPOCH;
}

/* Partition.fetchRecords' divergence check: where does the follower's last fetched epoch
 * end on this leader? Returns false when the logs diverge (the response says where). */
static bool check_divergence(const bpartition_t *part, const fetch_part_t *fp,
                             fetch_part_resp_t *out)
{
    if (fp->last_fetched_epoch < 0)
        return true;
    int32_t epoch;
    int64_t end = plog_epoch_end(&part->log, fp->last_fetched_epoch, &epoch);
    if (end == LOG_NO_OFFSET) {
        out->error = KERR_OFFSET_OUT_OF_RANGE;
        return false;
    }
    if (epoch < fp->last_fetched_epoch || end < fp->fetch_offset) {
        out->diverging_epoch = epoch;
        out->diverging_end = end;
        return false;
    }
    return true;
}

/* Builds the response; returns the bytes it carries. With `update`, a follower's fetch
 * position is taken as its log end (Replica.updateFetchState). */
static int32_t build_fetch(broker_t *b, const fetch_req_t *req, fetch_resp_t *resp,
                           bool update, bool *diverged)
{
    int32_t bytes = 0;
    bool follower = req->replica_id >= 0;
    resp->n = req->n;
    resp->parts = proto_calloc((size_t)req->n, sizeof *resp->parts);
    for (int32_t i = 0; i < req->n; i++) {
        const fetch_part_t *fp = &req->parts[i];
        fetch_part_resp_t *out = &resp->parts[i];
        out->topic = fp->topic;
        out->partition = fp->partition;
        out->hw = out->lso = out->log_start = -1;
        out->diverging_epoch = -1;
        bpartition_t *part = broker_led(b, fp->topic, fp->partition, &out->error);
        if (!part)
            continue;
        if ((out->error = check_epoch(part, fp->current_leader_epoch)) != KERR_NONE)
            continue;
        const plog_t *log = &part->log;
        out->hw = log->hw;
        out->lso = plog_lso(log);
        out->log_start = log->log_start;
        if (follower && !check_divergence(part, fp, out)) {
            *diverged = true;
            continue;
        }
        if (fp->fetch_offset < log->log_start || fp->fetch_offset > log->leo) {
            out->error = KERR_OFFSET_OUT_OF_RANGE;
            continue;
        }
        int64_t upto = follower ? log->leo : req->isolation ? out->lso : log->hw;
        int32_t budget = fp->max_bytes;
        if (req->max_bytes - bytes < budget)
            budget = req->max_bytes - bytes;
        read_part(log, fp, upto, budget, bytes == 0, out, &bytes);
        if (!follower && req->isolation)
            add_aborted(&part->pstate, fp->fetch_offset, out);
        if (follower && update)
            part_follower_fetched(b, part, req->replica_id, fp->fetch_offset);
        out->hw = log->hw;
        out->lso = plog_lso(log);
    }
    return bytes;
}

static bool any_error(const fetch_resp_t *resp)
{
    for (int32_t i = 0; i < resp->n; i++)
        if (resp->parts[i].error != KERR_NONE)
            return true;
    return false;
}

/* From the purgatory (`update` false) the read does not count as the follower's fetch
 * again (ReplicaManager.readFromLog with readFromPurgatory). */
static void respond_fetch(broker_t *b, msg_t *m, int64_t arrived, bool update)
{
    const fetch_req_t *req = m->body;
    fetch_resp_t *resp = proto_calloc(1, sizeof *resp);
    bool diverged = false;
    int32_t bytes = build_fetch(b, req, resp, update, &diverged);
    request_time_t *t = req->replica_id >= 0 ? &b->m.fetch_follower : &b->m.fetch_consumer;
    request_time_add(t, b->w->now - arrived);
    if (req->replica_id < 0)
        b->m.bytes_out += bytes;
    msg_t *r = msg_new(b->w, API_FETCH, true, resp, &fetch_resp_ops);
    r->bg = req->replica_id >= 0 && bytes == 0 && !diverged && !any_error(resp);
    net_reply(b->w, b->node, m, r);
}

static bool fetch_satisfied(broker_t *b, const fetch_req_t *req)
{
    fetch_resp_t probe = { 0 };
    bool diverged = false;
    int32_t bytes = build_fetch(b, req, &probe, false, &diverged);
    bool errors = diverged;
    for (int32_t i = 0; i < probe.n; i++) {
        errors |= probe.parts[i].error != KERR_NONE;
        fetch_part_resp_clear(&probe.parts[i]);
    }
    free(probe.parts);
    return errors || bytes >= req->min_bytes;
}

static void fetch_expired(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    for (size_t i = 0; i < b->fetches.n; i++) {
        if (b->fetches.v[i].req == bb) {
            respond_fetch(b, bb, b->fetches.v[i].arrived, false);
            delayed_remove(b->w, &b->fetches, i);
            return;
        }
    }
}

/* Answering a follower can move the HW, which asks for this again: the request is noted
 * and served by the running pass, which goes over the list once more. */
void fetch_try_complete(broker_t *b)
{
    if (b->completing_fetches) {
        b->fetches_again = true;
        return;
    }
    b->completing_fetches = true;
    do {
        b->fetches_again = false;
        for (size_t i = 0; i < b->fetches.n;) {
            msg_t *m = b->fetches.v[i].req;
            if (fetch_satisfied(b, m->body)) {
                respond_fetch(b, m, b->fetches.v[i].arrived, false);
                delayed_remove(b->w, &b->fetches, i);
            } else {
                i++;
            }
        }
    } while (b->fetches_again);
    b->completing_fetches = false;
}

void fetch_handle(broker_t *b, msg_t *m)
{
    const fetch_req_t *req = m->body;
    if (req->max_wait_ms <= 0 || fetch_satisfied(b, req)) {
        respond_fetch(b, m, b->w->now, true);
        return;
    }
    /* The follower's position counts from its request, not from when it is answered. */
    if (req->replica_id >= 0) {
        for (int32_t i = 0; i < req->n; i++) {
            int16_t err;
            bpartition_t *part = broker_led(b, req->parts[i].topic, req->parts[i].partition, &err);
            if (part)
                part_follower_fetched(b, part, req->replica_id, req->parts[i].fetch_offset);
        }
        if (fetch_satisfied(b, req)) {
            respond_fetch(b, m, b->w->now, false);
            return;
        }
    }
    int64_t wait = (int64_t)req->max_wait_ms * US_PER_MS;
    /* A follower's long poll is background activity: it keeps no run from ending. */
    ev_handle_t t = req->replica_id >= 0
                        ? node_timer_bg(b->node, wait, fetch_expired, b, m, 0)
                        : node_timer(b->node, wait, fetch_expired, b, m, 0);
    delayed_add(b->w, &b->fetches, m, t, NULL);
}
