/* Unit tests for the viewer on consumer group traces: the coordinator's view of a group
 * (state, generation, protocol, each member's assignment, committed offsets, the time its
 * partitions went without an owner) and a member's (group, coordinator, last rebalance),
 * in the inspector at any moment, and the sentences of group events. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/export.h"
#include "tui/inspector.h"
#include "tui/kinds.h"
#include "tui/screen.h"

static const char *const group_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"1\",\"scenario\":\"groups.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"c1\",\"kind\":\"node\",\"role\":\"consumer\",\"id\":1}",
    "{\"t\":0,\"seq\":3,\"node\":\"c1\",\"kind\":\"subscribe\",\"group\":\"billing\",\"topics\":[\"orders\"],\"protocol\":\"eager\"}",
    "{\"t\":1000,\"seq\":4,\"node\":\"c1\",\"kind\":\"coordinator_found\",\"group\":\"billing\",\"coordinator\":\"broker-1\"}",
    "{\"t\":2500,\"seq\":5,\"node\":\"broker-1\",\"kind\":\"group_state\",\"group\":\"billing\",\"from\":\"Empty\",\"to\":\"PreparingRebalance\",\"generation\":0,\"reason\":\"Adding new member c1-1\"}",
    "{\"t\":3002500,\"seq\":6,\"node\":\"broker-1\",\"kind\":\"group_state\",\"group\":\"billing\",\"from\":\"PreparingRebalance\",\"to\":\"CompletingRebalance\",\"generation\":1,\"protocol\":\"range\",\"leader\":\"c1-1\",\"reason\":\"every member joined\"}",
    "{\"t\":3003500,\"seq\":7,\"node\":\"broker-1\",\"kind\":\"group_assignment\",\"group\":\"billing\",\"generation\":1,\"protocol\":\"range\",\"assignment\":{\"c1-1\":[\"orders-0\",\"orders-1\"]}}",
    "{\"t\":3003500,\"seq\":8,\"node\":\"broker-1\",\"kind\":\"unowned\",\"group\":\"billing\",\"partitions\":{\"orders-0\":12.5,\"orders-1\":3},\"generation\":1,\"total_ms\":15.5}",
    "{\"t\":3003500,\"seq\":9,\"node\":\"broker-1\",\"kind\":\"group_state\",\"group\":\"billing\",\"from\":\"CompletingRebalance\",\"to\":\"Stable\",\"generation\":1,\"protocol\":\"range\",\"reason\":\"the leader's assignment arrived\"}",
    "{\"t\":3004000,\"seq\":10,\"node\":\"c1\",\"kind\":\"partitions_assigned\",\"group\":\"billing\",\"generation\":1,\"partitions\":[\"orders-0\",\"orders-1\"]}",
    "{\"t\":8004500,\"seq\":11,\"node\":\"broker-1\",\"kind\":\"offset_commit\",\"group\":\"billing\",\"member\":\"c1-1\",\"generation\":1,\"offsets\":{\"orders-0\":6,\"orders-1\":1234567}}",
    "{\"t\":9000000,\"seq\":12,\"node\":\"c1\",\"kind\":\"poll_timeout\",\"group\":\"billing\",\"max_poll_interval_ms\":1000,\"since_poll_ms\":1200}",
    "{\"t\":9000000,\"seq\":13,\"node\":\"c1\",\"kind\":\"member_reset\",\"group\":\"billing\",\"reason\":\"consumer poll timeout has expired\"}",
    "{\"t\":9100000,\"seq\":14,\"node\":\"broker-1\",\"kind\":\"txn_offsets_pending\",\"group\":\"billing\",\"producer_id\":5,\"producer_epoch\":0,\"appended\":40,\"offsets\":{\"orders-0\":20}}",
    "{\"t\":9100500,\"seq\":15,\"node\":\"c1\",\"kind\":\"offsets_unstable\",\"group\":\"billing\",\"partitions\":[\"orders-0\"],\"retry_ms\":100}",
    "{\"t\":9200000,\"seq\":16,\"node\":\"broker-1\",\"kind\":\"txn_offsets_completed\",\"group\":\"billing\",\"producer_id\":5,\"result\":\"commit\",\"offsets\":{\"orders-0\":20}}",
    "{\"t\":9300000,\"seq\":17,\"node\":\"broker-1\",\"kind\":\"txn_offsets_pending\",\"group\":\"billing\",\"producer_id\":6,\"producer_epoch\":0,\"appended\":44,\"offsets\":{\"orders-1\":99}}",
    "{\"t\":9400000,\"seq\":18,\"node\":\"broker-1\",\"kind\":\"txn_offsets_completed\",\"group\":\"billing\",\"producer_id\":6,\"result\":\"abort\",\"offsets\":{\"orders-1\":99}}",
    NULL,
};

static char row[8192];

static scr_t *inspect_at(model_t *m, uint32_t at)
{
    static scr_t *s;
    if (!s)
        s = scr_new(100, 80, false);
    scr_clear(s);
    insp_view_t v = { m, at, 0 };
    insp_draw(s, &v, 0, 0, s->w, s->h);
    return s;
}

static bool has_line(const scr_t *s, const char *a, const char *b)
{
    for (int y = 0; y < s->h; y++) {
        const char *t = scr_row_text(s, y, row, sizeof row);
        if (strstr(t, a) && (!b || strstr(t, b)))
            return true;
    }
    return false;
}

static void test_inspector(model_t *m)
{
    scr_t *s = inspect_at(m, 5); /* after the event with seq 5 */
    ok(has_line(s, "state", "PreparingRebalance"),
       "after the first join the group is PreparingRebalance");
    s = inspect_at(m, 10);
    ok(has_line(s, "state", "Stable"), "then Stable");
    ok(has_line(s, "generation", "1"), "in generation 1");
    ok(has_line(s, "protocol", "range"), "with protocol range");
    ok(has_line(s, "member c1-1", "orders-0,orders-1"), "and c1-1's assignment");
    ok(has_line(s, "ms without owner", "15"), "the last rebalance's time without owner");
    ok(has_line(s, "coordinator", "broker-1"), "the member knows its coordinator");
    s = inspect_at(m, 12);
    ok(has_line(s, "committed orders-1", "1234567"), "committed offsets per partition");
    ok(has_line(s, "last rebalance", "assigned"), "the member's last rebalance step");
    s = inspect_at(m, 13);
    ok(has_line(s, "generation", "-1"), "a reset member has no generation");
    s = inspect_at(m, 14);
    ok(has_line(s, "pending orders-0", "20"), "a producer's pending transactional offset");
    ok(has_line(s, "committed orders-0", "6"), "beside the committed one");
    s = inspect_at(m, 16);
    ok(has_line(s, "committed orders-0", "20") && !has_line(s, "pending orders-0", NULL),
       "the commit marker makes it the committed offset");
    s = inspect_at(m, 18);
    ok(has_line(s, "committed orders-1", "1234567") && !has_line(s, "pending orders-1", NULL),
       "an abort marker drops the pending offset");
}

static void test_sentences(model_t *m)
{
    static const struct {
        uint32_t seq;
        const char *want;
    } cases[] = {
        { 3, "subscribes to orders in group billing (eager protocol)" },
        { 6, "group billing: PreparingRebalance -> CompletingRebalance, generation 1, "
             "protocol range" },
        { 7, "assigns c1-1=[orders-0,orders-1]" },
        { 8, "orders-0=12.5, orders-1=3; total 15.5 ms" },
        { 10, "group billing generation 1: assigned [orders-0,orders-1]" },
        { 11, "commits orders-0=6, orders-1=1234567 (generation 1)" },
        { 12, "no poll() for 1200 ms > max.poll.interval.ms 1000" },
        { 14, "group billing: producer 5 stages orders-0=20 (pending until its transaction ends)" },
        { 15, "committed offsets of orders-0 not stable yet (UNSTABLE_OFFSET_COMMIT), "
              "retry in 100 ms" },
        { 16, "producer 5's transaction commits: orders-0=20" },
        { 18, "producer 6's transaction aborts: orders-1=99 dropped" },
    };
    char buf[1024];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        label_sentence(model_json(m, cases[k].seq - 1), buf, sizeof buf);
        ok(strstr(buf, cases[k].want) != NULL, "seq %u reads \"…%s…\"", cases[k].seq,
           cases[k].want);
        if (!strstr(buf, cases[k].want))
            tap_diag("got: %s", buf);
    }
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(group_trace, &f);
    test_inspector(m);
    test_sentences(m);
    fixture_close(m, f);
    return tap_done();
}
