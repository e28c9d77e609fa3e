/* compare: `ksim compare-assignors HISTORY.json`, every assignor over the same history of
 * group changes (compare.h), printed as a table per step and in total, as JSON, or drawn
 * as an SVG chart (chart.h). The history file is read by history.c. */
#include <cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../sim/client/assignors/compare.h"
#include "chart.h"
#include "commands.h"
#include "history.h"
#include "json_in.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_IO = 4 };

static const char *usage_compare =
    "usage: ksim compare-assignors HISTORY.json [OPTIONS]\n"
    "\n"
    "Replays a history of group changes (members join, leave or crash, partitions are\n"
    "added, subscriptions change) with each assignor and its rebalance protocol, as Kafka\n"
    "3.9's consumers run them, and prints per step and in total: partitions per member\n"
    "(min, max, spread), partitions moved and revoked, and rebalance rounds.\n"
    "HISTORY.json may be - for standard input.\n"
    "\n"
    "strategies (default: range, roundrobin, sticky, cooperative-sticky):\n"
    "  range, roundrobin, sticky  the eager protocol (the only one they support)\n"
    "  cooperative-sticky         the cooperative protocol (KIP-429)\n"
    "  cooperative-sticky/eager   the same assignor in an eager group\n"
    "\n"
    "a history:\n"
    "  {\"topics\": {\"orders\": 6, \"audit\": 0},\n"
    "   \"members\": [{\"id\": \"C1\", \"topics\": [\"orders\"]},\n"
    "               {\"id\": \"C2\", \"topics\": [\"orders\"]}],\n"
    "   \"steps\": [{\"join\": \"C3\", \"topics\": [\"orders\"]},\n"
    "             {\"leave\": \"C1\"},\n"
    "             {\"crash\": \"C2\", \"label\": \"C2's machine dies\"},\n"
    "             {\"add_partitions\": \"orders\", \"total\": 12},\n"
    "             {\"subscribe\": \"C3\", \"topics\": [\"orders\", \"audit\"]},\n"
    "             {\"together\": [{\"join\": \"C4\", \"topics\": [\"orders\"]},\n"
    "                           {\"join\": \"C5\", \"topics\": [\"orders\"]}]}]}\n"
    "  topics           topic name: partition count at the start (0: created later)\n"
    "  members          the group that forms first (step 0), in JoinGroup order\n"
    "  steps            one change each (or \"together\": changes that share one\n"
    "                   rebalance); a join may give \"instance\" (group.instance.id) and\n"
    "                   \"rack\" (client.rack), add_partitions the \"racks\" of new partitions\n"
    "  partition_racks  per topic, the racks of each partition's replicas (optional)\n"
    "  strategies       what to compare (optional; --strategies wins)\n"
    "\n"
    "columns:\n"
    "  min, max, spread  partitions per member once the step has settled, max - min\n"
    "  moved             partitions owned before the step and by another member after\n"
    "  revoked           partitions that staying members gave up (eager: all they had)\n"
    "  rounds            JoinGroup/SyncGroup rounds of the step (0: no rebalance)\n"
    "\n"
    "options:\n"
    "  --strategies LIST  the strategies to compare, separated by commas\n"
    "  --assignments      also print every strategy's assignment after each step\n"
    "  --json             print the comparison as JSON (assignments and rounds included)\n"
    "  --svg OUT.svg      also draw it as a bar chart (- : the SVG on standard output,\n"
    "                     instead of the table)\n"
    "  --help             this help\n"
    "\n"
    "exit codes: 0 compared, 1 the history is not valid or an assignor failed (stderr\n"
    "            says FILE:LINE and what is wrong), 2 usage error, 4 I/O error\n";

typedef struct opts {
    const char *path;
    const char *svg;
    const char *strategies;
    bool json, assignments;
} opts_t;

/* What the observer keeps of every (step, strategy): the settled assignment (JSON and
 * text) and, for --json, each round. */
typedef struct seen {
    const opts_t *o;
    int32_t nstrategies;
    cJSON **assignment; /* [step * nstrategies + strategy] */
    cJSON **rounds;
    char **text;
} seen_t;

static int usage(const char *fmt, const char *arg)
{
    fputs("ksim compare-assignors: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\ntry 'ksim compare-assignors --help'\n", stderr);
    return EXIT_USAGE;
}

/* ---- the command line ---- */

static int take_value(int argc, char **argv, int *i, const char *name, const char **out)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
    } else if (*i + 1 < argc) {
        *out = argv[++*i];
    } else {
        return usage("option '%s' needs a value", name);
    }
    return **out ? -1 : usage("option '%s' needs a value", name);
}

static bool is_option(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int parse_args(int argc, char **argv, opts_t *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int rc = -1;
        if (strcmp(a, "--help") == 0) {
            fputs(usage_compare, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--assignments") == 0) {
            o->assignments = true;
        } else if (is_option(a, "--svg")) {
            rc = take_value(argc, argv, &i, "--svg", &o->svg);
        } else if (is_option(a, "--strategies")) {
            rc = take_value(argc, argv, &i, "--strategies", &o->strategies);
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else if (o->path) {
            return usage("one history at a time: '%s' is one too many", a);
        } else {
            o->path = a;
        }
        if (rc >= 0)
            return rc;
    }
    if (!o->path)
        return usage("%s", "which history? ksim compare-assignors HISTORY.json");
    if (o->json && o->svg && strcmp(o->svg, "-") == 0)
        return usage("%s", "--json and --svg - would both write to standard output");
    struct stat hs, ss;
    if (o->svg && stat(o->path, &hs) == 0 && stat(o->svg, &ss) == 0 && hs.st_dev == ss.st_dev &&
        hs.st_ino == ss.st_ino)
        return usage("--svg %s is the history itself (the chart would overwrite it)", o->svg);
    return -1;
}

/* --strategies: parsed into `out` (room for as many as there are commas + 1). */
static int parse_strategies(const char *list, compare_strategy_t *out, int32_t *n)
{
    char *copy = strdup(list);
    char err[300];
    *n = 0;
    for (char *s = NULL, *x = strtok_r(copy, ", ", &s); x; x = strtok_r(NULL, ", ", &s)) {
        if (!compare_strategy_parse(x, &out[*n], err, sizeof err)) {
            free(copy);
            return usage("--strategies: %s", err);
        }
        ++*n;
    }
    free(copy);
    return *n ? -1 : usage("%s", "--strategies needs at least one strategy");
}

/* ---- what the observer keeps ---- */

static void sorted_members(const assign_group_t *g, int32_t *order)
{
    const char **ids = jin_calloc((size_t)g->nmembers, sizeof *ids);
    for (int32_t m = 0; m < g->nmembers; m++)
        ids[m] = g->members[m].id;
    jin_java_order(ids, g->nmembers, order);
    free(ids);
}

/* {"C1": [["orders", 0], ...], ...}, members as Java sorts their ids. */
static cJSON *tps_json(const assign_group_t *g, const int32_t *order, const int64_t *first,
                       const assign_tp_t *tps)
{
    cJSON *obj = cJSON_CreateObject();
    for (int32_t i = 0; i < g->nmembers; i++) {
        int32_t m = order[i];
        cJSON *arr = cJSON_AddArrayToObject(obj, g->members[m].id);
        for (int64_t k = first[m]; k < first[m + 1]; k++) {
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateString(g->topics[tps[k].topic].name));
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(tps[k].partition));
            cJSON_AddItemToArray(arr, pair);
        }
    }
    return obj;
}

static void on_round(void *ctx, const compare_round_t *r)
{
    seen_t *sn = ctx;
    if (!sn->o->json)
        return;
    size_t at = (size_t)r->step * (size_t)sn->nstrategies + (size_t)r->strategy;
    if (!sn->rounds[at])
        sn->rounds[at] = cJSON_CreateArray();
    int32_t *order = jin_calloc((size_t)r->group->nmembers, sizeof *order);
    sorted_members(r->group, order);
    cJSON *round = cJSON_CreateObject();
    cJSON_AddNumberToObject(round, "generation", r->generation);
    cJSON_AddItemToObject(round, "assigned",
                          tps_json(r->group, order, r->assigned->first, r->assigned->tps));
    cJSON_AddItemToObject(round, "revoked",
                          tps_json(r->group, order, r->revoked->first, r->revoked->tps));
    cJSON_AddItemToArray(sn->rounds[at], round);
    free(order);
}

/* "C1 [orders-0 orders-1]  C2 [orders-2]" */
static char *assignment_text(const assign_group_t *g, const int32_t *order)
{
    size_t cap = 64, n = 0;
    char *buf = jin_calloc(cap, 1);
    for (int32_t i = 0; i < g->nmembers; i++) {
        const assign_member_t *m = &g->members[order[i]];
        for (int32_t k = -1; k <= m->nowned; k++) {
            char part[600];
            if (k < 0)
                snprintf(part, sizeof part, "%s%s [", i ? "  " : "", m->id);
            else if (k < m->nowned)
                snprintf(part, sizeof part, "%s%s-%d", k ? " " : "",
                         g->topics[m->owned[k].topic].name, m->owned[k].partition);
            else
                snprintf(part, sizeof part, "]");
            size_t len = strlen(part);
            while (n + len + 1 > cap) {
                cap *= 2;
                buf = realloc(buf, cap);
                if (!buf)
                    jin_out_of_memory();
            }
            memcpy(buf + n, part, len + 1);
            n += len;
        }
    }
    return buf;
}

static void on_settled(void *ctx, int32_t step, int32_t k, const assign_group_t *g)
{
    seen_t *sn = ctx;
    if (!sn->o->json && !sn->o->assignments)
        return;
    size_t at = (size_t)step * (size_t)sn->nstrategies + (size_t)k;
    int32_t *order = jin_calloc((size_t)g->nmembers, sizeof *order);
    sorted_members(g, order);
    if (sn->o->assignments)
        sn->text[at] = assignment_text(g, order);
    if (sn->o->json) {
        /* What each member owns, laid out as an answer. */
        int64_t *first = jin_calloc((size_t)g->nmembers + 1, sizeof *first);
        for (int32_t m = 0; m < g->nmembers; m++)
            first[m + 1] = first[m] + g->members[m].nowned;
        assign_tp_t *tps = jin_calloc((size_t)first[g->nmembers], sizeof *tps);
        for (int32_t m = 0; m < g->nmembers; m++)
            if (g->members[m].nowned > 0)
                memcpy(tps + first[m], g->members[m].owned,
                       (size_t)g->members[m].nowned * sizeof *tps);
        sn->assignment[at] = tps_json(g, order, first, tps);
        free(first);
        free(tps);
    }
    free(order);
}

static void seen_free(seen_t *sn, size_t cells)
{
    for (size_t i = 0; i < cells; i++) {
        cJSON_Delete(sn->assignment[i]);
        cJSON_Delete(sn->rounds[i]);
        free(sn->text[i]);
    }
    free(sn->assignment);
    free(sn->rounds);
    free(sn->text);
}

/* ---- the table ---- */

#define NCOLUMNS COMPARE_NMETRICS

typedef struct table {
    const compare_strategy_t *st;
    int32_t ns;
    int name_w, proto_w;
    int width[NCOLUMNS];
} table_t;

static int digits(int64_t v)
{
    int n = v < 0 ? 2 : 1;
    for (v = v < 0 ? -v : v; v >= 10; v /= 10)
        n++;
    return n;
}

static void table_widths(table_t *t, const compare_result_t *r)
{
    char buf[64];
    t->name_w = (int)strlen("strategy");
    t->proto_w = (int)strlen("cooperative");
    for (int32_t k = 0; k < t->ns; k++) {
        int w = (int)strlen(compare_strategy_name(&t->st[k], buf, sizeof buf));
        t->name_w = w > t->name_w ? w : t->name_w;
    }
    for (int c = 0; c < NCOLUMNS; c++) {
        t->width[c] = (int)strlen(compare_metric_names[c]);
        for (int32_t k = 0; k < t->ns; k++) {
            int w = digits(compare_metric(&r->total[k], c));
            for (int32_t s = 0; s < r->nsteps; s++) {
                int ws = digits(compare_metric(compare_at(r, s, k), c));
                w = ws > w ? ws : w;
            }
            t->width[c] = w > t->width[c] ? w : t->width[c];
        }
    }
}

/* rows[k]: strategy k's metrics. */
static void table_print(const table_t *t, const compare_metrics_t *rows)
{
    printf("  %-*s  %-*s", t->name_w, "strategy", t->proto_w, "protocol");
    for (int c = 0; c < NCOLUMNS; c++)
        printf("  %*s", t->width[c], compare_metric_names[c]);
    putchar('\n');
    for (int32_t k = 0; k < t->ns; k++) {
        char buf[64];
        printf("  %-*s  %-*s", t->name_w, compare_strategy_name(&t->st[k], buf, sizeof buf),
               t->proto_w, compare_protocol_name(t->st[k].protocol));
        for (int c = 0; c < NCOLUMNS; c++)
            printf("  %*lld", t->width[c], (long long)compare_metric(&rows[k], c));
        putchar('\n');
    }
}

static void print_tables(const history_t *hs, const compare_result_t *r, const table_t *t,
                         const seen_t *sn)
{
    const compare_history_t *h = history_get(hs);
    for (int32_t s = 0; s < h->nsteps; s++) {
        char label[300];
        const compare_step_info_t *in = &r->info[s];
        printf("step %d: ", history_step_number(hs, s));
        jin_put_text(stdout, compare_describe_step(h, s, label, sizeof label));
        printf(" (%d member%s, %lld partition%s%s)\n", in->members, in->members == 1 ? "" : "s",
               (long long)in->partitions, in->partitions == 1 ? "" : "s",
               in->rebalance ? "" : "; no rebalance");
        table_print(t, compare_at(r, s, 0));
        for (int32_t k = 0; sn->o->assignments && k < t->ns; k++) {
            char buf[64];
            printf("    %-*s  ", t->name_w, compare_strategy_name(&t->st[k], buf, sizeof buf));
            jin_put_text(stdout, sn->text[(size_t)s * (size_t)t->ns + (size_t)k]);
            putchar('\n');
        }
        putchar('\n');
    }
    printf("total over %d step%s (min and max: the extremes; spread: the worst step)\n",
           h->nsteps, h->nsteps == 1 ? "" : "s");
    table_print(t, r->total);
}

/* ---- JSON ---- */

static cJSON *metrics_json(const compare_metrics_t *m)
{
    cJSON *obj = cJSON_CreateObject();
    for (int c = 0; c < NCOLUMNS; c++)
        cJSON_AddNumberToObject(obj, compare_metric_names[c], (double)compare_metric(m, c));
    return obj;
}

static cJSON *strategies_json(const compare_strategy_t *st, int32_t ns)
{
    cJSON *arr = cJSON_CreateArray();
    for (int32_t k = 0; k < ns; k++) {
        char buf[64];
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddStringToObject(obj, "name", compare_strategy_name(&st[k], buf, sizeof buf));
        cJSON_AddStringToObject(obj, "assignor", st[k].assignor);
        cJSON_AddStringToObject(obj, "protocol", compare_protocol_name(st[k].protocol));
        cJSON_AddItemToArray(arr, obj);
    }
    return arr;
}

/* Moves the observer's assignments and rounds into the results of step s. */
static cJSON *step_json(const history_t *hs, const compare_result_t *r, int32_t s,
                        const compare_strategy_t *st, seen_t *sn)
{
    char label[300], buf[64];
    const compare_step_info_t *in = &r->info[s];
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "step", history_step_number(hs, s));
    cJSON_AddStringToObject(obj, "label",
                            compare_describe_step(history_get(hs), s, label, sizeof label));
    cJSON_AddNumberToObject(obj, "members", in->members);
    cJSON_AddNumberToObject(obj, "partitions", (double)in->partitions);
    cJSON_AddBoolToObject(obj, "rebalance", in->rebalance);
    cJSON *results = cJSON_AddObjectToObject(obj, "results");
    for (int32_t k = 0; k < r->nstrategies; k++) {
        size_t at = (size_t)s * (size_t)r->nstrategies + (size_t)k;
        cJSON *res = metrics_json(compare_at(r, s, k));
        cJSON_AddItemToObject(res, "assignment", sn->assignment[at]);
        cJSON_AddItemToObject(res, "round", sn->rounds[at] ? sn->rounds[at] : cJSON_CreateArray());
        sn->assignment[at] = sn->rounds[at] = NULL;
        cJSON_AddItemToObject(results, compare_strategy_name(&st[k], buf, sizeof buf), res);
    }
    return obj;
}

static void print_json(const history_t *hs, const compare_result_t *r,
                       const compare_strategy_t *st, seen_t *sn)
{
    char buf[64];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "strategies", strategies_json(st, r->nstrategies));
    cJSON *steps = cJSON_AddArrayToObject(root, "steps");
    for (int32_t s = 0; s < r->nsteps; s++)
        cJSON_AddItemToArray(steps, step_json(hs, r, s, st, sn));
    cJSON *total = cJSON_AddObjectToObject(root, "total");
    for (int32_t k = 0; k < r->nstrategies; k++)
        cJSON_AddItemToObject(total, compare_strategy_name(&st[k], buf, sizeof buf),
                              metrics_json(&r->total[k]));
    char *text = cJSON_Print(root);
    if (!text)
        jin_out_of_memory();
    puts(text);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* ---- the command ---- */

static int write_chart(const opts_t *o, const history_t *hs, const compare_strategy_t *st,
                       const compare_result_t *r)
{
    bool to_stdout = strcmp(o->svg, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(o->svg, "w");
    if (!f) {
        fprintf(stderr, "ksim compare-assignors: cannot write %s: %s\n", o->svg,
                strerror(errno));
        return EXIT_IO;
    }
    chart_t c = { o->path, history_get(hs), st, r->nstrategies, r,
                  history_step_number(hs, 0) };
    bool ok = chart_svg(f, &c);
    ok = (to_stdout || fclose(f) == 0) && ok;
    if (!ok && !to_stdout) {
        fprintf(stderr, "ksim compare-assignors: error writing %s\n", o->svg);
        return EXIT_IO;
    }
    return EXIT_OK;
}

static int report(const history_t *hs, const compare_error_t *e, const compare_strategy_t *st)
{
    char where[800], buf[64];
    history_where(hs, e, where, sizeof where);
    fputs("ksim compare-assignors: ", stderr);
    jin_put_text(stderr, where);
    if (e->strategy >= 0)
        fprintf(stderr, ": %s", compare_strategy_name(&st[e->strategy], buf, sizeof buf));
    fputs(": ", stderr);
    jin_put_text(stderr, e->msg);
    fputc('\n', stderr);
    return EXIT_FAILED;
}

static int compare(const opts_t *o, const history_t *hs, const compare_strategy_t *st,
                   int32_t ns)
{
    const compare_history_t *h = history_get(hs);
    size_t cells = (size_t)h->nsteps * (size_t)ns + 1;
    seen_t sn = { o, ns, jin_calloc(cells, sizeof(cJSON *)), jin_calloc(cells, sizeof(cJSON *)),
                  jin_calloc(cells, sizeof(char *)) };
    compare_observer_t obs = { on_round, on_settled, &sn };
    compare_result_t r;
    compare_error_t e;
    int rc = EXIT_OK;
    if (!compare_run(h, st, ns, &obs, &r, &e)) {
        seen_free(&sn, cells);
        return report(hs, &e, st);
    }
    bool svg_only = o->svg && strcmp(o->svg, "-") == 0;
    if (o->json) {
        print_json(hs, &r, st, &sn);
    } else if (!svg_only) {
        table_t t = { st, ns, 0, 0, { 0 } };
        table_widths(&t, &r);
        print_tables(hs, &r, &t, &sn);
    }
    if (o->svg)
        rc = write_chart(o, hs, st, &r);
    compare_result_free(&r);
    seen_free(&sn, cells);
    return rc;
}

int cmd_compare_assignors(int argc, char **argv)
{
    opts_t o = { 0 };
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    compare_strategy_t *chosen = jin_calloc(o.strategies ? strlen(o.strategies) + 1 : 1,
                                            sizeof *chosen);
    int32_t nchosen = 0;
    if (o.strategies && (rc = parse_strategies(o.strategies, chosen, &nchosen)) >= 0) {
        free(chosen);
        return rc;
    }
    history_t *hs;
    char err[800];
    history_status_t st = history_read(o.path, &hs, err, sizeof err);
    if (st != HISTORY_OK) {
        fputs("ksim compare-assignors: ", stderr);
        jin_put_text(stderr, err);
        fputc('\n', stderr);
        free(chosen);
        return st == HISTORY_IO ? EXIT_IO : EXIT_FAILED;
    }
    const compare_strategy_t *from_file;
    int32_t nfile = history_strategies(hs, &from_file);
    if (nchosen)
        rc = compare(&o, hs, chosen, nchosen);
    else if (nfile)
        rc = compare(&o, hs, from_file, nfile);
    else
        rc = compare(&o, hs, compare_default_strategies, COMPARE_NDEFAULT);
    history_free(hs);
    free(chosen);
    return rc;
}
