/* viewer_int: the viewer's state, shared by its two files: viewer.c (keys and moves) and
 * viewdraw.c (the screen). Nothing outside the viewer includes this. */
#ifndef KSIM_VIEWER_INT_H
#define KSIM_VIEWER_INT_H

#include "rows.h"
#include "viewer.h"

#define VIEWER_INPUT 256
#define VIEWER_SPEEDS 6

enum { PANE_TIMELINE, PANE_INSPECTOR };
enum { PROMPT_NONE, PROMPT_SEARCH, PROMPT_FILTER };

/* Where things are on the screen, as last drawn. */
typedef struct viewer_layout {
    int w, h;
    bool split;          /* the inspector beside the timeline */
    int tl_x, tl_w;      /* the timeline (0 wide when hidden) */
    int in_x, in_w;      /* the inspector (0 wide when hidden) */
    int main_y, main_h;  /* the panes' rows */
} viewer_layout_t;

struct viewer {
    model_t *m;
    rows_t rows;
    int64_t cur, top;    /* the cursor's row, the first row on screen */
    uint32_t anchor;     /* the event selected when zooming out, to come back to */
    int lane_off;
    int focus;           /* PANE_* */
    int insp_scroll, insp_lines;
    bool playing;
    int speed;           /* index in viewer_speeds */
    double play_t;       /* virtual µs reached */
    int64_t play_wall;   /* wall µs of the last tick */
    int prompt;          /* PROMPT_* */
    char input[VIEWER_INPUT];
    char last_search[VIEWER_INPUT];
    char filter_text[VIEWER_INPUT];
    char msg[VIEWER_INPUT];
    bool help, done;
    viewer_layout_t lay;
};

/* Virtual seconds per wall second, and their names. */
extern const double viewer_speeds[VIEWER_SPEEDS];
extern const char *const viewer_speed_names[VIEWER_SPEEDS];

/* viewdraw.c */
void viewer_layout(viewer_t *v, int w, int h);
int viewer_page(const viewer_t *v);
/* Keeps the cursor's row on screen. */
void viewer_follow(viewer_t *v);

#endif
