/* ksim_lua: runs a scenario script. It owns the Lua state, the sandbox (allowed libraries,
 * file access limited to the scenario's folder, instruction budget), the task scheduler
 * (coroutines that block in virtual time) and the bindings to the engine. */
#ifndef KSIM_LUA_H
#define KSIM_LUA_H

#include <stdbool.h>
#include <stdint.h>

#include "../sim/trace.h"

#define KSIM_DEFAULT_MAX_TIME_US (3600LL * 1000000LL) /* one virtual hour */
#define KSIM_DEFAULT_MAX_INSTRUCTIONS 500000000ULL
#define KSIM_DEFAULT_SEED 1

typedef struct ksim_run_opts {
    const char *path;          /* the scenario file */
    bool seed_given;           /* --seed overrides the script's ksim.world{seed=…} */
    uint64_t seed;
    int64_t max_time_us;       /* virtual-time limit of the run */
    uint64_t max_instructions; /* Lua instruction budget */
    trace_t *trace;            /* caller-owned; the run writes the header and every event */
    /* Called for every ksim.check, in order; `where` is "file:line". */
    void (*on_check)(void *ctx, bool ok, const char *msg, const char *where);
    /* Lua's print(), one call per line printed. */
    void (*on_print)(void *ctx, const char *text);
    void *ctx;
} ksim_run_opts_t;

typedef struct ksim_run_result {
    int checks, failed;
    bool error;          /* the script failed (syntax, runtime, sandbox, budget) */
    char message[2048];  /* "file:line: what went wrong" when error */
    int64_t end_time_us;
    uint64_t seed;       /* the seed the world ran with */
} ksim_run_result_t;

void ksim_run_opts_init(ksim_run_opts_t *o);
/* Runs the scenario to completion. Returns 0 when the script ran to its end (checks may
 * have failed; see result), -1 when it stopped on an error (result->message). */
int ksim_lua_run(const ksim_run_opts_t *o, ksim_run_result_t *r);
/* Whether an error message starts with "file:line:" (or is just "file:line"), as Lua's
 * and luaL_error's messages do. */
bool ksim_has_position(const char *msg);

#endif
