/* bench_viewer: the timeline viewer on a 1,000,000-event trace. It writes a trace through
 * the trace API (three brokers and a controller, two producers, a consumer; Produce and
 * Fetch exchanges, appends copied by two followers, HW moves, 1% lost answers with their
 * retries, heartbeats as background traffic, notes, checks, a crash with its fencing,
 * elections, ISR changes and truncation, and a network partition), indexes it as
 * `ksim view` does, and times each keypress the way
 * the viewer handles it: the key, then a full redraw into the screen buffer (timeline and
 * inspector), at 80×24 and 200×60. Wall-clock timing is allowed here, never in sim/. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "sim/trace.h"
#include "tui/model.h"
#include "tui/screen.h"
#include "tui/viewer.h"

#define EVENTS 1000000
#define BUDGET_MS 20.0

static double rss_mib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* ---- the trace ---- */

typedef struct gen {
    trace_t *tr;
    int64_t t;
    int64_t msg, corr, offset[6], seq[2];
} gen_t;

static cJSON *ev_begin(gen_t *g, const char *node, const char *kind)
{
    return trace_begin(g->tr, g->t, node, kind);
}

static void add_str(cJSON *ev, const char *k, const char *v)
{
    cJSON_AddStringToObject(ev, k, v);
}

static void node(gen_t *g, const char *name, const char *role)
{
    cJSON *ev = ev_begin(g, name, "node");
    add_str(ev, "role", role);
    trace_emit(g->tr, ev);
}

static cJSON *message(gen_t *g, const char *kind, const char *api, bool resp, const char *from,
                      const char *to, int64_t msg, int64_t corr)
{
    cJSON *ev = ev_begin(g, strcmp(kind, "deliver") == 0 ? to : from, kind);
    trace_add_int(ev, "msg", msg);
    add_str(ev, "api", api);
    add_str(ev, "dir", resp ? "response" : "request");
    add_str(ev, "from", from);
    add_str(ev, "to", to);
    trace_add_int(ev, "corr", corr);
    return ev;
}

static void part(cJSON *ev, const char *tp, const char *field, int64_t v, const char *f2,
                 int64_t v2)
{
    cJSON *parts = cJSON_AddArrayToObject(ev, "parts");
    cJSON *p = cJSON_CreateObject();
    add_str(p, "tp", tp);
    trace_add_int(p, field, v);
    if (f2)
        trace_add_int(p, f2, v2);
    cJSON_AddItemToArray(parts, p);
}

static const char *const brokers[] = { "broker-1", "broker-2", "broker-3" };

static void add_tp(cJSON *ev, int p)
{
    char tp[32];
    snprintf(tp, sizeof tp, "payments-%d", p);
    add_str(ev, "tp", tp);
}

/* The two followers of partition p copy what its leader appended. */
static void replicate(gen_t *g, int p, int64_t base, int64_t last)
{
    for (int f = 1; f <= 2; f++) {
        cJSON *ev = ev_begin(g, brokers[(p + f) % 3], "replicated");
        add_tp(ev, p);
        trace_add_int(ev, "base_offset", base);
        trace_add_int(ev, "last_offset", last);
        trace_emit(g->tr, ev);
    }
}

/* A broker's heartbeat to the controller and its answer: routine background traffic. */
static void heartbeat(gen_t *g, int k)
{
    const char *b = brokers[k % 3];
    int64_t msg = ++g->msg, corr = ++g->corr;
    for (int resp = 0; resp < 2; resp++) {
        const char *from = resp ? "controller" : b, *to = resp ? b : "controller";
        cJSON *ev = message(g, "send", "BrokerHeartbeat", resp, from, to, msg + resp, corr);
        cJSON_AddBoolToObject(ev, "bg", 1);
        trace_emit(g->tr, ev);
        ev = message(g, "deliver", "BrokerHeartbeat", resp, from, to, msg + resp, corr);
        cJSON_AddBoolToObject(ev, "bg", 1);
        trace_emit(g->tr, ev);
    }
    ++g->msg;
}

static void role(gen_t *g, const char *broker, int p, const char *leader, int64_t epoch)
{
    cJSON *ev = ev_begin(g, broker, "role");
    add_tp(ev, p);
    add_str(ev, "role", strcmp(broker, leader) == 0 ? "leader" : "follower");
    trace_add_int(ev, "leader_epoch", epoch);
    add_str(ev, "leader", leader);
    trace_add_int(ev, "leo", g->offset[p]);
    trace_add_int(ev, "hw", g->offset[p]);
    trace_emit(g->tr, ev);
}

/* broker-3 crashes or comes back: the controller fences it and moves or restores the
 * ISR of its partitions (2 and 5); back, it truncates what it had not flushed. */
static void fence(gen_t *g, bool crash, int k)
{
    cJSON *ev = ev_begin(g, "controller", crash ? "broker_fenced" : "broker_unfenced");
    add_str(ev, "broker", "broker-3");
    trace_emit(g->tr, ev);
    for (int p = 2; p < 6; p += 3) {
        ev = ev_begin(g, "controller", "isr_changed");
        add_tp(ev, p);
        cJSON_AddItemToObject(ev, "isr", cJSON_CreateStringArray(brokers, crash ? 2 : 3));
        cJSON_AddItemToObject(ev, "was", cJSON_CreateStringArray(brokers, crash ? 3 : 2));
        add_str(ev, "change", crash ? "shrink" : "expand");
        trace_emit(g->tr, ev);
        ev = ev_begin(g, "controller", "leader_elected");
        add_tp(ev, p);
        add_str(ev, "leader", crash ? "broker-1" : "broker-3");
        trace_add_int(ev, "leader_epoch", k);
        cJSON_AddItemToObject(ev, "isr", cJSON_CreateStringArray(brokers, crash ? 2 : 3));
        cJSON_AddBoolToObject(ev, "unclean", 0);
        trace_emit(g->tr, ev);
        if (crash)
            continue;
        ev = ev_begin(g, "broker-3", "truncate");
        add_tp(ev, p);
        trace_add_int(ev, "from", g->offset[p]);
        trace_add_int(ev, "to", g->offset[p] > 2 ? g->offset[p] - 2 : 0);
        trace_emit(g->tr, ev);
        role(g, "broker-3", p, "broker-3", k);
    }
}

/* One Produce exchange: request, append, copies, HW, answer (lost 1% of the time, then
 * retried). */
static void produce(gen_t *g, int k)
{
    const char *prod = k % 2 ? "p2" : "p1", *broker = brokers[k % 3];
    int p = k % 6, n = 1 + k % 4;
    char tp[32], key[32], value[48];
    snprintf(tp, sizeof tp, "payments-%d", p);
    bool lost = k % 100 == 42;
    for (int attempt = 0; attempt < (lost ? 2 : 1); attempt++) {
        int64_t msg = ++g->msg, corr = ++g->corr;
        cJSON *ev = message(g, "send", "Produce", false, prod, broker, msg, corr);
        add_str(ev, "acks", "all");
        part(ev, tp, "records", n, "base_seq", g->seq[k % 2]);
        trace_emit(g->tr, ev);
        g->t += 500;
        trace_emit(g->tr, message(g, "deliver", "Produce", false, prod, broker, msg, corr));
        ev = ev_begin(g, broker, "append");
        add_str(ev, "tp", tp);
        trace_add_int(ev, "base_offset", g->offset[p]);
        trace_add_int(ev, "last_offset", g->offset[p] + n - 1);
        cJSON *recs = cJSON_AddArrayToObject(ev, "records");
        for (int r = 0; r < n; r++) {
            cJSON *rec = cJSON_CreateObject();
            trace_add_int(rec, "offset", g->offset[p] + r);
            snprintf(key, sizeof key, "k%d", k % 1000);
            snprintf(value, sizeof value, "payment-%d-%d", k, r);
            add_str(rec, "key", key);
            add_str(rec, "value", value);
            cJSON_AddItemToArray(recs, rec);
        }
        trace_emit(g->tr, ev);
        replicate(g, p, g->offset[p], g->offset[p] + n - 1);
        g->offset[p] += n;
        ev = ev_begin(g, broker, "hw");
        add_str(ev, "tp", tp);
        trace_add_int(ev, "hw", g->offset[p]);
        trace_emit(g->tr, ev);
        int64_t rmsg = ++g->msg;
        ev = message(g, "send", "Produce", true, broker, prod, rmsg, corr);
        part(ev, tp, "base_offset", g->offset[p] - n, NULL, 0);
        trace_emit(g->tr, ev);
        if (lost && attempt == 0) {
            ev = message(g, "drop", "Produce", true, broker, prod, rmsg, corr);
            add_str(ev, "reason", "fault");
            trace_add_int(ev, "fault", 1);
            trace_emit(g->tr, ev);
            g->t += 1000;
            ev = ev_begin(g, prod, "retry");
            add_str(ev, "tp", tp);
            add_str(ev, "error", "REQUEST_TIMED_OUT");
            trace_emit(g->tr, ev);
            continue;
        }
        g->t += 500;
        trace_emit(g->tr, message(g, "deliver", "Produce", true, broker, prod, rmsg, corr));
    }
    g->seq[k % 2] += n;
    cJSON *ev = ev_begin(g, prod, "batch_done");
    add_str(ev, "tp", tp);
    trace_add_int(ev, "records", n);
    add_str(ev, "error", "NONE");
    trace_emit(g->tr, ev);
}

static void world_event(gen_t *g, int k)
{
    cJSON *ev;
    if (k % 5000 == 0) {
        ev = ev_begin(g, "world", "note");
        add_str(ev, "text", "批次 acknowledged: the producer moves on to the next batch.");
    } else if (k % 20000 == 7) {
        ev = ev_begin(g, "world", "check");
        cJSON_AddBoolToObject(ev, "ok", k % 40000 != 7);
        add_str(ev, "msg", "the log holds every acknowledged record");
        add_str(ev, "where", "bench.lua:1");
    } else if (k % 50000 == 11) {
        ev = ev_begin(g, "broker-3", k % 100000 == 11 ? "crash" : "restart");
        trace_emit(g->tr, ev);
        fence(g, k % 100000 == 11, k);
        return;
    } else if (k % 30000 == 13) {
        ev = ev_begin(g, "world", k % 60000 == 13 ? "partition" : "heal");
        trace_add_int(ev, "partition", 1 + k / 60000);
        if (k % 60000 == 13) {
            cJSON_AddItemToObject(ev, "a", cJSON_CreateStringArray((const char *[]){ "c1" }, 1));
            cJSON_AddItemToObject(ev, "b", cJSON_CreateStringArray((const char *[]){ "broker-1" }, 1));
            cJSON_AddBoolToObject(ev, "oneway", 0);
        }
    } else {
        return;
    }
    trace_emit(g->tr, ev);
}

static void consume(gen_t *g, int k)
{
    int64_t msg = ++g->msg, corr = ++g->corr;
    cJSON *ev = message(g, "send", "Fetch", false, "c1", "broker-1", msg, corr);
    part(ev, "payments-0", "offset", k, NULL, 0);
    trace_emit(g->tr, ev);
    g->t += 500;
    trace_emit(g->tr, message(g, "deliver", "Fetch", false, "c1", "broker-1", msg, corr));
}

static uint64_t write_trace(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    gen_t g = { .tr = trace_new() };
    trace_set_file(g.tr, f);
    trace_header(g.tr, 1, "bench_viewer.lua");
    node(&g, "broker-1", "broker");
    node(&g, "broker-2", "broker");
    node(&g, "broker-3", "broker");
    node(&g, "controller", "controller");
    cJSON *ev = trace_begin(g.tr, 0, "controller", "topic");
    add_str(ev, "topic", "payments");
    trace_add_int(ev, "partitions", 6);
    trace_add_int(ev, "replication_factor", 3);
    cJSON *leaders = cJSON_AddArrayToObject(ev, "leaders");
    cJSON *replicas = cJSON_AddArrayToObject(ev, "replicas");
    for (int p = 0; p < 6; p++) {
        cJSON_AddItemToArray(leaders, cJSON_CreateString(brokers[p % 3]));
        cJSON_AddItemToArray(replicas, cJSON_CreateStringArray(brokers, 3));
    }
    trace_emit(g.tr, ev);
    for (int p = 0; p < 6; p++)
        for (int b = 0; b < 3; b++)
            role(&g, brokers[b], p, brokers[p % 3], 0);
    node(&g, "p1", "producer");
    node(&g, "p2", "producer");
    node(&g, "c1", "consumer");
    for (int k = 0; trace_count(g.tr) < EVENTS; k++) {
        world_event(&g, k);
        produce(&g, k);
        if (k % 8 == 0)
            consume(&g, k);
        if (k % 4 == 0)
            heartbeat(&g, k);
        g.t += 250;
    }
    uint64_t n = trace_count(g.tr);
    trace_free(g.tr);
    fclose(f);
    return n;
}

/* ---- keypresses ---- */

typedef struct stats {
    double total, max;
    int n;
    const char *worst;
} stats_t;

static void press(viewer_t *v, scr_t *s, int key, const char *name, stats_t *st)
{
    double t0 = bench_wall();
    viewer_key(v, key);
    viewer_draw(v, s);
    double ms = (bench_wall() - t0) * 1000.0;
    st->total += ms;
    st->n++;
    if (ms > st->max) {
        st->max = ms;
        st->worst = name;
    }
}

static void presses(viewer_t *v, scr_t *s, int key, int times, const char *name, stats_t *st)
{
    for (int i = 0; i < times; i++)
        press(v, s, key, name, st);
}

/* A session: moving, paging, both ends, notes and faults, zoom, the inspector pane. */
static stats_t session(model_t *m, int w, int h)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(w, h, false);
    stats_t st = { 0 };
    viewer_draw(v, s);
    presses(v, s, 'j', 300, "move down", &st);
    presses(v, s, 'k', 100, "move up", &st);
    presses(v, s, VK_PGDN, 100, "page down", &st);
    presses(v, s, VK_PGUP, 50, "page up", &st);
    press(v, s, 'G', "jump to end", &st);
    presses(v, s, 'k', 50, "move up at the end", &st);
    press(v, s, 'g', "jump to start", &st);
    presses(v, s, 'n', 20, "next note", &st);
    presses(v, s, 'f', 20, "next fault", &st);
    presses(v, s, 'N', 10, "previous note", &st);
    presses(v, s, 'F', 10, "previous fault", &st);
    press(v, s, 'G', "jump to end", &st);
    presses(v, s, '-', 8, "zoom out", &st);
    presses(v, s, 'k', 20, "move up zoomed out", &st);
    presses(v, s, '+', 8, "zoom in", &st);
    presses(v, s, VK_RIGHT, 2, "scroll lanes", &st);
    press(v, s, VK_TAB, "switch pane", &st);
    presses(v, s, 'j', 30, "scroll inspector", &st);
    press(v, s, VK_TAB, "switch pane", &st);
    presses(v, s, VK_PGUP, 20, "page up", &st);
    press(v, s, 'b', "show background", &st);
    presses(v, s, 'j', 20, "move with background", &st);
    press(v, s, 'b', "hide background", &st);
    viewer_free(v);
    scr_free(s);
    return st;
}

static double timed_search(model_t *m, const char *needle)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(200, 60, false);
    viewer_draw(v, s);
    viewer_key(v, '/');
    for (const char *p = needle; *p; p++)
        viewer_key(v, *p);
    double t0 = bench_wall();
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    double ms = (bench_wall() - t0) * 1000.0;
    viewer_free(v);
    scr_free(s);
    return ms;
}

static double timed_filter(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(200, 60, false);
    viewer_key(v, 'o');
    viewer_key(v, 'p');
    viewer_key(v, '1');
    double t0 = bench_wall();
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    double ms = (bench_wall() - t0) * 1000.0;
    viewer_free(v);
    scr_free(s);
    return ms;
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    char path[] = "/tmp/ksim-bench-viewer-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    double t0 = bench_wall();
    uint64_t n = write_trace(path);
    struct stat sb;
    stat(path, &sb);
    printf("viewer: wrote %llu events (%.1f MiB of JSON Lines) in %.2f s\n",
           (unsigned long long)n, (double)sb.st_size / (1024.0 * 1024.0), bench_wall() - t0);
    double before = rss_mib();
    FILE *f = fopen(path, "r");
    char err[512];
    t0 = bench_wall();
    model_t *m = f ? model_load(f, path, NULL, NULL, err, sizeof err) : NULL;
    if (!m) {
        fprintf(stderr, "bench_viewer: %s\n", f ? err : "cannot open the trace");
        return 1;
    }
    printf("viewer: loaded and indexed in %.2f s; index and state %.1f MiB resident\n",
           bench_wall() - t0, rss_mib() - before);
    double worst = 0;
    static const int sizes[][2] = { { 80, 24 }, { 200, 60 } };
    for (int i = 0; i < 2; i++) {
        stats_t st = session(m, sizes[i][0], sizes[i][1]);
        printf("viewer: %dx%d: %d keypresses, mean %.3f ms, max %.3f ms (%s)\n", sizes[i][0],
               sizes[i][1], st.n, st.total / st.n, st.max, st.worst);
        worst = st.max > worst ? st.max : worst;
    }
    printf("viewer: search through the whole trace (no match): %.0f ms\n",
           timed_search(m, "no-such-key"));
    printf("viewer: node filter (re-index 1M events): %.1f ms\n", timed_filter(m));
    printf("viewer: peak memory %.1f MiB\n", bench_peak_mib());
    printf("budget %.0f ms per keypress: %s\n", BUDGET_MS, worst < BUDGET_MS ? "ok" : "MISSED");
    model_free(m);
    fclose(f);
    unlink(path);
    return 0;
}
