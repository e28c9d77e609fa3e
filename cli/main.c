/* main: the ksim command. It parses the command line, wires a run's trace to a file and
 * to the text timeline, prints checks as TAP, and maps outcomes to exit codes:
 * 0 ok, 1 a check failed, 2 usage error, 3 scenario error, 4 I/O error. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lua/ksim_lua.h"
#include "../sim/trace.h"
#include "../tui/text.h"
#include "commands.h"

#define KSIM_VERSION "ksim 0.1.0"

enum { EXIT_OK = 0, EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_SCENARIO = 3, EXIT_IO = 4 };

static const char *usage_main =
    "usage: ksim COMMAND [OPTIONS]\n"
    "\n"
    "ksim is a deterministic simulator of Apache Kafka: scenarios are Lua scripts.\n"
    "\n"
    "commands:\n"
    "  run FILE.lua      run a scenario and print its timeline\n"
    "  test [PATH...]    run scenarios as tests, TAP on stdout (default: scenarios)\n"
    "  assign            run Kafka's consumer-group assignors on groups (JSON Lines)\n"
    "  compare-assignors HISTORY.json\n"
    "                    every assignor over the same history of group changes\n"
    "  view TRACE.jsonl  the timeline viewer on a saved trace\n"
    "  export TRACE.jsonl --svg OUT.svg | --mermaid OUT.mmd | --text\n"
    "                    the sequence diagram for slides and documents\n"
    "\n"
    "options:\n"
    "  --help            this help; `ksim COMMAND --help` for a command's options\n"
    "  --version         print the version\n"
    "\n"
    "exit codes: 0 ok, 1 a check failed, 2 usage error, 3 scenario error,\n"
    "            4 I/O error (trace file, standard output)\n";

static const char *usage_run =
    "usage: ksim run FILE.lua [OPTIONS]\n"
    "\n"
    "Runs a scenario. The timeline is printed one event per line as it happens, checks\n"
    "as TAP lines (ok 1 - ...), and the last line is the trace digest.\n"
    "\n"
    "options:\n"
    "  --seed N               seed of the world (overrides ksim.world{seed = ...})\n"
    "  --trace OUT.jsonl      write the trace as JSON Lines to OUT.jsonl\n"
    "  --quiet                print only failed checks, errors and the digest\n"
    "  --tui                  open the timeline viewer on the run when it ends (on a\n"
    "                         terminal; elsewhere the text timeline is printed)\n"
    "  --max-time SECONDS     virtual-time limit of the run (default 3600)\n"
    "  --max-instructions N   Lua instruction budget (default 500000000)\n"
    "  --help                 this help\n"
    "\n"
    "exit codes: 0 ok, 1 a check failed, 2 usage error, 3 scenario error,\n"
    "            4 I/O error (trace file, standard output)\n";

static const char *usage_test =
    "usage: ksim test [PATH...] [OPTIONS]\n"
    "\n"
    "Runs every scenario (files, or directories searched for *.lua in sorted order;\n"
    "default: scenarios) twice, and prints TAP: one line per check, one per scenario\n"
    "error, and one saying whether the second run had the same digest.\n"
    "Files whose name starts with '_' are helpers (for require), not scenarios.\n"
    "\n"
    "options:\n"
    "  --seed N               seed for every scenario\n"
    "  --max-time SECONDS     virtual-time limit of each run (default 3600)\n"
    "  --max-instructions N   Lua instruction budget of each run\n"
    "  --help                 this help\n"
    "\n"
    "exit codes: 0 every test passed, 1 something failed, 2 usage error (also: no\n"
    "            scenario found), 4 I/O error (standard output)\n";

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "ksim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\ntry 'ksim %s--help'\n", cmd);
    return EXIT_USAGE;
}

/* ---- options shared by run and test ---- */

typedef struct cli {
    const char *cmd;
    const char **paths;
    int n_paths;
    const char *trace_path;
    bool quiet;
    bool tui;
    ksim_run_opts_t opts;
} cli_t;

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

/* Returns -1 when parsing should go on, else the exit code. */
static int parse_args(cli_t *c, int argc, char **argv, bool is_run)
{
    const char *sp = is_run ? "run " : "test ";
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        char *val = NULL;
        char name[64];
        if (strncmp(a, "--", 2) == 0 && a[2]) {
            char *eq = strchr(a, '=');
            size_t len = eq ? (size_t)(eq - a) : strlen(a);
            if (len >= sizeof name)
                return usage_error(sp, "unknown option '%s'", a);
            memcpy(name, a, len);
            name[len] = '\0';
            val = eq ? eq + 1 : NULL;
        } else if (a[0] == '-' && a[1]) {
            return usage_error(sp, "unknown option '%s'", a);
        } else {
            c->paths[c->n_paths++] = a;
            continue;
        }
        bool flag = strcmp(name, "--help") == 0 ||
                    (is_run && (strcmp(name, "--quiet") == 0 || strcmp(name, "--tui") == 0));
        if (flag && val)
            return usage_error(sp, "option '%s' takes no value", name);
        if (strcmp(name, "--help") == 0) {
            fputs(is_run ? usage_run : usage_test, stdout);
            return EXIT_OK;
        }
        if (strcmp(name, "--quiet") == 0) {
            c->quiet = true;
            continue;
        }
        if (strcmp(name, "--tui") == 0) {
            c->tui = true;
            continue;
        }
        bool takes = strcmp(name, "--seed") == 0 || strcmp(name, "--max-time") == 0 ||
                     strcmp(name, "--max-instructions") == 0 ||
                     (is_run && strcmp(name, "--trace") == 0);
        if (!takes)
            return usage_error(sp, "unknown option '%s'", name);
        if (!val) {
            if (i + 1 >= argc)
                return usage_error(sp, "option '%s' needs a value", name);
            val = argv[++i];
        }
        if (strcmp(name, "--seed") == 0) {
            if (!parse_u64(val, &c->opts.seed))
                return usage_error(sp, "--seed needs a whole number >= 0, got '%s'", val);
            c->opts.seed_given = true;
        } else if (strcmp(name, "--max-instructions") == 0) {
            if (!parse_u64(val, &c->opts.max_instructions) || c->opts.max_instructions == 0)
                return usage_error(sp, "--max-instructions needs a whole number > 0, got '%s'",
                                   val);
        } else if (strcmp(name, "--max-time") == 0) {
            char *end;
            double s = strtod(val, &end);
            /* The clock counts whole µs: less would be a limit of 0. */
            if (*end || end == val || !(s >= 1e-6) || s > 3.0e9)
                return usage_error(sp, "--max-time needs a number of seconds from 0.000001 "
                                   "(1 µs) to 3000000000, got '%s'", val);
            c->opts.max_time_us = (int64_t)(s * 1e6 + 0.5);
        } else {
            if (!*val)
                return usage_error(sp, "option '%s' needs a file name", name);
            c->trace_path = val;
        }
    }
    return -1;
}

/* Whether the "file:line" at the start of msg names a file of the scenario's folder (a
 * chunk that dofile or require loaded), not a chunk of load ([string "..."]). */
static bool in_folder(const char *msg, const char *dir, int dlen)
{
    const char *colon = strchr(msg, ':');
    if (msg[0] == '[' || !colon)
        return false;
    char file[4096];
    int k = snprintf(file, sizeof file, "%.*s%.*s", dlen, dir, (int)(colon - msg), msg);
    return k > 0 && (size_t)k < sizeof file && access(file, F_OK) == 0;
}

/* Messages name the script by its file name (traces must not depend on how it was
 * invoked); on the terminal, the path the user typed is more useful. Writes "PATH:LINE:
 * message" (or "PATH: message" when there is no line) into buf, on one line. With
 * name_other, a message from elsewhere (a chunk of load) is put after "PATH: ". */
static const char *located_as(const char *msg, const char *path, char *buf, size_t n,
                              bool name_other)
{
    /* Chunk names are relative to the scenario's folder: put the folder back. */
    const char *slash = strrchr(path, '/');
    int dlen = slash ? (int)(slash - path + 1) : 0;
    size_t blen = strlen(path + dlen);
    if (strncmp(msg, path + dlen, blen) == 0 && (msg[blen] == ':' || msg[blen] == '\0'))
        snprintf(buf, n, "%s%s", path, msg + blen); /* the scenario, with or without a line */
    else if (ksim_has_position(msg) && in_folder(msg, path, dlen))
        snprintf(buf, n, "%.*s%s", dlen, path, msg);
    else if (name_other)
        snprintf(buf, n, "%s: %s", path, msg);
    else
        snprintf(buf, n, "%s", msg);
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return buf;
}

static const char *located(const char *msg, const char *path, char *buf, size_t n)
{
    return located_as(msg, path, buf, n, true);
}

/* A check's "file:line", with the path the user typed when it is the scenario itself. */
static const char *where_at(const char *where, const char *path, char *buf, size_t n)
{
    return located_as(where, path, buf, n, false);
}

/* Writes s as (part of) a TAP line's description: on one line, with TAP's escapes for
 * '#' and '\\', so that no text of a scenario can end the line or add a directive (a
 * "# TODO" would turn a failure into a pass). */
static void put_tap(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r')
            putchar(' ');
        else if (*s == '#' || *s == '\\')
            printf("\\%c", *s);
        else
            putchar(*s);
    }
}

/* ---- ksim run ---- */

typedef struct run_ctx {
    const char *path;
    bool quiet;
    bool tui;            /* the viewer shows the timeline: do not print it */
    bool progress;       /* --quiet on a terminal: a progress line on stderr */
    bool progress_shown;
    uint64_t events;
    int n_checks;
    char line[4096];
} run_ctx_t;

#define PROGRESS_EVERY 262144

/* A long quiet run says how far it got, on one line of stderr that the end clears. */
static void show_progress(run_ctx_t *rc, const cJSON *ev)
{
    if (!rc->progress || ++rc->events % PROGRESS_EVERY != 0)
        return;
    fprintf(stderr, "\rksim: %s: %.3f s of virtual time, %llu events", rc->path,
            (double)trace_int(ev, "t", 0) / 1e6, (unsigned long long)rc->events);
    rc->progress_shown = true;
}

static void end_progress(run_ctx_t *rc)
{
    if (rc->progress_shown)
        fputs("\r\033[K", stderr);
    rc->progress_shown = false;
}

static void run_listener(void *ctx, const cJSON *ev, const char *line)
{
    (void)line;
    run_ctx_t *rc = ctx;
    show_progress(rc, ev);
    const char *kind = trace_str(ev, "kind");
    if (rc->quiet || rc->tui || !kind || strcmp(kind, "check") == 0)
        return;
    if (text_format_event(ev, rc->line, sizeof rc->line))
        puts(rc->line);
}

static void run_on_check(void *ctx, bool ok, const char *msg, const char *where)
{
    run_ctx_t *rc = ctx;
    end_progress(rc);
    rc->n_checks++;
    if (ok && rc->quiet)
        return;
    char buf[1024];
    printf("%sok %d - ", ok ? "" : "not ", rc->n_checks);
    put_tap(msg);
    if (!ok) {
        fputs(" (", stdout);
        put_tap(where_at(where, rc->path, buf, sizeof buf));
        putchar(')');
    }
    putchar('\n');
}

static void run_on_print(void *ctx, const char *text)
{
    run_ctx_t *rc = ctx;
    if (!rc->quiet)
        puts(text);
}

static int cmd_run(int argc, char **argv)
{
    const char *paths[argc > 0 ? argc : 1];
    cli_t c = { .cmd = "run", .paths = paths };
    ksim_run_opts_init(&c.opts);
    int rc = parse_args(&c, argc, argv, true);
    if (rc >= 0)
        return rc;
    if (c.n_paths != 1)
        return usage_error("run ", c.n_paths ? "run takes one scenario file, got '%s' too"
                                             : "run needs a scenario file%s",
                           c.n_paths ? paths[1] : "");
    const char *path = paths[0];
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "ksim: cannot read %s: %s\n", path,
                errno && stat(path, &st) != 0 ? strerror(errno) : "not a regular file");
        return EXIT_USAGE;
    }
    /* Opening the trace truncates it: it must not be the scenario itself. */
    struct stat tst;
    if (c.trace_path && stat(c.trace_path, &tst) == 0 && tst.st_dev == st.st_dev &&
        tst.st_ino == st.st_ino)
        return usage_error("run ", "--trace %s is the scenario file itself (the trace would "
                           "overwrite it)", c.trace_path);
    bool tui = c.tui && isatty(0) && isatty(1);
    if (c.tui && !tui)
        fputs("ksim: --tui: not a terminal: printing the text timeline instead\n", stderr);
    FILE *tf = NULL;
    if (c.trace_path || tui) { /* the viewer reads the trace back: from a temporary file */
        tf = c.trace_path ? fopen(c.trace_path, tui ? "w+" : "w") : tmpfile();
        if (!tf) {
            fprintf(stderr, "ksim: cannot write %s: %s\n",
                    c.trace_path ? c.trace_path : "a temporary trace", strerror(errno));
            return EXIT_IO;
        }
    }
    run_ctx_t ctx = { .path = path, .quiet = c.quiet, .tui = tui,
                      .progress = c.quiet && isatty(2) };
    trace_t *tr = trace_new();
    if (tf)
        trace_set_file(tr, tf);
    trace_set_listener(tr, run_listener, &ctx);
    c.opts.path = path;
    c.opts.trace = tr;
    c.opts.on_check = run_on_check;
    c.opts.on_print = run_on_print;
    c.opts.ctx = &ctx;
    ksim_run_result_t res;
    ksim_lua_run(&c.opts, &res);
    end_progress(&ctx);

    int code = res.error ? EXIT_SCENARIO : res.failed ? EXIT_CHECK : EXIT_OK;
    if (tui && fflush(tf) == 0 && fseek(tf, 0, SEEK_SET) == 0) {
        fflush(stdout);
        int vc = cmd_view_stream(tf, c.trace_path ? c.trace_path : path, false,
                                 !(getenv("NO_COLOR") && getenv("NO_COLOR")[0]));
        code = vc != 0 && code == EXIT_OK ? vc : code;
    }
    if (res.error) {
        char buf[2600];
        fflush(stdout);
        fprintf(stderr, "ksim: %s\n", located(res.message, path, buf, sizeof buf));
    }
    if (tf && (fflush(tf) != 0 || ferror(tf) || fclose(tf) != 0)) {
        fprintf(stderr, "ksim: error writing %s: %s\n",
                c.trace_path ? c.trace_path : "a temporary trace", strerror(errno));
        code = EXIT_IO;
    }
    printf("digest %016llx\n", (unsigned long long)trace_digest(tr));
    trace_free(tr);
    return code;
}

/* ---- ksim test ---- */

typedef struct list {
    char **v;
    size_t n, cap;
} list_t;

static void list_add(list_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            abort();
    }
    l->v[l->n] = strdup(s);
    if (!l->v[l->n])
        abort();
    l->n++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_scenario_name(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '_' && name[0] != '.' && len > 4 && strcmp(name + len - 4, ".lua") == 0;
}

/* Depth first, entries sorted by name at every level. A path given on the command line
 * is followed wherever it leads; below it, symbolic links to directories are not (a link
 * loop would run the same files again and again), links to files are. */
static bool collect(list_t *out, const char *path, bool top)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "ksim: test: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (top || is_scenario_name(strrchr(path, '/') ? strrchr(path, '/') + 1 : path))
            list_add(out, path);
        return true;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "ksim: test: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    list_t names = { 0 };
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            list_add(&names, e->d_name);
    closedir(d);
    if (names.n > 0) /* an empty folder has no array at all */
        qsort(names.v, names.n, sizeof *names.v, cmp_names);
    bool ok = true;
    size_t plen = strlen(path);
    for (size_t i = 0; i < names.n; i++) {
        char *child = malloc(plen + strlen(names.v[i]) + 2);
        if (!child)
            abort();
        sprintf(child, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names.v[i]);
        struct stat lst, cst;
        bool is_dir = lstat(child, &lst) == 0 && S_ISDIR(lst.st_mode);
        bool is_file = stat(child, &cst) == 0 && S_ISREG(cst.st_mode);
        if (is_dir || (is_file && is_scenario_name(names.v[i])))
            ok = collect(out, child, false) && ok;
        free(child);
        free(names.v[i]);
    }
    free(names.v);
    return ok;
}

typedef struct test_ctx {
    const char *path;
    int *n;
    int *failed;
    bool print;
} test_ctx_t;

static void test_on_check(void *ctx, bool ok, const char *msg, const char *where)
{
    test_ctx_t *tc = ctx;
    if (!tc->print)
        return;
    ++*tc->n;
    printf("%sok %d - ", ok ? "" : "not ", *tc->n);
    put_tap(tc->path);
    fputs(": ", stdout);
    put_tap(msg);
    if (!ok) {
        char buf[1024];
        ++*tc->failed;
        fputs(" (", stdout);
        put_tap(where_at(where, tc->path, buf, sizeof buf));
        putchar(')');
    }
    putchar('\n');
    fflush(stdout);
}

static uint64_t test_once(ksim_run_opts_t *o, test_ctx_t *tc, ksim_run_result_t *res)
{
    trace_t *tr = trace_new();
    o->trace = tr;
    o->on_check = test_on_check;
    o->ctx = tc;
    ksim_lua_run(o, res);
    uint64_t digest = trace_digest(tr);
    trace_free(tr);
    return digest;
}

static int cmd_test(int argc, char **argv)
{
    const char *paths[argc > 0 ? argc : 1];
    cli_t c = { .cmd = "test", .paths = paths };
    ksim_run_opts_init(&c.opts);
    int rc = parse_args(&c, argc, argv, false);
    if (rc >= 0)
        return rc;
    if (c.n_paths == 0)
        paths[c.n_paths++] = "scenarios";
    list_t files = { 0 };
    bool ok = true;
    for (int i = 0; i < c.n_paths; i++) {
        size_t before = files.n;
        if (!collect(&files, paths[i], true)) {
            ok = false;
        } else if (files.n == before) {
            fprintf(stderr, "ksim: no scenarios (*.lua) under %s\n", paths[i]);
            ok = false;
        }
    }
    if (!ok) {
        for (size_t i = 0; i < files.n; i++)
            free(files.v[i]);
        free(files.v);
        return EXIT_USAGE;
    }
    int n = 0, failed = 0;
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.v[i];
        ksim_run_opts_t o = c.opts;
        o.path = path;
        test_ctx_t tc = { path, &n, &failed, true };
        ksim_run_result_t r1, r2;
        uint64_t d1 = test_once(&o, &tc, &r1);
        if (r1.error) {
            char buf[2600];
            printf("not ok %d - ", ++n);
            put_tap(located(r1.message, path, buf, sizeof buf));
            putchar('\n');
            failed++;
        } else {
            /* Same scenario, same seed: the same trace, byte for byte. */
            tc.print = false;
            uint64_t d2 = test_once(&o, &tc, &r2);
            bool same = d1 == d2 && !r2.error;
            if (!same)
                failed++;
            printf("%sok %d - ", same ? "" : "not ", ++n);
            put_tap(path);
            printf(": a second run gives the same trace (digest %016llx)\n",
                   (unsigned long long)d1);
            if (!same)
                printf("#   second run: digest %016llx%s\n", (unsigned long long)d2,
                       r2.error ? " and an error" : "");
        }
        fflush(stdout);
        free(files.v[i]);
    }
    printf("1..%d\n", n);
    free(files.v);
    return failed ? EXIT_CHECK : EXIT_OK;
}

/* Output that could not be written is an I/O error, whatever the run said (a full
 * disk must not pass for a successful test run). */
static int check_stdout(int code)
{
    int err = fflush(stdout) != 0 ? errno : 0;
    if (!err && !ferror(stdout))
        return code;
    fprintf(stderr, "ksim: error writing to standard output: %s\n",
            err ? strerror(err) : "write failed");
    return EXIT_IO;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(argv[2], "run") == 0)
            fputs(usage_run, stdout);
        else if (argc > 2 && strcmp(argv[2], "test") == 0)
            fputs(usage_test, stdout);
        else
            fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts(KSIM_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "test") == 0)
        return cmd_test(argc - 2, argv + 2);
    if (strcmp(cmd, "assign") == 0)
        return cmd_assign(argc - 2, argv + 2);
    if (strcmp(cmd, "compare-assignors") == 0)
        return cmd_compare_assignors(argc - 2, argv + 2);
    if (strcmp(cmd, "view") == 0)
        return cmd_view(argc - 2, argv + 2);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 2, argv + 2);
    if (cmd[0] == '-')
        return usage_error("", "unknown option '%s'", cmd);
    return usage_error("", "unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
    return check_stdout(dispatch(argc, argv));
}
