/* screen: the cell grid the viewer draws into. Text is decoded with mbrtowc and measured
 * with wcwidth, so a CJK character takes two cells and is never cut in half: writing over
 * one half of a wide character blanks the other half. */
#include "screen.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static const char *const glyph_utf8[G_COUNT] = {
    [G_VLINE] = "│", [G_HLINE] = "─", [G_DASH] = "┄", [G_RIGHT] = "▶", [G_LEFT] = "◀",
    [G_CROSS] = "✗", [G_DOT] = "•", [G_UP] = "▲", [G_PAUSE] = "‖", [G_PLAY] = "▶",
    [G_DOWNLANE] = "┊", [G_PAUSELANE] = "┆", [G_CHECK] = "✓", [G_ELLIPSIS] = "…",
    [G_SHADE] = "·", [G_TEE] = "├", [G_HW] = "▸",
};

static const char *const glyph_ascii[G_COUNT] = {
    [G_VLINE] = "|", [G_HLINE] = "-", [G_DASH] = ".", [G_RIGHT] = ">", [G_LEFT] = "<",
    [G_CROSS] = "x", [G_DOT] = "*", [G_UP] = "^", [G_PAUSE] = "=", [G_PLAY] = ">",
    [G_DOWNLANE] = ":", [G_PAUSELANE] = "=", [G_CHECK] = "v", [G_ELLIPSIS] = "~",
    [G_SHADE] = ".", [G_TEE] = "+", [G_HW] = ">",
};

/* In ASCII mode, the symbols the text timeline's sentences use get a stand-in. */
static const char *const ascii_subst[][2] = {
    { "✗", "x" }, { "✓", "v" }, { "»", ">" }, { "…", "~" }, { "·", "." }, { "→", ">" },
    { "▸", ">" }, { "─", "-" }, { "│", "|" }, { "▶", ">" }, { "◀", "<" },
};

static bool locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

scr_t *scr_new(int w, int h, bool ascii)
{
    scr_t *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    s->utf8 = locale_is_utf8();
    s->ascii = ascii || !s->utf8;
    scr_resize(s, w, h);
    return s;
}

void scr_free(scr_t *s)
{
    if (!s)
        return;
    free(s->cells);
    free(s);
}

void scr_resize(scr_t *s, int w, int h)
{
    s->w = w < 1 ? 1 : w;
    s->h = h < 1 ? 1 : h;
    free(s->cells);
    s->cells = malloc((size_t)s->w * (size_t)s->h * sizeof *s->cells);
    if (!s->cells)
        abort();
    scr_clear(s);
}

static const scr_cell_t blank_cell = { " ", 1, SS_NORMAL, 0 };

void scr_clear(scr_t *s)
{
    size_t n = (size_t)s->w * (size_t)s->h;
    for (size_t i = 0; i < n; i++)
        s->cells[i] = blank_cell;
}

const char *scr_glyph(const scr_t *s, scr_glyph_t g)
{
    return s->ascii ? glyph_ascii[g] : glyph_utf8[g];
}

static scr_cell_t *at(scr_t *s, int x, int y)
{
    return &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
}

const scr_cell_t *scr_cell(const scr_t *s, int x, int y)
{
    if (x < 0 || y < 0 || x >= s->w || y >= s->h)
        return NULL;
    return &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
}

/* The next character of p: its bytes to store (or "?" for what cannot be shown), its
 * display width (0 for a combining mark), and the number of bytes read. */
typedef struct ch {
    char bytes[8];
    int width;
    size_t used;
} ch_t;

static void ch_set(ch_t *c, const char *b, size_t n, int width, size_t used)
{
    memcpy(c->bytes, b, n);
    c->bytes[n] = '\0';
    c->width = width;
    c->used = used;
}

static void next_char(const scr_t *s, const char *p, ch_t *c)
{
    unsigned char b = (unsigned char)p[0];
    if (b < 0x80) {
        if (b == '\t')
            ch_set(c, " ", 1, 1, 1);
        else if (b < 0x20 || b == 0x7f)
            ch_set(c, "?", 1, 1, 1);
        else
            ch_set(c, p, 1, 1, 1);
        return;
    }
    if (s->ascii) {
        for (size_t i = 0; i < sizeof ascii_subst / sizeof ascii_subst[0]; i++) {
            size_t k = strlen(ascii_subst[i][0]);
            if (strncmp(p, ascii_subst[i][0], k) == 0) {
                ch_set(c, ascii_subst[i][1], 1, 1, k);
                return;
            }
        }
    }
    if (!s->utf8) {
        size_t n = 1;
        while (((unsigned char)p[n] & 0xC0) == 0x80 && n < 4)
            n++;
        ch_set(c, "?", 1, 1, n);
        return;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    size_t n = mbrtowc(&wc, p, strnlen(p, 4), &st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        ch_set(c, "?", 1, 1, 1);
        return;
    }
    int w = wcwidth(wc);
    if (w < 0 || w > 2)
        ch_set(c, "?", 1, 1, n);
    else
        ch_set(c, p, n, w, n);
}

int scr_width(const scr_t *s, const char *text)
{
    int w = 0;
    ch_t c;
    for (const char *p = text; *p; p += c.used) {
        next_char(s, p, &c);
        w += c.width;
    }
    return w;
}

size_t scr_prefix(const scr_t *s, const char *text, int maxw, int *width)
{
    int w = 0;
    ch_t c;
    const char *p = text;
    for (; *p; p += c.used) {
        next_char(s, p, &c);
        if (w + c.width > maxw)
            break;
        w += c.width;
    }
    if (width)
        *width = w;
    return (size_t)(p - text);
}

static void blank_at(scr_t *s, int x, int y)
{
    scr_cell_t *c = at(s, x, y);
    uint8_t style = c->style, flags = c->flags;
    *c = blank_cell;
    c->style = style;
    c->flags = flags;
}

/* Stores one character; a wide character it overlaps is blanked, never left in half. */
static void set_cell(scr_t *s, int x, int y, const ch_t *c, scr_style_t style)
{
    scr_cell_t *cell = at(s, x, y);
    if (cell->width == 0 && x > 0)
        blank_at(s, x - 1, y);
    int end = x + c->width; /* first column after this character */
    if (end < s->w && at(s, end, y)->width == 0)
        blank_at(s, end, y);
    memcpy(cell->s, c->bytes, strlen(c->bytes) + 1);
    cell->width = (int8_t)c->width;
    cell->style = (uint8_t)style;
    if (c->width == 2) {
        scr_cell_t *half = at(s, x + 1, y);
        half->s[0] = '\0';
        half->width = 0;
        half->style = (uint8_t)style;
    }
}

/* A combining mark joins the character before it, when there is room. */
static void add_mark(scr_t *s, int x, int y, const ch_t *c)
{
    while (x > 0 && at(s, x, y)->width == 0)
        x--;
    scr_cell_t *cell = at(s, x, y);
    size_t have = strlen(cell->s), add = strlen(c->bytes);
    if (have + add < SCR_CELL_BYTES)
        memcpy(cell->s + have, c->bytes, add + 1);
}

int scr_put(scr_t *s, int x, int y, const char *text, int maxw, scr_style_t style)
{
    if (y < 0 || y >= s->h || maxw <= 0 || x >= s->w)
        return 0;
    int limit = x + maxw < s->w ? x + maxw : s->w;
    int col = x;
    ch_t c;
    for (const char *p = text; *p && col < limit; p += c.used) {
        next_char(s, p, &c);
        if (c.width == 0) {
            if (col > 0 && col > x)
                add_mark(s, col - 1, y, &c);
            continue;
        }
        if (col + c.width > limit)
            break;
        if (col < 0) { /* left of the screen: skip, blanking a half that shows */
            if (col + c.width > 0)
                blank_at(s, 0, y);
            col += c.width;
            continue;
        }
        set_cell(s, col, y, &c, style);
        col += c.width;
    }
    return col - x;
}

int scr_put_clip(scr_t *s, int x, int y, const char *text, int maxw, scr_style_t style)
{
    if (maxw <= 0)
        return 0;
    if (scr_width(s, text) <= maxw)
        return scr_put(s, x, y, text, maxw, style);
    int n = scr_put(s, x, y, text, maxw - 1, style);
    return n + scr_put(s, x + n, y, scr_glyph(s, G_ELLIPSIS), 1, style);
}

void scr_fill(scr_t *s, int x, int y, int n, const char *glyph, scr_style_t style)
{
    for (int i = 0; i < n; i++)
        scr_put(s, x + i, y, glyph, 1, style);
}

void scr_add_flags(scr_t *s, int x, int y, int n, uint8_t flags)
{
    if (y < 0 || y >= s->h)
        return;
    for (int i = x < 0 ? 0 : x; i < x + n && i < s->w; i++)
        at(s, i, y)->flags |= flags;
}
const char *scr_row_text(const scr_t *s, int y, char *buf, size_t n)
{
    size_t len = 0, keep = 0;
    buf[0] = '\0';
    if (y < 0 || y >= s->h || n == 0)
        return buf;
    for (int x = 0; x < s->w; x++) {
        const scr_cell_t *c = &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
        size_t k = strlen(c->s);
        if (c->width == 0 || len + k + 1 > n)
            continue;
        memcpy(buf + len, c->s, k);
        len += k;
        if (strcmp(c->s, " ") != 0)
            keep = len;
    }
    buf[keep] = '\0';
    return buf;
}

int scr_find_row(const scr_t *s, const char *needle)
{
    size_t n = (size_t)s->w * SCR_CELL_BYTES + 1;
    char *buf = malloc(n);
    if (!buf)
        abort();
    int found = -1;
    for (int y = 0; y < s->h && found < 0; y++)
        if (strstr(scr_row_text(s, y, buf, n), needle))
            found = y;
    free(buf);
    return found;
}

bool scr_contains(const scr_t *s, const char *needle)
{
    return scr_find_row(s, needle) >= 0;
}
