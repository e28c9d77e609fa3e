/* term: the thin layer between the viewer and a real terminal. It owns ncurses: setting
 * the terminal up, copying the viewer's screen buffer to it, reading keys, mouse clicks
 * and resizes, and putting the terminal back as it was on quit and on SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT. */
#ifndef KSIM_TERM_H
#define KSIM_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "viewer.h"

typedef struct term_opts {
    bool ascii; /* no box drawing, no ✗ */
    bool color; /* false: attributes only (NO_COLOR, --no-color) */
} term_opts_t;

/* Runs the viewer until it is done or a signal arrives. Returns 0, the number of the
 * signal that ended it, or -1 when the terminal cannot be used (message in err). */
int term_run(viewer_t *v, const term_opts_t *o, char *err, size_t errlen);

#endif
