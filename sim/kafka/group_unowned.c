/* group_unowned: the time-without-owner measure of the group coordinator. */
#include "group_unowned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

void unowned_free(unowned_t *u)
{
    for (int32_t i = 0; i < u->n_own; i++)
        free(u->own[i].owner);
    free(u->own);
    *u = (unowned_t){ 0 };
}

static ownership_t *ownership(unowned_t *u, const char *topic, int32_t partition)
{
    for (int32_t i = 0; i < u->n_own; i++)
        if (u->own[i].partition == partition && strcmp(u->own[i].topic, topic) == 0)
            return &u->own[i];
    u->own = realloc(u->own, (size_t)(u->n_own + 1) * sizeof *u->own);
    if (!u->own)
        abort();
    ownership_t *o = &u->own[u->n_own++];
    *o = (ownership_t){ topic, partition, NULL, -1 };
    return o;
}

void unowned_seed(unowned_t *u, const group_t *g)
{
    for (int32_t i = 0; i < g->n_members; i++) {
        const gmember_t *m = g->members[i];
        for (int32_t k = 0; k < m->assignment.n; k++) {
            ownership_t *o = ownership(u, m->assignment.v[k].topic, m->assignment.v[k].partition);
            free(o->owner);
            o->owner = gp_strdup(m->id);
            o->since = -1;
        }
    }
}

void unowned_rename(unowned_t *u, const char *old_id, const char *new_id)
{
    for (int32_t i = 0; i < u->n_own; i++)
        if (u->own[i].owner && strcmp(u->own[i].owner, old_id) == 0) {
            free(u->own[i].owner);
            u->own[i].owner = gp_strdup(new_id);
        }
}

void unowned_release(unowned_t *u, const char *member, const group_tps_t *kept, int64_t now)
{
    for (int32_t i = 0; i < u->n_own; i++) {
        ownership_t *o = &u->own[i];
        if (!o->owner || strcmp(o->owner, member) != 0)
            continue;
        if (kept && group_tps_has(kept, o->topic, o->partition))
            continue;
        free(o->owner);
        o->owner = NULL;
        o->since = now;
    }
}

int64_t unowned_hand_over(unowned_t *u, const group_t *g, int64_t now, cJSON *parts)
{
    int64_t total = 0;
    for (int32_t i = 0; i < g->n_members; i++) {
        const gmember_t *m = g->members[i];
        for (int32_t k = 0; k < m->assignment.n; k++) {
            ownership_t *o = ownership(u, m->assignment.v[k].topic, m->assignment.v[k].partition);
            if (o->owner) /* its own already, or (cooperative) still owned elsewhere */
                continue;
            if (o->since >= 0) {
                int64_t us = now - o->since;
                total += us;
                if (parts) {
                    char name[300];
                    snprintf(name, sizeof name, "%s-%d", o->topic, o->partition);
                    cJSON_AddNumberToObject(parts, name, (double)us / 1000.0);
                }
            }
            o->owner = gp_strdup(m->id);
            o->since = -1;
        }
    }
    u->total_us += total;
    return total;
}
