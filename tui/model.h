/* model: a trace indexed for the viewer and the exporters. It owns one compact record per
 * event (time, place in the file, kind, node, the other end of a message, flags), the
 * nodes and their lane order (brokers first, then clients, each in order of appearance),
 * the lists the keys jump along (notes, faults, checks), and the state histories
 * (state.h). Events are parsed again from the file when they are drawn, so a million of
 * them cost tens of megabytes, not gigabytes. */
#ifndef KSIM_MODEL_H
#define KSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "intern.h"
#include "kinds.h"
#include "state.h"
#include "tracefile.h"

#define MODEL_NONE UINT32_MAX
#define NODE_WORLD 0xFFFE /* scenario-level events: not a lane */
#define NODE_NONE 0xFFFF

enum mev_flag {
    MF_HIDDEN = 1,   /* not a row: a delivery, or a drop shown on its message's arrow */
    MF_RESPONSE = 2, /* a response message */
    MF_DROPPED = 4,  /* a message that was lost (link: the drop event) */
    MF_ERROR = 8,    /* a response with an error, a failed check, an unclean election */
    MF_BG = 16,      /* routine background traffic ("bg": heartbeats, idle fetches) */
};

typedef struct mev {
    int64_t t;       /* µs; never less than the event before (the file's order) */
    int64_t off;     /* the line in the file */
    uint32_t len;
    uint32_t link;   /* send: its drop; drop or deliver: its send; else MODEL_NONE */
    uint16_t kind;   /* id in model.kinds */
    uint16_t node;   /* the node (for messages: from), NODE_WORLD, or NODE_NONE */
    uint16_t peer;   /* messages: `to` */
    uint8_t flags;   /* MF_* */
    uint8_t shape;   /* kind_shape_t, after the node is known */
} mev_t;

typedef struct model_node {
    uint32_t role;   /* id in model.strs ("" when no `node` event said) */
    uint32_t first_ev;
} model_node_t;

/* A network partition: its event, the heal that ended it (or MODEL_NONE), its id. */
typedef struct model_cut {
    uint32_t ev, heal;
    int64_t id;
} model_cut_t;

typedef struct model {
    char *name;      /* the file's name, for messages */
    cJSON *header;
    mev_t *ev;
    uint32_t n, cap;
    intern_t node_names; /* id = node id */
    intern_t strs;       /* roles */
    model_node_t *nodes;
    uint16_t nnodes, nodes_cap;
    uint16_t *lanes;   /* node ids in lane order */
    uint16_t *lane_of; /* node id -> its place in lanes */
    uint16_t nlanes;
    intern_t kind_names;
    const kind_info_t **kinds; /* by kind id */
    uint32_t *notes, nnotes, *faults, nfaults, *checks, nchecks;
    uint32_t *check_fails; /* check_fails[k]: failed checks among the first k */
    model_cut_t *cuts;
    uint32_t ncuts;
    state_t st;
    tf_source_t src;
    u64map_t msgs;   /* while loading: msg id -> send event */
    u64map_t reqs;   /* while loading: (client, corr) -> request in the state */
} model_t;

/* Called every few thousand events while loading. */
typedef void (*model_progress_fn)(void *ctx, uint32_t events);

/* Indexes the trace in f (read from its current position; f must stay open while the
 * model lives: events are read back from it). NULL with "NAME:LINE: what" in err when
 * the file is not a valid trace. */
model_t *model_load(FILE *f, const char *name, model_progress_fn progress, void *ctx, char *err,
                    size_t errlen);
void model_free(model_t *m);

/* Event i parsed (valid until TF_CACHE-1 other events are fetched), or NULL. */
const cJSON *model_json(model_t *m, uint32_t i);
const kind_info_t *model_kind(const model_t *m, uint32_t i);
const char *model_kind_name(const model_t *m, uint32_t i);
const char *model_node_name(const model_t *m, uint16_t node);
const char *model_node_role(const model_t *m, uint16_t node);
/* The node called name, or NODE_NONE. */
uint16_t model_find_node(const model_t *m, const char *name);
/* The first event at or after time t (m->n when none). */
uint32_t model_at_time(const model_t *m, int64_t t);
/* Position of the first element >= v in a sorted list. */
uint32_t model_lower_bound(const uint32_t *list, uint32_t n, uint32_t v);
/* A node's id by name, registering it when new (while loading). */
uint16_t model_node_id(model_t *m, const char *name, uint32_t ev);

#endif
