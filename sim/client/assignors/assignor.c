/* assignor: the front of the assignors: checks a group, prepares what every assignor
 * needs (assign_internal.h), runs the one asked for and lays out its answer. */
#include "assignor.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign_internal.h"
#include "java_order.h"
#include "sim/core/hash.h"
#include "util/utf8.h"

static const char *const names[] = { "range", "roundrobin", "sticky", "cooperative-sticky" };
enum { RANGE, ROUNDROBIN, STICKY, COOPERATIVE, NKINDS };

static int kind_of(const char *name)
{
    for (int k = 0; k < NKINDS; k++)
        if (name && strcmp(name, names[k]) == 0)
            return k;
    return -1;
}

bool assign_known(const char *name)
{
    return kind_of(name) >= 0;
}

/* ---- helpers for the assignors ---- */

void *assign_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    assert(p);
    return p;
}

void *assign_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    assert(p);
    return p;
}

bool assign_fail(assign_ctx_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return false;
}

static void merge_sort(int32_t *a, int32_t *tmp, size_t n, assign_cmp_fn cmp, const void *ctx)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(a, tmp, h, cmp, ctx);
    merge_sort(a + h, tmp, n - h, cmp, ctx);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp(a[j], a[i], ctx) < 0 ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

void assign_sort(int32_t *items, size_t n, assign_cmp_fn cmp, const void *ctx)
{
    int32_t *tmp = assign_xmalloc(n * sizeof *tmp);
    merge_sort(items, tmp, n, cmp, ctx);
    free(tmp);
}

bool assign_subscribes(const assign_ctx_t *c, int32_t m, int32_t t)
{
    int32_t lo = c->sub_first[m], hi = c->sub_first[m + 1];
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (c->sub[mid] == t)
            return true;
        if (c->sub[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool assign_on_rack(const assign_ctx_t *c, int32_t g, int32_t r)
{
    for (int64_t i = c->prack_first[g]; i < c->prack_first[g + 1]; i++)
        if (c->prack[i] == r)
            return true;
    return false;
}

static int cmp_member_info(int32_t a, int32_t b, const void *ctx)
{
    const assign_member_t *ms = ((const assign_ctx_t *)ctx)->g->members;
    const char *ia = ms[a].instance, *ib = ms[b].instance;
    if (ia && ib)
        return jorder_strcmp(ia, ib);
    if (ia)
        return -1;
    if (ib)
        return 1;
    return jorder_strcmp(ms[a].id, ms[b].id);
}

void assign_member_info_order(const assign_ctx_t *c, int32_t *order)
{
    for (int32_t m = 0; m < c->nm; m++)
        order[m] = m;
    assign_sort(order, (size_t)c->nm, cmp_member_info, c);
}

/* ---- checking a group ---- */

typedef struct check {
    const assign_group_t *g;
    char *err;
    size_t errlen;
} check_t;

static bool bad(check_t *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->err, k->errlen, fmt, ap);
    va_end(ap);
    return false;
}

static bool valid_text(const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static int cmp_topic_names(int32_t a, int32_t b, const void *ctx)
{
    const assign_topic_t *ts = ctx;
    return jorder_strcmp(ts[a].name, ts[b].name);
}

static int cmp_member_ids(int32_t a, int32_t b, const void *ctx)
{
    const assign_member_t *ms = ctx;
    return jorder_strcmp(ms[a].id, ms[b].id);
}

static int cmp_instances(int32_t a, int32_t b, const void *ctx)
{
    const assign_member_t *ms = ctx;
    return jorder_strcmp(ms[a].instance, ms[b].instance);
}

static bool check_topics(check_t *k, int32_t *by_name)
{
    const assign_group_t *g = k->g;
    int64_t total = 0;
    for (int32_t t = 0; t < g->ntopics; t++) {
        const assign_topic_t *tp = &g->topics[t];
        if (!tp->name || !tp->name[0])
            return bad(k, "topic %d has no name", t);
        if (!valid_text(tp->name))
            return bad(k, "topic name '%s' is not valid UTF-8", tp->name);
        if (tp->partitions < 0)
            return bad(k, "topic '%s' has a negative partition count (%d)", tp->name,
                       tp->partitions);
        total += tp->partitions;
        for (int32_t p = 0; tp->replicas && p < tp->partitions; p++)
            for (int32_t r = 0; r < tp->replicas[p].n; r++)
                if (tp->replicas[p].racks[r] && !valid_text(tp->replicas[p].racks[r]))
                    return bad(k, "a rack of %s-%d is not valid UTF-8", tp->name, p);
        by_name[t] = t;
    }
    if (total > ASSIGN_MAX_PARTITIONS)
        return bad(k, "the topics have %lld partitions in all, more than ksim assigns (%d)",
                   (long long)total, ASSIGN_MAX_PARTITIONS);
    assign_sort(by_name, (size_t)g->ntopics, cmp_topic_names, g->topics);
    for (int32_t i = 1; i < g->ntopics; i++)
        if (strcmp(g->topics[by_name[i]].name, g->topics[by_name[i - 1]].name) == 0)
            return bad(k, "topic '%s' is listed twice", g->topics[by_name[i]].name);
    return true;
}

static bool check_member_names(check_t *k, const assign_member_t *m)
{
    if (!m->id || !m->id[0])
        return bad(k, "a member has no id");
    if (!valid_text(m->id))
        return bad(k, "member id '%s' is not valid UTF-8", m->id);
    if (m->instance && !m->instance[0])
        return bad(k, "member '%s' has an empty group.instance.id (use none instead)", m->id);
    if (m->instance && !valid_text(m->instance))
        return bad(k, "member '%s': group.instance.id is not valid UTF-8", m->id);
    if (m->rack && !valid_text(m->rack))
        return bad(k, "member '%s': client.rack is not valid UTF-8", m->id);
    if (m->generation < ASSIGN_NO_GENERATION)
        return bad(k, "member '%s' has generation %d; a generation is -1 (none) or more",
                   m->id, m->generation);
    return true;
}

/* stamp[] remembers, per topic or per partition, the last member that listed it. */
static bool check_subscription(check_t *k, int32_t mi, int32_t *stamp)
{
    const assign_group_t *g = k->g;
    const assign_member_t *m = &g->members[mi];
    for (int32_t i = 0; i < m->ntopics; i++) {
        int32_t t = m->topics[i];
        if (t < 0 || t >= g->ntopics)
            return bad(k, "member '%s' subscribes to topic number %d, but there are %d topics",
                       m->id, t, g->ntopics);
        if (stamp[t] == mi)
            return bad(k, "member '%s' subscribes to topic '%s' twice", m->id,
                       g->topics[t].name);
        stamp[t] = mi;
    }
    return true;
}

static bool check_owned(check_t *k, int32_t mi, const int64_t *first, int32_t *stamp)
{
    const assign_group_t *g = k->g;
    const assign_member_t *m = &g->members[mi];
    for (int32_t i = 0; i < m->nowned; i++) {
        assign_tp_t tp = m->owned[i];
        if (tp.topic < 0 || tp.topic >= g->ntopics)
            return bad(k, "member '%s' owns a partition of topic number %d, but there are %d "
                          "topics", m->id, tp.topic, g->ntopics);
        const assign_topic_t *t = &g->topics[tp.topic];
        if (t->partitions == 0)
            continue; /* no metadata: Kafka ignores partitions of a topic it does not see */
        if (tp.partition < 0)
            return bad(k, "member '%s' owns %s-%d; partitions are numbered from 0", m->id,
                       t->name, tp.partition);
        if (tp.partition >= t->partitions)
            return bad(k, "member '%s' owns %s-%d, but topic '%s' has %d partition%s", m->id,
                       t->name, tp.partition, t->name, t->partitions,
                       t->partitions == 1 ? "" : "s");
        int64_t at = first[tp.topic] + tp.partition;
        if (stamp[at] == mi)
            return bad(k, "member '%s' owns %s-%d twice", m->id, t->name, tp.partition);
        stamp[at] = mi;
    }
    return true;
}

static bool check_duplicates(check_t *k, int32_t *order)
{
    const assign_group_t *g = k->g;
    for (int32_t m = 0; m < g->nmembers; m++)
        order[m] = m;
    assign_sort(order, (size_t)g->nmembers, cmp_member_ids, g->members);
    for (int32_t i = 1; i < g->nmembers; i++)
        if (strcmp(g->members[order[i]].id, g->members[order[i - 1]].id) == 0)
            return bad(k, "member id '%s' is used twice", g->members[order[i]].id);
    int32_t n = 0;
    for (int32_t m = 0; m < g->nmembers; m++)
        if (g->members[m].instance)
            order[n++] = m;
    assign_sort(order, (size_t)n, cmp_instances, g->members);
    for (int32_t i = 1; i < n; i++)
        if (strcmp(g->members[order[i]].instance, g->members[order[i - 1]].instance) == 0)
            return bad(k, "members '%s' and '%s' have the same group.instance.id '%s'",
                       g->members[order[i - 1]].id, g->members[order[i]].id,
                       g->members[order[i]].instance);
    return true;
}

static bool check_members(check_t *k)
{
    const assign_group_t *g = k->g;
    int64_t *first = assign_xmalloc(((size_t)g->ntopics + 1) * sizeof *first);
    first[0] = 0;
    for (int32_t t = 0; t < g->ntopics; t++)
        first[t + 1] = first[t] + g->topics[t].partitions;
    int32_t *tstamp = assign_xmalloc(((size_t)g->ntopics + 1) * sizeof *tstamp);
    int32_t *pstamp = assign_xmalloc(((size_t)first[g->ntopics] + 1) * sizeof *pstamp);
    int32_t *order = assign_xmalloc((size_t)g->nmembers * sizeof *order);
    memset(tstamp, 0xff, ((size_t)g->ntopics + 1) * sizeof *tstamp);
    memset(pstamp, 0xff, ((size_t)first[g->ntopics] + 1) * sizeof *pstamp);
    bool ok = true;
    for (int32_t m = 0; ok && m < g->nmembers; m++)
        ok = check_member_names(k, &g->members[m]) && check_subscription(k, m, tstamp) &&
             check_owned(k, m, first, pstamp);
    ok = ok && check_duplicates(k, order);
    free(first);
    free(tstamp);
    free(pstamp);
    free(order);
    return ok;
}

static bool check_group(const assign_group_t *g, char *err, size_t errlen)
{
    check_t k = { g, err, errlen };
    if (g->nmembers < 1)
        return bad(&k, "the group has no members (Kafka runs an assignor only for members)");
    if (g->ntopics < 0 || (g->ntopics > 0 && !g->topics))
        return bad(&k, "the group's topics are missing");
    int32_t *by_name = assign_xmalloc(((size_t)g->ntopics + 1) * sizeof *by_name);
    bool ok = check_topics(&k, by_name) && check_members(&k);
    free(by_name);
    return ok;
}

/* ---- preparing the context ---- */

static void prepare_topics(assign_ctx_t *c)
{
    const assign_group_t *g = c->g;
    c->rank = assign_xmalloc(((size_t)c->nt + 1) * sizeof *c->rank);
    c->by_rank = assign_xmalloc(((size_t)c->nt + 1) * sizeof *c->by_rank);
    c->hash = assign_xmalloc(((size_t)c->nt + 1) * sizeof *c->hash);
    c->live = assign_xcalloc((size_t)c->nt + 1, 1);
    c->base = assign_xmalloc(((size_t)c->nt + 1) * sizeof *c->base);
    for (int32_t t = 0; t < c->nt; t++) {
        c->by_rank[t] = t;
        c->hash[t] = hash_java_string(g->topics[t].name);
    }
    assign_sort(c->by_rank, (size_t)c->nt, cmp_topic_names, g->topics);
    for (int32_t r = 0; r < c->nt; r++)
        c->rank[c->by_rank[r]] = r;
    for (int32_t m = 0; m < c->nm; m++)
        for (int32_t i = 0; i < g->members[m].ntopics; i++)
            c->live[g->members[m].topics[i]] = 1;
    c->np = 0;
    for (int32_t t = 0; t < c->nt; t++) {
        c->live[t] = c->live[t] && g->topics[t].partitions > 0;
        c->base[t] = c->live[t] ? c->np : -1;
        c->np += c->live[t] ? g->topics[t].partitions : 0;
    }
    c->ptopic = assign_xmalloc(((size_t)c->np + 1) * sizeof *c->ptopic);
    for (int32_t t = 0; t < c->nt; t++)
        for (int32_t p = 0; c->live[t] && p < g->topics[t].partitions; p++)
            c->ptopic[c->base[t] + p] = t;
}

static int cmp_int(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void prepare_members(assign_ctx_t *c)
{
    const assign_group_t *g = c->g;
    c->sub_first = assign_xmalloc(((size_t)c->nm + 1) * sizeof *c->sub_first);
    c->sub_first[0] = 0;
    for (int32_t m = 0; m < c->nm; m++)
        c->sub_first[m + 1] = c->sub_first[m] + g->members[m].ntopics;
    c->sub = assign_xmalloc(((size_t)c->sub_first[c->nm] + 1) * sizeof *c->sub);
    for (int32_t m = 0; m < c->nm; m++) {
        int32_t *s = c->sub + c->sub_first[m];
        memcpy(s, g->members[m].topics, (size_t)g->members[m].ntopics * sizeof *s);
        qsort(s, (size_t)g->members[m].ntopics, sizeof *s, cmp_int);
    }
    int32_t *order = assign_xmalloc((size_t)c->nm * sizeof *order);
    c->member_rank = assign_xmalloc((size_t)c->nm * sizeof *c->member_rank);
    for (int32_t m = 0; m < c->nm; m++)
        order[m] = m;
    assign_sort(order, (size_t)c->nm, cmp_member_ids, g->members);
    for (int32_t i = 0; i < c->nm; i++)
        c->member_rank[order[i]] = i;
    free(order);
}

/* ---- racks ---- */

typedef struct racks {
    const char **name; /* distinct rack names, sorted by bytes */
    int32_t n, cap;
} racks_t;

/* A replica's rack may be any non-null string; a member's "" means none (Kafka filters
 * empty client.rack values), so members' racks are added only when non-empty. */
static void racks_add(racks_t *r, const char *name)
{
    if (!name)
        return;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->name = realloc(r->name, (size_t)r->cap * sizeof *r->name);
        assert(r->name);
    }
    r->name[r->n++] = name;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int32_t racks_find(const racks_t *r, const char *name)
{
    if (!name)
        return -1;
    const char **hit = bsearch(&name, r->name, (size_t)r->n, sizeof *r->name, cmp_str);
    return hit ? (int32_t)(hit - r->name) : -1;
}

static void prepare_partition_racks(assign_ctx_t *c, const racks_t *r)
{
    const assign_group_t *g = c->g;
    c->prack_first = assign_xmalloc(((size_t)c->np + 1) * sizeof *c->prack_first);
    int64_t n = 0;
    for (int32_t t = 0; t < c->nt; t++)
        for (int32_t p = 0; c->live[t] && g->topics[t].replicas && p < g->topics[t].partitions; p++)
            n += g->topics[t].replicas[p].n;
    c->prack = assign_xmalloc(((size_t)n + 1) * sizeof *c->prack);
    n = 0;
    for (int32_t gp = 0; gp < c->np; gp++) {
        int32_t t = c->ptopic[gp], p = gp - c->base[t];
        c->prack_first[gp] = n;
        const assign_replicas_t *rep = g->topics[t].replicas ? &g->topics[t].replicas[p] : NULL;
        int64_t start = n;
        for (int32_t i = 0; rep && i < rep->n; i++) {
            int32_t id = racks_find(r, rep->racks[i]);
            bool seen = id < 0;
            for (int64_t j = start; !seen && j < n; j++)
                seen = c->prack[j] == id;
            if (!seen)
                c->prack[n++] = id;
        }
    }
    c->prack_first[c->np] = n;
}

/* Kafka reads replica racks only when some member has a client.rack (RangeAssignor's
 * TopicAssignmentState, AbstractStickyAssignor's RackInfo); so does ksim. */
static void prepare_racks(assign_ctx_t *c)
{
    const assign_group_t *g = c->g;
    racks_t r = { 0 };
    for (int32_t m = 0; m < c->nm; m++)
        if (g->members[m].rack && g->members[m].rack[0])
            racks_add(&r, g->members[m].rack);
    c->member_rack = assign_xmalloc((size_t)c->nm * sizeof *c->member_rack);
    for (int32_t m = 0; m < c->nm; m++)
        c->member_rack[m] = -1;
    if (r.n == 0) {
        free(r.name);
        return;
    }
    for (int32_t t = 0; t < c->nt; t++)
        for (int32_t p = 0; c->live[t] && g->topics[t].replicas && p < g->topics[t].partitions; p++)
            for (int32_t i = 0; i < g->topics[t].replicas[p].n; i++)
                racks_add(&r, g->topics[t].replicas[p].racks[i]);
    qsort(r.name, (size_t)r.n, sizeof *r.name, cmp_str);
    int32_t u = 0;
    for (int32_t i = 0; i < r.n; i++)
        if (u == 0 || strcmp(r.name[i], r.name[u - 1]) != 0)
            r.name[u++] = r.name[i];
    r.n = u;
    c->nracks = r.n;
    for (int32_t m = 0; m < c->nm; m++)
        if (g->members[m].rack && g->members[m].rack[0])
            c->member_rack[m] = racks_find(&r, g->members[m].rack);
    prepare_partition_racks(c, &r);
    free(r.name);
}

static void ctx_free(assign_ctx_t *c)
{
    free(c->rank);
    free(c->by_rank);
    free(c->hash);
    free(c->live);
    free(c->base);
    free(c->ptopic);
    free(c->sub_first);
    free(c->sub);
    free(c->member_rank);
    free(c->member_rack);
    free(c->prack_first);
    free(c->prack);
    free(c->owner);
}

/* ---- the answer ---- */

static void build_result(const assign_ctx_t *c, assign_result_t *out)
{
    out->nmembers = c->nm;
    out->flags = c->flags;
    out->first = assign_xcalloc((size_t)c->nm + 1, sizeof *out->first);
    for (int32_t gp = 0; gp < c->np; gp++) {
        assert(c->owner[gp] >= -1 && c->owner[gp] < c->nm);
        if (c->owner[gp] >= 0)
            out->first[c->owner[gp] + 1]++;
    }
    for (int32_t m = 0; m < c->nm; m++)
        out->first[m + 1] += out->first[m];
    out->tps = assign_xmalloc(((size_t)out->first[c->nm] + 1) * sizeof *out->tps);
    int64_t *fill = assign_xmalloc(((size_t)c->nm + 1) * sizeof *fill);
    memcpy(fill, out->first, (size_t)c->nm * sizeof *fill);
    for (int32_t r = 0; r < c->nt; r++) {
        int32_t t = c->by_rank[r];
        for (int32_t p = 0; c->live[t] && p < c->g->topics[t].partitions; p++) {
            int32_t m = c->owner[c->base[t] + p];
            if (m >= 0)
                out->tps[fill[m]++] = (assign_tp_t){ t, p };
        }
    }
    free(fill);
}

bool assign_run(const char *name, const assign_group_t *g, assign_result_t *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof *out);
    int kind = kind_of(name);
    if (kind < 0) {
        snprintf(err, errlen, "unknown assignor '%s' (known: %s)", name ? name : "",
                 ASSIGN_NAMES);
        return false;
    }
    if (!check_group(g, err, errlen))
        return false;
    assign_ctx_t c = { .g = g, .nm = g->nmembers, .nt = g->ntopics, .err = err, .errlen = errlen };
    prepare_topics(&c);
    prepare_members(&c);
    prepare_racks(&c);
    c.owner = assign_xmalloc(((size_t)c.np + 1) * sizeof *c.owner);
    memset(c.owner, 0xff, ((size_t)c.np + 1) * sizeof *c.owner);
    bool ok = kind == RANGE        ? assign_range(&c)
              : kind == ROUNDROBIN ? assign_roundrobin(&c)
                                   : assign_sticky(&c, kind == COOPERATIVE);
    if (ok)
        build_result(&c, out);
    ctx_free(&c);
    return ok;
}

void assign_result_free(assign_result_t *r)
{
    free(r->first);
    free(r->tps);
    memset(r, 0, sizeof *r);
}
