/* chart: a comparison of assignors (compare.h) drawn as an SVG bar chart for a slide:
 * one panel per metric (partitions moved, partitions revoked, the spread of partitions
 * per member, rebalance rounds), in each a group of bars per step, one bar per strategy,
 * with its value. Integer coordinates and no clock: the same comparison gives the same
 * bytes. */
#ifndef KSIM_CHART_H
#define KSIM_CHART_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../sim/client/assignors/compare.h"

typedef struct chart {
    const char *title;
    const compare_history_t *h;
    const compare_strategy_t *strategies;
    int32_t nstrategies;
    const compare_result_t *r;
    int32_t first_step; /* the number shown for the first step (0 or 1) */
} chart_t;

/* Writes the chart; false when the output failed. */
bool chart_svg(FILE *out, const chart_t *c);

#endif
