/* Unit tests for tui/inspector and tui/viewer: the state at the cursor rebuilt from the
 * trace (the partition log before and after the retry, HW and log-end markers, requests
 * in flight, fault rules, checks), rewinding, and the viewer's keys driven without a
 * terminal (search, notes, faults, zoom, filter, panes, help, play, mouse, tiny screens). */
#include <stdio.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/inspector.h"
#include "tui/screen.h"
#include "tui/viewer.h"

static char row[8192];

/* The inspector at moment `at` (events applied) on an 80×40 region. */
static scr_t *inspect(model_t *m, uint32_t at, int scroll)
{
    static scr_t *s;
    if (!s)
        s = scr_new(80, 40, false);
    scr_clear(s);
    insp_view_t v = { m, at, scroll };
    insp_draw(s, &v, 0, 0, s->w, s->h);
    return s;
}

/* Whether a line holds the record at `offset` with key k1 and value 100. */
static bool has_record(const scr_t *s, int offset)
{
    char want[32];
    snprintf(want, sizeof want, "%6d  k1", offset);
    int y = scr_find_row(s, want);
    return y >= 0 && strstr(scr_row_text(s, y, row, sizeof row), "100") != NULL;
}

static void test_log(model_t *m)
{
    scr_t *s = inspect(m, 9, 0); /* after seq 9: the first append */
    ok(scr_contains(s, "broker-1 payments-0"), "the partition log is listed by broker and partition");
    ok(has_record(s, 0), "after the first append the log holds offset 0: k1 = 100");
    ok(!has_record(s, 1), "and nothing at offset 1");
    ok(scr_contains(s, "log end 1"), "its log end is 1");
    s = inspect(m, 18, 0); /* after seq 18: the retry's append */
    ok(has_record(s, 0) && has_record(s, 1), "after the retry the log holds the payment twice");
    int hw = scr_find_row(s, "▸ HW 1"), one = scr_find_row(s, "     1  k1");
    ok(hw >= 0 && hw < one, "the HW marker (1) sits above the new record: it is not committed yet");
    ok(scr_contains(s, "log end 2"), "the log end is 2");
    s = inspect(m, 19, 0);
    ok(scr_contains(s, "▸ HW 2") && scr_find_row(s, "▸ HW 2") > scr_find_row(s, "     1  k1"),
       "once the HW moves to 2 its marker is below both records");
    s = inspect(m, 9, 0);
    ok(has_record(s, 0) && !has_record(s, 1), "moving back rewinds: the duplicate is gone again");
    s = inspect(m, 0, 0);
    ok(scr_contains(s, "State before the first event"), "before the first event the state is empty");
    ok(!scr_contains(s, "Partition logs"), "and has no log");
}

static void test_clients_faults_checks(model_t *m)
{
    scr_t *s = inspect(m, 7, 0); /* after the first Produce left */
    ok(scr_contains(s, "in flight: Produce payments-0 [1] to broker-1 since 1.000 ms"),
       "the request in flight is listed under its producer");
    s = inspect(m, 14, 0); /* after the request timed out */
    ok(scr_contains(s, "no requests in flight"), "a timed-out request is no longer in flight");
    ok(scr_contains(s, "records sent 1"), "the producer's counters are shown");
    s = inspect(m, 11, 0);
    ok(scr_contains(s, "fired 0"), "fault 1 has not fired before the answer is dropped");
    s = inspect(m, 12, 0);
    ok(scr_contains(s, "fired 1"), "and has fired once after");
    ok(scr_contains(s, "drop response Produce broker-1 -> p1"), "the rule is described");
    ok(!scr_contains(s, "Checks so far"), "no check has run yet");
    s = inspect(m, m->n, 0);
    ok(scr_contains(s, "Checks so far: 1 passed, 0 failed"), "at the end the checks so far are counted");
    ok(scr_contains(s, "✓ the partition holds two records"), "and listed");
    ok(scr_contains(s, "broker-1     broker     up"), "nodes are listed with role and status");
    s = inspect(m, m->n, 3);
    ok(!scr_contains(s, "State at"), "scrolling moves the title out of view");
    scr_t *tiny = scr_new(12, 2, false);
    insp_view_t v = { m, m->n, 0 };
    ok(insp_draw(tiny, &v, 0, 0, 12, 2) > 2, "a tiny region still counts every line");
    scr_free(tiny);
}

/* ---- the viewer ---- */

static void type(viewer_t *v, const char *text)
{
    for (const char *p = text; *p; p++)
        viewer_key(v, (unsigned char)*p);
}

static void test_search_and_rewind(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(120, 40, false);
    viewer_draw(v, s);
    ok(scr_contains(s, "lost-ack.lua") && scr_contains(s, "seed 7"), "the title names the scenario and seed");
    ok(scr_contains(s, "Partition logs") || scr_contains(s, "Nodes"), "at 120 columns the inspector is beside the timeline");
    viewer_key(v, '/');
    type(v, "offsets 1..1");
    viewer_draw(v, s);
    ok(scr_contains(s, "/offsets 1..1_"), "the search prompt shows what is typed");
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    is_int(viewer_selected(v), 17, "search finds the retry's append (seq 18)");
    ok(has_record(s, 0) && has_record(s, 1), "the inspector shows the duplicate after the retry");
    while (viewer_selected(v) >= 15 && viewer_row(v) > 0)
        viewer_key(v, 'k');
    viewer_draw(v, s);
    ok(has_record(s, 0) && !has_record(s, 1), "moving back before the retry shows one record again");
    viewer_key(v, '/');
    type(v, "nothing-like-this");
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    ok(scr_contains(s, "nothing mentions \"nothing-like-this\""), "a search without a match says so");
    viewer_free(v);
    scr_free(s);
}

static void test_jumps(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(80, 24, false);
    viewer_draw(v, s);
    viewer_key(v, 'f');
    is_int(viewer_selected(v), 10, "f jumps to the lost answer's arrow (seq 11)");
    viewer_key(v, 'n');
    is_int(viewer_selected(v), 12, "n jumps to the next note (seq 13)");
    viewer_draw(v, s);
    ok(scr_contains(s, "» Still no answer"), "the caption shows the note at the cursor");
    viewer_key(v, 'N');
    is_int(viewer_selected(v), 4, "N goes back to the note before (seq 5)");
    viewer_draw(v, s);
    ok(scr_contains(s, "» 问题场景"), "a CJK note in the caption");
    viewer_key(v, 'G');
    is_int(viewer_selected(v), m->n - 1, "G goes to the last event");
    viewer_key(v, 'F');
    is_int(viewer_selected(v), 10, "F goes back to the previous fault");
    viewer_key(v, 'g');
    is_int(viewer_row(v), 0, "g goes to the first row");
    viewer_key(v, VK_PGDN);
    ok(viewer_row(v) > 10, "PgDn moves a page");
    viewer_key(v, VK_PGUP);
    is_int(viewer_row(v), 0, "PgUp moves back");
    viewer_free(v);
    scr_free(s);
}

static void test_zoom_filter_panes(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(80, 24, false);
    viewer_key(v, 'f');
    uint32_t at = viewer_moment(v);
    viewer_key(v, '-');
    viewer_draw(v, s);
    ok(scr_contains(s, "100 us/row"), "- zooms out to a span of time per row");
    ok(viewer_moment(v) >= at, "the cursor keeps its moment");
    for (int i = 0; i < 4; i++)
        viewer_key(v, '-');
    viewer_draw(v, s);
    ok(scr_contains(s, "1 s/row") && scr_contains(s, "row 1/6"), "at 1 s per row the trace is six rows");
    for (int i = 0; i < 9; i++)
        viewer_key(v, '+');
    viewer_draw(v, s);
    ok(scr_contains(s, "events"), "+ zooms back in to one row per event");
    is_int(viewer_selected(v), 10, "back on the event selected before zooming out");
    viewer_key(v, 'o');
    type(v, "p1");
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    ok(scr_contains(s, "nodes: p1"), "o filters the nodes, and the title says so");
    ok(!strstr(scr_row_text(s, 1, row, sizeof row), "broker-1"), "only p1's lane is left");
    viewer_key(v, 'o');
    for (int i = 0; i < 5; i++)
        viewer_key(v, VK_BACKSPACE);
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    ok(strstr(scr_row_text(s, 1, row, sizeof row), "broker-1") != NULL, "an empty filter shows every node again");
    viewer_key(v, VK_TAB);
    viewer_draw(v, s);
    ok(scr_contains(s, "Partition logs") && !scr_contains(s, "    ms"), "Tab at 80 columns swaps the timeline for the inspector");
    viewer_key(v, VK_TAB);
    viewer_key(v, '?');
    viewer_draw(v, s);
    ok(scr_contains(s, "Keys") && scr_contains(s, "next / previous note"), "? shows the keys");
    viewer_key(v, 'x');
    viewer_draw(v, s);
    ok(!scr_contains(s, "Keys"), "any key closes the help");
    ok(!viewer_done(v), "the viewer runs until q");
    viewer_key(v, 'q');
    ok(viewer_done(v), "q quits");
    viewer_free(v);
    scr_free(s);
}

static void test_sizes_play_mouse(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(10, 3, false);
    viewer_draw(v, s);
    ok(scr_contains(s, "too small"), "a 10x3 terminal gets a message, not a crash");
    scr_resize(s, 200, 60);
    viewer_draw(v, s);
    ok(scr_contains(s, "Partition logs") || scr_contains(s, "Nodes"), "after a resize to 200x60 everything is back");
    viewer_key(v, ' ');
    viewer_key(v, '>');
    viewer_key(v, '>');
    viewer_key(v, '>'); /* 1x: a virtual second per second */
    ok(viewer_playing(v), "space starts play");
    viewer_tick(v, 1000000);
    viewer_tick(v, 1000000 + 2000);
    ok(viewer_moment(v) >= 8, "play moves the cursor with virtual time");
    for (int64_t t = 1; t < 40; t++)
        viewer_tick(v, 1000000 + t * 1000000);
    ok(!viewer_playing(v), "play stops at the end, quiet stretches skipped");
    viewer_key(v, 'g');
    viewer_draw(v, s);
    viewer_click(v, 5, 1 + 1 + 4); /* the fifth row under the lane headers */
    is_int(viewer_row(v), 4, "a click selects the row under the pointer");
    viewer_free(v);
    scr_free(s);
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(lost_ack_trace, &f);
    test_log(m);
    test_clients_faults_checks(m);
    test_search_and_rewind(m);
    test_jumps(m);
    test_zoom_filter_panes(m);
    test_sizes_play_mouse(m);
    fixture_close(m, f);
    return tap_done();
}
