/* history: HISTORY.json, the group changes that `ksim compare-assignors` replays, read
 * into a compare_history_t (compare.h). It owns the file's text and JSON tree (every
 * string of the history points into it) and finds the line of any part of the file, so
 * that each error says FILE:LINE. The format is in docs/assignors.md. */
#ifndef KSIM_HISTORY_H
#define KSIM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "../sim/client/assignors/compare.h"

typedef struct history history_t;

typedef enum history_status { HISTORY_OK, HISTORY_BAD, HISTORY_IO } history_status_t;

/* Reads the history in `path` ("-": standard input). HISTORY_BAD (the file is not a valid
 * history) and HISTORY_IO (it cannot be read) put "FILE:LINE: what is wrong" or "FILE:
 * why it cannot be read" in err. *out is NULL unless HISTORY_OK. */
history_status_t history_read(const char *path, history_t **out, char *err, size_t errlen);
void history_free(history_t *hs);

const compare_history_t *history_get(const history_t *hs);
/* The strategies the file lists ("strategies"); 0 when it lists none. */
int32_t history_strategies(const history_t *hs, const compare_strategy_t **out);
/* The number users see for step s: the group's first step ("members") is 0, the entries
 * of "steps" count from 1. */
int32_t history_step_number(const history_t *hs, int32_t step);
/* "FILE:LINE: step N (label): " for an error of compare_run, into buf. */
const char *history_where(const history_t *hs, const compare_error_t *e, char *buf, size_t n);

#endif
