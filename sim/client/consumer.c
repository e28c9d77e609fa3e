#include "consumer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/net.h"
#include "../kafka/api.h"
#include "../kafka/protocol.h"
#include "completed_fetch.h"
#include "consumer_internal.h"
#include "coordinator.h"

static void on_message(node_t *n, msg_t *m);
static void on_crash(node_t *n);
static void on_disconnect(node_t *n, int32_t peer, uint32_t conn);
static const node_ops_t consumer_ops = { .on_message = on_message, .on_crash = on_crash,
                                         .on_disconnect = on_disconnect };
static void send_requests(consumer_t *c);
static void try_deliver(consumer_t *c);
static bool buffered_for(const consumer_t *c, int32_t part);

consumer_t *consumer_create(world_t *w, const char *name, const config_t *cfg,
                            const int32_t *bootstrap, int32_t n_bootstrap, char *err,
                            size_t errlen)
{
    consumer_t *c = proto_calloc(1, sizeof *c);
    c->w = w;
    const char *reset = config_str(cfg, "auto.offset.reset");
    c->auto_reset = strcmp(reset, "earliest") == 0 ? RESET_EARLIEST
                    : strcmp(reset, "latest") == 0 ? RESET_LATEST
                                                   : RESET_NONE;
    c->fetch_min_bytes = config_int(cfg, "fetch.min.bytes");
    c->fetch_max_wait_ms = config_int(cfg, "fetch.max.wait.ms");
    c->fetch_max_bytes = config_int(cfg, "fetch.max.bytes");
    c->partition_max_bytes = config_int(cfg, "max.partition.fetch.bytes");
    c->max_poll_records = config_int(cfg, "max.poll.records");
    c->isolation = strcmp(config_str(cfg, "isolation.level"), "read_committed") == 0;
    c->request_timeout = config_duration_us(cfg, "request.timeout.ms");
    c->backoff = config_duration_us(cfg, "retry.backoff.ms");
    c->reconnect_backoff = config_duration_us(cfg, "reconnect.backoff.ms");
    c->reconnect_backoff_max = config_duration_us(cfg, "reconnect.backoff.max.ms");
    if (config_str(cfg, "group.id")) {
        c->co = coord_new(c, name, cfg, err, errlen);
        if (!c->co) {
            free(c);
            return NULL;
        }
    }
    meta_init(&c->meta, bootstrap, n_bootstrap);
    c->node = world_add_node(w, name, ROLE_CONSUMER, &consumer_ops, c);
    return c;
}

static void free_buffered(buffered_t *b)
{
    free((void *)b->rec.key.p);
    free((void *)b->rec.value.p);
}

static void clear_buffer(consumer_t *c)
{
    for (size_t i = c->buf_head; i < c->n_buf; i++)
        free_buffered(&c->buf[i]);
    c->buf_head = c->n_buf = 0;
}

static void clear_inflight(consumer_t *c)
{
    world_cancel(c->w, c->retry_timer);
    c->retry_timer = 0;
    inflight_clear(&c->inflight, c->w);
    for (int32_t i = 0; i < c->n_parts; i++)
        c->parts[i].listing = false;
}

/* Fetches and offset lookups in flight are for the old assignment: their answers are
 * dropped (the group's own requests go on). */
static void clear_fetches(consumer_t *c)
{
    world_cancel(c->w, c->retry_timer);
    c->retry_timer = 0;
    for (int32_t i = c->inflight.n - 1; i >= 0; i--) {
        int16_t api = c->inflight.e[i].api;
        if (api != API_FETCH && api != API_LIST_OFFSETS)
            continue;
        inflight_t f = inflight_take(&c->inflight, c->w, i);
        free(f.data);
    }
    for (int32_t i = 0; i < c->n_parts; i++)
        c->parts[i].listing = false;
}

void consumer_free(consumer_t *c)
{
    if (!c)
        return;
    clear_buffer(c);
    clear_inflight(c);
    free(c->buf);
    inflight_free(&c->inflight, c->w);
    free(c->parts);
    meta_free(&c->meta);
    coord_free(c->co);
    free(c);
}

node_t *consumer_node(const consumer_t *c)
{
    return c->node;
}

const char *consumer_name(const consumer_t *c)
{
    return c->node->name;
}

static int32_t find_part(const consumer_t *c, const char *topic, int32_t partition)
{
    for (int32_t i = 0; i < c->n_parts; i++)
        if (c->parts[i].partition == partition && strcmp(c->parts[i].topic, topic) == 0)
            return i;
    return -1;
}

/* Buffered records of partitions that stay assigned keep their place; others go. */
static void drop_buffered_except(consumer_t *c, const cpart_t *old)
{
    size_t kept = 0;
    for (size_t i = c->buf_head; i < c->n_buf; i++) {
        const cpart_t *op = &old[c->buf[i].part];
        int32_t now = find_part(c, op->topic, op->partition);
        if (now < 0) {
            free_buffered(&c->buf[i]);
            continue;
        }
        c->buf[i].part = now;
        c->buf[kept++] = c->buf[i];
    }
    c->buf_head = 0;
    c->n_buf = kept;
}

/* The new assignment: partitions kept keep their position; new ones start from the
 * committed offset (group) or the reset policy. */
static void assign_parts(consumer_t *c, const topic_partition_t *tps, size_t n, bool group)
{
    cpart_t *old = c->parts;
    int32_t n_old = c->n_parts;
    c->parts = proto_calloc(n, sizeof *c->parts);
    c->n_parts = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        const char *topic = world_intern(c->w, tps[i].topic);
        cpart_t *p = &c->parts[i];
        /* With a group.id, a partition starts from the group's committed offset. */
        bool committed = group || c->co;
        *p = (cpart_t){ .topic = topic, .partition = tps[i].partition, .position = -1,
                        .reset = committed ? RESET_NONE : c->auto_reset,
                        .need_committed = committed, .fetch_end = -1 };
        for (int32_t k = 0; k < n_old; k++)
            if (old[k].topic == topic && old[k].partition == tps[i].partition) {
                p->position = old[k].position;
                p->reset = old[k].reset;
                p->need_committed = old[k].need_committed;
                p->fetch_end = old[k].fetch_end;
            }
        meta_want(&c->meta, topic);
    }
    drop_buffered_except(c, old);
    if (group)
        clear_fetches(c);
    else
        clear_inflight(c);
    free(old);
}

void consumer_assign_group(consumer_t *c, const topic_partition_t *tps, size_t n)
{
    assign_parts(c, tps, n, true);
}

void consumer_assign(consumer_t *c, const topic_partition_t *tps, size_t n)
{
    assign_parts(c, tps, n, false);
    cJSON *ev = world_trace(c->w, c->node, "assign");
    if (ev) {
        cJSON *parts = cJSON_AddArrayToObject(ev, "partitions");
        for (int32_t i = 0; i < c->n_parts; i++)
            cJSON_AddItemToArray(parts, tp_json(c->parts[i].topic, c->parts[i].partition));
        world_emit(c->w, ev);
    }
}

static void trace_seek(consumer_t *c, const cpart_t *p, const char *to, int64_t offset)
{
    cJSON *ev = world_trace(c->w, c->node, "seek");
    if (!ev)
        return;
    trace_add_tp(ev, p->topic, p->partition);
    if (to)
        cJSON_AddStringToObject(ev, "to", to);
    else
        trace_add_int(ev, "offset", offset);
    world_emit(c->w, ev);
}

static bool assigned(consumer_t *c, const char *topic, int32_t partition, int32_t *idx,
                     char *err, size_t errlen)
{
    *idx = find_part(c, topic, partition);
    if (*idx >= 0)
        return true;
    snprintf(err, errlen, "consumer '%s': No current assignment for partition %s-%d",
             c->node->name, topic, partition);
    return false;
}

static void drop_buffered_of(consumer_t *c, int32_t part)
{
    size_t kept = c->buf_head;
    for (size_t i = c->buf_head; i < c->n_buf; i++) {
        if (c->buf[i].part == part)
            free_buffered(&c->buf[i]);
        else
            c->buf[kept++] = c->buf[i];
    }
    c->n_buf = kept;
    c->parts[part].fetch_end = -1;
}

bool consumer_seek(consumer_t *c, const char *topic, int32_t partition, int64_t offset,
                   char *err, size_t errlen)
{
    int32_t i;
    if (!assigned(c, topic, partition, &i, err, errlen))
        return false;
    c->parts[i].position = offset;
    c->parts[i].reset = RESET_NONE;
    drop_buffered_of(c, i);
    trace_seek(c, &c->parts[i], NULL, offset);
    return true;
}

bool consumer_seek_to(consumer_t *c, const char *topic, int32_t partition, bool beginning,
                      char *err, size_t errlen)
{
    int32_t i;
    if (!assigned(c, topic, partition, &i, err, errlen))
        return false;
    c->parts[i].position = -1;
    c->parts[i].reset = beginning ? RESET_EARLIEST : RESET_LATEST;
    drop_buffered_of(c, i);
    trace_seek(c, &c->parts[i], beginning ? "beginning" : "end", -1);
    return true;
}

int64_t consumer_position(const consumer_t *c, const char *topic, int32_t partition)
{
    int32_t i = find_part(c, topic, partition);
    return i >= 0 ? c->parts[i].position : -1;
}

bool consumer_polling(const consumer_t *c)
{
    return c->polling;
}

/* ---- poll ---- */

static void finish_poll(consumer_t *c, const consumer_record_t *recs, size_t n)
{
    c->polling = false;
    world_cancel(c->w, c->poll_timer);
    int16_t error = c->poll_error;
    c->poll_error = KERR_NONE;
    consumer_poll_fn fn = c->poll_fn;
    c->poll_fn = NULL;
    fn(c->poll_ctx, c, recs, n, error, error ? c->poll_what : NULL);
}

static void trace_poll(consumer_t *c, size_t from, size_t n)
{
    cJSON *ev = world_trace(c->w, c->node, "poll");
    if (!ev)
        return;
    trace_add_int(ev, "count", (int64_t)n);
    cJSON *recs = cJSON_AddArrayToObject(ev, "records");
    for (size_t i = from; i < from + n; i++) {
        const consumer_record_t *r = &c->buf[i].rec;
        cJSON *o = cJSON_CreateObject();
        trace_add_tp(o, r->topic, r->partition);
        trace_add_int(o, "offset", (int64_t)r->offset);
        cJSON_AddItemToObject(o, "key", bytes_json(r->key));
        cJSON_AddItemToObject(o, "value", bytes_json(r->value));
        cJSON_AddItemToArray(recs, o);
    }
    world_emit(c->w, ev);
}

static void try_deliver(consumer_t *c)
{
    if (!c->polling)
        return;
    if (c->poll_error) {
        finish_poll(c, NULL, 0);
        return;
    }
    if (c->co && coord_listening(c->co))
        return;
    size_t avail = c->n_buf - c->buf_head;
    if (avail == 0)
        return;
    size_t n = avail < (size_t)c->max_poll_records ? avail : (size_t)c->max_poll_records;
    size_t from = c->buf_head;
    trace_poll(c, from, n);
    /* The records leave the buffer before the callback runs: it may assign or seek. */
    consumer_record_t *out = proto_calloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        buffered_t *b = &c->buf[from + i];
        out[i] = b->rec;
        c->parts[b->part].position = b->rec.offset + 1;
    }
    c->buf_head += n;
    /* CompletedFetch: once a fetch's records are all returned, the position moves to the
     * end of its last batch, past records a cleaner removed from that batch's tail. */
    for (size_t i = 0; i < n; i++) {
        int32_t part = c->buf[from + i].part;
        cpart_t *p = &c->parts[part];
        if (p->fetch_end >= 0 && !buffered_for(c, part)) {
            if (p->fetch_end > p->position)
                p->position = p->fetch_end;
            p->fetch_end = -1;
        }
    }
    if (c->buf_head == c->n_buf)
        c->buf_head = c->n_buf = 0;
    /* As KafkaConsumer.poll does: the next fetches go out before the records return. */
    send_requests(c);
    finish_poll(c, out, n);
    for (size_t i = 0; i < n; i++) {
        free((void *)out[i].key.p);
        free((void *)out[i].value.p);
    }
    free(out);
}

static void poll_expired(void *a, void *b, int64_t arg)
{
    consumer_t *c = a;
    c->poll_timer = 0;
    if (c->polling)
        finish_poll(c, NULL, 0);
}

void consumer_poll(consumer_t *c, int64_t timeout_us, consumer_poll_fn fn, void *ctx)
{
    assert(!c->polling);
    c->polling = true;
    c->poll_fn = fn;
    c->poll_ctx = ctx;
    if (c->co)
        coord_polled(c->co);
    c->poll_timer = node_timer(c->node, timeout_us > 0 ? timeout_us : 0, poll_expired, c, NULL, 0);
    send_requests(c);
    try_deliver(c);
}

void consumer_close(consumer_t *c)
{
    if (c->co)
        coord_close(c->co);
    c->closed = true;
    clear_buffer(c);
    clear_inflight(c);
}

/* ---- requests ---- */

static void request_timed_out(void *a, void *b, int64_t corr);

/* For meta_pick_node: requests in flight to the node, or -1 while it backs off. */
static int32_t node_load(void *ctx, int32_t node)
{
    const consumer_t *c = ctx;
    if (inflight_ready_at(&c->inflight, node) > c->w->now)
        return -1;
    return inflight_count(&c->inflight, node, -1);
}

/* Tracks a request and arms its request.timeout.ms. */
static inflight_t *track(consumer_t *c, const msg_t *m, int32_t node)
{
    return inflight_add(&c->inflight, c->node, m, node, c->request_timeout, request_timed_out,
                        c);
}

static void retry_cb(void *a, void *b, int64_t arg)
{
    consumer_t *c = a;
    c->retry_timer = 0;
    if (c->polling)
        send_requests(c);
}

/* While polling, look again at `at` (the earliest of the times asked for). */
static void retry_later(consumer_t *c, int64_t at)
{
    if (!c->polling || (c->retry_timer && c->retry_at <= at))
        return;
    world_cancel(c->w, c->retry_timer);
    c->retry_at = at;
    c->retry_timer = node_timer(c->node, at - c->w->now, retry_cb, c, NULL, 0);
}

/* After a reset, no request goes to the node before its reconnect backoff passed. */
static bool blocked(consumer_t *c, int32_t node)
{
    int64_t at = inflight_ready_at(&c->inflight, node);
    if (at <= c->w->now)
        return false;
    retry_later(c, at);
    return true;
}

static void send_metadata(consumer_t *c)
{
    if (!c->meta.update_needed || inflight_count(&c->inflight, -1, API_METADATA) > 0)
        return;
    int64_t at = c->meta.last_attempt + c->backoff;
    if (c->w->now < at) {
        retry_later(c, at);
        return;
    }
    int32_t node = meta_pick_node(&c->meta, &c->node->rng, node_load, c);
    if (blocked(c, node))
        return;
    msg_t *m = meta_request(&c->meta, c->w);
    m->corr = ++c->next_corr;
    track(c, m, node);
    net_send(c->w, c->node, node, m);
}

static bool buffered_for(const consumer_t *c, int32_t part)
{
    for (size_t i = c->buf_head; i < c->n_buf; i++)
        if (c->buf[i].part == part)
            return true;
    return false;
}

static void send_list_offsets(consumer_t *c, int32_t node)
{
    list_offsets_t *req = proto_calloc(1, sizeof *req);
    req->isolation = c->isolation; /* read_committed: "latest" is the last stable offset */
    req->parts = proto_calloc((size_t)c->n_parts, sizeof *req->parts);
    fetch_pos_t *asked = proto_calloc((size_t)c->n_parts, sizeof *asked);
    for (int32_t i = 0; i < c->n_parts; i++) {
        cpart_t *p = &c->parts[i];
        if (p->position >= 0 || p->listing || p->reset == RESET_NONE)
            continue;
        if (meta_leader_node(&c->meta, p->topic, p->partition) != node)
            continue;
        p->listing = true;
        asked[req->n] = (fetch_pos_t){ i, -1 };
        req->parts[req->n++] = (list_offsets_part_t){
            p->topic, p->partition,
            p->reset == RESET_EARLIEST ? LIST_OFFSETS_EARLIEST : LIST_OFFSETS_LATEST, 0, -1 };
    }
    msg_t *m = msg_new(c->w, API_LIST_OFFSETS, false, req, &list_offsets_req_ops);
    m->corr = ++c->next_corr;
    inflight_t *f = track(c, m, node);
    f->n = req->n;
    f->data = asked;
    net_send(c->w, c->node, node, m);
}

static void send_fetch(consumer_t *c, int32_t node)
{
    fetch_req_t *req = proto_calloc(1, sizeof *req);
    req->replica_id = -1;
    req->max_wait_ms = c->fetch_max_wait_ms;
    req->min_bytes = c->fetch_min_bytes;
    req->max_bytes = c->fetch_max_bytes;
    req->isolation = c->isolation;
    req->parts = proto_calloc((size_t)c->n_parts, sizeof *req->parts);
    fetch_pos_t *asked = proto_calloc((size_t)c->n_parts, sizeof *asked);
    for (int32_t i = 0; i < c->n_parts; i++) {
        cpart_t *p = &c->parts[i];
        if (p->position < 0 || buffered_for(c, i))
            continue;
        if (meta_leader_node(&c->meta, p->topic, p->partition) != node)
            continue;
        asked[req->n] = (fetch_pos_t){ i, p->position };
        req->parts[req->n++] =
            (fetch_part_t){ p->topic, p->partition, p->position, c->partition_max_bytes, -1, -1 };
    }
    msg_t *m = msg_new(c->w, API_FETCH, false, req, &fetch_req_ops);
    m->corr = ++c->next_corr;
    inflight_t *f = track(c, m, node);
    f->n = req->n;
    f->data = asked;
    net_send(c->w, c->node, node, m);
}

static void report_no_offset(consumer_t *c, const cpart_t *p)
{
    c->poll_error = KERR_CLIENT_NO_OFFSET;
    snprintf(c->poll_what, sizeof c->poll_what,
             "Undefined offset with no reset policy for partitions: [%s-%d]", p->topic,
             p->partition);
}

/* Sends what the assignment needs now: metadata, offset lookups, fetches. */
static void send_requests(consumer_t *c)
{
    if (!c->node->up || c->closed)
        return;
    if (c->co)
        coord_step(c->co);
    for (int32_t i = 0; i < c->n_parts; i++) {
        const cpart_t *p = &c->parts[i];
        if (meta_leader_node(&c->meta, p->topic, p->partition) < 0)
            c->meta.update_needed = true;
        if (p->position < 0 && p->reset == RESET_NONE && !p->need_committed && c->polling)
            report_no_offset(c, p);
    }
    send_metadata(c);
    for (int32_t i = 0; i < c->n_parts; i++) {
        const cpart_t *p = &c->parts[i];
        int32_t node = meta_leader_node(&c->meta, p->topic, p->partition);
        if (node < 0)
            continue;
        if (p->position < 0 && p->reset != RESET_NONE && !p->listing && !blocked(c, node))
            send_list_offsets(c, node);
    }
    for (int32_t i = 0; i < c->n_parts; i++) {
        const cpart_t *p = &c->parts[i];
        int32_t node = meta_leader_node(&c->meta, p->topic, p->partition);
        if (node < 0 || p->position < 0 || buffered_for(c, i))
            continue;
        if (inflight_count(&c->inflight, node, API_FETCH) == 0 && !blocked(c, node))
            send_fetch(c, node);
    }
}

/* ---- responses ---- */

static void buffer_record(consumer_t *c, int32_t part, const char *topic, int32_t partition,
                          const log_record_t *r)
{
    if (c->n_buf == c->cap_buf) {
        c->cap_buf = c->cap_buf ? c->cap_buf * 2 : 64;
        c->buf = realloc(c->buf, c->cap_buf * sizeof *c->buf);
        if (!c->buf)
            abort();
    }
    c->buf[c->n_buf++] = (buffered_t){
        part, { topic, partition, r->offset, r->timestamp, bytes_dup(r->key), bytes_dup(r->value),
                r->producer_id, r->producer_epoch, r->sequence } };
}

void consumer_trace_reset(consumer_t *c, const cpart_t *p, const char *why)
{
    cJSON *ev = world_trace(c->w, c->node, "offset_reset");
    if (!ev)
        return;
    trace_add_tp(ev, p->topic, p->partition);
    trace_add_int(ev, "offset", (int64_t)p->position);
    cJSON_AddStringToObject(ev, "reason", why);
    world_emit(c->w, ev);
}

static void handle_fetch(consumer_t *c, const inflight_t *f, const fetch_resp_t *resp)
{
    const fetch_pos_t *asked = f->data;
    for (int32_t k = 0; k < resp->n && k < f->n; k++) {
        const fetch_part_resp_t *pr = &resp->parts[k];
        int32_t i = find_part(c, pr->topic, pr->partition);
        /* A seek or a new assignment since the request makes its answer stale. */
        if (i < 0 || i != asked[k].part || c->parts[i].position != asked[k].offset)
            continue;
        cpart_t *p = &c->parts[i];
        if (pr->error == KERR_OFFSET_OUT_OF_RANGE) {
            if (c->auto_reset == RESET_NONE) {
                c->poll_error = KERR_OFFSET_OUT_OF_RANGE;
                snprintf(c->poll_what, sizeof c->poll_what,
                         "Offsets out of range with no configured reset policy for "
                         "partitions: {%s-%d=%lld}", p->topic, p->partition,
                         (long long)p->position);
            } else {
                p->position = -1;
                p->reset = c->auto_reset;
            }
            continue;
        }
        if (pr->error != KERR_NONE) {
            c->meta.update_needed = true;
            continue;
        }
        /* Markers never reach the application; read_committed drops aborted batches. */
        bool any = false;
        if (pr->n > 0) {
            int32_t *keep = proto_calloc((size_t)pr->n, sizeof *keep);
            size_t n_keep = cfetch_select(pr, c->isolation != 0, p->position, keep);
            for (size_t r = 0; r < n_keep; r++)
                buffer_record(c, i, p->topic, p->partition, &pr->recs[keep[r]]);
            free(keep);
            any = n_keep > 0;
        }
        /* CompletedFetch: the position ends at the last batch's end, past records a
         * cleaner removed (at once when no record is returned, else once they all are). */
        if (pr->n_batches > 0 && pr->batches[pr->n_batches - 1].last_offset >= p->position) {
            int64_t end = pr->batches[pr->n_batches - 1].last_offset + 1;
            if (any)
                p->fetch_end = end;
            else
                p->position = end;
        }
    }
}

static void handle_list_offsets(consumer_t *c, const list_offsets_t *resp)
{
    for (int32_t k = 0; k < resp->n; k++) {
        const list_offsets_part_t *pr = &resp->parts[k];
        int32_t i = find_part(c, pr->topic, pr->partition);
        if (i < 0)
            continue;
        cpart_t *p = &c->parts[i];
        p->listing = false;
        if (pr->error != KERR_NONE) {
            c->meta.update_needed = true;
            continue;
        }
        if (p->position >= 0 || p->reset == RESET_NONE)
            continue;
        p->position = pr->offset;
        consumer_trace_reset(c, p, p->reset == RESET_EARLIEST ? "earliest" : "latest");
        p->reset = RESET_NONE;
    }
}

static void on_message(node_t *n, msg_t *m)
{
    consumer_t *c = n->impl;
    int32_t i = m->response ? inflight_find(&c->inflight, m->corr) : -1;
    if (i < 0 || c->inflight.e[i].node != m->from)
        return;
    inflight_t f = inflight_take(&c->inflight, c->w, i);
    inflight_answered(&c->inflight, m->from);
    if (m->api == API_METADATA)
        meta_apply(&c->meta, m->body);
    else if (m->api == API_FETCH)
        handle_fetch(c, &f, m->body);
    else if (m->api == API_LIST_OFFSETS)
        handle_list_offsets(c, m->body);
    else if (c->co && coord_owns_api(m->api))
        coord_response(c->co, &f, m);
    free(f.data);
    if (c->polling)
        send_requests(c);
    try_deliver(c);
}

/* A request that will get no answer: what it was for can be asked again. */
static void forget(consumer_t *c, inflight_t *f)
{
    const fetch_pos_t *asked = f->data;
    if (f->api == API_LIST_OFFSETS)
        for (int32_t k = 0; k < f->n; k++)
            if (asked[k].part < c->n_parts)
                c->parts[asked[k].part].listing = false;
    if (c->co && coord_owns_api(f->api))
        coord_response(c->co, f, NULL);
    free(f->data);
}

/* Connection `conn` to `node` is gone (closed after a timeout, or reset by TCP): every
 * request sent on it is lost, and reconnecting backs off. */
static void connection_lost(consumer_t *c, int32_t node, uint32_t conn)
{
    int32_t i;
    while ((i = inflight_on_conn(&c->inflight, node, conn)) >= 0) {
        inflight_t f = inflight_take(&c->inflight, c->w, i);
        forget(c, &f);
    }
    inflight_reset(&c->inflight, node, c->w->now, c->reconnect_backoff,
                   c->reconnect_backoff_max, &c->node->rng);
    c->meta.update_needed = true;
    if (c->polling)
        send_requests(c);
}

static void request_timed_out(void *a, void *b, int64_t corr)
{
    consumer_t *c = a;
    int32_t i = inflight_find(&c->inflight, (int32_t)corr);
    if (i < 0)
        return;
    const inflight_t *f = &c->inflight.e[i];
    cJSON *ev = world_trace(c->w, c->node, "request_timeout");
    if (ev) {
        cJSON_AddStringToObject(ev, "to", world_node(c->w, f->node)->name);
        cJSON_AddStringToObject(ev, "api", api_name(f->api));
        trace_add_int(ev, "corr", (int64_t)corr);
        world_emit(c->w, ev);
    }
    int32_t node = f->node;
    uint32_t conn = net_conn(c->w->net, c->node->id, node);
    net_close(c->w->net, c->node->id, node);
    connection_lost(c, node, conn);
}

static void on_disconnect(node_t *n, int32_t peer, uint32_t conn)
{
    connection_lost(n->impl, peer, conn);
}

static void on_crash(node_t *n)
{
    consumer_t *c = n->impl;
    clear_buffer(c);
    clear_inflight(c);
    inflight_free(&c->inflight, c->w);
    meta_reset(&c->meta);
    for (int32_t i = 0; i < c->n_parts; i++) {
        meta_want(&c->meta, c->parts[i].topic);
        c->parts[i].position = -1;
        c->parts[i].reset = c->co ? RESET_NONE : c->auto_reset;
        c->parts[i].need_committed = c->co != NULL;
    }
    if (c->co)
        coord_crash(c->co);
    if (c->polling) {
        c->poll_error = KERR_CLIENT_CRASHED;
        snprintf(c->poll_what, sizeof c->poll_what, "consumer '%s': its process crashed", n->name);
        finish_poll(c, NULL, 0);
    }
}

/* ---- for coordinator.c ---- */

void consumer_send(consumer_t *c, int32_t node, msg_t *m, int64_t timeout, void *data, int32_t n)
{
    m->corr = ++c->next_corr;
    inflight_t *f = inflight_add(&c->inflight, c->node, m, node,
                                 timeout > c->request_timeout ? timeout : c->request_timeout,
                                 request_timed_out, c);
    f->data = data;
    f->n = n;
    net_send(c->w, c->node, node, m);
}

int32_t consumer_least_loaded(consumer_t *c)
{
    return meta_pick_node(&c->meta, &c->node->rng, node_load, c);
}

void consumer_retry_at(consumer_t *c, int64_t at)
{
    retry_later(c, at);
}

bool consumer_node_blocked(consumer_t *c, int32_t node)
{
    return blocked(c, node);
}

void consumer_fail_poll(consumer_t *c, int16_t error, const char *what)
{
    c->poll_error = error;
    snprintf(c->poll_what, sizeof c->poll_what, "%s", what);
}

int8_t consumer_auto_reset(const consumer_t *c)
{
    return c->auto_reset;
}

/* ---- consumer groups ---- */

void consumer_listener_done(consumer_t *c, uint32_t incarnation)
{
    if (c->co && incarnation == c->node->inc)
        coord_listener_done(c->co);
}

bool consumer_subscribe(consumer_t *c, const char *const *topics, size_t n,
                        consumer_listener_fn fn, void *ctx, char *err, size_t errlen)
{
    if (!c->co) {
        snprintf(err, errlen, "consumer '%s': To use the group management or offset commit "
                 "APIs, you must provide a valid group.id in the consumer configuration.",
                 c->node->name);
        return false;
    }
    coord_subscribe(c->co, topics, n, fn, ctx);
    if (c->polling)
        send_requests(c);
    return true;
}

bool consumer_assigned(const consumer_t *c, const char *topic, int32_t partition)
{
    return find_part(c, topic, partition) >= 0;
}

bool consumer_subscribed(const consumer_t *c)
{
    return c->co && coord_subscribed(c->co);
}

void consumer_commit(consumer_t *c, bool sync, consumer_commit_fn fn, void *ctx)
{
    if (!c->co) {
        fn(ctx, c, KERR_INVALID_REQUEST, "To use the group management or offset commit APIs, "
           "you must provide a valid group.id in the consumer configuration.");
        return;
    }
    coord_commit(c->co, sync, fn, ctx);
}

size_t consumer_assignment(const consumer_t *c, topic_partition_t *out, size_t cap)
{
    for (int32_t i = 0; i < c->n_parts && (size_t)i < cap; i++)
        out[i] = (topic_partition_t){ c->parts[i].topic, c->parts[i].partition };
    return (size_t)c->n_parts;
}

bool consumer_group_metadata(const consumer_t *c, consumer_group_metadata_t *out)
{
    if (!c->co)
        return false;
    coord_group_metadata(c->co, out);
    return true;
}
