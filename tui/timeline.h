/* timeline: the sequence diagram. It owns the layout (a time column, then one lane per
 * node, as many as fit, scrolled sideways when there are more) and the drawing of rows
 * into a screen region: messages as arrows between lanes (a lost one ends in ✗ half-way),
 * node events as marks on their lane, scenario lines (notes, checks) across the lanes,
 * crashed and paused nodes' lanes, and the links a network partition cuts, shaded. */
#ifndef KSIM_TIMELINE_H
#define KSIM_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "rows.h"
#include "screen.h"

#define TL_TIME_W 11
#define TL_MIN_LANE 12
#define TL_MAX_LANES 64

typedef struct tl_view {
    model_t *m;
    const rows_t *rows;
    int64_t top;    /* the first row on screen */
    int64_t cursor; /* the cursor's row */
    int lane_off;   /* the first lane shown (after the node filter) */
} tl_view_t;

typedef struct tl_geom {
    int x, y, w, h;
    int lanes_x;    /* where the lanes begin */
    int lane_w;
    int first;      /* lanes (after the filter) before the first one shown */
    int total;      /* lanes after the filter */
    int nshown;
    uint16_t node[TL_MAX_LANES];
    int cx[TL_MAX_LANES];
} tl_geom_t;

/* The layout of a region w×h at (x, y); the first row is the lane headers. */
void tl_layout(const tl_view_t *v, int x, int y, int w, int h, tl_geom_t *g);
/* How many event rows the region shows (its height less the header). */
int tl_rows_visible(int h);
/* The largest useful lane_off for a width. */
int tl_max_lane_off(const tl_view_t *v, int w);
void tl_draw(scr_t *s, const tl_view_t *v, int x, int y, int w, int h);
/* The event a row shows (the one most worth seeing when it holds several), or
 * MODEL_NONE for an empty row. */
uint32_t tl_row_event(model_t *m, const rows_t *r, int64_t row);

#endif
