/* rt: the state of one scenario run, shared by the files of lua/ (not a public API).
 * It owns the Lua state, the world and clusters the script made, the tasks and the
 * waiters that carry engine completions back to Lua, and the helpers every binding uses. */
#ifndef KSIM_LUA_RT_H
#define KSIM_LUA_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lauxlib.h>
#include <lua.h>

#include "../sim/core/net.h"
#include "../sim/core/world.h"
#include "../sim/kafka/bytes.h"
#include "../sim/kafka/config.h"
#include "ksim_lua.h"

typedef struct cluster cluster_t;
typedef struct producer producer_t;
typedef struct consumer consumer_t;
typedef struct task task_t;
typedef struct waiter waiter_t;
typedef struct rt rt_t;

/* Scripts get this much Lua memory; more is a script error, never a crash. */
#define RT_MEMORY_LIMIT ((size_t)512 << 20)

/* Userdata type names (also the metatables' registry keys). */
#define RT_WORLD "ksim.world"
#define RT_CLUSTER "ksim.cluster"
#define RT_PRODUCER "ksim.producer"
#define RT_CONSUMER "ksim.consumer"
#define RT_FUTURE "ksim.future"

/* A producer as Lua sees it: the engine's producer plus the send callbacks waiting. */
typedef struct lprod {
    rt_t *rt;
    producer_t *p;
    int cb_ref;       /* registry ref of a table: record handle + 1 -> callback */
    uint8_t *has_cb;  /* by record handle: a callback is registered */
    size_t cap_cb;
} lprod_t;

/* A cluster as Lua sees it (the world owns nothing of it; rt frees it at the end). */
typedef struct lcluster {
    cluster_t *c;
} lcluster_t;

/* A record copied out of a consumer's poll callback (records live only during it). */
typedef struct wrec {
    const char *topic; /* interned by the world */
    int32_t partition;
    int64_t offset, timestamp;
    char *key, *value; /* NULL: null */
    int32_t key_len, value_len;
} wrec_t;

/* Something a blocked task or the main chunk waits for: flush or poll completion. */
struct waiter {
    rt_t *rt;
    bool done;
    wrec_t *recs;
    size_t n;
    int16_t error;
    char *what;
    waiter_t *prev, *next; /* the run's live waiters */
};

struct rt {
    lua_State *L;               /* the main thread: the main chunk runs here */
    const ksim_run_opts_t *o;
    ksim_run_result_t *r;
    char *dir;                  /* the scenario's folder, with a trailing '/' ("" for cwd) */
    char *script;               /* the scenario's file name (chunk name and trace header) */
    uint64_t seed;
    bool header_written;

    world_t *w;
    cluster_t **clusters;
    int n_clusters;
    lprod_t **prods;
    int n_prods;

    task_t **tasks;             /* in spawn order */
    int n_tasks;
    task_t *current;            /* the task running now, NULL for the main chunk */
    bool scan_scheduled;
    int n_blocked;              /* tasks waiting on something other than the clock */
    int in_callback;            /* depth of send callbacks / run_until predicates running */
    bool in_run;                /* inside world_run */
    bool ran;                   /* the script called w:run / run_for / run_until */
    bool closing;
    const char *last_status;    /* status name of the last world_run */

    uint64_t instructions;
    int hook_step;
    bool fatal;                 /* the run must end: budget, time limit, task error */
    bool time_limit_hit;
    char fatal_msg[2048];
    waiter_t *waiters;
};

/* ---- run.c ---- */
rt_t *rt_get(lua_State *L);
/* Marks the run as ended by an error (first one wins) and stops the world. */
void rt_fatal(rt_t *rt, const char *fmt, ...);
/* Raises the fatal error in L. */
int rt_raise_fatal(lua_State *L, rt_t *rt);
/* Converts the error value at idx to text without running unprotected metamethods. */
void rt_errstr(lua_State *L, int idx, char *buf, size_t n);
/* "file:line" of the Lua code at `level` (1: the caller of a binding), or the script. */
void rt_where(lua_State *L, int level, char *buf, size_t n);
/* The message handler of every protected call into the script: the error becomes a
 * string ("(error object is a table value)") carrying the innermost script line. */
int rt_msgh(lua_State *L);
/* lua_pcall with rt_msgh as the handler. */
int rt_pcall(lua_State *L, int nargs, int nresults);
/* A trace event of the script (note, check, run_end) on the node "world", stamped now
 * (0 before the world exists); NULL when tracing is off. */
cJSON *rt_event(rt_t *rt, const char *kind);
/* Adds "task": the running task's name (none in the main chunk). ev may be NULL. */
void rt_add_task(const rt_t *rt, cJSON *ev);
void rt_emit(rt_t *rt, cJSON *ev);
void rt_write_header(rt_t *rt);

/* ---- util.c ---- */
/* Milliseconds (a Lua number) to µs; `what` names the argument in errors. */
int64_t rt_check_ms(lua_State *L, int idx, const char *what, bool allow_negative);
void rt_push_ms(lua_State *L, int64_t us);
/* The number at idx as an integer when it is a whole number (3 or 3.0); false for
 * anything else (3.5, "3", nil), leaving *out alone. */
bool rt_tointeger(lua_State *L, int idx, lua_Integer *out);
/* The world, or an error telling the script to call ksim.world first. */
world_t *rt_world(lua_State *L);
/* The node named by the string at idx, or an error listing the known nodes. */
node_t *rt_check_node(lua_State *L, int idx, const char *what);
node_t *rt_node_named(lua_State *L, const char *name, const char *what);
/* Applies a Lua config table (Kafka key names) at idx to c, keys in sorted order,
 * skipping `skip` (NULL-terminated). Errors are prefixed with `who`. */
void rt_apply_config(lua_State *L, int idx, config_t *c, const char *who,
                     const char *const *skip);
/* A config_t inside a userdata pushed on the stack: freed by the collector even when an
 * error interrupts the binding that fills it. */
config_t *rt_new_config(lua_State *L, const config_schema_t *schema);
/* The table at idx has only keys from `valid` (NULL-terminated); else an error. */
void rt_check_keys(lua_State *L, int idx, const char *what, const char *const *valid);
/* Raises "who: err", without repeating `who` when err already starts with it. */
int rt_error_from(lua_State *L, const char *who, const char *err);
/* A key or value: nil -> null, string -> bytes (borrowed from the Lua string). */
bytes_t rt_opt_bytes(lua_State *L, int idx, const char *what);
void rt_push_bytes(lua_State *L, bytes_t b);
/* A JSON value as a Lua value (objects as tables with their keys, arrays as lists). */
void rt_push_json(lua_State *L, const cJSON *v);
/* Userdata `self` of type tname, with a hint about ':' when it is missing. */
void *rt_check_self(lua_State *L, const char *tname, const char *method);
void rt_new_class(lua_State *L, const char *tname, const luaL_Reg *methods,
                  lua_CFunction tostring);
/* The closest of `names` (NULL-terminated) to s, or NULL when nothing is close. */
const char *rt_suggest(const char *s, const char *const *names);

/* ---- sandbox.c ---- */
/* Opens the allowed libraries and installs the sandbox on the globals. */
void rt_open_sandbox(lua_State *L, rt_t *rt);
void rt_reseed_math(lua_State *L, uint64_t seed);
/* Loads a text chunk from a file inside the scenario's folder; pushes the function. */
int rt_load_scenario_file(lua_State *L, rt_t *rt, const char *rel, const char *what);
/* Reads a whole file; NULL with errno set. The caller frees. */
char *rt_read_file(const char *path, size_t *len);

/* ---- tasks.c ---- */
/* Starts fn (at idx) as a task named `name` at absolute time `at` µs. */
void task_spawn(lua_State *L, rt_t *rt, const char *name, int idx, int64_t at);
/* Some task may be ready: check them all at the current time, in spawn order. */
void tasks_poke(rt_t *rt);
bool task_is_thread(lua_State *L, int idx);
const char *task_name(const task_t *t);
/* The tasks blocked in a call, in spawn order, as [{"task": name, "call": "p:flush()"}];
 * NULL when none is. The caller owns the array. */
cJSON *tasks_waiting(const rt_t *rt);
void tasks_free(rt_t *rt);

typedef bool (*ready_fn)(void *ctx);
/* The blocking primitive behind sleep, flush, get and poll. When ready(ctx) already holds,
 * calls k at once. In a task, yields until ready(ctx) holds and then k produces the
 * results; in the main chunk, runs the world until it holds (deadline: until that time,
 * INT64_MAX for none). `what` names the call in errors. */
int rt_block(lua_State *L, const char *what, ready_fn ready, void *ctx, int64_t deadline,
             lua_KFunction k, lua_KContext kctx);
/* Runs the world from the main chunk; checks limits and fatal errors. */
run_status_t rt_run_world(lua_State *L, rt_t *rt, int64_t deadline, bool (*pred)(void *),
                          void *ctx);
/* Why a blocking call cannot block here, or NULL when it can. */
const char *rt_cannot_block(lua_State *L, rt_t *rt);

waiter_t *waiter_new(rt_t *rt);
void waiter_free(waiter_t *wt);
void waiters_free_all(rt_t *rt);

/* ---- bind_*.c ---- */
/* Adds world and sleep to the ksim table on the top of the stack; registers the classes. */
void bind_world_open(lua_State *L);
latency_t rt_check_latency(lua_State *L, int idx, const char *what);
void bind_cluster_open(lua_State *L);
void bind_clients_open(lua_State *L);
/* bind_groups.c: the consumer group methods, added to the consumer and cluster classes. */
void bind_groups_open(lua_State *L);
/* The open consumer at index 1 (bind_clients.c), for the group methods. */
consumer_t *bind_check_consumer(lua_State *L, const char *method);
/* w:cluster(...) lives in bind_cluster.c; c:producer/consumer in bind_clients.c. */
int bind_world_cluster(lua_State *L);
int bind_cluster_producer(lua_State *L);
int bind_cluster_consumer(lua_State *L);
/* w:fault / clear_fault / fault_hits. */
int bind_world_fault(lua_State *L);
int bind_world_clear_fault(lua_State *L);
int bind_world_fault_hits(lua_State *L);
void bind_clients_free(rt_t *rt);
/* ksim.assign and ksim.compare_assignors, added to the ksim table on the top of the stack. */
void bind_assign_open(lua_State *L);

#endif
