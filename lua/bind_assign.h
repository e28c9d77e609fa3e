/* bind_assign: what the assignor bindings (bind_assign.c: ksim.assign, bind_compare.c:
 * ksim.compare_assignors) share: memory freed with a userdata, so that a Lua error in the
 * middle of reading a table leaks nothing, and readers of topics, members and racks that
 * name the field at fault. Tables are read raw, so the strings stay anchored in the
 * caller's tables for the whole call. Partitions are "orders-2", as Kafka prints them. */
#ifndef KSIM_BIND_ASSIGN_H
#define KSIM_BIND_ASSIGN_H

#include <stdbool.h>
#include <stdint.h>

#include "rt.h"
#include "../sim/client/assignors/assignor.h"
#include "../sim/client/assignors/compare.h"

typedef struct lassign_scratch {
    void **p;
    size_t n, cap;
} lassign_scratch_t;

/* Pushes a new scratch userdata: what it keeps is freed when it is collected. */
lassign_scratch_t *lassign_scratch(lua_State *L);
/* Takes ownership of p (also from an observer, where no Lua error may be raised). */
void *lassign_keep(lassign_scratch_t *s, void *p);
void *lassign_calloc(lassign_scratch_t *s, size_t n, size_t size);

/* Pushes t[key] (raw) and returns its type. */
int lassign_field(lua_State *L, int idx, const char *key);
/* The value at idx is a table, or an error naming `what`. */
void lassign_table(lua_State *L, int idx, const char *what);
/* A string field, or NULL for nil; anything else is an error, and so are nil and "" when
 * the field is required. */
const char *lassign_string(lua_State *L, int tbl, const char *key, const char *what,
                           bool required);
/* The value at idx as a whole number from min to INT32_MAX, or an error. */
int32_t lassign_whole(lua_State *L, int idx, const char *what, lua_Integer min);

typedef struct lassign_topics {
    assign_topic_t *t; /* sorted by name */
    int32_t n;
} lassign_topics_t;

/* `topics = { orders = 6, ... }` of the table at tbl; `fn` names the call in errors. */
void lassign_topics(lua_State *L, int tbl, const char *fn, lassign_scratch_t *s,
                    lassign_topics_t *tp);
/* The topic's index, or an error listing the topics. */
int32_t lassign_topic(lua_State *L, const lassign_topics_t *tp, const char *name,
                      const char *what);
/* The list of topic names on the top of the stack, as topic indexes. */
int32_t *lassign_subscription(lua_State *L, const char *what, const lassign_topics_t *tp,
                              lassign_scratch_t *s, int32_t *n);
/* members[i], on the top of the stack: { id, topics, instance, rack }, and with `full`
 * (ksim.assign) owned and generation too. */
void lassign_member(lua_State *L, const char *fn, int32_t i, const lassign_topics_t *tp,
                    assign_member_t *m, bool full, lassign_scratch_t *s);

/* Room for the racks of each topic's partitions: most[t] of them (NULL: its count now);
 * an error from `fn` when that is more than ASSIGN_MAX_PARTITIONS in all. */
assign_replicas_t **lassign_racks_room(lua_State *L, const char *fn, const lassign_topics_t *tp,
                                       const int32_t *most, lassign_scratch_t *s);
/* The racks of np partitions from `first` on: the list on the top of the stack. */
void lassign_racks(lua_State *L, const char *what, int32_t first, int32_t np,
                   assign_replicas_t *out, lassign_scratch_t *s);
/* partition_racks = { orders = { {"r1", "r2"}, ... } } of the table at tbl. */
void lassign_partition_racks(lua_State *L, int tbl, const char *fn, lassign_topics_t *tp,
                             assign_replicas_t **room, lassign_scratch_t *s);

/* Pushes { id = {"orders-0", ...}, ... } for n members, partitions in assign_result_t's
 * layout. */
void lassign_push_tps(lua_State *L, const lassign_topics_t *tp, const char *const *ids,
                      int32_t n, const int64_t *first, const assign_tp_t *tps);

/* ksim.compare_assignors (bind_compare.c). */
int bind_compare_assignors(lua_State *L);

#endif
