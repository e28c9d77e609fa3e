/* assign: `ksim assign`, Kafka's assignors on group descriptions. JSON Lines in (one group
 * per line), JSON Lines out (one assignment per line, in input order). A bad line is
 * reported on stderr with its number and skipped; the others go on. */
#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/client/assignors/assignor.h"
#include "../sim/core/suggest.h"
#include "commands.h"
#include "json_in.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_IO = 4 };

static const char *usage_assign =
    "usage: ksim assign [--input FILE]\n"
    "\n"
    "Runs Kafka's consumer-group partition assignors (Kafka 3.9's exact answers) on group\n"
    "descriptions: JSON Lines in (one group per line, from standard input or FILE), JSON\n"
    "Lines out (one assignment per line, in input order).\n"
    "\n"
    "a group:\n"
    "  {\"id\":\"g1\",\"assignor\":\"range\",\"topics\":{\"t0\":3,\"t1\":5},\n"
    "   \"members\":[{\"id\":\"c1\",\"topics\":[\"t0\",\"t1\"],\"owned\":[[\"t0\",0]],\n"
    "                \"generation\":3,\"instance\":null,\"rack\":null},\n"
    "              {\"id\":\"c2\",\"topics\":[\"t0\"]}],\n"
    "   \"partition_racks\":{\"t0\":[[\"r1\",\"r2\"],[\"r2\",\"r3\"],[\"r3\",\"r1\"]]}}\n"
    "  id               any JSON value, copied to the answer (optional)\n"
    "  assignor         " ASSIGN_NAMES "\n"
    "  topics           topic name: partition count\n"
    "  members          in JoinGroup order (the sticky assignors' ties depend on it), each:\n"
    "    id             member.id\n"
    "    topics         the topics it subscribes to\n"
    "    owned          [topic, partition] pairs it owns (optional; partitions of topics\n"
    "                   not in \"topics\" are ignored, as Kafka ignores deleted topics)\n"
    "    generation     the generation it owns them from (optional, -1 or null: none)\n"
    "    instance       group.instance.id (optional, null: a dynamic member)\n"
    "    rack           client.rack (optional)\n"
    "  partition_racks  per topic, per partition, the racks of its replicas (optional;\n"
    "                   rack-aware assignment needs these and members' racks)\n"
    "\n"
    "an answer:\n"
    "  {\"id\":\"g1\",\"assignment\":{\"c1\":[[\"t0\",0],[\"t0\",1],[\"t1\",0],[\"t1\",1],\n"
    "   [\"t1\",2],[\"t1\",3],[\"t1\",4]],\"c2\":[[\"t0\",2]]}}    (the answer to the group above)\n"
    "  every member, sorted by id; partitions sorted by topic, then partition. With\n"
    "  cooperative-sticky, a partition another member still has to revoke is left out:\n"
    "  it follows in the next rebalance.\n"
    "\n"
    "options:\n"
    "  --input FILE   read the groups from FILE\n"
    "  --help         this help\n"
    "\n"
    "exit codes: 0 every group assigned, 1 some line failed (stderr names each line and\n"
    "            what is wrong), 2 usage error, 4 I/O error\n";

static const char *const group_fields[] = { "id", "assignor", "topics", "members",
                                            "partition_racks" };
static const char *const member_fields[] = { "id",         "topics",   "owned",
                                             "generation", "instance", "rack" };
static const char *const assignor_names[] = { "range", "roundrobin", "sticky",
                                              "cooperative-sticky" };

/* One input line being turned into an assign_group_t. Strings point into `json`. */
typedef struct line {
    cJSON *json;
    const char *assignor;
    assign_group_t g;
    jin_topics_t topics;
    assign_member_t *members;
    int32_t **subs;
    assign_tp_t **owned;
    assign_replicas_t **replicas; /* per topic, NULL without racks */
    const char ***racks;          /* per topic, the flattened rack names */
    char err[512];
} line_t;

static bool fail(line_t *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof l->err, fmt, ap);
    va_end(ap);
    return false;
}

static void line_free(line_t *l)
{
    for (int32_t m = 0; l->members && m < l->g.nmembers; m++) {
        free(l->subs[m]);
        free(l->owned[m]);
    }
    for (int32_t t = 0; l->replicas && t < l->g.ntopics; t++) {
        free(l->replicas[t]);
        free(l->racks[t]);
    }
    jin_topics_free(&l->topics);
    free(l->members);
    free(l->subs);
    free(l->owned);
    free(l->replicas);
    free(l->racks);
    cJSON_Delete(l->json);
}

/* ---- parsing a group ---- */

/* Owned partitions of topics not in "topics" are dropped: Kafka ignores partitions of
 * topics that no longer exist. */
static bool parse_owned(line_t *l, int32_t m, const cJSON *owned)
{
    assign_member_t *mb = &l->members[m];
    if (!owned || cJSON_IsNull(owned))
        return true;
    if (!cJSON_IsArray(owned))
        return fail(l, "member '%s': \"owned\" must be an array of [topic, partition] pairs",
                    mb->id);
    l->owned[m] = jin_calloc((size_t)cJSON_GetArraySize(owned), sizeof *l->owned[m]);
    int32_t n = 0;
    for (const cJSON *o = owned->child; o; o = o->next) {
        const cJSON *t = cJSON_GetArrayItem(o, 0), *p = cJSON_GetArrayItem(o, 1);
        int32_t part = -1;
        if (!cJSON_IsArray(o) || cJSON_GetArraySize(o) != 2 || !cJSON_IsString(t) ||
            !cJSON_IsNumber(p) || !jin_int(p, &part))
            return fail(l, "member '%s': each owned partition is a [topic, partition] pair, "
                           "like [\"t0\", 2]", mb->id);
        int32_t idx = jin_find_topic(&l->topics, t->valuestring);
        if (idx >= 0)
            l->owned[m][n++] = (assign_tp_t){ idx, part };
    }
    mb->owned = l->owned[m];
    mb->nowned = n;
    return true;
}

static bool parse_member(line_t *l, int32_t m, const cJSON *js)
{
    assign_member_t *mb = &l->members[m];
    mb->generation = ASSIGN_NO_GENERATION;
    if (!cJSON_IsObject(js))
        return fail(l, "member %d must be an object", m + 1);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(js, "id");
    if (!cJSON_IsString(id))
        return fail(l, "member %d needs an \"id\" (a string)", m + 1);
    mb->id = id->valuestring;
    char who[300];
    snprintf(who, sizeof who, "member '%s'", mb->id);
    if (!jin_fields(js, member_fields, JIN_COUNT(member_fields), who, l->err, sizeof l->err))
        return false;
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(js, "topics");
    if (!topics)
        return fail(l, "member '%s' needs \"topics\" (the topics it subscribes to)", mb->id);
    if (!jin_subscription(&l->topics, topics, who, &l->subs[m], &mb->ntopics, l->err,
                          sizeof l->err) ||
        !parse_owned(l, m, cJSON_GetObjectItemCaseSensitive(js, "owned")))
        return false;
    mb->topics = l->subs[m];
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(js, "generation");
    if (gen && !jin_int(gen, &mb->generation))
        return fail(l, "member '%s': \"generation\" must be a whole number or null", mb->id);
    return jin_opt_string(js, "instance", who, &mb->instance, l->err, sizeof l->err) &&
           jin_opt_string(js, "rack", who, &mb->rack, l->err, sizeof l->err);
}

static bool parse_members(line_t *l, const cJSON *members)
{
    if (!cJSON_IsArray(members))
        return fail(l, "\"members\" must be an array of members");
    int32_t n = cJSON_GetArraySize(members), m = 0;
    l->members = jin_calloc((size_t)n, sizeof *l->members);
    l->subs = jin_calloc((size_t)n, sizeof *l->subs);
    l->owned = jin_calloc((size_t)n, sizeof *l->owned);
    l->g.members = l->members;
    l->g.nmembers = n;
    for (const cJSON *js = members->child; js; js = js->next, m++)
        if (!parse_member(l, m, js))
            return false;
    return true;
}

static bool parse_racks(line_t *l, const cJSON *pr)
{
    if (!pr || cJSON_IsNull(pr))
        return true;
    l->replicas = jin_calloc((size_t)l->g.ntopics, sizeof *l->replicas);
    l->racks = jin_calloc((size_t)l->g.ntopics, sizeof *l->racks);
    for (int32_t t = 0; t < l->g.ntopics; t++)
        l->replicas[t] = jin_calloc((size_t)l->topics.topics[t].partitions,
                                    sizeof *l->replicas[t]);
    return jin_racks(&l->topics, pr, l->replicas, l->racks, l->err, sizeof l->err);
}

/* Where the JSON goes wrong, as a column of the line. */
static bool parse_json(line_t *l, const char *text, size_t len)
{
    const char *at;
    char why[128];
    l->json = jin_parse(text, len, &at, why, sizeof why);
    return l->json || fail(l, "%s (at column %d)", why, (int)(at - text) + 1);
}

static bool parse_assignor(line_t *l, const cJSON *a)
{
    if (!cJSON_IsString(a))
        return fail(l, "\"assignor\" is missing (one of: %s)", ASSIGN_NAMES);
    if (assign_known(a->valuestring)) {
        l->assignor = a->valuestring;
        return true;
    }
    const char *near = suggest_closest(a->valuestring, assignor_names,
                                       JIN_COUNT(assignor_names));
    if (near)
        return fail(l, "unknown assignor '%s' (did you mean '%s'? known: %s)", a->valuestring,
                    near, ASSIGN_NAMES);
    return fail(l, "unknown assignor '%s' (known: %s)", a->valuestring, ASSIGN_NAMES);
}

static bool parse_group(line_t *l, const char *text, size_t len)
{
    if (!parse_json(l, text, len))
        return false;
    if (!cJSON_IsObject(l->json))
        return fail(l, "a group is a JSON object, like {\"assignor\":\"range\",\"topics\":{...},"
                       "\"members\":[...]}");
    if (!jin_fields(l->json, group_fields, JIN_COUNT(group_fields), "the group", l->err,
                    sizeof l->err))
        return false;
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(l->json, "topics");
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(l->json, "members");
    if (!parse_assignor(l, cJSON_GetObjectItemCaseSensitive(l->json, "assignor")))
        return false;
    if (!topics)
        return fail(l, "\"topics\" is missing (topic name: partition count)");
    if (!members)
        return fail(l, "\"members\" is missing");
    if (!jin_topics(&l->topics, topics, l->err, sizeof l->err))
        return false;
    l->g.topics = l->topics.topics;
    l->g.ntopics = l->topics.n;
    return parse_members(l, members) &&
           parse_racks(l, cJSON_GetObjectItemCaseSensitive(l->json, "partition_racks"));
}

/* ---- writing an answer ---- */

static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void print_answer(FILE *out, const line_t *l, const assign_result_t *r)
{
    const assign_group_t *g = &l->g;
    const char **ids = jin_calloc((size_t)g->nmembers, sizeof *ids);
    int32_t *order = jin_calloc((size_t)g->nmembers, sizeof *order);
    for (int32_t m = 0; m < g->nmembers; m++)
        ids[m] = g->members[m].id;
    jin_java_order(ids, g->nmembers, order);
    fputc('{', out);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(l->json, "id");
    if (id) {
        char *text = cJSON_PrintUnformatted(id);
        fprintf(out, "\"id\":%s,", text);
        cJSON_free(text);
    }
    fputs("\"assignment\":{", out);
    for (int32_t i = 0; i < g->nmembers; i++) {
        int32_t m = order[i];
        fputs(i ? "," : "", out);
        put_string(out, g->members[m].id);
        fputs(":[", out);
        for (int64_t k = r->first[m]; k < r->first[m + 1]; k++) {
            fputs(k > r->first[m] ? ",[" : "[", out);
            put_string(out, g->topics[r->tps[k].topic].name);
            fprintf(out, ",%d]", r->tps[k].partition);
        }
        fputc(']', out);
    }
    fputs("}}\n", out);
    free(order);
    free(ids);
}

/* ---- the command ---- */

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Assigns one line's group; false (with the message on stderr) when the line is bad. */
static bool assign_line(const char *text, size_t len, long lineno, FILE *out)
{
    line_t l = { 0 };
    assign_result_t r;
    bool ok = parse_group(&l, text, len) && assign_run(l.assignor, &l.g, &r, l.err, sizeof l.err);
    if (ok) {
        print_answer(out, &l, &r);
        assign_result_free(&r);
    } else {
        fprintf(stderr, "ksim assign: line %ld: ", lineno);
        jin_put_text(stderr, l.err);
        fputc('\n', stderr);
    }
    line_free(&l);
    return ok;
}

static int usage(const char *fmt, const char *arg)
{
    fputs("ksim assign: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\ntry 'ksim assign --help'\n", stderr);
    return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, const char **input)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            fputs(usage_assign, stdout);
            return EXIT_OK;
        }
        if (strncmp(a, "--input=", 8) == 0) {
            *input = a + 8;
        } else if (strcmp(a, "--input") == 0) {
            if (i + 1 >= argc)
                return usage("option '%s' needs a file name", a);
            *input = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else {
            return usage("unexpected argument '%s' (groups come on standard input or "
                         "with --input FILE)", a);
        }
        if (!**input)
            return usage("option '%s' needs a file name", "--input");
    }
    return -1;
}

int cmd_assign(int argc, char **argv)
{
    const char *path = NULL;
    int rc = parse_args(argc, argv, &path);
    if (rc >= 0)
        return rc;
    FILE *in = path ? fopen(path, "r") : stdin;
    if (!in) {
        fprintf(stderr, "ksim assign: cannot read '%s': %s\n", path, strerror(errno));
        return EXIT_IO;
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    bool all_ok = true;
    while ((n = getline(&buf, &cap, in)) >= 0) {
        lineno++;
        if (!blank(buf, (size_t)n))
            all_ok = assign_line(buf, (size_t)n, lineno, stdout) && all_ok;
    }
    bool read_error = ferror(in);
    free(buf);
    if (path)
        fclose(in);
    if (read_error) {
        fprintf(stderr, "ksim assign: error reading %s\n", path ? path : "standard input");
        return EXIT_IO;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "ksim assign: cannot write the answers: %s\n", strerror(errno));
        return EXIT_IO;
    }
    return all_ok ? EXIT_OK : EXIT_FAILED;
}
