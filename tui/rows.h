/* rows: which events the diagram shows and on which row. It owns the list of shown events
 * (deliveries and drops drawn on their message's arrow are left out; so is background
 * traffic unless asked for; a node filter keeps the events of the chosen nodes, messages
 * with one end among them included, and drops every event of an excluded node; the
 * scenario's own lines always stay) and the zoom: one
 * row per event, or one row per fixed span of virtual time, empty rows included, so that
 * quiet periods look as long as they were. */
#ifndef KSIM_ROWS_H
#define KSIM_ROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

#define ROWS_ZOOMS 9

typedef struct rows {
    model_t *m;
    uint32_t *idx; /* shown events, ascending */
    uint32_t n, cap;
    uint8_t *on;   /* per node id: ROWS_ON, ROWS_OFF or ROWS_EXCLUDED (NULL: all on) */
    int zoom;      /* 0: one row per event; else rows_zoom_us[zoom] µs per row */
    bool bg;       /* background traffic (MF_BG) shown */
} rows_t;

enum { ROWS_OFF, ROWS_ON, ROWS_EXCLUDED };

extern const int64_t rows_zoom_us[ROWS_ZOOMS];

void rows_init(rows_t *r, model_t *m);
void rows_free(rows_t *r);
/* Applies a filter made by rows_parse_nodes (copied; NULL shows everything). */
void rows_filter(rows_t *r, const uint8_t *on);
/* Shows or hides background traffic (heartbeats, idle fetches: MF_BG). */
void rows_show_bg(rows_t *r, bool on);
/* Whether event i is a row's event (or one of the events a zoomed-out row stands for). */
bool rows_shows(const rows_t *r, uint32_t i);
/* Whether a node has a lane under the filter. */
bool rows_node_shown(const rows_t *r, uint16_t node);
/* Whether event i passes the filter `on` (NULL: every event does). */
bool rows_event_passes(const model_t *m, const uint8_t *on, uint32_t i);
/* Fills on[] (one per node id, zeroed by the caller) from words separated by spaces or
 * commas: a word picks the nodes whose name starts with it; "-word" excludes them (and
 * when only exclusions are given, every other node is picked). Returns how many nodes
 * the words matched; the first word that matched none goes into bad ("" when all did). */
int rows_parse_nodes(const model_t *m, const char *names, uint8_t *on, char *bad, size_t n);

int64_t rows_count(const rows_t *r);
/* Shown positions [*a, *b) on row `row`. */
void rows_range(const rows_t *r, int64_t row, uint32_t *a, uint32_t *b);
/* The row of shown position pos. */
int64_t rows_row_of(const rows_t *r, uint32_t pos);
/* The first shown position whose event is >= ev (r->n when none). */
uint32_t rows_pos_of_event(const rows_t *r, uint32_t ev);
/* The moment the inspector shows for a row (state.h's `at`): after the row's event, or
 * after every event before the end of the row's span. */
uint32_t rows_moment(const rows_t *r, int64_t row);
/* The moment at the start of a row: what the lanes look like as it begins. */
uint32_t rows_moment_before(const rows_t *r, int64_t row);
/* The row's time (its event's, or the start of its span). */
int64_t rows_time(const rows_t *r, int64_t row);
/* "events", "100 µs", "1 ms" … into buf. */
const char *rows_zoom_name(int zoom, char *buf, int n);

#endif
