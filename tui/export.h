/* export: a trace written out for documents. It owns what the three formats share (the
 * events chosen by a time window, a node filter and whether background traffic is in,
 * and the lanes they need) and the text format, which is the timeline `ksim run` prints;
 * svg.c and mermaid.c own theirs. The output depends on the trace and the options only:
 * same input, same bytes. */
#ifndef KSIM_EXPORT_H
#define KSIM_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "rows.h"

typedef struct export_opts {
    int64_t from;      /* µs; events before are left out */
    int64_t to;        /* µs; events after are left out (< 0: none) */
    const char *nodes; /* names or prefixes, separated by commas or spaces; NULL: all */
    bool all;          /* background traffic too (heartbeats, idle fetches); not for text */
} export_opts_t;

/* The chosen events: shown positions [a, b) of rows, and the lanes (node ids, lane
 * order) that they touch or the filter names. */
typedef struct export_sel {
    rows_t rows;
    uint32_t a, b;
    uint16_t *lanes;
    int nlanes;
} export_sel_t;

/* False with a message when a name in o->nodes matches no node. */
bool export_select(model_t *m, const export_opts_t *o, export_sel_t *sel, char *err,
                   size_t errlen);
void export_sel_free(export_sel_t *sel);
/* The lane index of a node in the selection, or -1. */
int export_lane(const export_sel_t *sel, uint16_t node);
/* The label of an event as the timeline draws it. */
void export_label(model_t *m, uint32_t e, char *buf, size_t n);

/* Each writes to out and returns false on a write error or a bad --nodes (err says). */
bool export_text(model_t *m, const export_opts_t *o, FILE *out, char *err, size_t errlen);
bool export_svg(model_t *m, const export_opts_t *o, FILE *out, char *err, size_t errlen);
bool export_mermaid(model_t *m, const export_opts_t *o, FILE *out, char *err, size_t errlen);

#endif
