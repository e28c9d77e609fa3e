/* Unit tests for sim/core/world: the run loop's stop conditions, background events,
 * node timers across crashes and pauses, and world_stop. */
#include <stdbool.h>
#include <stdint.h>

#include "sim/core/world.h"
#include "tests/unit/tap.h"

/* What ran, and when: every callback appends (time, tag). */
#define MAX_LOG 256

typedef struct fired {
    int64_t t;
    int64_t tag;
} fired_t;

static fired_t fired[MAX_LOG];
static int n_fired;
static int crashes, restarts;

static void reset_log(void)
{
    n_fired = 0;
    crashes = restarts = 0;
}

static void record(void *a, void *b, int64_t tag)
{
    world_t *w = a;
    (void)b;
    if (n_fired < MAX_LOG)
        fired[n_fired++] = (fired_t){ w->now, tag };
}

static void nop_message(node_t *n, msg_t *m)
{
    (void)n;
    (void)m;
}

static void on_crash(node_t *n)
{
    (void)n;
    crashes++;
}

static void on_restart(node_t *n)
{
    (void)n;
    restarts++;
}

static const node_ops_t ops = { .on_message = nop_message, .on_crash = on_crash,
                                .on_restart = on_restart };

/* Tags of what fired, in order, compared with an expected list. */
static bool fired_tags(const int64_t *want, int n)
{
    if (n_fired != n)
        return false;
    for (int i = 0; i < n; i++)
        if (fired[i].tag != want[i])
            return false;
    return true;
}

static void diag_fired(void)
{
    for (int i = 0; i < n_fired; i++)
        tap_diag("  fired tag %lld at %lld", (long long)fired[i].tag, (long long)fired[i].t);
}

static void test_idle(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    world_schedule(w, 10, record, w, NULL, 10);
    world_schedule(w, 5, record, w, NULL, 5);
    world_schedule(w, 20, record, w, NULL, 20);
    world_schedule(w, 10, record, w, NULL, 11);
    run_status_t st = world_run(w, INT64_MAX, NULL, NULL);
    is_int(st, RUN_IDLE, "a world with nothing left to do returns RUN_IDLE");
    static const int64_t want[] = { 5, 10, 11, 20 };
    if (!ok(fired_tags(want, 4), "world events run by time, equal times in scheduling order"))
        diag_fired();
    is_int(w->now, 20, "the clock stops at the last event when the world goes idle");
    is_int(w->events_run, 4, "every event run is counted");
    is_str(run_status_name(RUN_IDLE), "idle", "run statuses have names for the trace");

    /* Scheduling in the past runs at the current time, never earlier. */
    reset_log();
    world_schedule(w, 3, record, w, NULL, 1);
    world_run(w, INT64_MAX, NULL, NULL);
    ok(n_fired == 1 && fired[0].t == 20, "an event scheduled in the past runs at the current time");
    world_free(w);
}

static void test_deadline(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    world_schedule(w, 100, record, w, NULL, 1);
    world_schedule(w, 300, record, w, NULL, 2);
    run_status_t st = world_run(w, 200, NULL, NULL);
    is_int(st, RUN_DEADLINE, "a run stops with RUN_DEADLINE before an event past the deadline");
    ok(n_fired == 1 && fired[0].tag == 1, "only the events up to the deadline ran");
    is_int(w->now, 200, "the clock reads the deadline when the run stops there");

    world_schedule(w, 250, record, w, NULL, 3);
    world_run(w, 250, NULL, NULL);
    ok(n_fired == 2 && fired[1].tag == 3 && fired[1].t == 250,
       "an event exactly at the deadline runs before the run stops");
    st = world_run(w, INT64_MAX, NULL, NULL);
    ok(st == RUN_IDLE && n_fired == 3 && w->now == 300, "a later run picks up where the deadline left off");
    world_free(w);

    w = world_new(1, NULL);
    st = world_run(w, 1000, NULL, NULL);
    ok(st == RUN_DEADLINE && w->now == 1000,
       "with no event due, the clock still advances to the deadline");
    world_free(w);
}

static bool after_three(void *ctx)
{
    (void)ctx;
    return n_fired >= 3;
}

static void test_predicate(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    for (int i = 1; i <= 5; i++)
        world_schedule(w, i * 10, record, w, NULL, i);
    run_status_t st = world_run(w, INT64_MAX, after_three, NULL);
    is_int(st, RUN_PREDICATE, "a run stops with RUN_PREDICATE when the predicate becomes true");
    ok(n_fired == 3 && w->now == 30, "the predicate is checked after every event");
    st = world_run(w, INT64_MAX, after_three, NULL);
    ok(st == RUN_PREDICATE && n_fired == 3, "a predicate already true stops the run before any event");
    world_run(w, INT64_MAX, NULL, NULL);
    world_free(w);
}

static void test_limits(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    w->time_limit = 500;
    world_schedule(w, 100, record, w, NULL, 1);
    world_schedule(w, 600, record, w, NULL, 2);
    run_status_t st = world_run(w, INT64_MAX, NULL, NULL);
    is_int(st, RUN_TIME_LIMIT, "an event past the time limit stops the run with RUN_TIME_LIMIT");
    ok(n_fired == 1 && w->now == 500, "the clock stops at the time limit, not at the next event");
    world_free(w);

    reset_log();
    w = world_new(1, NULL);
    w->event_limit = 3;
    for (int i = 1; i <= 5; i++)
        world_schedule(w, i, record, w, NULL, i);
    st = world_run(w, INT64_MAX, NULL, NULL);
    is_int(st, RUN_EVENT_LIMIT, "exhausting the event budget stops the run with RUN_EVENT_LIMIT");
    ok(n_fired == 3 && w->events_run == 3, "exactly the budgeted number of events ran");
    w->event_limit = UINT64_MAX;
    world_run(w, INT64_MAX, NULL, NULL);
    is_int(n_fired, 5, "raising the budget lets the remaining events run");
    world_free(w);
}

/* A periodic background timer, like a metrics reporter. */
static void tick(void *a, void *b, int64_t tag)
{
    node_t *n = a;
    (void)b;
    record(n->w, NULL, tag);
    node_timer_bg(n, 100, tick, n, NULL, tag);
}

static void test_background(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    node_t *n = world_add_node(w, "b1", ROLE_BROKER, &ops, NULL);
    node_timer_bg(n, 100, tick, n, NULL, -1);
    run_status_t st = world_run(w, INT64_MAX, NULL, NULL);
    ok(st == RUN_IDLE && n_fired == 0 && w->now == 0,
       "background events alone leave the world idle, and nothing runs");

    node_timer(n, 1000, record, w, NULL, 7);
    st = world_run(w, INT64_MAX, NULL, NULL);
    int ticks = 0;
    for (int i = 0; i < n_fired; i++)
        ticks += fired[i].tag == -1;
    ok(st == RUN_IDLE && ticks == 9 && fired[n_fired - 1].tag == 7 && w->now == 1000,
       "background events run while foreground work remains, then the world is idle");

    reset_log();
    st = world_run(w, 1550, NULL, NULL);
    /* Ticks due at 1000 (after the foreground timer of the same time), 1100, ..., 1500. */
    ok(st == RUN_DEADLINE && n_fired == 6 && w->now == 1550,
       "with a deadline, background events run until it");
    world_free(w);
}

static void test_crash(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    node_t *n = world_add_node(w, "b1", ROLE_BROKER, &ops, NULL);
    node_timer(n, 1000, record, w, NULL, 1);
    node_timer_bg(n, 500, record, w, NULL, 2);
    world_crash(w, n, "test");
    ok(!n->up && n->inc == 1 && crashes == 1, "a crash takes the node down, bumps its incarnation and calls on_crash");
    run_status_t st = world_run(w, INT64_MAX, NULL, NULL);
    ok(st == RUN_IDLE && n_fired == 0, "timers of a crashed node never fire");
    is_int(w->now, 0, "timers of a crashed node do not advance the clock");
    world_crash(w, n, "again");
    is_int(crashes, 1, "crashing a node that is down does nothing");

    world_restart(w, n);
    ok(n->up && restarts == 1, "a restart brings the node up and calls on_restart");
    node_timer(n, 200, record, w, NULL, 4);
    world_run(w, INT64_MAX, NULL, NULL);
    ok(n_fired == 1 && fired[0].tag == 4 && w->now == 200,
       "after a restart only timers set by the new incarnation fire");

    /* A dead timer must not hold the world awake while background work ticks on. */
    reset_log();
    node_t *m = world_add_node(w, "b2", ROLE_BROKER, &ops, NULL);
    node_timer(n, 1000000, record, w, NULL, 5);
    node_timer_bg(m, 100, tick, m, NULL, -1);
    world_crash(w, n, "test");
    int64_t before = w->now;
    world_run(w, INT64_MAX, NULL, NULL);
    int cond = w->now == before;
    ok(cond, "a crashed node's timer does not keep the world running background events");
    if (!cond)
        tap_diag("  the clock moved from %lld to %lld", (long long)before, (long long)w->now);
    world_free(w);
}

static void test_pause(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    node_t *n = world_add_node(w, "b1", ROLE_BROKER, &ops, NULL);
    node_timer(n, 100, record, w, NULL, 1);
    node_timer(n, 200, record, w, NULL, 2);
    node_timer(n, 300, record, w, NULL, 3);
    node_timer(n, 200, record, w, NULL, 4);
    world_pause(w, n);
    ok(n->paused && n->up, "a paused node stays up");
    world_run(w, 1000, NULL, NULL);
    is_int(n_fired, 0, "timers of a paused node do not fire while it is paused");
    is_int(n->n_deferred, 4, "the paused node holds every timer that came due");
    world_resume(w, n);
    world_run(w, INT64_MAX, NULL, NULL);
    static const int64_t want[] = { 1, 2, 4, 3 };
    bool at_resume = true;
    for (int i = 0; i < n_fired; i++)
        at_resume = at_resume && fired[i].t == 1000;
    if (!ok(fired_tags(want, 4), "timers of a paused node fire after world_resume, in their original order"))
        diag_fired();
    ok(at_resume, "held timers fire at the time of the resume");

    reset_log();
    node_timer(n, 100, record, w, NULL, 5);
    world_pause(w, n);
    world_run(w, 1500, NULL, NULL);
    world_crash(w, n, "test");
    world_restart(w, n);
    world_run(w, INT64_MAX, NULL, NULL);
    ok(n_fired == 0 && !n->paused, "a crash forgets the timers a pause was holding");
    world_free(w);
}

static void stop_here(void *a, void *b, int64_t tag)
{
    record(a, b, tag);
    world_stop(a);
}

static void test_stop(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    world_schedule(w, 10, record, w, NULL, 1);
    world_schedule(w, 20, stop_here, w, NULL, 2);
    world_schedule(w, 30, record, w, NULL, 3);
    world_schedule(w, 40, record, w, NULL, 4);
    run_status_t st = world_run(w, INT64_MAX, NULL, NULL);
    is_int(st, RUN_STOPPED, "world_stop makes the run return RUN_STOPPED");
    ok(n_fired == 2 && w->now == 20, "the run stops right after the event that called world_stop");
    st = world_run(w, INT64_MAX, NULL, NULL);
    ok(st == RUN_IDLE && n_fired == 4, "the next run goes on with the remaining events");
    world_free(w);
}

static void test_cancel_and_nodes(void)
{
    reset_log();
    world_t *w = world_new(1, NULL);
    node_t *a = world_add_node(w, "p1", ROLE_PRODUCER, &ops, NULL);
    node_t *b = world_add_node(w, "c1", ROLE_CONSUMER, &ops, NULL);
    ev_handle_t h = node_timer(a, 100, record, w, NULL, 1);
    node_timer(b, 200, record, w, NULL, 2);
    ok(world_cancel(w, h), "a pending node timer can be cancelled");
    world_run(w, INT64_MAX, NULL, NULL);
    ok(n_fired == 1 && fired[0].tag == 2, "a cancelled timer never fires");
    ok(!world_cancel(w, h), "a timer cannot be cancelled twice");
    ok(world_find(w, "c1") == b && world_node(w, 0) == a && world_find(w, "nobody") == NULL &&
           world_node(w, 2) == NULL,
       "nodes are found by name and by id");
    world_free(w);
}

static void pingpong(void *a, void *b, int64_t arg)
{
    node_t *n = a;
    node_timer(n, 0, pingpong, n, NULL, arg + 1);
}

static void test_stall_and_timed_pause(void)
{
    world_t *w = world_new(1, NULL);
    node_t *n = world_add_node(w, "x", ROLE_APP, &ops, NULL);
    w->stall_limit = 1000;
    node_timer(n, 5, pingpong, n, NULL, 0);
    run_status_t s = world_run(w, INT64_MAX, NULL, NULL);
    ok(s == RUN_STALLED && w->now == 5 && w->events_run < 1100,
       "events that never let the clock move end the run as stalled");
    is_str(run_status_name(s), "stalled", "the status is named stalled");
    world_free(w);

    w = world_new(1, NULL);
    n = world_add_node(w, "y", ROLE_APP, &ops, NULL);
    world_pause_for(w, n, 100);
    world_run(w, 10, NULL, NULL);
    world_resume(w, n);
    world_run(w, 20, NULL, NULL);
    world_pause_for(w, n, 100);
    world_run(w, 110, NULL, NULL);
    ok(n->paused, "a timed resume ends only its own pause, not a later one");
    world_run(w, 120, NULL, NULL);
    ok(!n->paused, "the later pause ends when it was planned to");
    bool first = world_pause(w, n), again = world_pause(w, n);
    ok(first && !again, "pausing a paused node changes nothing");
    world_free(w);
}

int main(void)
{
    test_idle();
    test_deadline();
    test_predicate();
    test_limits();
    test_background();
    test_crash();
    test_pause();
    test_stop();
    test_cancel_and_nodes();
    test_stall_and_timed_pause();
    return tap_done();
}
