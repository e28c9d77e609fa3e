/* text: one trace event as one line of text. Each kind of event has its own short
 * sentence; kinds this file does not know fall back to "node  kind key=value ...", so a
 * new engine event shows up before anyone writes its renderer. */
#include "text.h"

#include "../util/utf8.h"
#include "../sim/trace.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_CHARS 40
#define MAX_PARTS 4
#define MAX_LEADERS 8
#define MAX_RECORDS 3

/* ---- a bounded line builder ---- */

typedef struct sb {
    char *buf;
    size_t n, len;
    bool full;
} sb_t;

/* Whether the character at p (k bytes, 0: not UTF-8) must not reach a terminal as it is:
 * invalid bytes, C0 controls but tab and line ends (made spaces below), DEL, and the C1
 * controls U+0080..U+009F (U+009B starts an escape sequence on some terminals). */
static bool unprintable(const unsigned char *p, size_t k)
{
    if (k == 1)
        return (p[0] < 0x20 && p[0] != '\t' && p[0] != '\n' && p[0] != '\r') || p[0] == 0x7F;
    return k == 0 || (k == 2 && p[0] == 0xC2 && p[1] < 0xA0);
}

/* Appends s[0..len), each unprintable character as U+FFFD, stopping (full) before a
 * character that does not fit. */
static void sb_add(sb_t *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end && !b->full) {
        size_t k = p[0] >= 0x20 && p[0] < 0x7F ? 1 : utf8_seq(p, (size_t)(end - p));
        bool bad = unprintable(p, k);
        const char *out = bad ? "\xEF\xBF\xBD" : (const char *)p;
        size_t olen = bad ? 3 : k;
        if (olen > b->n - 1 - b->len) {
            b->full = true;
            break;
        }
        memcpy(b->buf + b->len, out, olen);
        b->len += olen;
        p += k ? k : 1;
    }
    b->buf[b->len] = '\0';
}

static void sb_str(sb_t *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* The longest prefix of s[0..len) that does not end inside a character. */
static size_t utf8_complete(const char *s, size_t len)
{
    size_t i = len;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return len;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (i - 1) >= need ? len : i - 1;
}

static void sb_printf(sb_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    size_t len = (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1;
    if (len < (size_t)k) /* cut by tmp's size: drop a trailing partial character */
        len = utf8_complete(tmp, len);
    sb_add(b, tmp, len);
}

/* ---- values ---- */

const char *text_short(const char *s, size_t max_chars, char *buf, size_t n)
{
    sb_t b = { buf, n, 0, false };
    buf[0] = '\0';
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    while (*p) {
        if (chars == max_chars) {
            sb_str(&b, "…");
            break;
        }
        size_t len = utf8_len(p);
        char esc[8];
        if (len == 1 && *p < 0x20) {
            if (*p == '\n')
                sb_str(&b, "\\n");
            else if (*p == '\t')
                sb_str(&b, "\\t");
            else if (*p == '\r')
                sb_str(&b, "\\r");
            else {
                snprintf(esc, sizeof esc, "\\x%02x", *p);
                sb_str(&b, esc);
            }
            p++;
        } else if (len == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
            sb_str(&b, esc);
            p++;
        } else {
            sb_add(&b, (const char *)p, len);
            p += len;
        }
        chars++;
    }
    return buf;
}

static void sb_value(sb_t *b, const char *s)
{
    char tmp[VALUE_CHARS * 4 + 16];
    sb_str(b, text_short(s, VALUE_CHARS, tmp, sizeof tmp));
}

/* The first `limit` items of an array, then "…". */
static void sb_list(sb_t *b, const cJSON *arr, const char *sep, int limit,
                    void (*item)(sb_t *, const cJSON *))
{
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        if (i == limit) {
            sb_str(b, sep);
            sb_str(b, "…");
            break;
        }
        if (i)
            sb_str(b, sep);
        item(b, e);
    }
}

static void sb_json(sb_t *b, const cJSON *v)
{
    if (!v || cJSON_IsNull(v)) {
        sb_str(b, "null");
    } else if (cJSON_IsString(v)) {
        if (v->valuestring[0])
            sb_value(b, v->valuestring);
        else
            sb_str(b, "\"\"");
    } else if (cJSON_IsBool(v)) {
        sb_str(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsRaw(v) && v->valuestring) {
        sb_value(b, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 9e15)
            sb_printf(b, "%.0f", d);
        else
            sb_printf(b, "%g", d);
    } else if (cJSON_IsArray(v)) {
        sb_str(b, "[");
        sb_list(b, v, ",", MAX_PARTS, sb_json);
        sb_str(b, "]");
    } else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "hex"))) {
        /* Bytes that are not text (trace_bytes): shown as hex. */
        sb_str(b, "0x");
        sb_value(b, cJSON_GetObjectItemCaseSensitive(v, "hex")->valuestring);
    } else {
        sb_str(b, "{…}");
    }
}

/* ---- fields ---- */

static const cJSON *field(const cJSON *ev, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(ev, k);
}

static const char *str(const cJSON *ev, const char *k, const char *dflt)
{
    const cJSON *v = field(ev, k);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* Integers arrive as numbers (a trace read back) or as raw text (live events). */
static bool is_int_item(const cJSON *v)
{
    return cJSON_IsNumber(v) || (cJSON_IsRaw(v) && v->valuestring);
}

static bool has_num(const cJSON *ev, const char *k)
{
    return is_int_item(field(ev, k));
}

static long long num(const cJSON *ev, const char *k, long long dflt)
{
    return (long long)trace_int(ev, k, dflt);
}

static bool is_error(const char *e)
{
    return e && strcmp(e, "NONE") != 0;
}

static void sb_ms(sb_t *b, long long us)
{
    if (us % 1000 == 0)
        sb_printf(b, "%lld ms", us / 1000);
    else
        sb_printf(b, "%.3f ms", (double)us / 1000.0);
}

static void sb_records(sb_t *b, long long n)
{
    sb_printf(b, "[%lld record%s]", n, n == 1 ? "" : "s");
}

/* "k1=v1" with null shown as null. */
static void sb_kv(sb_t *b, const cJSON *rec)
{
    sb_json(b, field(rec, "key"));
    sb_str(b, "=");
    sb_json(b, field(rec, "value"));
}

/* Fields that every renderer handles itself; the rest are shown as key=value. */
static bool common_field(const char *k)
{
    static const char *const common[] = { "t", "seq", "node", "kind", "msg", "api", "dir",
                                          "from", "to", "corr", "error", "parts", "topics",
                                          "markers", NULL };
    for (size_t i = 0; common[i]; i++)
        if (strcmp(common[i], k) == 0)
            return true;
    return false;
}

static void sb_extra_fields(sb_t *b, const cJSON *ev, bool (*skip)(const char *))
{
    for (const cJSON *f = ev->child; f; f = f->next) {
        if (!f->string || skip(f->string) || cJSON_IsObject(f))
            continue;
        sb_printf(b, " %s=", f->string);
        sb_json(b, f);
    }
}

/* ---- messages ---- */

static bool part_field(const char *k)
{
    static const char *const known[] = { "tp", "error", "base_offset", "offset", "hw",
                                         "first", "last", "records", "bytes", "producer_id",
                                         "producer_epoch", "base_seq", "aborted", NULL };
    for (size_t i = 0; known[i]; i++)
        if (strcmp(known[i], k) == 0)
            return true;
    return false;
}

/* " (producer 0, epoch 0, seq 4..7)": an idempotent batch's identity. */
static void sb_producer(sb_t *b, const cJSON *o, long long records)
{
    long long seq = num(o, "base_seq", -1);
    sb_printf(b, " (producer %lld, epoch %lld, seq %lld", num(o, "producer_id", -1),
              num(o, "producer_epoch", -1), seq);
    if (records > 1)
        sb_printf(b, "..%lld", seq + records - 1);
    sb_str(b, ")");
}

/* " aborted=[producer 0 from 2, …]": a Fetch response's aborted transactions. */
static void sb_aborted_txn(sb_t *b, const cJSON *a)
{
    sb_printf(b, "producer %lld from %lld", num(a, "producer_id", -1),
              num(a, "first_offset", -1));
}

static void sb_part(sb_t *b, const cJSON *part, bool response)
{
    if (cJSON_IsString(part)) { /* AddPartitionsToTxn, WriteTxnMarkers: just the name */
        sb_str(b, part->valuestring);
        return;
    }
    sb_str(b, str(part, "tp", "?"));
    const char *e = str(part, "error", NULL);
    if (response && is_error(e)) {
        sb_printf(b, " %s", e);
        return;
    }
    if (has_num(part, "base_offset"))
        sb_printf(b, " offset=%lld", num(part, "base_offset", -1));
    if (has_num(part, "offset"))
        sb_printf(b, " offset=%lld", num(part, "offset", -1));
    if (has_num(part, "hw"))
        sb_printf(b, " hw=%lld", num(part, "hw", -1));
    if (has_num(part, "first") && has_num(part, "last"))
        sb_printf(b, " offsets %lld..%lld", num(part, "first", -1), num(part, "last", -1));
    if (has_num(part, "records")) {
        sb_str(b, " ");
        sb_records(b, num(part, "records", 0));
    }
    if (has_num(part, "producer_id"))
        sb_producer(b, part, num(part, "records", 1));
    const cJSON *aborted = field(part, "aborted");
    if (cJSON_IsArray(aborted)) {
        sb_str(b, " aborted=[");
        sb_list(b, aborted, ", ", MAX_PARTS, sb_aborted_txn);
        sb_str(b, "]");
    }
    sb_extra_fields(b, part, part_field);
}

static void sb_part_list(sb_t *b, const cJSON *parts, bool response)
{
    if (!cJSON_IsArray(parts))
        return;
    int i = 0, total = cJSON_GetArraySize(parts);
    for (const cJSON *p = parts->child; p; p = p->next, i++) {
        if (i == MAX_PARTS) {
            sb_printf(b, ", (+%d more)", total - i);
            break;
        }
        sb_str(b, i ? ", " : " ");
        sb_part(b, p, response);
    }
}

/* A Metadata topic: a name (request) or {topic, error, leaders} (response). */
static void sb_topic(sb_t *b, const cJSON *t)
{
    if (!cJSON_IsObject(t)) {
        sb_json(b, t);
        return;
    }
    sb_str(b, str(t, "topic", "?"));
    const char *e = str(t, "error", NULL);
    if (is_error(e)) {
        sb_printf(b, " %s", e);
        return;
    }
    const cJSON *leaders = field(t, "leaders");
    if (cJSON_IsArray(leaders)) {
        sb_str(b, " leaders=");
        sb_list(b, leaders, ",", MAX_LEADERS, sb_json);
    }
}

static void sb_part_list(sb_t *b, const cJSON *parts, bool response);

/* One WriteTxnMarkers entry: "COMMIT producer 0 epoch 0 (coordinator epoch 0): t-0, u-0" on
 * the request, "producer 0: t-0, u-0 NOT_LEADER_OR_FOLLOWER" on the response. */
static void sb_marker(sb_t *b, const cJSON *m, bool response)
{
    const char *result = str(m, "result", NULL);
    if (result)
        sb_printf(b, "%s ", strcmp(result, "commit") == 0   ? "COMMIT"
                            : strcmp(result, "abort") == 0 ? "ABORT"
                                                           : result);
    sb_printf(b, "producer %lld", num(m, "producer_id", -1));
    if (has_num(m, "producer_epoch"))
        sb_printf(b, " epoch %lld", num(m, "producer_epoch", -1));
    if (has_num(m, "coordinator_epoch"))
        sb_printf(b, " (coordinator epoch %lld)", num(m, "coordinator_epoch", -1));
    sb_str(b, ":");
    sb_part_list(b, field(m, "parts"), response);
}

static void sb_markers(sb_t *b, const cJSON *markers, bool response)
{
    int i = 0;
    for (const cJSON *m = markers->child; m; m = m->next, i++) {
        if (i == MAX_PARTS) {
            sb_printf(b, "; (+%d more)", cJSON_GetArraySize(markers) - i);
            break;
        }
        sb_str(b, i ? "; " : " ");
        sb_marker(b, m, response);
    }
}

static void sb_parts(sb_t *b, const cJSON *ev, bool response)
{
    sb_part_list(b, field(ev, "parts"), response);
    const cJSON *markers = field(ev, "markers");
    if (cJSON_IsArray(markers))
        sb_markers(b, markers, response);

    const cJSON *topics = field(ev, "topics");
    if (cJSON_IsArray(topics)) {
        if (cJSON_GetArraySize(topics) == 0) {
            sb_str(b, " (all topics)");
        } else {
            sb_str(b, " ");
            sb_list(b, topics, ", ", MAX_PARTS, sb_topic);
        }
    }
}

static void fmt_send(sb_t *b, const cJSON *ev)
{
    bool response = strcmp(str(ev, "dir", "request"), "response") == 0;
    sb_printf(b, "%s -> %s  %s", str(ev, "from", "?"), str(ev, "to", "?"), str(ev, "api", "?"));
    if (response)
        sb_str(b, " response");
    sb_parts(b, ev, response);
    const char *e = str(ev, "error", NULL);
    if (is_error(e))
        sb_printf(b, " error=%s", e);
    sb_extra_fields(b, ev, common_field);
    sb_printf(b, " corr=%lld", num(ev, "corr", -1));
}

static void fmt_drop(sb_t *b, const cJSON *ev)
{
    sb_printf(b, "   ✗ dropped %s %s %s -> %s corr=%lld", str(ev, "api", "?"),
              str(ev, "dir", "request"), str(ev, "from", "?"), str(ev, "to", "?"),
              num(ev, "corr", -1));
    if (has_num(ev, "fault"))
        sb_printf(b, " (fault %lld)", num(ev, "fault", 0));
    else
        sb_printf(b, " (%s)", str(ev, "reason", "dropped"));
}

static void fmt_fault(sb_t *b, const cJSON *ev)
{
    const char *action = str(ev, "action", "?");
    sb_printf(b, "fault %lld: %s", num(ev, "fault", 0), action);
    if (has_num(ev, "delay")) {
        sb_str(b, " by ");
        sb_ms(b, num(ev, "delay", 0));
    }
    const char *target = str(ev, "target", NULL);
    if (target)
        sb_printf(b, " %s", target);
    sb_printf(b, " (msg %lld)", num(ev, "msg", 0));
}

/* "fault 1: drop response Produce broker-1 -> p1 (count 1)" */
static void fmt_fault_rule(sb_t *b, const cJSON *ev)
{
    const char *action = str(ev, "action", "?");
    sb_printf(b, "fault %lld: %s", num(ev, "fault", 0), action);
    const char *dir = str(ev, "dir", "any");
    if (strcmp(dir, "any") != 0)
        sb_printf(b, " %s", dir);
    const char *api = str(ev, "api", NULL);
    sb_printf(b, " %s", api ? api : "any message");
    const char *from = str(ev, "from", NULL), *to = str(ev, "to", NULL);
    if (from || to)
        sb_printf(b, " %s -> %s", from ? from : "*", to ? to : "*");
    const char *target = str(ev, "target", NULL);
    if (target)
        sb_printf(b, " (target %s)", target);
    if (has_num(ev, "delay")) {
        sb_str(b, " by ");
        sb_ms(b, num(ev, "delay", 0));
    }
    if (has_num(ev, "nth"))
        sb_printf(b, " from match %lld", num(ev, "nth", 0));
    if (has_num(ev, "count"))
        sb_printf(b, " at most %lld time%s", num(ev, "count", 0),
                  num(ev, "count", 0) == 1 ? "" : "s");
    const cJSON *p = field(ev, "probability");
    if (cJSON_IsNumber(p))
        sb_printf(b, " with probability %g", p->valuedouble);
    if (has_num(ev, "duration")) {
        sb_str(b, " for ");
        sb_ms(b, num(ev, "duration", 0));
    }
    if (has_num(ev, "after")) {
        sb_str(b, " from ");
        sb_ms(b, num(ev, "after", 0));
    }
    if (has_num(ev, "until")) {
        sb_str(b, " until ");
        sb_ms(b, num(ev, "until", 0));
    }
}

/* ---- the Kafka model ---- */

static void fmt_topic(sb_t *b, const cJSON *ev)
{
    long long parts = num(ev, "partitions", 0);
    sb_printf(b, "topic %s created: %lld partition%s, replication factor %lld",
              str(ev, "topic", "?"), parts, parts == 1 ? "" : "s",
              num(ev, "replication_factor", 1));
    const cJSON *leaders = field(ev, "leaders");
    if (cJSON_IsArray(leaders) && leaders->child) {
        sb_str(b, ", leaders ");
        sb_list(b, leaders, ",", MAX_LEADERS, sb_json);
    }
}

static void fmt_append(sb_t *b, const cJSON *ev, const char *node)
{
    long long base = num(ev, "base_offset", -1), last = num(ev, "last_offset", -1);
    sb_printf(b, "%s  append %s offsets %lld..%lld", node, str(ev, "tp", "?"), base, last);
    if (has_num(ev, "producer_id"))
        sb_producer(b, ev, last - base + 1);
    if (cJSON_IsTrue(field(ev, "transactional")))
        sb_str(b, " transactional");
    const cJSON *recs = field(ev, "records");
    if (!cJSON_IsArray(recs))
        return;
    sb_str(b, " ");
    int i = 0, total = cJSON_GetArraySize(recs);
    for (const cJSON *r = recs->child; r; r = r->next, i++) {
        if (i == MAX_RECORDS) {
            sb_printf(b, " (+%d more)", total - i);
            break;
        }
        sb_str(b, " ");
        sb_kv(b, r);
    }
}

static void fmt_lso(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  last stable offset %s -> %lld (HW %lld", node, str(ev, "tp", "?"),
              num(ev, "lso", -1), num(ev, "hw", -1));
    if (has_num(ev, "producer_id"))
        sb_printf(b, "; held by producer %lld's %s transaction", num(ev, "producer_id", -1),
                  str(ev, "held_by", "open"));
    sb_str(b, ")");
}

static void fmt_txn_marker(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  marker %s offset %lld: %s of producer %lld epoch %lld (coordinator "
              "epoch %lld)", node, str(ev, "tp", "?"), num(ev, "offset", -1),
              str(ev, "control", "?"), num(ev, "producer_id", -1), num(ev, "producer_epoch", -1),
              num(ev, "coordinator_epoch", -1));
}

static void fmt_txn_marker_rejected(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  refused the %s marker for %s of producer %lld epoch %lld (coordinator "
              "epoch %lld): %s (%s; known epoch %lld, coordinator epoch %lld)", node,
              str(ev, "result", "?"), str(ev, "tp", "?"), num(ev, "producer_id", -1),
              num(ev, "producer_epoch", -1), num(ev, "coordinator_epoch", -1),
              str(ev, "error", "?"), str(ev, "reason", "?"), num(ev, "current_epoch", -1),
              num(ev, "current_coordinator_epoch", -1));
}

static void fmt_duplicate(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  duplicate %s: producer %lld epoch %lld seq %lld..%lld is already at "
              "offsets %lld..%lld; answered with offset %lld, nothing appended",
              node, str(ev, "tp", "?"), num(ev, "producer_id", -1),
              num(ev, "producer_epoch", -1), num(ev, "first_seq", -1), num(ev, "last_seq", -1),
              num(ev, "base_offset", -1), num(ev, "last_offset", -1), num(ev, "base_offset", -1));
}

static void fmt_sequence_rejected(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  refused %s from producer %lld epoch %lld seq %lld..%lld: %s (%s; "
              "known epoch %lld, last seq %lld)",
              node, str(ev, "tp", "?"), num(ev, "producer_id", -1),
              num(ev, "producer_epoch", -1), num(ev, "first_seq", -1), num(ev, "last_seq", -1),
              str(ev, "error", "?"), str(ev, "reason", "?"), num(ev, "current_epoch", -1),
              num(ev, "last_seq_known", -1));
}

static void fmt_epoch_bump(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  epoch bump: producer %lld epoch %lld (%s) for ", node,
              num(ev, "producer_id", -1), num(ev, "producer_epoch", -1), str(ev, "reason", "?"));
    sb_json(b, field(ev, "partitions"));
}

static void fmt_record(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  send #%lld to %s", node, num(ev, "rec", -1), str(ev, "topic", "?"));
    long long p = num(ev, "partition", -1);
    if (p >= 0)
        sb_printf(b, "-%lld", p);
    sb_str(b, "  ");
    sb_kv(b, ev);
}

static void fmt_batch_done(sb_t *b, const cJSON *ev, const char *node)
{
    const char *e = str(ev, "error", NULL);
    long long n = num(ev, "records", 0), attempts = num(ev, "attempts", 1);
    sb_printf(b, "%s  batch %s ", node, str(ev, "tp", "?"));
    sb_records(b, n);
    if (is_error(e)) {
        sb_printf(b, " failed: %s after %lld attempt%s", e, attempts, attempts == 1 ? "" : "s");
        return;
    }
    long long base = num(ev, "base_offset", -1);
    if (base >= 0)
        sb_printf(b, " done: offsets %lld..%lld", base, base + (n > 0 ? n - 1 : 0));
    else
        sb_str(b, " done (offset unknown)");
    sb_printf(b, " after %lld attempt%s", attempts, attempts == 1 ? "" : "s");
}

static void fmt_retry(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  retry %s ", node, str(ev, "tp", "?"));
    sb_records(b, num(ev, "records", 0));
    sb_printf(b, " after %s (attempt %lld, backoff ", str(ev, "error", "?"),
              num(ev, "attempt", 0));
    sb_json(b, field(ev, "backoff_ms"));
    sb_str(b, " ms)");
}

static void fmt_poll(sb_t *b, const cJSON *ev, const char *node)
{
    long long n = num(ev, "count", 0);
    if (n == 0) {
        sb_printf(b, "%s  poll -> no records", node);
        return;
    }
    sb_printf(b, "%s  poll -> %lld record%s:", node, n, n == 1 ? "" : "s");
    const cJSON *recs = field(ev, "records");
    if (!cJSON_IsArray(recs))
        return;
    int i = 0;
    for (const cJSON *r = recs->child; r; r = r->next, i++) {
        if (i == MAX_RECORDS) {
            sb_printf(b, " (+%lld more)", n - i);
            break;
        }
        sb_printf(b, "%s %s@%lld ", i ? "," : "", str(r, "tp", "?"), num(r, "offset", -1));
        sb_kv(b, r);
    }
}

/* ---- nodes and the network ---- */

static void sb_names(sb_t *b, const cJSON *arr)
{
    int i = 0;
    for (const cJSON *e = cJSON_IsArray(arr) ? arr->child : NULL; e; e = e->next, i++) {
        if (i)
            sb_str(b, ",");
        sb_json(b, e);
    }
}

/* ---- consumer groups ---- */

/* "[t-0,t-1]" or "[]". */
static void sb_tps(sb_t *b, const cJSON *arr)
{
    sb_str(b, "[");
    int i = 0;
    for (const cJSON *e = cJSON_IsArray(arr) ? arr->child : NULL; e; e = e->next)
        sb_printf(b, "%s%s", i++ ? "," : "", cJSON_IsString(e) ? e->valuestring : "?");
    sb_str(b, "]");
}

/* "name=value" pairs of an object whose values are numbers, raw numbers or lists. */
static void sb_pairs(sb_t *b, const cJSON *obj)
{
    int i = 0;
    for (const cJSON *e = cJSON_IsObject(obj) ? obj->child : NULL; e; e = e->next) {
        sb_printf(b, "%s%s=", i++ ? ", " : "", e->string);
        if (cJSON_IsArray(e))
            sb_tps(b, e);
        else
            sb_printf(b, "%.15g", cJSON_IsRaw(e) ? strtod(e->valuestring, NULL) : e->valuedouble);
    }
}

/* The sentence of a consumer group event; false for other kinds. */
static bool fmt_group(sb_t *b, const cJSON *ev, const char *node, const char *kind)
{
    const char *g = str(ev, "group", "?");
    if (strcmp(kind, "subscribe") == 0) {
        sb_printf(b, "%s  subscribes to ", node);
        sb_names(b, field(ev, "topics"));
        sb_printf(b, " in group %s (%s protocol)", g, str(ev, "protocol", "?"));
    } else if (strcmp(kind, "coordinator_found") == 0) {
        sb_printf(b, "%s  group %s: the coordinator is %s", node, g, str(ev, "coordinator", "?"));
    } else if (strcmp(kind, "coordinator_unknown") == 0) {
        sb_printf(b, "%s  group %s: coordinator %s unknown (%s)", node, g,
                  str(ev, "coordinator", "?"), str(ev, "reason", "?"));
    } else if (strcmp(kind, "member_joined") == 0) {
        sb_printf(b, "%s  group %s: member %s joined", node, g, str(ev, "member", "?"));
        if (str(ev, "instance_id", NULL))
            sb_printf(b, " (group.instance.id %s)", str(ev, "instance_id", "?"));
    } else if (strcmp(kind, "member_removed") == 0) {
        sb_printf(b, "%s  group %s: member %s removed: %s", node, g, str(ev, "member", "?"),
                  str(ev, "reason", "?"));
    } else if (strcmp(kind, "group_state") == 0) {
        sb_printf(b, "%s  group %s: %s -> %s, generation %lld", node, g, str(ev, "from", "?"),
                  str(ev, "to", "?"), num(ev, "generation", -1));
        if (str(ev, "protocol", NULL))
            sb_printf(b, ", protocol %s", str(ev, "protocol", "?"));
        sb_printf(b, " (%s)", str(ev, "reason", "?"));
    } else if (strcmp(kind, "group_assignment") == 0) {
        sb_printf(b, "%s  group %s generation %lld (%s) assigns ", node, g,
                  num(ev, "generation", -1), str(ev, "protocol", "?"));
        sb_pairs(b, field(ev, "assignment"));
    } else if (strcmp(kind, "offset_commit") == 0) {
        sb_printf(b, "%s  group %s commits ", node, g);
        sb_pairs(b, field(ev, "offsets"));
        sb_printf(b, " (generation %lld)", num(ev, "generation", -1));
    } else if (strcmp(kind, "txn_offsets_pending") == 0) {
        sb_printf(b, "%s  group %s: producer %lld stages ", node, g, num(ev, "producer_id", -1));
        sb_pairs(b, field(ev, "offsets"));
        sb_str(b, " (pending until its transaction ends)");
    } else if (strcmp(kind, "txn_offsets_completed") == 0) {
        bool commit = strcmp(str(ev, "result", "?"), "commit") == 0;
        sb_printf(b, "%s  group %s: producer %lld's transaction %s: ", node, g,
                  num(ev, "producer_id", -1), commit ? "commits" : "aborts");
        sb_pairs(b, field(ev, "offsets"));
        if (!commit)
            sb_str(b, " dropped");
        if (field(ev, "superseded")) {
            sb_str(b, " (newer commits kept for ");
            sb_names(b, field(ev, "superseded"));
            sb_str(b, ")");
        }
    } else if (strcmp(kind, "offsets_unstable") == 0) {
        sb_printf(b, "%s  group %s: committed offsets of ", node, g);
        sb_names(b, field(ev, "partitions"));
        sb_printf(b, " not stable yet (UNSTABLE_OFFSET_COMMIT), retry in %lld ms",
                  num(ev, "retry_ms", 0));
    } else if (strcmp(kind, "unowned") == 0) {
        sb_printf(b, "%s  group %s generation %lld: partitions without an owner (ms): ", node, g,
                  num(ev, "generation", -1));
        sb_pairs(b, field(ev, "partitions"));
        sb_printf(b, "; total %.15g ms", cJSON_GetNumberValue(field(ev, "total_ms")));
    } else if (strcmp(kind, "groups_loaded") == 0) {
        sb_printf(b, "%s  loads groups ", node);
        sb_names(b, field(ev, "groups"));
        sb_printf(b, " and %lld offsets from %s", num(ev, "offsets", 0), str(ev, "tp", "?"));
    } else if (strcmp(kind, "groups_unloaded") == 0) {
        sb_printf(b, "%s  unloads %lld group(s) of %s", node, num(ev, "groups", 0),
                  str(ev, "tp", "?"));
    } else if (strncmp(kind, "partitions_", 11) == 0) {
        sb_printf(b, "%s  group %s generation %lld: %s ", node, g, num(ev, "generation", -1),
                  kind + 11);
        sb_tps(b, field(ev, "partitions"));
        if (str(ev, "reason", NULL))
            sb_printf(b, " (%s)", str(ev, "reason", "?"));
    } else if (strcmp(kind, "poll_timeout") == 0) {
        sb_printf(b, "%s  group %s: no poll() for %lld ms > max.poll.interval.ms %lld: it leaves "
                  "the group", node, g, num(ev, "since_poll_ms", 0),
                  num(ev, "max_poll_interval_ms", 0));
    } else if (strcmp(kind, "member_reset") == 0) {
        sb_printf(b, "%s  group %s: membership reset (%s)", node, g, str(ev, "reason", "?"));
    } else if (strcmp(kind, "commit_failed") == 0) {
        sb_printf(b, "%s  group %s: commit refused: %s", node, g, str(ev, "error", "?"));
    } else {
        return false;
    }
    return true;
}

static void fmt_partition(sb_t *b, const cJSON *ev)
{
    sb_printf(b, "network partition %lld: ", num(ev, "partition", 0));
    sb_names(b, field(ev, "a"));
    sb_str(b, cJSON_IsTrue(field(ev, "oneway")) ? " -/-> " : " <-/-> ");
    sb_names(b, field(ev, "b"));
}

/* ---- replication and the controller ---- */

static void fmt_leader(sb_t *b, const cJSON *ev, const char *node)
{
    const char *leader = str(ev, "leader", NULL);
    sb_printf(b, "%s  %s%s %s leader %s (epoch %lld), isr [", node,
              cJSON_IsTrue(field(ev, "unclean")) ? "UNCLEAN " : "",
              leader ? "elected" : "no leader for", str(ev, "tp", "?"), leader ? leader : "-",
              num(ev, "leader_epoch", -1));
    sb_names(b, field(ev, "isr"));
    sb_printf(b, "] (%s)", str(ev, "reason", "?"));
}

static void fmt_isr(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  ISR %s %s: [", node, str(ev, "change", "?"), str(ev, "tp", "?"));
    sb_names(b, field(ev, "was"));
    sb_str(b, "] -> [");
    sb_names(b, field(ev, "isr"));
    sb_printf(b, "] (%s)", str(ev, "reason", "?"));
}

static void fmt_role(sb_t *b, const cJSON *ev, const char *node)
{
    sb_printf(b, "%s  %s of %s (epoch %lld", node, str(ev, "role", "?"), str(ev, "tp", "?"),
              num(ev, "leader_epoch", -1));
    if (strcmp(str(ev, "role", ""), "follower") == 0)
        sb_printf(b, ", fetching from %s", str(ev, "leader", "nobody"));
    sb_printf(b, "), log end %lld, high watermark %lld", num(ev, "leo", -1), num(ev, "hw", -1));
}

static void fmt_broker_change(sb_t *b, const cJSON *ev, const char *node, const char *kind)
{
    sb_printf(b, "%s  %s %s", node, str(ev, "broker", "?"), kind + strlen("broker_"));
    if (has_num(ev, "broker_epoch"))
        sb_printf(b, " (broker epoch %lld)", num(ev, "broker_epoch", -1));
    if (str(ev, "reason", NULL))
        sb_printf(b, ": %s", str(ev, "reason", ""));
}

/* ---- the transaction coordinator ---- */

/* The sentence of a transaction coordinator event; false for other kinds. */
static bool fmt_txn_coord(sb_t *b, const cJSON *ev, const char *node, const char *kind)
{
    const char *id = str(ev, "transactional_id", "?");
    if (strcmp(kind, "txn_state") == 0) {
        sb_printf(b, "%s  transaction %s (producer %lld epoch %lld): %s -> %s ", node, id,
                  num(ev, "producer_id", -1), num(ev, "producer_epoch", -1),
                  str(ev, "from", "?"), str(ev, "to", "?"));
        sb_tps(b, field(ev, "partitions"));
        sb_printf(b, " (%s)", str(ev, "reason", "?"));
    } else if (strcmp(kind, "txn_fenced") == 0) {
        sb_printf(b, "%s  transaction %s: producer %lld fenced, epoch %lld -> %lld (%s)", node, id,
                  num(ev, "producer_id", -1), num(ev, "old_epoch", -1), num(ev, "new_epoch", -1),
                  str(ev, "reason", "?"));
    } else if (strcmp(kind, "txn_timeout") == 0) {
        sb_printf(b, "%s  transaction %s open %lld ms > transaction.timeout.ms %lld: aborting",
                  node, id, num(ev, "age_ms", -1), num(ev, "timeout_ms", -1));
    } else if (strcmp(kind, "txn_fence_failed") == 0) {
        sb_printf(b, "%s  transaction %s: the fencing abort was not written (%s); the next fence "
                  "keeps epoch %lld", node, id, str(ev, "error", "?"),
                  num(ev, "producer_epoch", -1));
    } else if (strcmp(kind, "txn_loaded") == 0) {
        sb_printf(b, "%s  loads transactional ids ", node);
        sb_names(b, field(ev, "transactional_ids"));
        sb_printf(b, " from %s (coordinator epoch %lld)", str(ev, "tp", "?"),
                  num(ev, "coordinator_epoch", -1));
        if (cJSON_GetArraySize(field(ev, "completing")) > 0) {
            sb_str(b, "; completing ");
            sb_names(b, field(ev, "completing"));
        }
    } else {
        return false;
    }
    return true;
}

static bool skip_none(const char *k)
{
    return strcmp(k, "t") == 0 || strcmp(k, "seq") == 0 || strcmp(k, "node") == 0 ||
           strcmp(k, "kind") == 0;
}

static void fmt_unknown(sb_t *b, const cJSON *ev, const char *node, const char *kind)
{
    sb_printf(b, "%s  %s", node, kind);
    sb_extra_fields(b, ev, skip_none);
}

const char *text_format_body(const cJSON *ev, char *buf, size_t n)
{
    if (n == 0)
        return NULL;
    buf[0] = '\0';
    const char *kind = str(ev, "kind", NULL);
    /* Routine background traffic (heartbeats, idle fetches) stays in the trace only. */
    if (!kind || strcmp(kind, "deliver") == 0 || cJSON_IsTrue(field(ev, "bg")))
        return NULL;
    sb_t b = { buf, n, 0, false };
    const char *node = str(ev, "node", "?");
    if (strcmp(kind, "send") == 0) {
        fmt_send(&b, ev);
    } else if (strcmp(kind, "drop") == 0) {
        fmt_drop(&b, ev);
    } else if (strcmp(kind, "fault") == 0) {
        fmt_fault(&b, ev);
    } else if (strcmp(kind, "node") == 0) {
        sb_printf(&b, "%s  starts (%s)", node, str(ev, "role", "?"));
    } else if (strcmp(kind, "crash") == 0) {
        sb_printf(&b, "%s  ✗ crashed", node);
        if (str(ev, "reason", NULL))
            sb_printf(&b, " (%s)", str(ev, "reason", ""));
    } else if (strcmp(kind, "restart") == 0) {
        sb_printf(&b, "%s  restarted", node);
    } else if (strcmp(kind, "pause") == 0) {
        sb_printf(&b, "%s  paused", node);
    } else if (strcmp(kind, "resume") == 0) {
        long long held = num(ev, "held", 0);
        sb_printf(&b, "%s  resumed (%lld held message%s)", node, held, held == 1 ? "" : "s");
    } else if (strcmp(kind, "partition") == 0) {
        fmt_partition(&b, ev);
    } else if (strcmp(kind, "heal") == 0) {
        sb_printf(&b, "network partition %lld healed", num(ev, "partition", 0));
    } else if (strcmp(kind, "topic") == 0) {
        fmt_topic(&b, ev);
    } else if (strcmp(kind, "append") == 0) {
        fmt_append(&b, ev, node);
    } else if (strcmp(kind, "hw") == 0) {
        sb_printf(&b, "%s  high watermark %s -> %lld", node, str(ev, "tp", "?"),
                  num(ev, "hw", -1));
    } else if (strcmp(kind, "record") == 0) {
        fmt_record(&b, ev, node);
    } else if (strcmp(kind, "retry") == 0) {
        fmt_retry(&b, ev, node);
    } else if (strcmp(kind, "batch_done") == 0) {
        fmt_batch_done(&b, ev, node);
    } else if (strcmp(kind, "request_timeout") == 0) {
        sb_printf(&b, "%s  request timed out: %s to %s corr=%lld", node, str(ev, "api", "?"),
                  str(ev, "to", "?"), num(ev, "corr", -1));
    } else if (strcmp(kind, "response_ignored") == 0) {
        sb_printf(&b, "%s  ignored %s response corr=%lld (%s)", node, str(ev, "api", "?"),
                  num(ev, "corr", -1), str(ev, "reason", "?"));
    } else if (strcmp(kind, "poll") == 0) {
        fmt_poll(&b, ev, node);
    } else if (strcmp(kind, "fault_rule") == 0) {
        fmt_fault_rule(&b, ev);
    } else if (strcmp(kind, "fault_cleared") == 0) {
        sb_printf(&b, "fault %lld cleared", num(ev, "fault", 0));
    } else if (strcmp(kind, "assign") == 0) {
        sb_printf(&b, "%s  assign ", node);
        sb_json(&b, field(ev, "partitions"));
    } else if (strcmp(kind, "seek") == 0) {
        sb_printf(&b, "%s  seek %s to ", node, str(ev, "tp", "?"));
        if (str(ev, "to", NULL))
            sb_str(&b, str(ev, "to", "?"));
        else
            sb_printf(&b, "offset %lld", num(ev, "offset", -1));
    } else if (strcmp(kind, "disconnect") == 0) {
        sb_printf(&b, "%s  connection to %s lost (%s)", node, str(ev, "peer", "?"),
                  str(ev, "reason", "?"));
    } else if (strcmp(kind, "offset_reset") == 0) {
        sb_printf(&b, "%s  position %s -> %lld (auto.offset.reset / seek to %s)", node,
                  str(ev, "tp", "?"), num(ev, "offset", -1), str(ev, "reason", "?"));
    } else if (fmt_txn_coord(&b, ev, node, kind)) {
        /* written */
    } else if (fmt_group(&b, ev, node, kind)) {
        /* written */
    } else if (strcmp(kind, "metadata_timeout") == 0) {
        sb_printf(&b, "%s  topic %s not present in metadata after %lld ms", node,
                  str(ev, "topic", "?"), num(ev, "max_block_ms", 0));
    } else if (strcmp(kind, "leader_elected") == 0) {
        fmt_leader(&b, ev, node);
    } else if (strcmp(kind, "isr_changed") == 0) {
        fmt_isr(&b, ev, node);
    } else if (strcmp(kind, "role") == 0) {
        fmt_role(&b, ev, node);
    } else if (strncmp(kind, "broker_", 7) == 0 && strcmp(kind, "broker_started") != 0) {
        fmt_broker_change(&b, ev, node, kind);
    } else if (strcmp(kind, "broker_started") == 0) {
        sb_printf(&b, "%s  serving its partitions (broker epoch %lld)", node,
                  num(ev, "broker_epoch", -1));
    } else if (strcmp(kind, "replicated") == 0) {
        sb_printf(&b, "%s  replicated %s offsets %lld..%lld", node, str(ev, "tp", "?"),
                  num(ev, "base_offset", -1), num(ev, "last_offset", -1));
    } else if (strcmp(kind, "truncate") == 0) {
        sb_printf(&b, "%s  truncated %s from %lld to %lld: %lld record%s removed (%s)", node,
                  str(ev, "tp", "?"), num(ev, "from", -1), num(ev, "to", -1),
                  num(ev, "removed", 0), num(ev, "removed", 0) == 1 ? "" : "s",
                  str(ev, "reason", "?"));
    } else if (strcmp(kind, "log_clean") == 0) {
        sb_printf(&b, "%s  cleaned %s offsets %lld..%lld (dirty from %lld): %lld of %lld "
                  "records kept, %lld tombstone%s removed, %lld -> %lld segments, dirty ratio "
                  "%.2f -> %.2f, checkpoint %lld", node, str(ev, "tp", "?"),
                  num(ev, "base_offset", -1), num(ev, "end_offset", 0) - 1,
                  num(ev, "first_dirty", -1), num(ev, "records_after", 0),
                  num(ev, "records_before", 0), num(ev, "tombstones_removed", 0),
                  num(ev, "tombstones_removed", 0) == 1 ? "" : "s",
                  num(ev, "segments_before", 0), num(ev, "segments_after", 0),
                  cJSON_GetNumberValue(field(ev, "dirty_ratio_before")),
                  cJSON_GetNumberValue(field(ev, "dirty_ratio_after")), num(ev, "checkpoint", -1));
    } else if (strcmp(kind, "log_retention") == 0) {
        sb_printf(&b, "%s  deleted %lld segment%s of %s (offsets %lld..%lld, %lld records) by "
                  "%s; log start offset %lld", node, num(ev, "segments", 0),
                  num(ev, "segments", 0) == 1 ? "" : "s", str(ev, "tp", "?"),
                  num(ev, "base_offset", -1), num(ev, "end_offset", 0) - 1,
                  num(ev, "records", 0), str(ev, "reason", "?"), num(ev, "log_start_offset", -1));
    } else if (strcmp(kind, "record_rejected") == 0) {
        sb_printf(&b, "%s  rejected a batch for %s: %s: %s", node, str(ev, "tp", "?"),
                  str(ev, "error", "?"), str(ev, "message", ""));
    } else if (strcmp(kind, "duplicate") == 0) {
        fmt_duplicate(&b, ev, node);
    } else if (strcmp(kind, "lso") == 0) {
        fmt_lso(&b, ev, node);
    } else if (strcmp(kind, "txn_marker") == 0) {
        fmt_txn_marker(&b, ev, node);
    } else if (strcmp(kind, "txn_marker_rejected") == 0) {
        fmt_txn_marker_rejected(&b, ev, node);
    } else if (strcmp(kind, "sequence_rejected") == 0) {
        fmt_sequence_rejected(&b, ev, node);
    } else if (strcmp(kind, "epoch_bump") == 0) {
        fmt_epoch_bump(&b, ev, node);
    } else if (strcmp(kind, "txn_client") == 0) {
        sb_printf(&b, "%s  transaction state %s -> %s", node, str(ev, "from", "?"),
                  str(ev, "to", "?"));
        if (field(ev, "error"))
            sb_printf(&b, " (%s: %s)", str(ev, "error", "?"), str(ev, "reason", "?"));
    } else if (strcmp(kind, "txn_coordinator_found") == 0) {
        sb_printf(&b, "%s  the %s coordinator for %s is %s", node, str(ev, "key_type", "?"),
                  str(ev, "key", "?"), str(ev, "coordinator", "?"));
    } else if (strcmp(kind, "txn_call") == 0) {
        sb_printf(&b, "%s  %s %s after ", node, str(ev, "call", "?"),
                  field(ev, "error") ? "failed" : "done");
        sb_json(&b, field(ev, "waited_ms"));
        sb_str(&b, " ms");
        if (str(ev, "request", NULL))
            sb_printf(&b, " (awaiting %s)", str(ev, "request", "?"));
        if (field(ev, "error"))
            sb_printf(&b, ": %s: %s", str(ev, "error", "?"), str(ev, "reason", "?"));
    } else if (strcmp(kind, "producer_id") == 0) {
        sb_printf(&b, "%s  producer id %lld, epoch %lld", node, num(ev, "producer_id", -1),
                  num(ev, "producer_epoch", -1));
    } else if (strcmp(kind, "producer_ids_allocated") == 0) {
        sb_printf(&b, "%s  producer ids %lld..%lld to %s", node, num(ev, "first", -1),
                  num(ev, "last", -1), str(ev, "broker", "?"));
    } else if (strcmp(kind, "producers_expired") == 0) {
        sb_printf(&b, "%s  %lld producer%s of %s expired (producer.id.expiration.ms=%lld)", node,
                  num(ev, "producers", 0), num(ev, "producers", 0) == 1 ? "" : "s",
                  str(ev, "tp", "?"), num(ev, "expiration_ms", 0));
    } else if (strcmp(kind, "simplification") == 0) {
        sb_str(&b, "(simplification) ");
        sb_str(&b, str(ev, "what", "?"));
    } else if (strcmp(kind, "note") == 0) {
        sb_str(&b, "** ");
        sb_str(&b, str(ev, "text", ""));
    } else if (strcmp(kind, "check") == 0) {
        bool ok = cJSON_IsTrue(field(ev, "ok"));
        sb_printf(&b, "%s %s", ok ? "✓" : "✗", str(ev, "msg", ""));
        if (!ok)
            sb_printf(&b, " (%s)", str(ev, "where", "?"));
    } else if (strcmp(kind, "run_end") == 0) {
        sb_printf(&b, "run ended (%s) at ", str(ev, "status", "?"));
        sb_ms(&b, num(ev, "time", 0));
        const char *sep = "; still waiting: ";
        const cJSON *w;
        cJSON_ArrayForEach(w, field(ev, "waiting")) {
            sb_str(&b, sep);
            sb_str(&b, str(w, "task", "?"));
            sb_str(&b, " in ");
            sb_str(&b, str(w, "call", "?"));
            sep = ", ";
        }
    } else {
        fmt_unknown(&b, ev, node, kind);
    }
    /* Notes and values may hold newlines: one event stays one line. */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return buf;
}

const char *text_format_event(const cJSON *ev, char *buf, size_t n)
{
    if (!has_num(ev, "t") || n < 16)
        return NULL;
    int k = snprintf(buf, n, "%10.3f ms  ", (double)num(ev, "t", 0) / 1000.0);
    if (k < 0 || (size_t)k >= n)
        return NULL;
    if (!text_format_body(ev, buf + k, n - (size_t)k))
        return NULL;
    return buf;
}
