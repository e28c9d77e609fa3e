/* history: reading HISTORY.json (see history.h). Every allocation is remembered in the
 * history and freed with it, so a parse can stop anywhere. */
#include "history.h"

#include <cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_in.h"

static const char *const top_fields[] = { "topics", "partition_racks", "members", "steps",
                                          "strategies" };
static const char *const member_fields[] = { "id", "topics", "instance", "rack" };
static const char *const actions[] = { "join", "leave", "crash", "add_partitions", "subscribe",
                                       "together" };
enum { A_JOIN, A_LEAVE, A_CRASH, A_PARTITIONS, A_SUBSCRIBE, A_TOGETHER, NACTIONS };
/* The fields each action may have, beside "label" (not inside "together"). */
static const char *const action_fields[NACTIONS][5] = {
    { "join", "topics", "instance", "rack", NULL },
    { "leave", NULL },
    { "crash", NULL },
    { "add_partitions", "total", "racks", NULL },
    { "subscribe", "topics", NULL },
    { "together", NULL },
};
static const compare_change_kind_t kinds[] = { COMPARE_JOIN, COMPARE_LEAVE, COMPARE_CRASH,
                                               COMPARE_PARTITIONS, COMPARE_SUBSCRIBE };

/* A place in the file: up to two (key, index) levels; NULL keys and -1 indexes end it. */
typedef struct at {
    const char *k1;
    int i1;
    const char *k2;
    int i2;
} at_t;

struct history {
    const char *path;
    char *text;
    size_t len;
    cJSON *json;
    jin_topics_t topics;
    bool has_members;
    compare_step_t *steps;
    int32_t nsteps;
    compare_strategy_t *strategies;
    int32_t nstrategies;
    bool *together;               /* per step: its changes came in "together" (or "members") */
    assign_replicas_t **replicas; /* per topic, sized for its largest count; NULL: no racks */
    compare_history_t h;
    void **allocs;
    size_t nallocs, cap_allocs;
    char err[700];
};

static void *keep(history_t *hs, void *p)
{
    if (hs->nallocs == hs->cap_allocs) {
        hs->cap_allocs = hs->cap_allocs ? hs->cap_allocs * 2 : 32;
        hs->allocs = realloc(hs->allocs, hs->cap_allocs * sizeof *hs->allocs);
        if (!hs->allocs)
            jin_out_of_memory();
    }
    hs->allocs[hs->nallocs++] = p;
    return p;
}

static void *alloc(history_t *hs, size_t n, size_t size)
{
    return keep(hs, jin_calloc(n, size));
}

/* ---- where things are in the text ---- */

typedef struct scan {
    const char *p, *end;
} scan_t;

static void blanks(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
        s->p++;
}

/* A string at s->p; *start and *len get its raw contents. */
static void skip_string(scan_t *s, const char **start, size_t *len)
{
    const char *from = ++s->p;
    while (s->p < s->end && *s->p != '"')
        s->p += *s->p == '\\' ? 2 : 1;
    if (start) {
        *start = from;
        *len = (size_t)(s->p - from);
    }
    s->p++;
}

static void skip_value(scan_t *s);

/* Skips the elements (or key: value pairs) of an array (or object) at s->p. */
static void skip_container(scan_t *s)
{
    bool object = *s->p == '{';
    char close = object ? '}' : ']';
    s->p++;
    for (blanks(s); s->p < s->end && *s->p != close; blanks(s)) {
        if (object) {
            skip_string(s, NULL, NULL);
            blanks(s);
            s->p++; /* ':' */
        }
        skip_value(s);
        blanks(s);
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
    s->p++;
}

static void skip_value(scan_t *s)
{
    blanks(s);
    if (s->p >= s->end)
        return;
    if (*s->p == '"')
        skip_string(s, NULL, NULL);
    else if (*s->p == '{' || *s->p == '[')
        skip_container(s);
    else
        while (s->p < s->end && !strchr(",]} \t\r\n", *s->p))
            s->p++;
}

/* Moves s to the value of `key` in the object at s->p; false when it has none. */
static bool enter_key(scan_t *s, const char *key)
{
    blanks(s);
    if (s->p >= s->end || *s->p != '{')
        return false;
    s->p++;
    for (blanks(s); s->p < s->end && *s->p == '"'; blanks(s)) {
        const char *k;
        size_t len;
        skip_string(s, &k, &len);
        blanks(s);
        s->p++; /* ':' */
        blanks(s);
        if (len == strlen(key) && memcmp(k, key, len) == 0)
            return true;
        skip_value(s);
        blanks(s);
        if (s->p < s->end && *s->p == ',')
            s->p++;
    }
    return false;
}

/* Moves s to element i of the array at s->p. */
static bool enter_index(scan_t *s, int i)
{
    blanks(s);
    if (s->p >= s->end || *s->p != '[')
        return false;
    s->p++;
    for (int k = 0; k < i; k++) {
        skip_value(s);
        blanks(s);
        if (s->p >= s->end || *s->p != ',')
            return false;
        s->p++;
    }
    blanks(s);
    return s->p < s->end && *s->p != ']';
}

static long line_of(const history_t *hs, const char *p)
{
    long line = 1;
    for (const char *q = hs->text; q < p; q++)
        line += *q == '\n';
    return line;
}

/* The line where the value at `at` starts; the deepest part found. */
static long line_at(const history_t *hs, at_t at)
{
    scan_t s = { hs->text, hs->text + hs->len };
    const char *best = NULL;
    if (at.k1 && enter_key(&s, at.k1)) {
        best = s.p;
        if (at.i1 >= 0 && enter_index(&s, at.i1)) {
            best = s.p;
            if (at.k2 && enter_key(&s, at.k2)) {
                best = s.p;
                if (at.i2 >= 0 && enter_index(&s, at.i2))
                    best = s.p;
            }
        }
    }
    if (!best) {
        scan_t top = { hs->text, hs->text + hs->len };
        blanks(&top);
        best = top.p;
    }
    return line_of(hs, best);
}

static bool fail_at(history_t *hs, at_t at, const char *fmt, ...)
{
    int n = snprintf(hs->err, sizeof hs->err, "%s:%ld: ", hs->path, line_at(hs, at));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hs->err + n, sizeof hs->err - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- changes ---- */

static bool subscription(history_t *hs, const cJSON *js, compare_change_t *c, at_t at)
{
    char who[300], err[600];
    snprintf(who, sizeof who, "member '%s'", c->member);
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(js, "topics");
    if (!topics)
        return fail_at(hs, at, "%s needs \"topics\" (the topics it subscribes to)", who);
    int32_t *subs = NULL;
    bool ok = jin_subscription(&hs->topics, topics, who, &subs, &c->ntopics, err, sizeof err);
    c->topics = keep(hs, subs);
    return ok || fail_at(hs, at, "%s", err);
}

static bool member_name(history_t *hs, const cJSON *v, const char *action, at_t at,
                        compare_change_t *c)
{
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return fail_at(hs, at, "\"%s\" names a member: a non-empty string", action);
    c->member = v->valuestring;
    return true;
}

static bool join_fields(history_t *hs, const cJSON *js, compare_change_t *c, at_t at)
{
    char who[300], err[600];
    snprintf(who, sizeof who, "member '%s'", c->member);
    if (!jin_opt_string(js, "instance", who, &c->instance, err, sizeof err) ||
        !jin_opt_string(js, "rack", who, &c->rack, err, sizeof err))
        return fail_at(hs, at, "%s", err);
    if (c->instance && !c->instance[0])
        return fail_at(hs, at, "%s: \"instance\" is empty (null for a dynamic member)", who);
    return subscription(hs, js, c, at);
}

/* Racks of the partitions an add_partitions step creates, from `from` on. */
static bool new_racks(history_t *hs, const cJSON *racks, compare_change_t *c, int32_t from,
                      at_t at)
{
    if (!racks || cJSON_IsNull(racks) || c->partitions <= from)
        return true; /* growing to fewer partitions is the comparison's error to report */
    char err[600];
    const char **storage = NULL;
    const char *name = hs->topics.topics[c->topic].name;
    bool ok = jin_partition_racks(racks, name, from, c->partitions - from,
                                  hs->replicas[c->topic] + from, &storage, err, sizeof err);
    keep(hs, (void *)storage);
    hs->topics.topics[c->topic].replicas = hs->replicas[c->topic];
    return ok || fail_at(hs, at, "\"racks\": %s", err);
}

static bool grow(history_t *hs, const cJSON *js, compare_change_t *c, at_t at)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(js, "add_partitions");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(js, "total");
    char known[300];
    if (!cJSON_IsString(name))
        return fail_at(hs, at, "\"add_partitions\" names a topic (a string)");
    c->topic = jin_find_topic(&hs->topics, name->valuestring);
    if (c->topic < 0)
        return fail_at(hs, at, "add_partitions: topic '%s' is not in \"topics\" (topics: %s; "
                               "a topic created later is listed there with 0 partitions)",
                       name->valuestring, jin_topic_list(&hs->topics, known, sizeof known));
    if (!cJSON_IsNumber(total) || !jin_int(total, &c->partitions) || c->partitions < 1)
        return fail_at(hs, at, "add_partitions: \"total\" is the topic's new partition count, "
                               "a whole number > 0");
    return true;
}

static int action_of(history_t *hs, const cJSON *js, at_t at)
{
    int found = -1;
    for (int a = 0; a < NACTIONS; a++) {
        if (!cJSON_GetObjectItemCaseSensitive(js, actions[a]))
            continue;
        if (found >= 0) {
            fail_at(hs, at, "a change has one action, this one has \"%s\" and \"%s\" "
                            "(changes that happen together go in \"together\": [...])",
                    actions[found], actions[a]);
            return -1;
        }
        found = a;
    }
    if (found < 0)
        fail_at(hs, at, "a change needs one of: join, leave, crash, add_partitions, "
                        "subscribe, together");
    return found;
}

/* Reads one change object; `top` when it is a step of its own (it may then be a
 * "together" and have a label). */
static bool parse_change(history_t *hs, const cJSON *js, compare_change_t *c, bool top, at_t at,
                         int *action)
{
    if (!cJSON_IsObject(js))
        return fail_at(hs, at, "a change is an object, like {\"join\": \"C3\", \"topics\": "
                               "[\"orders\"]}");
    *action = action_of(hs, js, at);
    if (*action < 0)
        return false;
    if (*action == A_TOGETHER && !top)
        return fail_at(hs, at, "\"together\" cannot be nested");
    const char *fields[7];
    size_t n = 0;
    for (const char *const *f = action_fields[*action]; *f; f++)
        fields[n++] = *f;
    if (top)
        fields[n++] = "label";
    char err[600];
    if (!jin_fields(js, fields, n, "the change", err, sizeof err))
        return fail_at(hs, at, "%s", err);
    if (*action == A_TOGETHER)
        return true;
    c->kind = kinds[*action];
    if (*action == A_PARTITIONS)
        return grow(hs, js, c, at);
    if (!member_name(hs, cJSON_GetObjectItemCaseSensitive(js, actions[*action]),
                     actions[*action], at, c))
        return false;
    if (*action == A_JOIN)
        return join_fields(hs, js, c, at);
    return *action != A_SUBSCRIBE || subscription(hs, js, c, at);
}

/* ---- steps ---- */

static bool parse_step(history_t *hs, const cJSON *js, int32_t s, int i)
{
    at_t at = { "steps", i, NULL, -1 };
    compare_step_t *st = &hs->steps[s];
    compare_change_t *c = alloc(hs, 1, sizeof *c);
    int action;
    if (!parse_change(hs, js, c, true, at, &action))
        return false;
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(js, "label");
    if (label && !cJSON_IsNull(label) && !cJSON_IsString(label))
        return fail_at(hs, at, "\"label\" must be a string");
    st->label = cJSON_IsString(label) ? label->valuestring : NULL;
    if (action != A_TOGETHER) {
        *st = (compare_step_t){ c, 1, st->label };
        return true;
    }
    hs->together[s] = true;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(js, "together");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail_at(hs, at, "\"together\" is a non-empty array of changes");
    st->nchanges = cJSON_GetArraySize(arr);
    compare_change_t *changes = alloc(hs, (size_t)st->nchanges, sizeof *changes);
    st->changes = changes;
    int j = 0;
    for (const cJSON *x = arr->child; x; x = x->next, j++)
        if (!parse_change(hs, x, &changes[j], false, (at_t){ "steps", i, "together", j },
                          &action))
            return false;
    return true;
}

/* "members": the group that forms first, as step 0 where they all join. */
static bool parse_members(history_t *hs, const cJSON *arr)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail_at(hs, (at_t){ "members", -1, NULL, -1 },
                       "\"members\" is a non-empty array of members (the group that forms "
                       "first)");
    int32_t n = cJSON_GetArraySize(arr), j = 0;
    compare_change_t *changes = alloc(hs, (size_t)n, sizeof *changes);
    hs->steps[0] = (compare_step_t){ changes, n, NULL };
    hs->together[0] = true;
    char err[600];
    for (const cJSON *x = arr->child; x; x = x->next, j++) {
        at_t at = { "members", j, NULL, -1 };
        compare_change_t *c = &changes[j];
        if (!cJSON_IsObject(x))
            return fail_at(hs, at, "a member is an object, like {\"id\": \"C1\", \"topics\": "
                                   "[\"orders\"]}");
        c->kind = COMPARE_JOIN;
        if (!member_name(hs, cJSON_GetObjectItemCaseSensitive(x, "id"), "id", at, c))
            return false;
        char who[300];
        snprintf(who, sizeof who, "member '%s'", c->member);
        if (!jin_fields(x, member_fields, JIN_COUNT(member_fields), who, err, sizeof err))
            return fail_at(hs, at, "%s", err);
        if (!join_fields(hs, x, c, at))
            return false;
    }
    return true;
}

static bool parse_steps(history_t *hs, const cJSON *members, const cJSON *steps)
{
    if (steps && !cJSON_IsArray(steps))
        return fail_at(hs, (at_t){ "steps", -1, NULL, -1 }, "\"steps\" is an array of changes");
    hs->has_members = members != NULL;
    hs->nsteps = (int32_t)hs->has_members + (steps ? cJSON_GetArraySize(steps) : 0);
    if (hs->nsteps == 0)
        return fail_at(hs, (at_t){ NULL, -1, NULL, -1 },
                       "the history has no \"members\" and no \"steps\": nothing happens");
    hs->steps = alloc(hs, (size_t)hs->nsteps, sizeof *hs->steps);
    hs->together = alloc(hs, (size_t)hs->nsteps, sizeof *hs->together);
    if (members && !parse_members(hs, members))
        return false;
    int i = 0;
    for (const cJSON *x = steps ? steps->child : NULL; x; x = x->next, i++)
        if (!parse_step(hs, x, (int32_t)hs->has_members + i, i))
            return false;
    return true;
}

/* ---- racks ---- */

static bool any_new_racks(const cJSON *steps)
{
    for (const cJSON *x = steps ? steps->child : NULL; x; x = x->next) {
        if (cJSON_GetObjectItemCaseSensitive(x, "racks"))
            return true;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "together");
        for (const cJSON *y = cJSON_IsArray(t) ? t->child : NULL; y; y = y->next)
            if (cJSON_GetObjectItemCaseSensitive(y, "racks"))
                return true;
    }
    return false;
}

/* Room for the racks of every partition a topic will have; false when that is more than
 * ksim assigns (said before allocating, as compare_run would say it after). */
static bool make_replicas(history_t *hs)
{
    int32_t nt = hs->topics.n;
    int32_t *most = alloc(hs, (size_t)nt, sizeof *most);
    compare_history_t h = { hs->topics.topics, nt, hs->steps, hs->nsteps };
    compare_largest_counts(&h, most);
    int64_t total = 0;
    for (int32_t t = 0; t < nt; t++)
        total += most[t];
    if (total > ASSIGN_MAX_PARTITIONS)
        return fail_at(hs, (at_t){ "topics", -1, NULL, -1 },
                       "the topics reach %lld partitions in all, more than ksim assigns (%d)",
                       (long long)total, ASSIGN_MAX_PARTITIONS);
    hs->replicas = alloc(hs, (size_t)nt, sizeof *hs->replicas);
    for (int32_t t = 0; t < nt; t++)
        hs->replicas[t] = alloc(hs, (size_t)most[t], sizeof *hs->replicas[t]);
    return true;
}

/* The racks of added partitions, walking the steps with each topic's count. */
static bool parse_new_racks(history_t *hs, const cJSON *steps)
{
    int32_t *count = alloc(hs, (size_t)hs->topics.n, sizeof *count);
    for (int32_t t = 0; t < hs->topics.n; t++)
        count[t] = hs->topics.topics[t].partitions;
    int i = 0;
    for (const cJSON *x = steps ? steps->child : NULL; x; x = x->next, i++) {
        const compare_step_t *st = &hs->steps[(int32_t)hs->has_members + i];
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(x, "together");
        const cJSON *y = cJSON_IsArray(arr) ? arr->child : x;
        for (int32_t j = 0; j < st->nchanges; j++, y = y ? y->next : NULL) {
            compare_change_t *c = (compare_change_t *)&st->changes[j];
            if (c->kind != COMPARE_PARTITIONS)
                continue;
            at_t at = { "steps", i, cJSON_IsArray(arr) ? "together" : NULL, j };
            if (!new_racks(hs, cJSON_GetObjectItemCaseSensitive(y, "racks"), c, count[c->topic],
                           at))
                return false;
            count[c->topic] = c->partitions > count[c->topic] ? c->partitions : count[c->topic];
        }
    }
    return true;
}

static bool parse_racks(history_t *hs, const cJSON *pr, const cJSON *steps)
{
    if ((!pr || cJSON_IsNull(pr)) && !any_new_racks(steps))
        return true;
    if (!make_replicas(hs))
        return false;
    const char ***storage = alloc(hs, (size_t)hs->topics.n, sizeof *storage);
    char err[600];
    bool ok = jin_racks(&hs->topics, pr, hs->replicas, storage, err, sizeof err);
    for (int32_t t = 0; t < hs->topics.n; t++)
        keep(hs, (void *)storage[t]);
    if (!ok)
        return fail_at(hs, (at_t){ "partition_racks", -1, NULL, -1 }, "%s", err);
    return parse_new_racks(hs, steps);
}

/* ---- the file ---- */

static bool parse_strategies(history_t *hs, const cJSON *arr)
{
    if (!arr)
        return true;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return fail_at(hs, (at_t){ "strategies", -1, NULL, -1 },
                       "\"strategies\" is a non-empty array of names, like \"range\" or "
                       "\"cooperative-sticky/eager\"");
    hs->nstrategies = cJSON_GetArraySize(arr);
    hs->strategies = alloc(hs, (size_t)hs->nstrategies, sizeof *hs->strategies);
    int j = 0;
    char err[300];
    for (const cJSON *x = arr->child; x; x = x->next, j++) {
        at_t at = { "strategies", j, NULL, -1 };
        if (!cJSON_IsString(x))
            return fail_at(hs, at, "a strategy is a name, like \"range\"");
        if (!compare_strategy_parse(x->valuestring, &hs->strategies[j], err, sizeof err))
            return fail_at(hs, at, "%s", err);
    }
    return true;
}

static bool parse_json(history_t *hs)
{
    const char *at;
    char why[128];
    hs->json = jin_parse(hs->text, hs->len, &at, why, sizeof why);
    if (hs->json)
        return true;
    const char *line_start = at;
    while (line_start > hs->text && line_start[-1] != '\n')
        line_start--;
    snprintf(hs->err, sizeof hs->err, "%s:%ld:%ld: %s", hs->path, line_of(hs, at),
             (long)(at - line_start) + 1, why);
    return false;
}

static bool parse(history_t *hs)
{
    if (!parse_json(hs))
        return false;
    const cJSON *js = hs->json;
    at_t top = { NULL, -1, NULL, -1 };
    char err[600];
    if (!cJSON_IsObject(js))
        return fail_at(hs, top, "a history is an object: {\"topics\": {...}, \"members\": "
                                "[...], \"steps\": [...]}");
    if (!jin_fields(js, top_fields, JIN_COUNT(top_fields), "the history", err, sizeof err))
        return fail_at(hs, top, "%s", err);
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(js, "topics");
    if (!topics)
        return fail_at(hs, top, "\"topics\" is missing (topic name: partition count)");
    if (!jin_topics(&hs->topics, topics, err, sizeof err))
        return fail_at(hs, (at_t){ "topics", -1, NULL, -1 }, "%s", err);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(js, "steps");
    if (!parse_steps(hs, cJSON_GetObjectItemCaseSensitive(js, "members"), steps) ||
        !parse_racks(hs, cJSON_GetObjectItemCaseSensitive(js, "partition_racks"), steps) ||
        !parse_strategies(hs, cJSON_GetObjectItemCaseSensitive(js, "strategies")))
        return false;
    hs->h = (compare_history_t){ hs->topics.topics, hs->topics.n, hs->steps, hs->nsteps };
    return true;
}

static bool read_text(history_t *hs, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 4096;
    hs->text = jin_calloc(cap, 1);
    for (size_t got; (got = fread(hs->text + hs->len, 1, cap - hs->len - 1, f)) > 0;) {
        hs->len += got;
        if (cap - hs->len - 1 == 0) {
            cap *= 2;
            hs->text = realloc(hs->text, cap);
            if (!hs->text)
                jin_out_of_memory();
        }
    }
    hs->text[hs->len] = '\0';
    bool ok = !ferror(f);
    if (f != stdin)
        fclose(f);
    return ok;
}

history_status_t history_read(const char *path, history_t **out, char *err, size_t errlen)
{
    *out = NULL;
    history_t *hs = jin_calloc(1, sizeof *hs);
    hs->path = strcmp(path, "-") == 0 ? "standard input" : path;
    errno = 0;
    if (!read_text(hs, path)) {
        snprintf(err, errlen, "cannot read %s: %s", hs->path,
                 errno ? strerror(errno) : "read error");
        history_free(hs);
        return HISTORY_IO;
    }
    if (!parse(hs)) {
        snprintf(err, errlen, "%s", hs->err);
        history_free(hs);
        return HISTORY_BAD;
    }
    *out = hs;
    return HISTORY_OK;
}

void history_free(history_t *hs)
{
    if (!hs)
        return;
    for (size_t i = 0; i < hs->nallocs; i++)
        free(hs->allocs[i]);
    free(hs->allocs);
    jin_topics_free(&hs->topics);
    cJSON_Delete(hs->json);
    free(hs->text);
    free(hs);
}

const compare_history_t *history_get(const history_t *hs)
{
    return &hs->h;
}

int32_t history_strategies(const history_t *hs, const compare_strategy_t **out)
{
    *out = hs->strategies;
    return hs->nstrategies;
}

int32_t history_step_number(const history_t *hs, int32_t step)
{
    return step + (hs->has_members ? 0 : 1);
}

const char *history_where(const history_t *hs, const compare_error_t *e, char *buf, size_t n)
{
    at_t at = { "topics", -1, NULL, -1 };
    if (e->step >= 0 && hs->has_members && e->step == 0) {
        at = (at_t){ "members", e->change, NULL, -1 };
    } else if (e->step >= 0) {
        int i = e->step - (int)hs->has_members;
        bool inside = hs->together[e->step] && e->change >= 0;
        at = (at_t){ "steps", i, inside ? "together" : NULL, inside ? e->change : -1 };
    }
    int used = snprintf(buf, n, "%s:%ld", hs->path, line_at(hs, at));
    if (e->step >= 0 && used >= 0 && (size_t)used < n) {
        char label[200];
        snprintf(buf + used, n - (size_t)used, ": step %d (%s)", history_step_number(hs, e->step),
                 compare_describe_step(&hs->h, e->step, label, sizeof label));
    }
    return buf;
}
