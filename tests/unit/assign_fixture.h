/* assign_fixture: groups written as text for the assignor tests, and Kafka's own test
 * helpers (its replica rack layout, verifyValidityAndBalance).
 *   topic NAME PARTITIONS [RACKS...]   racks of each partition: "a,b" (two replicas) or "-"
 *   member ID TOPIC,TOPIC|- [owned=T-P,T-P] [gen=N] [instance=I] [rack=R]
 * Answers read "ID=[T-P T-P] ID=[]", members in the group's order. One group at a time
 * lives in the static T. */
#ifndef KSIM_ASSIGN_FIXTURE_H
#define KSIM_ASSIGN_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/assignors/assignor.h"
#include "tests/unit/tap.h"

enum { MAXT = 32, MAXP = 256, MAXM = 64, MAXR = 4 };

typedef struct tg {
    assign_topic_t topics[MAXT];
    assign_replicas_t reps[MAXT][MAXP];
    const char *racks[MAXT][MAXP][MAXR];
    assign_member_t members[MAXM];
    int32_t subs[MAXM][MAXT];
    assign_tp_t owned[MAXM][MAXP];
    char strings[16384];
    size_t used;
    assign_group_t g;
    assign_result_t r;
    char text[8192];
} tg_t;

static tg_t T;

static inline const char *keep(tg_t *t, const char *s, size_t n)
{
    char *p = t->strings + t->used;
    if (t->used + n + 1 > sizeof t->strings) {
        fprintf(stderr, "test fixture: out of string space\n");
        exit(2);
    }
    memcpy(p, s, n);
    p[n] = '\0';
    t->used += n + 1;
    return p;
}

static inline int32_t topic_index(const tg_t *t, const char *name)
{
    for (int32_t i = 0; i < t->g.ntopics; i++)
        if (strcmp(t->topics[i].name, name) == 0)
            return i;
    fprintf(stderr, "test fixture: no topic '%s'\n", name);
    exit(2);
}

static inline void parse_racks(tg_t *t, int32_t ti, char *word, int32_t p)
{
    assign_replicas_t *r = &t->reps[ti][p];
    r->racks = t->racks[ti][p];
    r->n = 0;
    if (strcmp(word, "-") == 0)
        return;
    for (char *save = NULL, *x = strtok_r(word, ",", &save); x; x = strtok_r(NULL, ",", &save))
        t->racks[ti][p][r->n++] = strcmp(x, "null") == 0 ? NULL : keep(t, x, strlen(x));
    t->topics[ti].replicas = t->reps[ti];
}

static inline void add_topic(tg_t *t, char **w, int n)
{
    int32_t ti = t->g.ntopics++;
    t->topics[ti] = (assign_topic_t){ keep(t, w[1], strlen(w[1])), atoi(w[2]), NULL };
    for (int i = 3; i < n; i++)
        parse_racks(t, ti, w[i], i - 3);
}

static inline void parse_owned(tg_t *t, assign_member_t *m, int32_t mi, char *list)
{
    for (char *save = NULL, *x = strtok_r(list, ",", &save); x; x = strtok_r(NULL, ",", &save)) {
        char *dash = strrchr(x, '-');
        *dash = '\0';
        t->owned[mi][m->nowned++] = (assign_tp_t){ topic_index(t, x), atoi(dash + 1) };
    }
}

static inline void add_member(tg_t *t, char **w, int n)
{
    int32_t mi = t->g.nmembers++;
    assign_member_t *m = &t->members[mi];
    *m = (assign_member_t){ .id = keep(t, w[1], strlen(w[1])), .topics = t->subs[mi],
                            .owned = t->owned[mi], .generation = ASSIGN_NO_GENERATION };
    if (strcmp(w[2], "-") != 0)
        for (char *save = NULL, *x = strtok_r(w[2], ",", &save); x; x = strtok_r(NULL, ",", &save))
            t->subs[mi][m->ntopics++] = topic_index(t, x);
    for (int i = 3; i < n; i++) {
        if (strncmp(w[i], "owned=", 6) == 0)
            parse_owned(t, m, mi, w[i] + 6);
        else if (strncmp(w[i], "gen=", 4) == 0)
            m->generation = atoi(w[i] + 4);
        else if (strncmp(w[i], "instance=", 9) == 0)
            m->instance = keep(t, w[i] + 9, strlen(w[i] + 9));
        else if (strncmp(w[i], "rack=", 5) == 0)
            m->rack = keep(t, w[i] + 5, strlen(w[i] + 5));
    }
}

/* Adds the lines of `spec` to the group. */
static inline void tg_add(tg_t *t, const char *spec)
{
    char *copy = strdup(spec);
    for (char *s1 = NULL, *line = strtok_r(copy, "\n", &s1); line; line = strtok_r(NULL, "\n", &s1)) {
        char *w[MAXP + 4];
        int n = 0;
        for (char *s2 = NULL, *x = strtok_r(line, " ", &s2); x && n < MAXP + 4; x = strtok_r(NULL, " ", &s2))
            w[n++] = x;
        if (n == 0)
            continue;
        if (strcmp(w[0], "topic") == 0)
            add_topic(t, w, n);
        else
            add_member(t, w, n);
    }
    free(copy);
}

static inline void tg_new(tg_t *t, const char *spec)
{
    assign_result_free(&t->r);
    memset(t, 0, sizeof *t);
    t->g.topics = t->topics;
    t->g.members = t->members;
    tg_add(t, spec);
}

static inline int32_t member_index(const tg_t *t, const char *id)
{
    for (int32_t m = 0; m < t->g.nmembers; m++)
        if (strcmp(t->members[m].id, id) == 0)
            return m;
    return -1;
}

/* Runs an assignor; returns the answer as text ("c1=[t0-0] c2=[]") or "error: ...". */
static inline const char *tg_run(tg_t *t, const char *assignor)
{
    char err[512];
    assign_result_free(&t->r);
    if (!assign_run(assignor, &t->g, &t->r, err, sizeof err)) {
        snprintf(t->text, sizeof t->text, "error: %s", err);
        return t->text;
    }
    size_t n = 0;
    for (int32_t m = 0; m < t->g.nmembers; m++) {
        n += (size_t)snprintf(t->text + n, sizeof t->text - n, "%s%s=[", m ? " " : "",
                              t->members[m].id);
        for (int64_t k = t->r.first[m]; k < t->r.first[m + 1]; k++)
            n += (size_t)snprintf(t->text + n, sizeof t->text - n, "%s%s-%d",
                                  k > t->r.first[m] ? " " : "",
                                  t->topics[t->r.tps[k].topic].name, t->r.tps[k].partition);
        n += (size_t)snprintf(t->text + n, sizeof t->text - n, "]");
    }
    return t->text;
}

/* Every member rejoins owning what the last run gave it, at generation `gen`. */
static inline void tg_rejoin(tg_t *t, int32_t gen)
{
    for (int32_t m = 0; m < t->g.nmembers; m++) {
        assign_member_t *mb = &t->members[m];
        mb->nowned = 0;
        for (int64_t k = t->r.first[m]; k < t->r.first[m + 1]; k++)
            t->owned[m][mb->nowned++] = t->r.tps[k];
        mb->generation = gen;
    }
}

/* A member leaves: the later members move up, keeping their order. */
static inline void tg_leave(tg_t *t, const char *id)
{
    int32_t m = member_index(t, id);
    for (int32_t i = m; i + 1 < t->g.nmembers; i++) {
        t->members[i] = t->members[i + 1];
        memcpy(t->subs[i], t->subs[i + 1], sizeof t->subs[i]);
        memcpy(t->owned[i], t->owned[i + 1], sizeof t->owned[i]);
        t->members[i].topics = t->subs[i];
        t->members[i].owned = t->owned[i];
    }
    t->g.nmembers--;
}

/* How many partitions member `id` got in the last run (of topic `topic`, or all). */
static inline int count_of(const tg_t *t, const char *id, const char *topic)
{
    int32_t m = member_index(t, id), n = 0;
    for (int64_t k = t->r.first[m]; k < t->r.first[m + 1]; k++)
        n += !topic || strcmp(t->topics[t->r.tps[k].topic].name, topic) == 0;
    return n;
}

/* Replica racks laid out as Kafka's AbstractPartitionAssignorTest.partitionInfos does:
 * replica j of partition p of the i-th topic sits on broker (p + j + partitions of the
 * topics before it) % brokers. A NULL broker rack is a broker without one. */
static inline void tg_kafka_racks(tg_t *t, int rf, int nbrokers, const char *const *broker_racks)
{
    int next = 0;
    for (int32_t ti = 0; ti < t->g.ntopics; ti++) {
        for (int32_t p = 0; p < t->topics[ti].partitions; p++) {
            t->reps[ti][p] = (assign_replicas_t){ t->racks[ti][p], rf };
            for (int j = 0; j < rf; j++)
                t->racks[ti][p][j] = broker_racks[(p + j + next) % nbrokers];
        }
        t->topics[ti].replicas = t->reps[ti];
        next += t->topics[ti].partitions;
    }
}

static const char *const ABC[] = { "a", "b", "c" };
static const char *const AB[] = { "a", "b" };
static const char *const NONE3[] = { NULL, NULL, NULL };


/* Kafka's verifyValidityAndBalance: every partition of a subscribed topic goes to exactly
 * one subscriber, and two members whose counts differ by more than one share no topic. */
static inline bool valid_and_balanced(const tg_t *t)
{
    int seen[MAXT][MAXP] = { { 0 } };
    for (int32_t m = 0; m < t->g.nmembers; m++)
        for (int64_t k = t->r.first[m]; k < t->r.first[m + 1]; k++) {
            assign_tp_t tp = t->r.tps[k];
            bool sub = false;
            for (int32_t i = 0; i < t->members[m].ntopics; i++)
                sub = sub || t->members[m].topics[i] == tp.topic;
            if (!sub || seen[tp.topic][tp.partition]++) {
                tap_diag("%s-%d is not assignable to %s", t->topics[tp.topic].name, tp.partition,
                         t->members[m].id);
                return false;
            }
        }
    for (int32_t a = 0; a < t->g.nmembers; a++)
        for (int32_t b = 0; b < t->g.nmembers; b++) {
            int64_t na = t->r.first[a + 1] - t->r.first[a], nb = t->r.first[b + 1] - t->r.first[b];
            if (na <= nb + 1)
                continue;
            for (int64_t i = t->r.first[a]; i < t->r.first[a + 1]; i++)
                for (int64_t j = t->r.first[b]; j < t->r.first[b + 1]; j++)
                    if (t->r.tps[i].topic == t->r.tps[j].topic) {
                        tap_diag("%s could move a partition to %s", t->members[a].id,
                                 t->members[b].id);
                        return false;
                    }
        }
    return true;
}

/* Whether member `id` got every partition listed in `before` ("t-0 t-2"). */
static inline bool kept(const tg_t *t, const char *id, const char *before)
{
    char want[256];
    int32_t m = member_index(t, id);
    char *copy = strdup(before);
    bool all = true;
    for (char *save = NULL, *x = strtok_r(copy, " ", &save); x; x = strtok_r(NULL, " ", &save)) {
        bool found = false;
        for (int64_t k = t->r.first[m]; k < t->r.first[m + 1]; k++) {
            snprintf(want, sizeof want, "%s-%d", t->topics[t->r.tps[k].topic].name,
                     t->r.tps[k].partition);
            found = found || strcmp(want, x) == 0;
        }
        all = all && found;
    }
    free(copy);
    return all;
}

static inline void tg_subscribe(tg_t *t, const char *id, const char *topics)
{
    int32_t m = member_index(t, id);
    char *copy = strdup(topics);
    t->members[m].ntopics = 0;
    for (char *save = NULL, *x = strtok_r(copy, ",", &save); x; x = strtok_r(NULL, ",", &save))
        t->subs[m][t->members[m].ntopics++] = topic_index(t, x);
    free(copy);
}

#endif
