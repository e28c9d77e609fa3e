/* Unit tests for tui/screen: text in cells, display widths (CJK takes two cells), clipping
 * at the edges without cutting a character in half, ellipses, ASCII glyphs. */
#include <stdio.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/screen.h"

static char row[4096];

static const char *text_of(const scr_t *s, int y)
{
    return scr_row_text(s, y, row, sizeof row);
}

/* Every second half of a wide character follows its first half. */
static int halves_intact(const scr_t *s)
{
    for (int y = 0; y < s->h; y++)
        for (int x = 0; x < s->w; x++) {
            const scr_cell_t *c = scr_cell(s, x, y);
            if (c->width == 0 && (x == 0 || scr_cell(s, x - 1, y)->width != 2))
                return 0;
            if (c->width == 2 && (x + 1 >= s->w || scr_cell(s, x + 1, y)->width != 0))
                return 0;
        }
    return 1;
}

static void test_ascii_text(void)
{
    scr_t *s = scr_new(80, 24, false);
    is_str(text_of(s, 0), "", "a new screen is blank");
    is_int(scr_put(s, 2, 0, "hello", 80, SS_NOTE), 5, "text takes one column per letter");
    is_str(text_of(s, 0), "  hello", "the text is at its column");
    is_int(scr_cell(s, 2, 0)->style, SS_NOTE, "cells keep the style they were written with");
    is_int(scr_put(s, 75, 1, "abcdefghij", 80, SS_NORMAL), 5, "text stops at the right edge");
    is_str(text_of(s, 1), "                                                                           abcde",
           "only what fits is written");
    is_int(scr_put(s, 0, 24, "x", 10, SS_NORMAL), 0, "a row below the screen is ignored");
    is_int(scr_put(s, 0, 2, "tab\there", 80, SS_NORMAL), 8, "a tab is one blank");
    scr_put(s, 0, 3, "bell\a!", 80, SS_NORMAL);
    is_str(text_of(s, 3), "bell?!", "control characters show as '?'");
    scr_resize(s, 20, 3);
    is_str(text_of(s, 0), "", "resizing clears the screen");
    is_int(s->w * 100 + s->h, 2003, "resizing changes the size");
    scr_free(s);
}

static void test_wide_characters(void)
{
    scr_t *s = scr_new(10, 4, false);
    is_int(scr_width(s, "问题"), 4, "a CJK character is two columns wide");
    is_int(scr_width(s, "ACK 丢失"), 8, "mixed text adds its widths");
    is_int(scr_put(s, 0, 0, "问题场景", 5, SS_NORMAL), 4, "a character that does not fit is left out");
    is_str(text_of(s, 0), "问题", "two characters fit in five columns");
    is_int(scr_cell(s, 1, 0)->width, 0, "the second cell of a wide character is its half");
    scr_put(s, 0, 1, "ab问题场景", 10, SS_NORMAL);
    is_str(text_of(s, 1), "ab问题场景", "text exactly as wide as the screen fits");
    scr_put(s, 7, 2, "ab问", 10, SS_NORMAL);
    is_str(text_of(s, 2), "       ab", "a wide character at the right edge is not cut in half");
    scr_put(s, 0, 3, "问题", 10, SS_NORMAL);
    scr_put(s, 1, 3, "x", 1, SS_NORMAL);
    is_str(text_of(s, 3), " x题", "writing over one half of a wide character blanks the other");
    scr_put(s, 2, 3, "y", 1, SS_NORMAL);
    is_str(text_of(s, 3), " xy", "and so does writing over its first half");
    ok(halves_intact(s), "no half of a wide character is left alone");
    is_int(scr_width(s, "e\xcc\x81t\xc3\xa9"), 3, "a combining accent takes no column");
    scr_free(s);
}

static void test_clip(void)
{
    scr_t *s = scr_new(20, 2, false);
    scr_put_clip(s, 0, 0, "hello world", 6, SS_NORMAL);
    is_str(text_of(s, 0), "hello…", "clipped text ends with an ellipsis within its width");
    scr_put_clip(s, 0, 1, "问题场景", 5, SS_NORMAL);
    is_str(text_of(s, 1), "问题…", "clipped CJK text ends with an ellipsis, no half character");
    int w;
    is_int(scr_prefix(s, "问题场景", 5, &w), 6, "the prefix that fits is two characters (six bytes)");
    is_int(w, 4, "and four columns");
    is_int(scr_put_clip(s, 0, 1, "abc", 0, SS_NORMAL), 0, "no room, nothing written");
    scr_free(s);
}

static void test_ascii_mode(void)
{
    scr_t *s = scr_new(20, 2, true);
    is_str(scr_glyph(s, G_CROSS), "x", "in ASCII mode a lost message is an x");
    is_str(scr_glyph(s, G_VLINE), "|", "lanes are bars");
    scr_put(s, 0, 0, "✗ dropped → p1", 20, SS_NORMAL);
    is_str(text_of(s, 0), "x dropped > p1", "symbols in text get ASCII stand-ins");
    scr_free(s);
    s = scr_new(20, 2, false);
    is_str(scr_glyph(s, G_CROSS), "✗", "in UTF-8 mode a lost message is a ✗");
    scr_free(s);
}

int main(void)
{
    fixture_locale();
    test_ascii_text();
    test_wide_characters();
    test_clip();
    test_ascii_mode();
    return tap_done();
}
