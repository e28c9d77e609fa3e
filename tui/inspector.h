/* inspector: the state at the cursor's moment, as text lines in a screen region: nodes
 * and their status (brokers also as their controller sees them), network partitions in
 * force, topics, each partition as its controller sees it (leader or OFFLINE, leader
 * epoch, an unclean election, the ISR and what it was) with each replica's role, log end
 * and HW, each replica's log (offset, key, value, producer id/epoch/sequence,
 * transactional and control marks, aborted records greyed) with its HW and log-end
 * markers, producers and consumers (ids, counters, requests in flight), any other section
 * later kinds fold (groups, transactions …), fault rules, and the checks so far. Only the
 * lines on screen are formatted. */
#ifndef KSIM_INSPECTOR_H
#define KSIM_INSPECTOR_H

#include <stdint.h>

#include "model.h"
#include "screen.h"

typedef struct insp_view {
    model_t *m;
    uint32_t at;  /* the moment (state.h): events applied */
    int scroll;   /* lines scrolled off the top */
} insp_view_t;

/* Draws into the region and returns the number of lines the content has (at least the
 * lines up to the end of the region; more when it was all built). */
int insp_draw(scr_t *s, const insp_view_t *v, int x, int y, int w, int h);

#endif
