/* screen: an in-memory terminal screen. It owns a grid of cells, each holding one
 * character (UTF-8, with its display width: CJK takes two cells) and a style; the viewer
 * draws here, a thin layer copies it to ncurses, and tests read it back as text. */
#ifndef KSIM_SCREEN_H
#define KSIM_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a cell means; the terminal layer maps each style to colours and attributes. */
typedef enum scr_style {
    SS_NORMAL,
    SS_TITLE,      /* the title bar */
    SS_HEADER,     /* lane headers, section titles */
    SS_LANE,       /* a lane's vertical line */
    SS_DOWN,       /* a crashed node's lane */
    SS_PAUSED,     /* a paused node's lane */
    SS_REQUEST,    /* a request arrow */
    SS_RESPONSE,   /* a response arrow */
    SS_ERROR,      /* a response carrying an error */
    SS_DROP,       /* a lost message, a crash, a failed check */
    SS_FAULT,      /* a fault rule firing, a pause, a network partition */
    SS_NOTE,       /* narration from the scenario */
    SS_OK,         /* a passed check */
    SS_STATE,      /* a state change on a node's lane */
    SS_DIM,        /* repeated times, greyed (aborted) records, hints */
    SS_MARK,       /* HW / LSO / log-end markers */
    SS_SELECT,     /* the selected event's detail line */
    SS_COUNT
} scr_style_t;

/* Flags added to a cell's style. */
enum { SF_REVERSE = 1, SF_BOLD = 2, SF_SHADE = 4 };

/* Symbols that have an ASCII stand-in (--ascii, or a terminal that is not UTF-8). */
typedef enum scr_glyph {
    G_VLINE, G_HLINE, G_DASH, G_RIGHT, G_LEFT, G_CROSS, G_DOT, G_UP, G_PAUSE, G_PLAY,
    G_DOWNLANE, G_PAUSELANE, G_CHECK, G_ELLIPSIS, G_SHADE, G_TEE, G_HW, G_COUNT
} scr_glyph_t;

#define SCR_CELL_BYTES 12

typedef struct scr_cell {
    char s[SCR_CELL_BYTES]; /* one character (plus combining marks), NUL-terminated */
    int8_t width;           /* 1 or 2 on the first cell of a character, 0 on the second half */
    uint8_t style;
    uint8_t flags;
} scr_cell_t;

typedef struct scr {
    int w, h;
    scr_cell_t *cells;
    bool ascii; /* ASCII glyphs */
    bool utf8;  /* the locale is UTF-8: otherwise non-ASCII text shows as '?' */
} scr_t;

/* A blank screen of w×h cells (a size below 1 is taken as 1). ascii selects the glyph
 * set; UTF-8 text is decoded with the locale (setlocale is the command's job). */
scr_t *scr_new(int w, int h, bool ascii);
void scr_free(scr_t *s);
/* Changes the size; the content is cleared. */
void scr_resize(scr_t *s, int w, int h);
void scr_clear(scr_t *s);

const char *scr_glyph(const scr_t *s, scr_glyph_t g);

/* Display width of UTF-8 text as this screen would draw it. */
int scr_width(const scr_t *s, const char *text);
/* The length in bytes of the longest prefix of text that fits in maxw columns (never
 * ending inside a character); its width goes into *width when not NULL. */
size_t scr_prefix(const scr_t *s, const char *text, int maxw, int *width);
/* Writes text at (x, y), at most maxw columns (and never past the right edge); a wide
 * character that does not fit entirely is not drawn. Returns the columns written. */
int scr_put(scr_t *s, int x, int y, const char *text, int maxw, scr_style_t style);
/* Like scr_put, but text wider than maxw ends in "…" within maxw columns. */
int scr_put_clip(scr_t *s, int x, int y, const char *text, int maxw, scr_style_t style);
/* n copies of a one-column string (a glyph) from (x, y). */
void scr_fill(scr_t *s, int x, int y, int n, const char *glyph, scr_style_t style);
/* Adds flags to n cells from (x, y). */
void scr_add_flags(scr_t *s, int x, int y, int n, uint8_t flags);

const scr_cell_t *scr_cell(const scr_t *s, int x, int y);
/* Row y as UTF-8 text (trailing blanks removed) into buf; returns buf. */
const char *scr_row_text(const scr_t *s, int y, char *buf, size_t n);
/* Whether any row contains `needle`. */
bool scr_contains(const scr_t *s, const char *needle);
/* The row of the first line containing needle, or -1. */
int scr_find_row(const scr_t *s, const char *needle);

#endif
