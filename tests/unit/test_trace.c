/* Unit tests for sim/trace: writing JSON Lines, the digest over the bytes written, reading a
 * trace back, and the error messages for malformed trace files. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/core/hash.h"
#include "sim/trace.h"
#include "util/utf8.h"
#include "tests/unit/tap.h"

/* A fresh file under /tmp; the caller unlinks it. */
static FILE *temp_file(char *path, size_t len)
{
    snprintf(path, len, "/tmp/ksim-test-trace-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(2);
    }
    FILE *f = fdopen(fd, "w+");
    if (!f) {
        perror("fdopen");
        exit(2);
    }
    return f;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The sample trace: a header and three events, one with nested fields. */
static void write_sample(trace_t *tr, const char *changed_node)
{
    trace_header(tr, 42, "payments.lua");
    cJSON *ev = trace_begin(tr, 0, "broker-1", "node");
    cJSON_AddStringToObject(ev, "role", "broker");
    trace_emit(tr, ev);
    ev = trace_begin(tr, 1500, changed_node ? changed_node : "p1", "send");
    cJSON_AddStringToObject(ev, "api", "Produce");
    cJSON_AddNumberToObject(ev, "corr", 7);
    cJSON_AddBoolToObject(ev, "response", false);
    cJSON *parts = cJSON_AddArrayToObject(ev, "partitions");
    cJSON_AddItemToArray(parts, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(parts, cJSON_CreateNumber(2));
    trace_emit(tr, ev);
    ev = trace_begin(tr, 2000, "broker-1", "note");
    cJSON_AddStringToObject(ev, "text", "quotes \" and \\ and \xc3\xa9 survive");
    trace_emit(tr, ev);
}

static uint64_t sample_digest(const char *changed_node)
{
    trace_t *tr = trace_new();
    write_sample(tr, changed_node);
    uint64_t d = trace_digest(tr);
    trace_free(tr);
    return d;
}

static void test_round_trip(void)
{
    char path[64];
    FILE *f = temp_file(path, sizeof path);
    trace_t *tr = trace_new();
    trace_set_file(tr, f);
    write_sample(tr, NULL);
    is_int(trace_count(tr), 3, "the writer counts events, not the header");
    fclose(f);

    trace_doc_t doc;
    char err[512] = "";
    bool loaded = trace_load(path, &doc, err, sizeof err);
    if (!ok(loaded, "a written trace loads back"))
        tap_diag("  %s", err);
    is_int(doc.n, 3, "the loaded trace has as many events as were written");
    ok(str_eq(trace_str(doc.header, "format"), TRACE_FORMAT) &&
           trace_int(doc.header, "version", 0) == TRACE_VERSION,
       "the header carries the format name and version");
    is_str(trace_str(doc.header, "seed"), "42", "the header keeps the seed");
    is_str(trace_str(doc.header, "scenario"), "payments.lua",
           "the header keeps the scenario name");
    if (doc.n == 3) {
        const cJSON *e1 = doc.events[1];
        ok(trace_int(e1, "t", -1) == 1500 && trace_int(e1, "seq", -1) == 2 &&
               str_eq(trace_str(e1, "node"), "p1") && str_eq(trace_str(e1, "kind"), "send"),
           "t, seq, node and kind survive the round trip");
        const cJSON *parts = cJSON_GetObjectItemCaseSensitive(e1, "partitions");
        ok(str_eq(trace_str(e1, "api"), "Produce") && trace_int(e1, "corr", -1) == 7 &&
               cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e1, "response")) &&
               cJSON_GetArraySize(parts) == 2 && cJSON_GetArrayItem(parts, 1)->valueint == 2,
           "an event's own fields survive the round trip");
        is_str(trace_str(doc.events[2], "text"), "quotes \" and \\ and \xc3\xa9 survive",
               "escaped and non-ASCII strings survive the round trip");
        ok(trace_int(doc.events[0], "seq", -1) == 1 && trace_int(doc.events[2], "seq", -1) == 3,
           "events are numbered from 1 in the order written");
    } else {
        for (int i = 0; i < 4; i++)
            ok(0, "event fields survive the round trip (trace did not load)");
    }
    ok(trace_str(doc.header, "missing") == NULL && trace_int(doc.header, "missing", -9) == -9 &&
           trace_int(doc.header, "seed", -9) == -9,
       "field helpers return their default for a missing or mistyped field");
    trace_doc_free(&doc);

    size_t len = 0;
    char *bytes = read_all(path, &len);
    ok(bytes && trace_digest(tr) == hash_fnv1a64(bytes, len),
       "the digest equals FNV-1a 64 over the exact bytes written");
    size_t lines = 0;
    for (size_t i = 0; bytes && i < len; i++)
        lines += bytes[i] == '\n';
    ok(lines == 4 && bytes && bytes[len - 1] == '\n', "every event is one line ending in a newline");
    free(bytes);
    trace_free(tr);
    unlink(path);
}

static void test_digest(void)
{
    ok(sample_digest(NULL) == sample_digest(NULL), "two identical traces have identical digests");
    ok(sample_digest(NULL) != sample_digest("p2"), "a trace differing in one field has a different digest");
    trace_t *tr = trace_new();
    ok(trace_digest(tr) == HASH_FNV64_INIT, "an empty trace's digest is the FNV offset basis");
    trace_free(tr);
}

typedef struct seen {
    int lines;
    int events;
    char kinds[8][16];
} seen_t;

static void on_line(void *ctx, const cJSON *ev, const char *line)
{
    seen_t *s = ctx;
    const char *kind = trace_str(ev, "kind");
    if (s->lines < 8)
        snprintf(s->kinds[s->lines], sizeof s->kinds[0], "%s", kind ? kind : "(header)");
    s->lines++;
    s->events += kind != NULL && line[0] == '{';
}

static void test_listener_and_disabled(void)
{
    seen_t s = { 0 };
    trace_t *tr = trace_new();
    trace_set_listener(tr, on_line, &s);
    write_sample(tr, NULL);
    ok(s.lines == 4 && s.events == 3 && str_eq(s.kinds[0], "(header)") && str_eq(s.kinds[2], "send"),
       "the listener sees every line, header included, in order");
    trace_free(tr);

    seen_t quiet = { 0 };
    tr = trace_new();
    trace_set_listener(tr, on_line, &quiet);
    trace_set_enabled(tr, false);
    ok(!trace_enabled(tr) && trace_begin(tr, 0, "n", "k") == NULL,
       "a disabled trace hands out no events");
    trace_header(tr, 1, "x");
    trace_emit(tr, NULL);
    ok(quiet.lines == 0 && trace_digest(tr) == HASH_FNV64_INIT && trace_count(tr) == 0,
       "a disabled trace writes nothing and keeps its digest");
    trace_free(tr);
}

/* Writes `text` to a temp file, loads it, and checks the error names path:line and `what`. */
static void check_malformed(const char *text, int line, const char *what, const char *name)
{
    char path[64];
    FILE *f = temp_file(path, sizeof path);
    fputs(text, f);
    fclose(f);
    trace_doc_t doc;
    char err[512] = "";
    bool loaded = trace_load(path, &doc, err, sizeof err);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    bool good = !loaded && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, what) != NULL &&
                doc.n == 0 && doc.header == NULL;
    if (!ok(good, "%s", name))
        tap_diag("  got \"%s\", want \"%s...%s...\"", err, prefix, what);
    if (loaded)
        trace_doc_free(&doc);
    unlink(path);
}

#define HEADER "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"1\",\"scenario\":\"\"}\n"
#define EVENT "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"note\"}\n"
#define EVENT2 "{\"t\":0,\"seq\":2,\"node\":\"a\",\"kind\":\"note\"}\n"

static void test_malformed(void)
{
    check_malformed(HEADER EVENT "{\"t\":1,\"seq\":2,\n", 3, "not a JSON object",
                    "a line that is not JSON fails with its line number (3)");
    check_malformed(HEADER "{\"t\":0,\"seq\":1,\"node\":\"a\"}\n" EVENT, 2, "\"kind\"",
                    "an event without \"kind\" fails with its line number (2)");
    check_malformed(HEADER "{\"t\":\"0\",\"seq\":1,\"node\":\"a\",\"kind\":\"k\"}\n", 2, "\"t\"",
                    "an event whose \"t\" is not a number fails with its line number (2)");
    check_malformed("", 1, "empty trace", "an empty file fails, naming line 1");
    check_malformed(EVENT HEADER, 1, "not a ksim trace", "a first line that is not a header fails at line 1");
    check_malformed("{\"format\":\"ksim-trace\",\"version\":2}\n" EVENT, 1, "version 2",
                    "a header with an unsupported version fails at line 1");
    check_malformed(HEADER EVENT "\n" EVENT, 3, "empty line", "an empty line fails with its line number (3)");
    check_malformed(HEADER "[1,2]\n", 2, "not a JSON object", "a JSON value that is not an object fails (line 2)");
    check_malformed(HEADER "{\"t\":1000,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}\n"
                    "{\"t\":10,\"seq\":2,\"node\":\"a\",\"kind\":\"x\"}\n", 3,
                    "time goes backwards: t 10 is before the previous event's t 1000",
                    "an event earlier than the one before fails (line 3)");
    check_malformed(HEADER EVENT EVENT, 3, "seq 1 does not follow the previous event's seq 1",
                    "a repeated seq fails (line 3)");

    char path[64];
    FILE *f = temp_file(path, sizeof path);
    fputs(HEADER EVENT EVENT2, f);
    fclose(f);
    trace_doc_t doc;
    char err[256] = "";
    ok(trace_load(path, &doc, err, sizeof err) && doc.n == 2, "a header followed by events loads");
    trace_doc_free(&doc);
    unlink(path);

    f = temp_file(path, sizeof path);
    fputs(HEADER, f);
    fclose(f);
    ok(trace_load(path, &doc, err, sizeof err) && doc.n == 0 && doc.header,
       "a trace with only its header loads with no events");
    trace_doc_free(&doc);
    unlink(path);

    const char *missing = "/tmp/ksim-no-such-dir/trace.jsonl";
    bool loaded = trace_load(missing, &doc, err, sizeof err);
    if (!ok(!loaded && strncmp(err, missing, strlen(missing)) == 0 && doc.n == 0,
            "a missing file fails with a message naming the path"))
        tap_diag("  got \"%s\"", err);
}

/* The one line check every reader uses (trace_load here, the viewer's scan in tui/). */
static void test_parse_line(void)
{
    static const struct {
        const char *line;
        long lineno;
        const char *err; /* NULL: parses */
        const char *name;
    } cases[] = {
        { "{\"format\":\"ksim-trace\",\"version\":1}", 1, NULL, "a header parses as line 1" },
        { "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}", 2, NULL, "an event parses as a later line" },
        { "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}", 1,
          "t.jsonl:1: not a ksim trace: the first line must be the header with \"format\":\"ksim-trace\"",
          "an event where the header belongs is refused" },
        { "{\"format\":\"ksim-trace\",\"version\":2}", 1,
          "t.jsonl:1: trace format version 2 is not supported (this ksim reads version 1)",
          "another format version is refused" },
        { "", 1, "t.jsonl:1: empty trace: no header line", "nothing on line 1 is an empty trace" },
        { "", 5, "t.jsonl:5: empty line (every line must be one JSON object)", "an empty later line is refused" },
        { "not json", 3, "t.jsonl:3: not a JSON object: invalid JSON at column 1",
          "text that is not JSON is refused, with the column" },
        { "{\"t\":0,\"seq\":1,", 3,
          "t.jsonl:3: not a JSON object: invalid JSON at column 15, the end of the line (cut short?)",
          "a line cut short says so" },
        { "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"} {\"t\":1}", 2,
          "t.jsonl:2: text after the JSON object at column 39",
          "a second object on the line is refused, not dropped" },
        { "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}x", 2,
          "t.jsonl:2: text after the JSON object at column 38", "trailing text is refused" },
        { "{\"t\":-5,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}", 2,
          "t.jsonl:2: \"t\" must be a whole number of microseconds from 0 to 9007199254740992, got -5",
          "a negative time is refused" },
        { "{\"t\":1.5,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}", 2,
          "t.jsonl:2: \"t\" must be a whole number of microseconds from 0 to 9007199254740992, got 1.5",
          "a time that is not whole microseconds is refused" },
        { "{\"t\":1e300,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}", 2,
          "t.jsonl:2: \"t\" must be a whole number of microseconds from 0 to 9007199254740992, got 1e+300",
          "a time beyond 2^53 is refused (a double would not hold it exactly)" },
        { "{\"t\":0,\"seq\":0,\"node\":\"a\",\"kind\":\"x\"}", 2,
          "t.jsonl:2: \"seq\" must be a whole number from 1 to 9007199254740992, got 0",
          "a seq below 1 is refused" },
        { "{\"format\":\"ksim-trace\",\"version\":1.5}", 1,
          "t.jsonl:1: trace format version 1.5 is not supported (this ksim reads version 1)",
          "a fractional version is not version 1" },
        { "{\"format\":\"ksim-trace\",\"version\":\"1\"}", 1,
          "t.jsonl:1: the header has no numeric \"version\" (this ksim reads version 1)",
          "a version that is not a number is named as such" },
        { "[1,2]", 3, "t.jsonl:3: not a JSON object", "JSON that is not an object is refused" },
        { "{\"seq\":1,\"node\":\"a\",\"kind\":\"x\"}", 4, "t.jsonl:4: event has no numeric \"t\" field",
          "an event without t is refused" },
        { "{\"t\":0,\"seq\":1,\"node\":7,\"kind\":\"x\"}", 4, "t.jsonl:4: event has no string \"node\" field",
          "an event whose node is not a string is refused" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        cJSON *obj = trace_parse_line(cases[i].line, strlen(cases[i].line), "t.jsonl",
                                      cases[i].lineno, err, sizeof err);
        if (cases[i].err)
            is_str(obj ? "(parsed)" : err, cases[i].err, "%s", cases[i].name);
        else
            ok(cJSON_IsObject(obj) && !err[0], "%s", cases[i].name);
        cJSON_Delete(obj);
    }
    char err[64] = "";
    const char *ev = "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\"} trailing";
    cJSON *obj = trace_parse_line(ev, strcspn(ev, " "), "t.jsonl", 2, err, sizeof err);
    ok(obj != NULL, "only the first len bytes are read (the line needs no NUL)");
    cJSON_Delete(obj);
    static const char nul[] = "{\"t\":0,\"seq\":1,\"node\":\"a\0b\",\"kind\":\"x\"}";
    char err2[128] = "";
    obj = trace_parse_line(nul, sizeof nul - 1, "t.jsonl", 2, err2, sizeof err2);
    is_str(obj ? "(parsed)" : err2, "t.jsonl:2: NUL byte at column 25 (a trace is text)",
           "a NUL byte in a line is refused, not cut short");
    cJSON_Delete(obj);
    char deep[3000];
    int k = snprintf(deep, sizeof deep, "{\"t\":0,\"seq\":1,\"node\":\"a\",\"kind\":\"x\",\"v\":");
    memset(deep + k, '[', 1200);
    memset(deep + k + 1200, ']', 1200);
    snprintf(deep + k + 2400, sizeof deep - (size_t)k - 2400, "}");
    obj = trace_parse_line(deep, strlen(deep), "t.jsonl", 2, err2, sizeof err2);
    ok(!obj && strstr(err2, "t.jsonl:2: not a JSON object: nested more than 1000 levels deep"),
       "JSON nested too deeply says so");
    cJSON_Delete(obj);
}

static void test_big_numbers(void)
{
    char path[64];
    FILE *f = temp_file(path, sizeof path);
    trace_t *tr = trace_new();
    trace_set_file(tr, f);
    trace_header(tr, UINT64_MAX, NULL);
    fclose(f);
    trace_doc_t doc;
    char err[256] = "";
    bool loaded = trace_load(path, &doc, err, sizeof err);
    is_str(loaded ? trace_str(doc.header, "seed") : err, "18446744073709551615",
           "a 64-bit seed survives the header exactly");
    if (loaded)
        trace_doc_free(&doc);
    trace_free(tr);
    unlink(path);


    cJSON *huge = cJSON_Parse("{\"t\":1e300,\"v\":-1e300,\"n\":42}");
    is_int(trace_int(huge, "t", -7), -7, "trace_int gives the default for a number beyond int64_t");
    is_int(trace_int(huge, "v", -7), -7, "trace_int gives the default for a number below int64_t");
    is_int(trace_int(huge, "n", -7), 42, "trace_int reads an ordinary integer");
    cJSON_Delete(huge);
}

static void test_stream(void)
{
    char path[64];
    FILE *f = temp_file(path, sizeof path);
    fputs(HEADER "not json\n", f);
    rewind(f);
    trace_doc_t doc;
    char err[256] = "";
    bool loaded = trace_load_stream(f, "memory", &doc, err, sizeof err);
    is_str(loaded ? "" : err, "memory:2: not a JSON object: invalid JSON at column 1",
           "trace_load_stream names its stream in errors");
    fclose(f);
    unlink(path);
}

static void test_bytes_and_text(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "text", trace_bytes("caf\xc3\xa9", 5));
    cJSON_AddItemToObject(o, "bad", trace_bytes("\xff\xfe", 2));
    cJSON_AddItemToObject(o, "nul", trace_bytes("a\0b", 3));
    cJSON_AddItemToObject(o, "null", trace_bytes(NULL, -1));
    cJSON_AddItemToObject(o, "empty", trace_bytes("", 0));
    trace_add_text(o, "note", "ok \xe9 \0 end", 10);
    is_str(trace_str(o, "text"), "caf\xc3\xa9", "bytes that are UTF-8 text are a JSON string");
    is_str(trace_str(cJSON_GetObjectItemCaseSensitive(o, "bad"), "hex"), "fffe",
           "bytes that are not UTF-8 are written as hex, every byte kept");
    is_str(trace_str(cJSON_GetObjectItemCaseSensitive(o, "nul"), "hex"), "610062",
           "a NUL byte makes the bytes hex too, instead of cutting them short");
    ok(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "null")), "Kafka's null is JSON null");
    is_str(trace_str(o, "empty"), "", "empty bytes are an empty string");
    is_str(trace_str(o, "note"), "ok \xef\xbf\xbd \xef\xbf\xbd end",
           "user text keeps what is text and shows the rest as U+FFFD");
    char *line = cJSON_PrintUnformatted(o);
    cJSON *back = cJSON_Parse(line);
    ok(back != NULL, "the result prints as valid JSON");
    cJSON_Delete(back);
    cJSON_free(line);
    cJSON_Delete(o);
    ok(!utf8_text("\xed\xa0\x80", 3) && !utf8_text("\xc0\xaf", 2) &&
           !utf8_text("\xf4\x90\x80\x80", 4) && utf8_text("\xf0\x9f\x98\x80", 4),
       "surrogates, overlong forms and code points above U+10FFFF are not text; emoji are");
}

int main(void)
{
    test_round_trip();
    test_digest();
    test_listener_and_disabled();
    test_malformed();
    test_parse_line();
    test_big_numbers();
    test_stream();
    test_bytes_and_text();
    return tap_done();
}
