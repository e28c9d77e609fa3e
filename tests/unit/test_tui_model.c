/* Unit tests for the viewer's index of a trace: errors for malformed files, its limits
 * (node names, kinds) and hostile traces (huge partition counts, control characters), messages
 * linked to their drops, the jump lists, the state histories (values, truncated logs,
 * aborted transactions) read at any moment, the interner and map, search, and exporters
 * that give the same bytes twice. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/export.h"
#include "tui/intern.h"
#include "tui/search.h"
#include "tui/state.h"

/* Lines are checked by trace_parse_line (tested in test_trace.c): the viewer's messages
 * name its file and line. */
static void test_malformed(void)
{
    FILE *f = tmpfile();
    fputs("{\"format\":\"ksim-trace\",\"version\":1}\n{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}\nnope\n", f);
    fflush(f);
    rewind(f);
    char err[256] = "";
    model_t *m = model_load(f, "bad.jsonl", NULL, NULL, err, sizeof err);
    ok(m == NULL, "a malformed trace is refused");
    is_str(err, "bad.jsonl:3: not a JSON object: invalid JSON at column 1",
           "the message names the file and line");
    fclose(f);
    f = tmpfile();
    m = model_load(f, "empty.jsonl", NULL, NULL, err, sizeof err);
    ok(m == NULL && strcmp(err, "empty.jsonl:1: empty trace: no header line") == 0,
       "an empty file is an empty trace");
    fclose(f);
}

static void test_index(void)
{
    FILE *f;
    model_t *m = fixture_load(lost_ack_trace, &f);
    is_int(m->n, 26, "every event is indexed");
    is_int(m->nnotes, 3, "three notes");
    is_int(m->nfaults, 1, "one fault");
    is_int(m->faults[0], 10, "the fault list points at the lost message's arrow (seq 11)");
    ok(m->ev[10].flags & MF_DROPPED, "the message is marked lost");
    is_int(m->ev[10].link, 11, "and linked to its drop");
    ok(m->ev[11].flags & MF_HIDDEN, "the drop is not a row of its own");
    ok(m->ev[7].flags & MF_HIDDEN, "nor is a delivery");
    ok(m->ev[19].flags & MF_RESPONSE, "responses are marked");
    is_int(m->nchecks, 1, "one check");
    is_int(model_at_time(m, 5001000), 13, "the first event at 5001 ms is seq 14");
    is_str(model_kind_name(m, 22), "custom_event", "kinds keep their names");
    is_str(model_kind(m, 22)->kind, "", "an unknown kind gets the generic entry");
    is_int(model_kind(m, 22)->shape, KS_LANE, "drawn on its node's lane");
    const cJSON *ev = model_json(m, 4);
    ok(ev && strstr(trace_str(ev, "text"), "问题场景"), "an event is read back from the file");
    fixture_close(m, f);
}

static void test_state(void)
{
    state_t st;
    st_init(&st);
    uint32_t e = st_entity(&st, "group", "g1", 3);
    is_int(st_entity(&st, "group", "g1", 9), e, "an entity is found again by section and name");
    for (uint32_t ev = 3; ev < 1003; ev++)
        st_set_int(&st, e, "generation", ev, ev / 10);
    st_set_str(&st, e, "state", 5, "PreparingRebalance");
    st_set_str(&st, e, "state", 50, "Stable");
    char buf[32];
    ok(!st_exists(&st, e, 3) && st_exists(&st, e, 4), "an entity exists after the event that made it");
    is_int(st_field_int(&st, e, "generation", 500, -1), 49, "a field's value at a moment (binary search)");
    is_int(st_field_int(&st, e, "generation", 4, -1), 0, "at its first change");
    is_str(st_field(&st, e, "state", 50, buf, sizeof buf), "PreparingRebalance", "a change applies after its event");
    is_str(st_field(&st, e, "state", 51, buf, sizeof buf), "Stable", "and not before");
    is_str(st_field(&st, e, "state", 5, buf, sizeof buf), NULL, "nothing before the first change");
    st_unset(&st, e, "state", 60);
    is_str(st_field(&st, e, "state", 61, buf, sizeof buf), NULL, "an unset field has no value");
    uint32_t log = st_entity(&st, "log", "b1 t-0", 1);
    for (int64_t off = 0; off < 5; off++) {
        st_rec_t r = { off, 7, (uint32_t)(10 + off), ST_NEVER, ST_NEVER, 0, ST_REC_TXN,
                       (uint32_t)(10 + off) };
        st_log_append(&st, log, &r);
    }
    st_log_remove(&st, log, 20, 3, false); /* a truncation to offset 3 */
    st_rec_t again = { 3, -1, 21, ST_NEVER, ST_NEVER, 0, 0, 21 };
    st_log_append(&st, log, &again);
    const st_rec_t *out[10];
    size_t total;
    is_int(st_log_tail(&st, log, 15, out, 10, &total), 5, "before the truncation five records");
    is_int(st_log_tail(&st, log, 21, out, 10, &total), 3, "after it three");
    size_t n = st_log_tail(&st, log, 22, out, 10, &total);
    ok(n == 4 && total == 4 && out[3]->offset == 3 && out[3]->ev_add == 21,
       "offset 3 is written again, in offset order");
    is_int(st_log_end(&st, log, 21), 3, "the log end follows the truncation");
    is_int(st_log_tail(&st, log, 22, out, 2, &total), 2, "the tail can be shorter than the log");
    is_int(total, 4, "and still counts the whole log");
    st_rec_t marker = { 4, 7, 30, ST_NEVER, ST_NEVER, 0, ST_REC_CONTROL | ST_REC_ABORT, 30 };
    st_log_append(&st, log, &marker);
    st_log_end_txn(&st, log, 30, 7, true);
    n = st_log_tail(&st, log, 31, out, 10, &total);
    ok(out[0]->ev_abort == 30 && out[2]->ev_abort == 30 && out[3]->ev_abort == ST_NEVER,
       "an abort marker marks its producer's transactional records aborted");
    uint32_t c = st_entity(&st, "producer", "p1", 1);
    uint32_t q1 = st_req_open(&st, c, 5, "b1"), q2 = st_req_open(&st, c, 6, "b2");
    st_req_close(&st, c, q1, 8);
    const st_req_t *reqs[4];
    is_int(st_inflight(&st, c, 7, reqs, 4), 2, "two requests in flight between send and answer");
    is_int(st_inflight(&st, c, 9, reqs, 4), 1, "one after the first answer");
    st_req_close_all(&st, c, 10, "b2");
    is_int(st_inflight(&st, c, 11, reqs, 4), 0, "none after a reset of the other connection");
    (void)q2;
    st_free(&st);
}

static void test_tables(void)
{
    intern_t t;
    intern_init(&t);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "node-%d", i);
        if (intern_id(&t, name) != (uint32_t)i)
            ok(0, "intern id of %s", name);
    }
    is_int(intern_find(&t, "node-777"), 777, "interned strings get dense ids");
    is_int(intern_find(&t, "node-1000"), INTERN_NONE, "an unknown string has none");
    intern_free(&t);
    u64map_t mp;
    u64map_init(&mp);
    for (uint64_t k = 0; k < 20000; k++)
        u64map_put(&mp, k * 1024, (uint32_t)k);
    for (uint64_t k = 0; k < 20000; k += 2)
        u64map_del(&mp, k * 1024);
    int bad = 0;
    for (uint64_t k = 0; k < 20000; k++)
        bad += u64map_get(&mp, k * 1024) != (k % 2 ? (uint32_t)k : INTERN_NONE);
    is_int(bad, 0, "the map finds what is left after deletions");
    u64map_free(&mp);
}

static void test_search(void)
{
    FILE *f;
    model_t *m = fixture_load(lost_ack_trace, &f);
    rows_t r;
    rows_init(&r, m);
    bool wrapped;
    uint32_t p = search_next(m, &r, r.n, "BROKER-1", &wrapped);
    ok(p < r.n && r.idx[p] == 1, "search ignores case and finds a node (seq 2)");
    p = search_next(m, &r, p, "k1", &wrapped);
    is_int(r.idx[p], 5, "a key: the first record sent (seq 6)");
    p = search_next(m, &r, rows_pos_of_event(&r, 24), "问题", &wrapped);
    ok(wrapped && r.idx[p] == 4, "search goes on from the top to a CJK note");
    p = search_next(m, &r, r.n, "dropped", &wrapped);
    is_int(r.idx[p], 10, "a word of the timeline's sentence finds the lost message");
    is_int(search_next(m, &r, r.n, "kind", &wrapped), r.n, "field names are not matched");
    rows_free(&r);
    fixture_close(m, f);
}

static void test_exports(void)
{
    FILE *f;
    model_t *m = fixture_load(lost_ack_trace, &f);
    export_opts_t o = { 0, -1, NULL, false };
    char *a = fixture_export(m, export_svg, &o), *b = fixture_export(m, export_svg, &o);
    ok(a && b && strcmp(a, b) == 0, "the same trace gives the same SVG bytes");
    ok(strstr(a, ">broker-1</text>") && strstr(a, ">p1</text>"), "the SVG names the lanes");
    ok(strstr(a, "Produce resp payments-0 @0") && strstr(a, "class=\"x\""), "and crosses out the lost answer");
    free(a);
    free(b);
    a = fixture_export(m, export_mermaid, &o);
    ok(strncmp(a, "sequenceDiagram\n", 16) == 0, "Mermaid text starts with sequenceDiagram");
    ok(strstr(a, "participant n0 as broker-1") && strstr(a, "n0--xn1: Produce resp payments-0 @0 (lost: fault 1)"),
       "participants are aliased and the lost answer ends in a cross");
    free(a);
    export_opts_t w = { 5000000, 5091058, "p1", false };
    a = fixture_export(m, export_text, &w);
    ok(strstr(a, "5090.558 ms  p1 -> broker-1  Produce") && !strstr(a, "     1.000 ms"),
       "--from/--to keep the window only");
    ok(!strstr(a, "high watermark"), "--nodes p1 leaves out the broker's own events");
    free(a);
    char err[128];
    export_opts_t bad = { 0, -1, "nobody", false };
    FILE *out = fopen("/dev/null", "w");
    ok(!export_svg(m, &bad, out, err, sizeof err) && strstr(err, "nobody"), "an unknown node is an error");
    fclose(out);
    fixture_close(m, f);
}

/* A trace of n events, the i-th written by line(buf, n, i), loaded; NULL with err. */
static model_t *load_generated(int n, void (*line)(char *, size_t, int), FILE **file, char *err,
                               size_t errlen)
{
    FILE *f = tmpfile();
    fputs("{\"format\":\"ksim-trace\",\"version\":1}\n", f);
    for (int i = 0; i < n; i++) {
        char buf[256];
        line(buf, sizeof buf, i);
        fprintf(f, "%s\n", buf);
    }
    fflush(f);
    rewind(f);
    *file = f;
    return model_load(f, "big.jsonl", NULL, NULL, err, errlen);
}

static void distinct_nodes(char *buf, size_t n, int i)
{
    snprintf(buf, n, "{\"t\":%d,\"seq\":%d,\"node\":\"n%d\",\"kind\":\"crash\"}", i, i + 1, i);
}

static void distinct_kinds(char *buf, size_t n, int i)
{
    snprintf(buf, n, "{\"t\":%d,\"seq\":%d,\"node\":\"a\",\"kind\":\"k%d\"}", i, i + 1, i);
}

static void huge_topic(char *buf, size_t n, int i)
{
    snprintf(buf, n, "{\"t\":0,\"seq\":1,\"node\":\"controller\",\"kind\":\"topic\",\"topic\":\"t\","
                     "\"partitions\":2147483647,\"leaders\":[\"b1\"],\"replicas\":[[\"b1\"]]}");
}

/* Hostile traces: past the index's 16-bit node and kind ids, a topic that claims 2^31-1
 * partitions, control characters in names and notes. */
static void test_limits(void)
{
    FILE *f;
    char err[256] = "";
    model_t *m = load_generated(65535, distinct_nodes, &f, err, sizeof err);
    ok(!m, "a trace with more node names than the viewer can index is refused");
    is_str(err, "big.jsonl:65536: more than 65534 distinct node names (the viewer's limit)",
           "the message names the line of the first node too many");
    fclose(f);
    m = load_generated(65537, distinct_kinds, &f, err, sizeof err);
    ok(!m && strcmp(err, "big.jsonl:65538: more than 65536 distinct kinds (the viewer's limit)") == 0,
       "more distinct kinds than the index's ids are refused, naming the line");
    fclose(f);
    m = load_generated(1, huge_topic, &f, err, sizeof err);
    ok(m && st_find(&m->st, "partition", "controller t-0") != ST_NEVER &&
           st_find(&m->st, "partition", "controller t-1") == ST_NEVER,
       "a topic claiming 2^31-1 partitions folds only the partitions its line lists");
    model_free(m);
    fclose(f);

    static const char *const control[] = {
        "{\"format\":\"ksim-trace\",\"version\":1}",
        "{\"t\":0,\"seq\":1,\"node\":\"a\\u001b[2J\\u0007\",\"kind\":\"crash\"}",
        "{\"t\":0,\"seq\":2,\"node\":\"world\",\"kind\":\"note\",\"text\":\"x\\u001b]0;t\\u0007\\u009b\\u007fy\"}",
        NULL,
    };
    m = fixture_load(control, &f);
    export_opts_t o = { 0, -1, NULL, false };
    char *text = fixture_export(m, export_text, &o);
    bool clean = text != NULL;
    for (const char *p = text ? text : ""; *p; p++)
        clean = clean && ((unsigned char)*p >= 0x20 || *p == '\n') && (unsigned char)*p != 0x7F &&
                !((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0x9B);
    ok(clean && strstr(text, "a\xEF\xBF\xBD[2J\xEF\xBF\xBD  ") && strstr(text, "** x\xEF\xBF\xBD]0;t"),
       "text export shows control characters as U+FFFD: nothing reaches the terminal raw");
    free(text);
    char *mmd = fixture_export(m, export_mermaid, &o);
    clean = mmd != NULL;
    for (const char *p = mmd ? mmd : ""; *p; p++)
        clean = clean && ((unsigned char)*p >= 0x20 || *p == '\n') && (unsigned char)*p != 0x7F &&
                !((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0x9B);
    ok(clean && strstr(mmd, "participant n0 as a[2J\n"), "and Mermaid leaves them out");
    free(mmd);
    fixture_close(m, f);
}

int main(void)
{
    fixture_locale();
    test_malformed();
    test_limits();
    test_index();
    test_state();
    test_tables();
    test_search();
    test_exports();
    return tap_done();
}
