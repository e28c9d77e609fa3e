/* Unit tests for the viewer and the text timeline on a transaction trace: a leader's LSO
 * held by an open transaction and then following the HW again; an ABORT marker shown as a
 * control record in the replica's log, the transaction's records marked aborted; the text
 * sentences of lso, txn_marker and txn_marker_rejected. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/inspector.h"
#include "tui/screen.h"
#include "tui/text.h"

static const char *const txn_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"1\",\"scenario\":\"txn.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"world\",\"kind\":\"topic\",\"topic\":\"t\",\"partitions\":1,\"replication_factor\":1,\"leaders\":[\"broker-1\"]}",
    "{\"t\":0,\"seq\":3,\"node\":\"broker-1\",\"kind\":\"role\",\"tp\":\"t-0\",\"role\":\"leader\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":10,\"seq\":4,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"t-0\",\"base_offset\":0,\"last_offset\":1,\"leader_epoch\":0,\"producer_id\":7,\"producer_epoch\":0,\"base_seq\":0,\"transactional\":true,\"records\":[{\"offset\":0,\"key\":\"k0\",\"value\":\"v\"},{\"offset\":1,\"key\":\"k1\",\"value\":\"v\"}]}",
    "{\"t\":20,\"seq\":5,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"t-0\",\"base_offset\":2,\"last_offset\":2,\"leader_epoch\":0,\"records\":[{\"offset\":2,\"key\":\"k2\",\"value\":\"v\"}]}",
    "{\"t\":20,\"seq\":6,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"t-0\",\"hw\":3}",
    "{\"t\":20,\"seq\":7,\"node\":\"broker-1\",\"kind\":\"lso\",\"tp\":\"t-0\",\"lso\":0,\"hw\":3,\"producer_id\":7,\"held_by\":\"open\"}",
    "{\"t\":30,\"seq\":8,\"node\":\"broker-1\",\"kind\":\"txn_marker\",\"tp\":\"t-0\",\"producer_id\":7,\"producer_epoch\":0,\"result\":\"abort\",\"control\":\"ABORT\",\"coordinator_epoch\":0,\"offset\":3,\"leader_epoch\":0}",
    "{\"t\":30,\"seq\":9,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"t-0\",\"hw\":4}",
    "{\"t\":30,\"seq\":10,\"node\":\"broker-1\",\"kind\":\"lso\",\"tp\":\"t-0\",\"lso\":4,\"hw\":4}",
    "{\"t\":40,\"seq\":11,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"t-0\",\"base_offset\":4,\"last_offset\":4,\"leader_epoch\":0,\"records\":[{\"offset\":4,\"key\":\"k4\",\"value\":\"v\"}]}",
    "{\"t\":40,\"seq\":12,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"t-0\",\"hw\":5}",
    "{\"t\":50,\"seq\":13,\"node\":\"broker-1\",\"kind\":\"txn_marker_rejected\",\"tp\":\"t-0\",\"producer_id\":7,\"producer_epoch\":0,\"result\":\"commit\",\"coordinator_epoch\":4,\"error\":\"TRANSACTION_COORDINATOR_FENCED\",\"current_epoch\":0,\"current_coordinator_epoch\":5,\"reason\":\"zombie\"}",
    "{\"t\":60,\"seq\":14,\"node\":\"world\",\"kind\":\"run_end\",\"status\":\"idle\",\"time\":60}",
    NULL,
};

static int64_t lso_after(model_t *m, int64_t seq)
{
    uint32_t e = st_find(&m->st, "log", "broker-1 t-0");
    return st_field_int(&m->st, e, "LSO", fixture_ev_of_seq(m, seq) + 1, -1);
}

static void test_fold(model_t *m)
{
    is_int(lso_after(m, 6), -1, "before any lso event the log shows no LSO of its own");
    is_int(lso_after(m, 7), 0, "the lso event sets it to 0, below the HW 3");
    is_int(lso_after(m, 9), 0, "a HW move does not take it along while it is held");
    is_int(lso_after(m, 10), 4, "the next lso event releases it to the HW");
    is_int(lso_after(m, 12), 5, "then it follows the HW (5) without events");
    scr_t *s = fixture_inspect_after(m, 8);
    ok(fixture_line_with(s, -1, "3", "[ABORT]") >= 0, "the replica's log shows offset 3 as an ABORT marker");
    ok(fixture_line_with(s, -1, "k0", "aborted") >= 0 && fixture_line_with(s, -1, "k1", "aborted") >= 0,
       "the transaction's records k0 and k1 are marked aborted");
    ok(fixture_line_with(s, -1, "k2", NULL) >= 0 && fixture_line_with(s, -1, "k2", "aborted") < 0,
       "the plain record k2 is not");
    int lso = fixture_line_with(s, -1, "LSO 0", NULL), hw = fixture_line_with(s, -1, "▸ HW 3", NULL);
    ok(lso >= 0 && hw > lso && fixture_line_with(s, -1, "0  k0", NULL) > lso,
       "the log draws the LSO mark before offset 0 and the HW mark below it");
}

static void test_text(model_t *m)
{
    char buf[512];
    const char *t = text_format_body(model_json(m, fixture_ev_of_seq(m, 7)), buf, sizeof buf);
    is_str(t, "broker-1  last stable offset t-0 -> 0 (HW 3; held by producer 7's open transaction)",
           "the lso sentence says who holds it");
    t = text_format_body(model_json(m, fixture_ev_of_seq(m, 8)), buf, sizeof buf);
    is_str(t, "broker-1  marker t-0 offset 3: ABORT of producer 7 epoch 0 (coordinator epoch 0)",
           "the txn_marker sentence");
    t = text_format_body(model_json(m, fixture_ev_of_seq(m, 13)), buf, sizeof buf);
    ok(t && strstr(t, "refused the commit marker for t-0") &&
           strstr(t, "TRANSACTION_COORDINATOR_FENCED") && strstr(t, "coordinator epoch 5"),
       "the txn_marker_rejected sentence names the error and the known coordinator epoch");
    t = text_format_body(model_json(m, fixture_ev_of_seq(m, 4)), buf, sizeof buf);
    ok(t && strstr(t, "transactional"), "a transactional append says so");
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(txn_trace, &f);
    test_fold(m);
    test_text(m);
    fixture_close(m, f);
    return tap_done();
}
