/* Unit tests for tui/timeline (with model and rows): lanes in order and where they are
 * drawn, arrows between lanes with their heads on the receiving side, a lost message
 * ending in ✗ half-way, notes and CJK text clipped at 80×24, crashed, paused and cut
 * lanes, kinds the viewer does not know, zoom by time, and the node filter. */
#include <stdio.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/rows.h"
#include "tui/screen.h"
#include "tui/timeline.h"

static char row[8192];

static const char *text_of(const scr_t *s, int y)
{
    return scr_row_text(s, y, row, sizeof row);
}

/* The column of the first cell holding `glyph` on row y, or -1. */
static int col_of(const scr_t *s, int y, const char *glyph)
{
    for (int x = 0; x < s->w; x++)
        if (strcmp(scr_cell(s, x, y)->s, glyph) == 0)
            return x;
    return -1;
}

/* The screen row showing event number `seq` (1-based trace order) in event zoom. */
static int row_of_seq(const rows_t *r, uint32_t seq)
{
    uint32_t pos = rows_pos_of_event(r, seq - 1);
    return pos < r->n && r->idx[pos] == seq - 1 ? (int)pos + 1 : -1;
}

static void draw(scr_t *s, model_t *m, const rows_t *r, int64_t top)
{
    tl_view_t v = { m, r, top, -1, 0 };
    scr_clear(s);
    tl_draw(s, &v, 0, 0, s->w, s->h);
}

static void test_lanes(model_t *m, const rows_t *r, scr_t *s)
{
    is_int(m->nlanes, 2, "two lanes: one per node");
    is_str(model_node_name(m, m->lanes[0]), "broker-1", "brokers come first");
    is_str(model_node_name(m, m->lanes[1]), "p1", "then clients, though p1 joined first");
    draw(s, m, r, 0);
    tl_geom_t g;
    tl_view_t v = { m, r, 0, -1, 0 };
    tl_layout(&v, 0, 0, 80, 24, &g);
    ok(strstr(text_of(s, 0), "broker-1") && strstr(text_of(s, 0), "p1"), "the header names the lanes");
    ok(g.cx[0] > TL_TIME_W && g.cx[0] < g.cx[1] && g.cx[1] < 80, "lane columns are in order, after the time column");
    int hdr = (int)(strstr(text_of(s, 0), "broker-1") - row);
    ok(hdr <= g.cx[0] && g.cx[0] < hdr + 8, "the header is centred over its lane (%d in %d..%d)", g.cx[0], hdr, hdr + 8);
    int y = row_of_seq(r, 6);
    is_str(scr_cell(s, g.cx[0], y)->s, "│", "a lane is a line on rows that are not its own");
}

static void test_arrows(model_t *m, const rows_t *r, scr_t *s)
{
    tl_geom_t g;
    tl_view_t v = { m, r, 0, -1, 0 };
    tl_layout(&v, 0, 0, 80, 24, &g);
    draw(s, m, r, 0);
    int y = row_of_seq(r, 7);
    ok(strstr(text_of(s, y), "Produce payments-0 [1]") != NULL, "the request is labelled with its API and partition");
    is_int(col_of(s, y, "◀"), g.cx[0] + 1, "its head touches the broker's lane (p1 -> broker-1)");
    is_int(scr_cell(s, g.cx[1] - 1, y)->style, SS_REQUEST, "its line starts at p1's lane");
    y = row_of_seq(r, 11);
    int x = col_of(s, y, "✗");
    ok(x > g.cx[0] && x < g.cx[1], "the lost answer ends in ✗ between the lanes");
    is_int(x, (g.cx[0] + g.cx[1]) / 2, "half-way");
    is_int(scr_cell(s, x, y)->style, SS_DROP, "in the drop style");
    is_int(col_of(s, y, "▶"), -1, "a lost message has no head");
    ok(strstr(text_of(s, y), "Produce resp payments-0 @0") != NULL, "and keeps its label");
    is_int(row_of_seq(r, 12), -1, "the drop is drawn on its message's row, not on a row of its own");
    is_int(row_of_seq(r, 8), -1, "deliveries are the arrows' heads, not rows");
    y = row_of_seq(r, 20);
    ok(col_of(s, y, "▶") == g.cx[1] - 1 && col_of(s, y, "┄") > 0, "an answer that arrives is dashed, its head at p1");
}

static void test_marks_and_notes(model_t *m, const rows_t *r, scr_t *s)
{
    tl_geom_t g;
    tl_view_t v = { m, r, 0, -1, 0 };
    tl_layout(&v, 0, 0, 80, 24, &g);
    draw(s, m, r, 0);
    int y = row_of_seq(r, 9);
    is_str(scr_cell(s, g.cx[0], y)->s, "•", "an append is a mark on the broker's lane");
    ok(strstr(text_of(s, y), "append payments-0 offsets 0..0  k1=100") != NULL, "beside its label");
    y = row_of_seq(r, 10);
    ok(strstr(text_of(s, y), "HW→1 payments-0") != NULL, "a high watermark move says HW→1");
    y = row_of_seq(r, 5);
    ok(strstr(text_of(s, y), "» 问题场景") != NULL, "a note runs across the lanes, CJK included");
    is_int(scr_cell(s, 20, y)->style, SS_NOTE, "highlighted");
    ok(strstr(text_of(s, y), "…") != NULL, "a note too long for 80 columns ends in …");
    ok(scr_width(s, text_of(s, y)) >= 79, "and fills the 80 columns (a wide character may not fit the last)");
    for (int yy = 0; yy < s->h; yy++)
        if (scr_width(s, text_of(s, yy)) > 80)
            ok(0, "row %d is wider than the screen", yy);
    draw(s, m, r, 10);
    y = row_of_seq(r, 23) - 10;
    is_str(scr_cell(s, g.cx[0], y)->s, "•", "a kind the viewer does not know is a mark on its node's lane");
    ok(strstr(text_of(s, y), "custom_event tp=payments-0 level=3") != NULL,
       "with its kind and fields");
    y = row_of_seq(r, 25) - 10;
    ok(strstr(text_of(s, y), "✓ the partition holds two records") != NULL, "a passed check is ticked");
}

static void test_small_and_wide(model_t *m, const rows_t *r)
{
    scr_t *s = scr_new(20, 3, false);
    draw(s, m, r, 0);
    ok(1, "drawing into 20x3 does not crash");
    scr_free(s);
    s = scr_new(200, 60, false);
    draw(s, m, r, 0);
    ok(strstr(text_of(s, row_of_seq(r, 5)), "消息重复") != NULL, "at 200 columns the whole note shows");
    scr_free(s);
}

static void test_zoom_and_filter(model_t *m, rows_t *r, scr_t *s)
{
    r->zoom = 5; /* 1 s per row */
    is_int(rows_count(r), 6, "at 1 s per row, 5.09 s of trace make six rows");
    uint32_t a, b;
    rows_range(r, 2, &a, &b);
    is_int(b - a, 0, "the quiet seconds are empty rows");
    rows_range(r, 0, &a, &b);
    ok(b - a > 5, "the first second holds the first exchange");
    draw(s, m, r, 0);
    ok(strstr(text_of(s, 1), " +") != NULL, "a row with several events says how many more");
    is_int(rows_moment(r, 0), 12, "the state of row 0 is after every event of its second");
    r->zoom = 0;
    uint8_t on[2] = { 0, 0 };
    char bad[32];
    is_int(rows_parse_nodes(m, "p", on, bad, sizeof bad), 1, "a prefix picks p1");
    rows_filter(r, on);
    tl_geom_t g;
    tl_view_t v = { m, r, 0, -1, 0 };
    tl_layout(&v, 0, 0, 80, 24, &g);
    is_int(g.nshown, 1, "with the filter only p1's lane is drawn");
    ok(row_of_seq(r, 5) > 0 && row_of_seq(r, 9) < 0, "notes stay, the broker's own events go");
    ok(row_of_seq(r, 7) > 0, "messages to or from p1 stay");
    scr_t *wide = scr_new(120, 24, false);
    draw(wide, m, r, 0);
    ok(strstr(text_of(wide, row_of_seq(r, 7)), "Produce payments-0 [1] to broker-1") != NULL,
       "an arrow to a node filtered out names it");
    scr_free(wide);
    uint8_t off[2] = { 0, 0 };
    is_int(rows_parse_nodes(m, "-broker", off, bad, sizeof bad), 1, "-broker excludes broker-1");
    ok(off[0] == ROWS_ON && off[1] == ROWS_EXCLUDED, "and picks every other node");
    rows_filter(r, off);
    ok(row_of_seq(r, 7) < 0 && row_of_seq(r, 6) > 0, "messages to an excluded node go, p1's own events stay");
    rows_filter(r, NULL);
    memset(on, 0, sizeof on);
    is_int(rows_parse_nodes(m, "nobody", on, bad, sizeof bad), 0, "an unknown name matches nothing");
    is_str(bad, "nobody", "and is named");
}

static void test_fault_lanes(void)
{
    FILE *f;
    model_t *m = fixture_load(faults_trace, &f);
    rows_t r;
    rows_init(&r, m);
    scr_t *s = scr_new(200, 60, false);
    tl_geom_t g;
    tl_view_t v = { m, &r, 0, -1, 0 };
    tl_layout(&v, 0, 0, 200, 60, &g);
    draw(s, m, &r, 0);
    int crash = row_of_seq(&r, 4);
    is_str(scr_cell(s, g.cx[1], crash)->s, "✗", "a crash is a ✗ on the node's lane");
    ok(strstr(text_of(s, crash), "✗ crashed (w:crash)") != NULL, "labelled once");
    is_str(scr_cell(s, g.cx[1], row_of_seq(&r, 5))->s, "┊", "after it the lane is dotted");
    is_int(scr_cell(s, g.cx[1], row_of_seq(&r, 5))->style, SS_DOWN, "in the down style");
    is_str(scr_cell(s, g.cx[1], row_of_seq(&r, 9))->s, "│", "after the restart it is whole again");
    int x = col_of(s, row_of_seq(&r, 6), "✗");
    ok(x > g.cx[1] && x < g.cx[2], "a message to the crashed node is lost half-way");
    is_str(scr_cell(s, g.cx[0], row_of_seq(&r, 11))->s, "┆", "a paused node's lane is dashed");
    is_str(scr_cell(s, g.cx[0], row_of_seq(&r, 15))->s, "│", "and whole after it resumes");
    int cut = row_of_seq(&r, 15);
    is_int(scr_cell(s, g.cx[0] + 3, cut)->flags & SF_SHADE, SF_SHADE, "a partition shades the cut link");
    is_str(scr_cell(s, g.cx[0] + 3, cut)->s, "·", "with dots where nothing else is drawn");
    is_int(scr_cell(s, g.cx[2] + 3, cut)->flags & SF_SHADE, 0, "links it does not cut stay clear");
    is_int(scr_cell(s, g.cx[0] + 3, row_of_seq(&r, 18))->flags & SF_SHADE, 0, "the heal ends the shading");
    ok(strstr(text_of(s, row_of_seq(&r, 19)), "✗ a failed check (faults.lua:9)") != NULL,
       "a failed check says where");
    scr_free(s);
    s = scr_new(200, 60, true);
    draw(s, m, &r, 0);
    is_str(scr_cell(s, g.cx[1], crash)->s, "x", "--ascii: a crash is an x");
    is_str(scr_cell(s, g.cx[1], row_of_seq(&r, 5))->s, ":", "--ascii: a down lane is ':'");
    ok(!strstr(text_of(s, 0), "│") && !strstr(text_of(s, crash), "✗"), "--ascii: no box drawing, no ✗");
    scr_free(s);
    rows_free(&r);
    fixture_close(m, f);
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(lost_ack_trace, &f);
    rows_t r;
    rows_init(&r, m);
    scr_t *s = scr_new(80, 24, false);
    test_lanes(m, &r, s);
    test_arrows(m, &r, s);
    test_marks_and_notes(m, &r, s);
    test_small_and_wide(m, &r);
    test_zoom_and_filter(m, &r, s);
    scr_free(s);
    rows_free(&r);
    fixture_close(m, f);
    test_fault_lanes();
    return tap_done();
}
