/* state: histories of entities, logs and requests, appended in event order and read with
 * binary searches. Every array here only grows at its end while a trace is indexed, so
 * the event numbers in it are sorted and a moment is found in O(log n). */
#include "state.h"

#include "grow.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far back st_inflight looks for a request still open. */
#define INFLIGHT_SCAN 4096

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t size)
{
    return tui_grow(p, cap, need, size, 4);
}

void st_init(state_t *st)
{
    memset(st, 0, sizeof *st);
    intern_init(&st->strs);
    u64map_init(&st->by_name);
}

void st_free(state_t *st)
{
    for (uint32_t i = 0; i < st->n; i++) {
        st_entity_t *e = &st->ents[i];
        for (uint32_t j = 0; j < e->nslots; j++)
            free(e->slots[j].ch);
        free(e->slots);
        free(e->recs);
        free(e->dels);
        free(e->reqs);
    }
    free(st->ents);
    intern_free(&st->strs);
    u64map_free(&st->by_name);
    memset(st, 0, sizeof *st);
}

static uint64_t name_key(uint32_t section, uint32_t name)
{
    return ((uint64_t)section << 32) | name;
}

uint32_t st_entity(state_t *st, const char *section, const char *name, uint32_t ev)
{
    uint32_t sec = intern_id(&st->strs, section), nm = intern_id(&st->strs, name);
    uint32_t id = u64map_get(&st->by_name, name_key(sec, nm));
    if (id != INTERN_NONE)
        return id;
    st->ents = grow(st->ents, &st->cap, st->n + 1, sizeof *st->ents);
    st_entity_t *e = &st->ents[st->n];
    memset(e, 0, sizeof *e);
    e->section = sec;
    e->name = nm;
    e->first_ev = ev;
    u64map_put(&st->by_name, name_key(sec, nm), st->n);
    return st->n++;
}

static st_slot_t *slot_of(state_t *st, uint32_t ent, const char *field)
{
    st_entity_t *e = &st->ents[ent];
    uint32_t f = intern_id(&st->strs, field);
    for (uint32_t i = 0; i < e->nslots; i++)
        if (e->slots[i].field == f)
            return &e->slots[i];
    e->slots = grow(e->slots, &e->cap, e->nslots + 1, sizeof *e->slots);
    st_slot_t *s = &e->slots[e->nslots++];
    memset(s, 0, sizeof *s);
    s->field = f;
    return s;
}

static void push_change(st_slot_t *s, uint32_t ev, uint32_t type, int64_t v)
{
    if (s->n > 0) {
        st_change_t *last = &s->ch[s->n - 1];
        if (last->type == type && last->v == v)
            return; /* no change */
        if (last->ev == ev) { /* two changes in one event: the last one counts */
            last->type = type;
            last->v = v;
            return;
        }
    }
    s->ch = grow(s->ch, &s->cap, s->n + 1, sizeof *s->ch);
    s->ch[s->n++] = (st_change_t){ ev, type, v };
}

void st_set_int(state_t *st, uint32_t ent, const char *field, uint32_t ev, int64_t v)
{
    push_change(slot_of(st, ent, field), ev, ST_INT, v);
}

void st_set_str(state_t *st, uint32_t ent, const char *field, uint32_t ev, const char *v)
{
    push_change(slot_of(st, ent, field), ev, ST_STR, intern_id(&st->strs, v));
}

void st_unset(state_t *st, uint32_t ent, const char *field, uint32_t ev)
{
    push_change(slot_of(st, ent, field), ev, ST_UNSET, 0);
}

void st_add(state_t *st, uint32_t ent, const char *field, uint32_t ev, int64_t delta)
{
    st_slot_t *s = slot_of(st, ent, field);
    int64_t v = s->n && s->ch[s->n - 1].type == ST_INT ? s->ch[s->n - 1].v : 0;
    push_change(s, ev, ST_INT, v + delta);
}

void st_log_append(state_t *st, uint32_t ent, const st_rec_t *rec)
{
    st_entity_t *e = &st->ents[ent];
    e->recs = grow(e->recs, &e->rcap, e->nrecs + 1, sizeof *e->recs);
    e->recs[e->nrecs++] = *rec;
}

static void remove_rec(st_entity_t *e, st_rec_t *r, uint32_t ev)
{
    r->ev_del = ev;
    e->dels = grow(e->dels, &e->dcap, e->ndels + 1, sizeof *e->dels);
    e->dels[e->ndels++] = ev;
}

void st_log_remove(state_t *st, uint32_t ent, uint32_t ev, int64_t from, bool below)
{
    st_entity_t *e = &st->ents[ent];
    if (below) {
        for (uint32_t i = 0; i < e->nrecs; i++) {
            st_rec_t *r = &e->recs[i];
            if (r->ev_del != ST_NEVER)
                continue;
            if (r->offset >= from)
                break;
            remove_rec(e, r, ev);
        }
        return;
    }
    for (uint32_t i = e->nrecs; i-- > 0;) {
        st_rec_t *r = &e->recs[i];
        if (r->ev_del != ST_NEVER)
            continue;
        if (r->offset < from)
            break;
        remove_rec(e, r, ev);
    }
}

void st_log_remove_at(state_t *st, uint32_t ent, uint32_t ev, int64_t offset)
{
    st_entity_t *e = &st->ents[ent];
    for (uint32_t i = e->nrecs; i-- > 0;) {
        st_rec_t *r = &e->recs[i];
        if (r->offset == offset && r->ev_del == ST_NEVER) {
            remove_rec(e, r, ev);
            return;
        }
        if (r->offset < offset)
            return;
    }
}

void st_log_end_txn(state_t *st, uint32_t ent, uint32_t ev, int64_t pid, bool abort)
{
    st_entity_t *e = &st->ents[ent];
    /* From before the marker back to the producer's previous one: this txn's records. */
    for (uint32_t i = e->nrecs ? e->nrecs - 1 : 0; i-- > 0;) {
        st_rec_t *r = &e->recs[i];
        if (r->producer_id != pid)
            continue;
        if (r->flags & ST_REC_CONTROL)
            break;
        if (abort && (r->flags & ST_REC_TXN))
            r->ev_abort = ev;
    }
}

/* The first live record of `from` at or above offset base (live records are in offset
 * order: a truncation removes a suffix, a new append continues from it), from the end,
 * since followers copy what the leader appended last. */
static uint32_t first_live_from(const st_entity_t *e, int64_t base)
{
    uint32_t start = e->nrecs;
    for (uint32_t j = e->nrecs; j-- > 0;) {
        if (e->recs[j].ev_del != ST_NEVER)
            continue;
        if (e->recs[j].offset < base)
            break;
        start = j;
    }
    return start;
}

void st_log_copy(state_t *st, uint32_t to, uint32_t from, uint32_t ev, int64_t base,
                 int64_t last)
{
    int64_t next = base;
    uint32_t j = from < st->n ? first_live_from(&st->ents[from], base) : 0;
    for (; from < st->n && j < st->ents[from].nrecs && next <= last; j++) {
        st_rec_t r = st->ents[from].recs[j];
        if (r.ev_del != ST_NEVER || r.offset < next)
            continue;
        if (r.offset > last)
            break;
        r.ev_add = ev;
        r.ev_abort = ST_NEVER;
        st_log_append(st, to, &r);
        if (r.flags & ST_REC_CONTROL)
            st_log_end_txn(st, to, ev, r.producer_id, r.flags & ST_REC_ABORT);
        next = r.offset + 1;
    }
    for (; next <= last; next++) {
        st_rec_t r = { next, -1, ev, ST_NEVER, ST_NEVER, 0, 0, ST_NEVER };
        st_log_append(st, to, &r);
    }
}

uint32_t st_req_open(state_t *st, uint32_t ent, uint32_t ev, const char *peer)
{
    st_entity_t *e = &st->ents[ent];
    e->reqs = grow(e->reqs, &e->qcap, e->nreqs + 1, sizeof *e->reqs);
    e->reqs[e->nreqs] = (st_req_t){ ev, ST_NEVER, intern_id(&st->strs, peer ? peer : "?") };
    return e->nreqs++;
}

void st_req_close(state_t *st, uint32_t ent, uint32_t req, uint32_t ev)
{
    st_entity_t *e = &st->ents[ent];
    if (req < e->nreqs && e->reqs[req].ev_close == ST_NEVER)
        e->reqs[req].ev_close = ev;
}

void st_req_close_all(state_t *st, uint32_t ent, uint32_t ev, const char *peer)
{
    st_entity_t *e = &st->ents[ent];
    uint32_t p = peer ? intern_find(&st->strs, peer) : INTERN_NONE;
    uint32_t scanned = 0;
    for (uint32_t i = e->nreqs; i-- > 0 && scanned++ < INFLIGHT_SCAN;)
        if (e->reqs[i].ev_close == ST_NEVER && (!peer || e->reqs[i].peer == p))
            e->reqs[i].ev_close = ev;
}

/* ---- reading ---- */

uint32_t st_find(const state_t *st, const char *section, const char *name)
{
    uint32_t sec = intern_find(&st->strs, section), nm = intern_find(&st->strs, name);
    if (sec == INTERN_NONE || nm == INTERN_NONE)
        return ST_NEVER;
    uint32_t id = u64map_get(&st->by_name, name_key(sec, nm));
    return id == INTERN_NONE ? ST_NEVER : id;
}

const st_entity_t *st_get_entity(const state_t *st, uint32_t ent)
{
    return ent < st->n ? &st->ents[ent] : NULL;
}

const char *st_str(const state_t *st, uint32_t id)
{
    return intern_str(&st->strs, id);
}

bool st_exists(const state_t *st, uint32_t ent, uint32_t at)
{
    return ent < st->n && st->ents[ent].first_ev < at;
}

const st_change_t *st_value(const state_t *st, uint32_t ent, uint32_t slot, uint32_t at)
{
    const st_slot_t *s = &st->ents[ent].slots[slot];
    uint32_t lo = 0, hi = s->n; /* first change with ev >= at */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->ch[mid].ev < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || s->ch[lo - 1].type == ST_UNSET)
        return NULL;
    return &s->ch[lo - 1];
}

static const st_change_t *field_value(const state_t *st, uint32_t ent, const char *field,
                                      uint32_t at)
{
    if (ent >= st->n)
        return NULL;
    uint32_t f = intern_find(&st->strs, field);
    const st_entity_t *e = &st->ents[ent];
    for (uint32_t i = 0; i < e->nslots; i++)
        if (e->slots[i].field == f)
            return st_value(st, ent, i, at);
    return NULL;
}

const char *st_field(const state_t *st, uint32_t ent, const char *field, uint32_t at, char *buf,
                     size_t n)
{
    const st_change_t *c = field_value(st, ent, field, at);
    if (!c)
        return NULL;
    if (c->type == ST_STR)
        return st_str(st, (uint32_t)c->v);
    snprintf(buf, n, "%" PRId64, c->v);
    return buf;
}

int64_t st_field_int(const state_t *st, uint32_t ent, const char *field, uint32_t at,
                     int64_t dflt)
{
    const st_change_t *c = field_value(st, ent, field, at);
    return c && c->type == ST_INT ? c->v : dflt;
}

/* How many of the first n events (sorted ev values at stride) are before `at`. */
static uint32_t count_before(const void *base, uint32_t n, size_t stride, uint32_t at)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t ev;
        memcpy(&ev, (const char *)base + (size_t)mid * stride, sizeof ev);
        if (ev < at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t st_log_tail(const state_t *st, uint32_t ent, uint32_t at, const st_rec_t **out,
                   size_t max, size_t *total)
{
    *total = 0;
    if (ent >= st->n || st->ents[ent].nrecs == 0)
        return 0;
    const st_entity_t *e = &st->ents[ent];
    uint32_t k = count_before((const char *)e->recs + offsetof(st_rec_t, ev_add), e->nrecs,
                              sizeof *e->recs, at);
    *total = k - count_before(e->dels, e->ndels, sizeof *e->dels, at);
    size_t got = 0;
    for (uint32_t i = k; i-- > 0 && got < max;)
        if (e->recs[i].ev_del >= at)
            out[got++] = &e->recs[i];
    for (size_t i = 0; i < got / 2; i++) { /* newest first -> offset order */
        const st_rec_t *tmp = out[i];
        out[i] = out[got - 1 - i];
        out[got - 1 - i] = tmp;
    }
    return got;
}

int64_t st_log_end(const state_t *st, uint32_t ent, uint32_t at)
{
    const st_rec_t *last;
    size_t total;
    return st_log_tail(st, ent, at, &last, 1, &total) ? last->offset + 1 : -1;
}

size_t st_inflight(const state_t *st, uint32_t ent, uint32_t at, const st_req_t **out,
                   size_t max)
{
    if (ent >= st->n || st->ents[ent].nreqs == 0)
        return 0;
    const st_entity_t *e = &st->ents[ent];
    uint32_t k = count_before(e->reqs, e->nreqs, sizeof *e->reqs, at);
    size_t got = 0;
    uint32_t scanned = 0;
    for (uint32_t i = k; i-- > 0 && got < max && scanned++ < INFLIGHT_SCAN;)
        if (e->reqs[i].ev_close >= at)
            out[got++] = &e->reqs[i];
    return got;
}
