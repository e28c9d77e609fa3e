/* Unit tests for the viewer and exporters on replication traces: background traffic left
 * out of the diagram until `b` (and out of SVG and Mermaid until --all) while the state
 * still folds it; the controller's view of each partition (leader, epoch, ISR and the ISR
 * before its last change, OFFLINE, an UNCLEAN election) and of each broker (fenced or
 * not); each replica's role, log end and HW; followers' copies of the leader's records; a
 * divergent tail that vanishes at its truncation and comes back when rewinding; and the
 * short labels of these events on their lanes. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/export.h"
#include "tui/inspector.h"
#include "tui/rows.h"
#include "tui/screen.h"
#include "tui/timeline.h"
#include "tui/viewer.h"

static char row[8192];

/* Whether broker's log (its "Partition logs" entry) lists `key` before the next log. */
static bool log_has(const scr_t *s, const char *broker, const char *key)
{
    char head[64];
    snprintf(head, sizeof head, "  %s payments-0  ", broker);
    int y = fixture_line_with(s, scr_find_row(s, "Partition logs"), head, NULL);
    for (y = y < 0 ? s->h : y + 1; y < s->h; y++) {
        const char *t = scr_row_text(s, y, row, sizeof row);
        if (strncmp(t, "    ", 4) != 0)
            return false;
        if (strstr(t, key))
            return true;
    }
    return false;
}

/* ---- background traffic ---- */

static void test_background_rows(model_t *m)
{
    uint32_t hb = fixture_ev_of_seq(m, 109), lost = fixture_ev_of_seq(m, 107);
    ok(m->ev[hb].flags & MF_BG, "a message marked bg is background traffic");
    ok(!(m->ev[fixture_ev_of_seq(m, 38)].flags & MF_BG), "an append is not");
    rows_t r;
    rows_init(&r, m);
    ok(!rows_shows(&r, hb) && !rows_shows(&r, lost), "the diagram leaves background traffic out by default");
    uint32_t hidden_n = r.n;
    rows_show_bg(&r, true);
    ok(rows_shows(&r, hb) && rows_shows(&r, lost), "and shows it when asked");
    is_int(r.n, hidden_n + 2, "two more rows: the two heartbeats (deliveries and drops stay on their arrows)");
    rows_free(&r);
    ok(m->nfaults == 2 && m->faults[1] == lost, "the lost heartbeat is a fault like any lost message");
}

static void test_background_key(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(120, 60, false);
    viewer_draw(v, s);
    ok(!scr_contains(s, "BrokerHeartbeat"), "the viewer opens without the heartbeats");
    viewer_key(v, 'f');
    viewer_key(v, 'f');
    viewer_draw(v, s);
    ok(scr_contains(s, "no later fault"), "f does not stop at a lost heartbeat it does not show");
    viewer_key(v, 'n');
    uint32_t sel = viewer_selected(v), at = viewer_moment(v);
    viewer_draw(v, s);
    scr_t *before = scr_new(120, 60, false); /* the inspector's half: x from 72 at 120 wide */
    for (int y = 1; y < 57; y++)
        for (int x = 72; x < 120; x++)
            scr_put(before, x, y, scr_cell(s, x, y)->s, 1, SS_NORMAL);
    viewer_key(v, 'b');
    viewer_draw(v, s);
    ok(scr_contains(s, "BrokerHeartbeat"), "b shows them");
    ok(scr_contains(s, "+background") && scr_contains(s, "background traffic shown"),
       "and the title and the message line say so");
    is_int(viewer_selected(v), sel, "the cursor stays on the same event");
    is_int(viewer_moment(v), at, "so the inspector's moment does not move");
    int differ = 0;
    for (int y = 1; y < 57; y++)
        for (int x = 72; x < 120; x++)
            differ += strcmp(scr_cell(before, x, y)->s, scr_cell(s, x, y)->s) != 0;
    ok(differ == 0 && scr_contains(before, "Partitions"),
       "and the state it shows is the same: folds saw every event either way");
    scr_free(before);
    int y = fixture_line_with(s, 0, "BrokerHeartbeat broker_id=1", NULL);
    ok(y >= 0 && strstr(scr_row_text(s, y, row, sizeof row), "✗"),
       "a lost heartbeat ends in ✗ like any lost message");
    viewer_key(v, 'b');
    viewer_draw(v, s);
    ok(!scr_contains(s, "BrokerHeartbeat") && !scr_contains(s, "+background"), "b again hides them");
    viewer_key(v, '?');
    viewer_draw(v, s);
    ok(scr_contains(s, "background traffic"), "the help lists b");
    viewer_free(v);
    scr_free(s);
}

/* ---- the controller's view and the replicas' ---- */

static void test_election(model_t *m)
{
    scr_t *s = fixture_inspect_after(m, 71);
    ok(scr_contains(s, "payments-0  leader broker-1 · epoch 0"), "at first broker-1 leads payments-0, epoch 0");
    ok(scr_contains(s, "ISR broker-1,broker-2,broker-3"), "with every replica in sync");
    ok(fixture_line_with(s, -1, "broker-2", "follower  log end 3") >= 0,
       "broker-2 follows with the three records it copied");
    ok(log_has(s, "broker-2", "k2") && log_has(s, "broker-3", "k3"),
       "the followers' logs list the leader's records");
    s = fixture_inspect_after(m, 267);
    ok(scr_contains(s, "payments-0  leader broker-2 · epoch 1"), "after the election broker-2 leads, epoch 1");
    s = fixture_inspect_after(m, 268);
    ok(scr_contains(s, "ISR broker-2,broker-3"), "the ISR shrinks to broker-2 and broker-3");
    ok(scr_contains(s, "was broker-1,broker-2,broker-3 (shrink)"), "and says what it was");
    int y = scr_find_row(s, "broker-1     broker");
    ok(y >= 0 && strstr(scr_row_text(s, y, row, sizeof row), "up      unfenced"),
       "broker-1 is unfenced until the controller says otherwise");
    s = fixture_inspect_after(m, 269);
    y = scr_find_row(s, "broker-1     broker");
    ok(y >= 0 && strstr(scr_row_text(s, y, row, sizeof row), "up      fenced"),
       "then the controller's view says fenced");
    ok(y >= 0 && scr_cell(s, 2, y)->style == SS_FAULT, "in the colour of faults");
    ok(fixture_line_with(s, -1, "broker-1", "leader    log end 5") >= 0,
       "broker-1 still thinks it leads, with its two records more");
    s = fixture_inspect_after(m, 568);
    y = scr_find_row(s, "broker-1     broker");
    ok(y >= 0 && strstr(scr_row_text(s, y, row, sizeof row), "unfenced"), "unfenced after it catches up");
    s = fixture_inspect_after(m, 592);
    ok(scr_contains(s, "ISR broker-2,broker-3,broker-1") &&
           scr_contains(s, "was broker-2,broker-3 (expand)"),
       "and back in the ISR");
}

static void test_truncation(model_t *m)
{
    scr_t *s = fixture_inspect_after(m, 502);
    ok(log_has(s, "broker-1", "lost4") && log_has(s, "broker-1", "lost5"),
       "before the truncation broker-1's log holds its divergent tail");
    ok(fixture_line_with(s, -1, "broker-1", "follower  log end 5") >= 0, "log end 5, now as a follower");
    ok(scr_contains(s, "broker-1 payments-0  follower of broker-2"), "of broker-2");
    s = fixture_inspect_after(m, 509);
    ok(!log_has(s, "broker-1", "lost4") && !log_has(s, "broker-1", "lost5"),
       "after the truncation the tail is gone");
    ok(log_has(s, "broker-1", "k3"), "and the records below it stay");
    ok(fixture_line_with(s, -1, "broker-1", "follower  log end 3") >= 0, "its log end is 3");
    s = fixture_inspect_after(m, 502);
    ok(log_has(s, "broker-1", "lost4") && log_has(s, "broker-1", "lost5"),
       "rewinding before the truncation shows the tail again");
    s = fixture_inspect_after(m, 1459);
    int y = fixture_line_with(s, scr_find_row(s, "broker-1 payments-0  "), "     3  k6", "6");
    ok(y >= 0, "broker-1 then copies k6 from the new leader at offset 3");
    ok(!log_has(s, "broker-1", "lost4"), "where lost4 used to be");
    ok(fixture_line_with(s, -1, "broker-1", "follower  log end 4") >= 0, "log end 4");
}

static void test_viewer_rewind(model_t *m)
{
    viewer_t *v = viewer_new(m);
    scr_t *s = scr_new(120, 70, false);
    viewer_draw(v, s);
    viewer_key(v, '/');
    for (const char *p = "truncate"; *p; p++)
        viewer_key(v, *p);
    viewer_key(v, VK_ENTER);
    viewer_draw(v, s);
    is_int(viewer_selected(v), fixture_ev_of_seq(m, 509), "search finds the truncation");
    ok(scr_contains(s, "truncate 5→3 payments-0"), "labelled truncate 5→3 on broker-1's lane");
    ok(!scr_contains(s, "     3  lost4"), "the inspector shows broker-1's log without the tail");
    viewer_key(v, 'k');
    viewer_key(v, 'k');
    viewer_draw(v, s);
    ok(scr_contains(s, "     3  lost4"), "two rows up, before the truncation, lost4 is back at offset 3");
    viewer_free(v);
    scr_free(s);
}

/* ---- labels ---- */

static void test_labels(model_t *m)
{
    static const struct {
        int64_t seq;
        const char *label;
    } want[] = {
        { 267, "leader broker-2 e1 payments-0" },
        { 268, "ISR shrink [2,3] payments-0" },
        { 592, "ISR expand [2,3,1] payments-0" },
        { 269, "fenced broker-1" },
        { 568, "unfenced broker-1" },
        { 52, "HW→3 payments-0" },
        { 509, "truncate 5→3 payments-0" },
        { 43, "replicated 0..2 payments-0" },
        { 1459, "replicated 3 payments-0" },
        { 502, "follower of broker-2 e1 payments-0" },
        { 273, "leader e1 payments-0" },
    };
    char buf[256];
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        uint32_t e = fixture_ev_of_seq(m, want[k].seq);
        export_label(m, e, buf, sizeof buf);
        is_str(buf, want[k].label, "seq %lld is labelled \"%s\"", (long long)want[k].seq, want[k].label);
    }
    scr_t *s = scr_new(120, 30, true);
    rows_t r;
    rows_init(&r, m);
    tl_view_t tv = { m, &r, rows_pos_of_event(&r, fixture_ev_of_seq(m, 509)), -1, 0 };
    tl_draw(s, &tv, 0, 0, s->w, s->h);
    ok(scr_contains(s, "truncate 5>3 payments-0"), "--ascii draws the arrow as >");
    rows_free(&r);
    scr_free(s);
}

/* ---- OFFLINE and UNCLEAN ---- */

static void test_unclean(void)
{
    FILE *f;
    model_t *m = fixture_load(unclean_trace, &f);
    scr_t *s = fixture_inspect_after(m, 11);
    ok(scr_contains(s, "events-0 (a)  leader broker-1 · epoch 0"),
       "two clusters with the same topic: each partition names its cluster");
    ok(scr_contains(s, "events-0 (b-controller)  leader b-broker-1 · epoch 0"),
       "or its controller, when the trace does not name the cluster");
    ok(scr_contains(s, "ISR broker-1,broker-2"), "the first ISR is every unfenced replica");
    ok(scr_contains(s, "ISR b-broker-1") && !scr_contains(s, "ISR b-broker-1,"),
       "a replica whose broker is not unfenced yet starts outside it");
    s = fixture_inspect_after(m, 15);
    int y = scr_find_row(s, "events-0 (a)  OFFLINE (no leader) · epoch 1");
    ok(y >= 0, "no live replica in the ISR: OFFLINE");
    ok(y >= 0 && scr_cell(s, 2, y)->style == SS_DROP, "in red");
    ok(fixture_line_with(s, -1, "broker-1", "down") >= 0, "its crashed replica is down");
    y = scr_find_row(s, "UNCLEAN election");
    ok(y >= 0 && scr_find_row(s, "events-0 (b-controller)  leader b-broker-2 · epoch 1") == y - 1,
       "the other cluster elects b-broker-2 uncleanly, and says so under the leader");
    ok(y >= 0 && scr_cell(s, 4, y)->style == SS_DROP, "in red");
    s = fixture_inspect_after(m, 17);
    ok(!scr_contains(s, "UNCLEAN") && scr_contains(s, "leader b-broker-1 · epoch 2"),
       "a clean election later ends the warning");
    char buf[256];
    export_label(m, fixture_ev_of_seq(m, 14), buf, sizeof buf);
    is_str(buf, "OFFLINE e1 events-0", "the offline election's label");
    export_label(m, fixture_ev_of_seq(m, 15), buf, sizeof buf);
    is_str(buf, "UNCLEAN leader b-broker-2 e1 events-0", "the unclean election's label");
    ok(m->ev[fixture_ev_of_seq(m, 15)].flags & MF_ERROR, "an unclean election is marked as an error");
    ok(!(m->ev[fixture_ev_of_seq(m, 17)].flags & MF_ERROR), "a clean one is not");
    rows_t r;
    rows_init(&r, m);
    scr_t *t = scr_new(120, 24, false);
    tl_view_t tv = { m, &r, 0, -1, 0 };
    tl_draw(t, &tv, 0, 0, t->w, t->h);
    y = scr_find_row(t, "UNCLEAN leader");
    ok(y >= 0, "the timeline shows the unclean election");
    int x = 0;
    while (y >= 0 && x < t->w && strcmp(scr_cell(t, x, y)->s, "U") != 0)
        x++;
    ok(y >= 0 && x < t->w && scr_cell(t, x, y)->style == SS_DROP, "its label in red");
    scr_free(t);
    rows_free(&r);
    fixture_close(m, f);
}

/* ---- exporters ---- */

static void test_exports(model_t *m)
{
    export_opts_t o = { 0, -1, NULL, false }, all = { 0, -1, NULL, true };
    char *a = fixture_export(m, export_svg, &o), *b = fixture_export(m, export_svg, &all);
    ok(!strstr(a, "BrokerHeartbeat") && strstr(b, "BrokerHeartbeat"),
       "SVG leaves background traffic out unless --all");
    ok(strstr(b, "class=\"bg\""), "and greys it when it is in");
    ok(strstr(a, "truncate 5→3 payments-0"), "the SVG labels the truncation");
    free(a);
    free(b);
    a = fixture_export(m, export_mermaid, &o);
    b = fixture_export(m, export_mermaid, &all);
    ok(!strstr(a, "BrokerHeartbeat") && strstr(b, "BrokerHeartbeat"),
       "so does Mermaid");
    free(a);
    free(b);
    a = fixture_export(m, export_text, &o);
    ok(!strstr(a, "BrokerHeartbeat") && strstr(a, "truncated payments-0 from 5 to 3"),
       "the text timeline never shows it, as ksim run does not");
    free(a);
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(replication_trace, &f);
    test_background_rows(m);
    test_background_key(m);
    test_election(m);
    test_truncation(m);
    test_viewer_rewind(m);
    test_labels(m);
    test_exports(m);
    fixture_close(m, f);
    test_unclean();
    return tap_done();
}
