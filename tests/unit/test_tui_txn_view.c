/* Unit tests for the viewer and the text timeline on the transactional API: the text of
 * AddPartitionsToTxn (partitions by name), WriteTxnMarkers (COMMIT/ABORT per producer,
 * per-partition errors on the response), a Fetch response's aborted transactions and a
 * txn_call naming the user's method; the inspector's transaction coordinators (state,
 * producer id and epoch, partitions, a fencing; forgotten by a crashed coordinator), a
 * producer's transaction state and producer id/epoch from producer_id, empty internal
 * partitions folded into one line, and a static member replaced by its new member id. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/inspector.h"
#include "tui/kinds.h"
#include "tui/screen.h"
#include "tui/text.h"

static const char *const view_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"1\",\"scenario\":\"txn.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"broker-2\",\"kind\":\"node\",\"role\":\"broker\",\"id\":1}",
    "{\"t\":0,\"seq\":3,\"node\":\"app\",\"kind\":\"node\",\"role\":\"producer\",\"id\":2}",
    "{\"t\":0,\"seq\":4,\"node\":\"world\",\"kind\":\"topic\",\"topic\":\"t\",\"partitions\":1,\"replication_factor\":1,\"leaders\":[\"broker-1\"]}",
    "{\"t\":0,\"seq\":5,\"node\":\"world\",\"kind\":\"topic\",\"topic\":\"__transaction_state\",\"partitions\":3,\"replication_factor\":1,\"leaders\":[\"broker-1\",\"broker-2\",\"broker-1\"]}",
    "{\"t\":0,\"seq\":6,\"node\":\"broker-1\",\"kind\":\"role\",\"tp\":\"__transaction_state-0\",\"role\":\"leader\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":0,\"seq\":7,\"node\":\"broker-2\",\"kind\":\"role\",\"tp\":\"__transaction_state-1\",\"role\":\"leader\",\"leader_epoch\":0,\"leader\":\"broker-2\",\"leo\":0,\"hw\":0}",
    "{\"t\":0,\"seq\":8,\"node\":\"broker-1\",\"kind\":\"role\",\"tp\":\"__transaction_state-2\",\"role\":\"leader\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":0,\"seq\":9,\"node\":\"broker-1\",\"kind\":\"role\",\"tp\":\"t-0\",\"role\":\"leader\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":1000,\"seq\":10,\"node\":\"app\",\"kind\":\"txn_client\",\"producer\":\"app\",\"transactional_id\":\"tx\",\"from\":\"UNINITIALIZED\",\"to\":\"INITIALIZING\"}",
    "{\"t\":2000,\"seq\":11,\"node\":\"broker-2\",\"kind\":\"txn_state\",\"transactional_id\":\"tx\",\"producer_id\":7,\"producer_epoch\":0,\"from\":\"Empty\",\"to\":\"Empty\",\"partitions\":[],\"reason\":\"InitProducerId\"}",
    "{\"t\":3000,\"seq\":12,\"node\":\"app\",\"kind\":\"producer_id\",\"producer_id\":7,\"producer_epoch\":0,\"transactional_id\":\"tx\"}",
    "{\"t\":3000,\"seq\":13,\"node\":\"app\",\"kind\":\"txn_call\",\"producer\":\"app\",\"call\":\"init_transactions\",\"request\":\"InitProducerId\",\"waited_ms\":2}",
    "{\"t\":4000,\"seq\":14,\"node\":\"app\",\"kind\":\"send\",\"msg\":1,\"api\":\"AddPartitionsToTxn\",\"dir\":\"request\",\"from\":\"app\",\"to\":\"broker-2\",\"corr\":5,\"transactional_id\":\"tx\",\"producer_id\":7,\"producer_epoch\":0,\"parts\":[\"topic1-0\",\"topic2-0\"]}",
    "{\"t\":5000,\"seq\":15,\"node\":\"broker-2\",\"kind\":\"txn_state\",\"transactional_id\":\"tx\",\"producer_id\":7,\"producer_epoch\":0,\"from\":\"Empty\",\"to\":\"Ongoing\",\"partitions\":[\"topic1-0\",\"topic2-0\"],\"reason\":\"AddPartitionsToTxn\"}",
    "{\"t\":5000,\"seq\":16,\"node\":\"broker-2\",\"kind\":\"replicated\",\"tp\":\"__transaction_state-1\",\"base_offset\":0,\"last_offset\":1}",
    "{\"t\":6000,\"seq\":17,\"node\":\"broker-2\",\"kind\":\"send\",\"msg\":2,\"api\":\"WriteTxnMarkers\",\"dir\":\"request\",\"from\":\"broker-2\",\"to\":\"broker-1\",\"corr\":10,\"markers\":[{\"producer_id\":7,\"producer_epoch\":0,\"result\":\"commit\",\"coordinator_epoch\":0,\"parts\":[\"topic1-0\",\"topic2-0\"]}]}",
    "{\"t\":7000,\"seq\":18,\"node\":\"broker-1\",\"kind\":\"send\",\"msg\":3,\"api\":\"WriteTxnMarkers\",\"dir\":\"response\",\"from\":\"broker-1\",\"to\":\"broker-2\",\"corr\":10,\"markers\":[{\"producer_id\":7,\"parts\":[{\"tp\":\"topic1-0\",\"error\":\"NONE\"},{\"tp\":\"topic2-0\",\"error\":\"NOT_LEADER_OR_FOLLOWER\"}]}]}",
    "{\"t\":8000,\"seq\":19,\"node\":\"broker-1\",\"kind\":\"send\",\"msg\":4,\"api\":\"Fetch\",\"dir\":\"response\",\"from\":\"broker-1\",\"to\":\"reader\",\"corr\":6,\"parts\":[{\"tp\":\"topic1-0\",\"error\":\"NONE\",\"hw\":4,\"aborted\":[{\"producer_id\":0,\"first_offset\":2}],\"records\":2,\"first\":2,\"last\":3}]}",
    "{\"t\":9000,\"seq\":20,\"node\":\"app\",\"kind\":\"txn_call\",\"producer\":\"app\",\"call\":\"commit_transaction\",\"request\":\"EndTxn\",\"waited_ms\":0,\"error\":\"InvalidProducerEpochException\",\"reason\":\"Producer attempted to produce with an old epoch.\"}",
    "{\"t\":9000,\"seq\":21,\"node\":\"app\",\"kind\":\"txn_client\",\"producer\":\"app\",\"transactional_id\":\"tx\",\"from\":\"IN_TRANSACTION\",\"to\":\"ABORTABLE_ERROR\",\"error\":\"InvalidProducerEpochException\",\"reason\":\"old epoch\"}",
    "{\"t\":10000,\"seq\":22,\"node\":\"broker-2\",\"kind\":\"txn_fenced\",\"transactional_id\":\"tx\",\"producer_id\":7,\"producer_epoch\":0,\"old_epoch\":0,\"new_epoch\":1,\"reason\":\"InitProducerId by a new instance\"}",
    "{\"t\":10000,\"seq\":23,\"node\":\"app\",\"kind\":\"producer_id\",\"producer_id\":7,\"producer_epoch\":2,\"transactional_id\":\"tx\"}",
    "{\"t\":11000,\"seq\":24,\"node\":\"broker-2\",\"kind\":\"crash\"}",
    "{\"t\":12000,\"seq\":25,\"node\":\"broker-1\",\"kind\":\"txn_loaded\",\"tp\":\"__transaction_state-1\",\"coordinator_epoch\":1,\"transactional_ids\":[\"tx\"],\"states\":{\"tx\":\"PrepareAbort\"},\"completing\":[\"tx\"]}",
    "{\"t\":13000,\"seq\":26,\"node\":\"broker-1\",\"kind\":\"member_joined\",\"group\":\"g\",\"member\":\"c-aaa\",\"instance_id\":\"c-0\"}",
    "{\"t\":13000,\"seq\":27,\"node\":\"broker-1\",\"kind\":\"member_joined\",\"group\":\"g\",\"member\":\"d-ccc\"}",
    "{\"t\":14000,\"seq\":28,\"node\":\"broker-1\",\"kind\":\"group_assignment\",\"group\":\"g\",\"generation\":1,\"protocol\":\"range\",\"assignment\":{\"c-aaa\":[\"t-0\"],\"d-ccc\":[]}}",
    "{\"t\":15000,\"seq\":29,\"node\":\"broker-1\",\"kind\":\"member_joined\",\"group\":\"g\",\"member\":\"c-bbb\",\"instance_id\":\"c-0\"}",
    "{\"t\":15000,\"seq\":30,\"node\":\"broker-1\",\"kind\":\"group_assignment\",\"group\":\"g\",\"generation\":1,\"protocol\":\"range\",\"assignment\":{\"c-bbb\":[\"t-0\"]}}",
    "{\"t\":16000,\"seq\":31,\"node\":\"broker-1\",\"kind\":\"member_removed\",\"group\":\"g\",\"member\":\"d-ccc\",\"reason\":\"leaving the group\"}",
    "{\"t\":17000,\"seq\":32,\"node\":\"world\",\"kind\":\"run_end\",\"status\":\"idle\",\"time\":17000}",
    NULL,
};

static const char *sentence(model_t *m, int64_t seq)
{
    static char buf[1024];
    return text_format_body(model_json(m, fixture_ev_of_seq(m, seq)), buf, sizeof buf);
}

static const char *label(model_t *m, int64_t seq)
{
    static char buf[512];
    label_message(model_json(m, fixture_ev_of_seq(m, seq)), buf, sizeof buf);
    return buf;
}

/* Item 1: the requests of transactions are readable. */
static void test_requests(model_t *m)
{
    is_str(sentence(m, 14), "app -> broker-2  AddPartitionsToTxn topic1-0, topic2-0 transactional_id=tx "
           "producer_id=7 producer_epoch=0 corr=5", "AddPartitionsToTxn names its partitions");
    is_str(label(m, 14), "AddPartitionsToTxn topic1-0, topic2-0 transactional_id=tx producer_id=7 "
           "producer_epoch=0", "and so does its arrow's label");
    is_str(sentence(m, 17), "broker-2 -> broker-1  WriteTxnMarkers COMMIT producer 7 epoch 0 "
           "(coordinator epoch 0): topic1-0, topic2-0 corr=10",
           "WriteTxnMarkers says COMMIT, whose, and where");
    is_str(sentence(m, 18), "broker-1 -> broker-2  WriteTxnMarkers response producer 7: topic1-0, "
           "topic2-0 NOT_LEADER_OR_FOLLOWER corr=10",
           "its response shows the error of the partition that has one");
    const char *t = sentence(m, 19);
    ok(t && strstr(t, "aborted=[producer 0 from 2]") && !strstr(t, "{"),
       "a Fetch response lists its aborted transactions");
    is_str(sentence(m, 20), "app  commit_transaction failed after 0 ms (awaiting EndTxn): "
           "InvalidProducerEpochException: Producer attempted to produce with an old epoch.",
           "txn_call names the method called and the request it awaited");
    is_str(sentence(m, 13), "app  init_transactions done after 2 ms (awaiting InitProducerId)",
           "a call that returned too");
}

/* Item 2: the inspector's transaction state. */
static void test_coordinators(model_t *m)
{
    scr_t *s = fixture_inspect_after(m, 15);
    int h = fixture_line_with(s, -1, "Transaction coordinators", NULL);
    int l = fixture_line_with(s, h, "broker-2", "tx  Ongoing  producer 7 epoch 0");
    ok(h >= 0 && l > h, "the coordinator lists its transactional id: state, producer id, epoch");
    ok(fixture_line_with(s, l, "partitions topic1-0,topic2-0", NULL) == l + 1,
       "and its partitions below");
    s = fixture_inspect_after(m, 22);
    l = fixture_line_with(s, -1, "broker-2", "tx  Ongoing  producer 7 epoch 1");
    ok(l >= 0 && fixture_line_with(s, l, "fenced: epoch 0 -> 1", NULL) > l,
       "a fencing bumps the epoch and is shown");
    s = fixture_inspect_after(m, 24);
    ok(fixture_line_with(s, -1, "Transaction coordinators", NULL) < 0,
       "a crashed coordinator forgets its transactions");
    s = fixture_inspect_after(m, 25);
    ok(fixture_line_with(s, -1, "broker-1", "tx  PrepareAbort") >= 0 &&
           fixture_line_with(s, -1, "broker-2", "tx  ") < 0,
       "the new coordinator loads the id in its state");
}

static void test_producer(model_t *m)
{
    scr_t *s = fixture_inspect_after(m, 13);
    int p = fixture_line_with(s, -1, "Producers", NULL);
    ok(fixture_line_with(s, p, "transaction INITIALIZING", "producer id 7") > p,
       "the producer's transaction state and its producer id from producer_id");
    ok(fixture_line_with(s, p, "last call init_transactions done", NULL) > p, "its last call");
    s = fixture_inspect_after(m, 21);
    ok(fixture_line_with(s, p, "transaction ABORTABLE_ERROR (InvalidProducerEpochException)",
                         NULL) > p, "an error state names the error");
    s = fixture_inspect_after(m, 23);
    ok(fixture_line_with(s, p, "epoch 2", NULL) > p,
       "a producer_id event bumps the epoch without any Produce");
}

static void test_internal(model_t *m)
{
    scr_t *s = fixture_inspect_after(m, 16);
    int parts = fixture_line_with(s, -1, "Partitions", NULL);
    int logs = fixture_line_with(s, parts, "Partition logs", NULL);
    ok(parts >= 0 && fixture_line_with(s, parts, "t-0  leader broker-1", NULL) > parts,
       "the user's partition is listed");
    int one = fixture_line_with(s, parts, "__transaction_state-1", NULL);
    ok(one > parts && one < logs, "the internal partition that holds records is listed");
    ok(fixture_line_with(s, parts, "__transaction_state-0", NULL) < 0 &&
           fixture_line_with(s, parts, "__transaction_state-2", NULL) < 0,
       "the empty ones are not");
    ok(fixture_line_with(s, parts, "(2 empty partitions of internal topics not listed)", NULL) >
           parts, "they are counted in one line");
    ok(fixture_line_with(s, logs, "(2 empty replica logs of internal topics not listed)", NULL) >
           logs, "and so are their logs");
    s = fixture_inspect_after(m, 15);
    ok(fixture_line_with(s, -1, "__transaction_state-1", NULL) < 0,
       "before its records arrive it was hidden too");
}

static void test_static_member(model_t *m)
{
    scr_t *s = fixture_inspect_after(m, 28);
    ok(fixture_line_with(s, -1, "member c-aaa", "t-0") >= 0, "the static member, first id");
    s = fixture_inspect_after(m, 30);
    ok(fixture_line_with(s, -1, "member c-bbb", "t-0") >= 0, "its new member id");
    ok(fixture_line_with(s, -1, "member c-aaa", NULL) < 0, "replaces the old one");

    ok(fixture_line_with(s, -1, "member d-ccc", NULL) >= 0, "the other member stays");
    s = fixture_inspect_after(m, 31);
    ok(fixture_line_with(s, -1, "member d-ccc", NULL) < 0, "until it is removed");
    ok(fixture_line_with(s, -1, "member c-bbb", NULL) >= 0, "the static member stays");
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(view_trace, &f);
    test_requests(m);
    test_coordinators(m);
    test_producer(m);
    test_internal(m);
    test_static_member(m);
    fixture_close(m, f);
    return tap_done();
}
