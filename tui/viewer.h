/* viewer: the interactive timeline without the terminal. It owns what the user moves
 * (the cursor's row, the scroll, the zoom, the node filter, the focused pane, play and its
 * speed, the search and filter prompts, the help overlay), turns keys and clicks into
 * moves, and draws the whole screen into a screen buffer: title, timeline, inspector,
 * the selected event's line, the note caption and the key hints. term.c feeds it keys
 * from ncurses; tests and the benchmark feed it directly. */
#ifndef KSIM_VIEWER_H
#define KSIM_VIEWER_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "screen.h"

/* Keys that are not characters (characters are their Unicode code points). */
enum viewer_key {
    VK_UP = 0x110000, VK_DOWN, VK_LEFT, VK_RIGHT, VK_PGUP, VK_PGDN, VK_HOME, VK_END,
    VK_ENTER, VK_BACKSPACE, VK_ESC, VK_TAB, VK_WHEEL_UP, VK_WHEEL_DOWN
};

/* Below this size the viewer only says that the terminal is too small. */
#define VIEWER_MIN_W 40
#define VIEWER_MIN_H 10
/* From this width the inspector sits beside the timeline. */
#define VIEWER_SPLIT_W 110

typedef struct viewer viewer_t;

viewer_t *viewer_new(model_t *m);
void viewer_free(viewer_t *v);

/* Keys act on the last size drawn (80×24 before the first draw). */
void viewer_key(viewer_t *v, int key);
/* A mouse click at a screen cell. */
void viewer_click(viewer_t *v, int x, int y);
/* Play: advances virtual time to the wall clock `now_us`; true when the screen changed. */
bool viewer_tick(viewer_t *v, int64_t now_us);
bool viewer_playing(const viewer_t *v);
bool viewer_done(const viewer_t *v);
void viewer_draw(viewer_t *v, scr_t *s);

/* For tests: the event the cursor is on (MODEL_NONE on an empty row), the moment the
 * inspector shows, and the cursor's row. */
uint32_t viewer_selected(const viewer_t *v);
uint32_t viewer_moment(const viewer_t *v);
int64_t viewer_row(const viewer_t *v);

#endif
