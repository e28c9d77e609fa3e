/* state: what the inspector shows, at any moment of a trace, without replaying it. It owns
 * the histories built while the trace is indexed: named entities (a node, a partition
 * replica, a producer, a group …) with fields whose every change is kept with its event
 * number, the records of each partition log with the events that added and removed them,
 * and clients' requests with the events that opened and closed them. A question "what was
 * X after event i" is a binary search, so moving the cursor back costs what moving it
 * forward does. */
#ifndef KSIM_STATE_H
#define KSIM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "intern.h"

#define ST_NEVER UINT32_MAX

/* Moments are counts of events applied: `at` = i + 1 is the state right after event i,
 * 0 the state before the first event. */

typedef struct st_change {
    uint32_t ev;
    uint32_t type; /* ST_UNSET, ST_INT, ST_STR */
    int64_t v;     /* the integer, or the string's id */
} st_change_t;

enum { ST_UNSET, ST_INT, ST_STR };

typedef struct st_slot {
    uint32_t field; /* string id */
    uint32_t n, cap;
    st_change_t *ch;
} st_slot_t;

/* One record of a partition log (a replica's: the same record copied to a follower is a
 * record of the follower's log too, added by the event that copied it). */
typedef struct st_rec {
    int64_t offset;
    int64_t producer_id; /* -1 when none */
    uint32_t ev_add;     /* the event that added it to this log (an append, a copy) */
    uint32_t ev_del;     /* the event that removed it (truncation, cleaning), or ST_NEVER */
    uint32_t ev_abort;   /* the abort marker of its transaction, or ST_NEVER */
    uint32_t rec_i;      /* its index in the `records` of ev_src */
    uint32_t flags;      /* ST_REC_* */
    uint32_t ev_src;     /* the leader's append event that holds its key and value, or
                          * ST_NEVER when the trace does not say */
} st_rec_t;

enum { ST_REC_TXN = 1, ST_REC_CONTROL = 2, ST_REC_ABORT = 4 /* a control record: ABORT */ };

/* One request of a client: open from its send until its answer, timeout or reset. */
typedef struct st_req {
    uint32_t ev_open, ev_close;
    uint32_t peer; /* string id of the node it went to */
} st_req_t;

typedef struct st_entity {
    uint32_t section, name; /* string ids */
    uint32_t first_ev;
    st_slot_t *slots;
    uint32_t nslots, cap;
    st_rec_t *recs; /* its log, in append order */
    uint32_t nrecs, rcap;
    uint32_t *dels; /* events of removals, ascending (one per removed record) */
    uint32_t ndels, dcap;
    st_req_t *reqs; /* its requests, in send order */
    uint32_t nreqs, qcap;
} st_entity_t;

typedef struct state {
    intern_t strs;
    st_entity_t *ents;
    uint32_t n, cap;
    u64map_t by_name; /* (section, name) -> entity */
} state_t;

void st_init(state_t *st);
void st_free(state_t *st);

/* ---- building, in event order ---- */

/* The entity (section, name), created at event ev when new. */
uint32_t st_entity(state_t *st, const char *section, const char *name, uint32_t ev);
void st_set_int(state_t *st, uint32_t ent, const char *field, uint32_t ev, int64_t v);
void st_set_str(state_t *st, uint32_t ent, const char *field, uint32_t ev, const char *v);
void st_unset(state_t *st, uint32_t ent, const char *field, uint32_t ev);
/* Adds delta to an integer field (absent counts as 0). */
void st_add(state_t *st, uint32_t ent, const char *field, uint32_t ev, int64_t delta);
void st_log_append(state_t *st, uint32_t ent, const st_rec_t *rec);
/* Removes the records at offsets >= from (a truncation), or below it when below is set
 * (the log start moved). */
void st_log_remove(state_t *st, uint32_t ent, uint32_t ev, int64_t from, bool below);
/* Removes the record at `offset`, if the log holds it (the cleaner removed it). */
void st_log_remove_at(state_t *st, uint32_t ent, uint32_t ev, int64_t offset);
/* Called right after appending a transaction marker of producer pid: an abort marker
 * marks the producer's open transactional records aborted at ev; a commit marker just
 * ends the transaction. */
void st_log_end_txn(state_t *st, uint32_t ent, uint32_t ev, int64_t pid, bool abort);
/* A follower's copy (event ev) of the records at offsets base..last that log `from` holds
 * now, appended to log `to`; offsets `from` does not hold are appended without content
 * (ev_src ST_NEVER), so that the log end is still right. */
void st_log_copy(state_t *st, uint32_t to, uint32_t from, uint32_t ev, int64_t base,
                 int64_t last);
uint32_t st_req_open(state_t *st, uint32_t ent, uint32_t ev, const char *peer);
void st_req_close(state_t *st, uint32_t ent, uint32_t req, uint32_t ev);
/* Closes every open request (to `peer` only, unless it is NULL). */
void st_req_close_all(state_t *st, uint32_t ent, uint32_t ev, const char *peer);

/* ---- reading, at a moment ---- */

/* The entity (section, name), or ST_NEVER. */
uint32_t st_find(const state_t *st, const char *section, const char *name);
const st_entity_t *st_get_entity(const state_t *st, uint32_t ent);
const char *st_str(const state_t *st, uint32_t id);
bool st_exists(const state_t *st, uint32_t ent, uint32_t at);
/* The change in effect for slot i of ent at `at`, or NULL (never set, or unset). */
const st_change_t *st_value(const state_t *st, uint32_t ent, uint32_t slot, uint32_t at);
/* A field's value as text into buf; NULL when it has none at `at`. */
const char *st_field(const state_t *st, uint32_t ent, const char *field, uint32_t at, char *buf,
                     size_t n);
int64_t st_field_int(const state_t *st, uint32_t ent, const char *field, uint32_t at,
                     int64_t dflt);
/* The last `max` records present at `at`, in offset order, into out; returns how many,
 * and the number present in all into *total. */
size_t st_log_tail(const state_t *st, uint32_t ent, uint32_t at, const st_rec_t **out,
                   size_t max, size_t *total);
/* The log end offset at `at` (last offset + 1), or -1 for an empty log. */
int64_t st_log_end(const state_t *st, uint32_t ent, uint32_t at);
/* Requests open at `at` (the most recent first, at most max). */
size_t st_inflight(const state_t *st, uint32_t ent, uint32_t at, const st_req_t **out,
                   size_t max);

#endif
