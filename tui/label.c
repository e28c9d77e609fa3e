/* label: the short text written on an arrow or beside a lane mark. Arrows carry the API
 * and its essentials (`Produce payments-0 [1] seq=4..7`); replication says what changed
 * first and the partition last (`leader broker-2 e1 payments-0`, `ISR shrink [2,3] …`,
 * `HW→12 …`, `truncate 3→1 …`); everything else borrows the text timeline's sentence
 * (text.c) without the node's name, which the lane already says. Labels are ASCII apart
 * from the trace's own text and `→`, which the screen draws as `>` under --ascii. */
#include "kinds.h"

#include "../sim/trace.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

static bool is_error(const char *e)
{
    return e && strcmp(e, "NONE") != 0;
}

/* The text timeline leaves background traffic out; the viewer shows it when asked (`b`),
 * with the sentence the event would have without its "bg" mark. */
const char *label_sentence(const cJSON *ev, char *buf, size_t n)
{
    const char *body = text_format_body(ev, buf, n);
    if (body || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "bg")))
        return body;
    cJSON *copy = cJSON_Duplicate(ev, true);
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "bg");
    body = text_format_body(copy, buf, n);
    cJSON_Delete(copy);
    return body;
}

/* The text timeline's sentence without "NODE  " at its start. */
void label_default(const cJSON *ev, char *buf, size_t n)
{
    char tmp[1024];
    buf[0] = '\0';
    const char *body = label_sentence(ev, tmp, sizeof tmp);
    if (!body)
        return;
    const char *node = trace_str(ev, "node");
    size_t k = node ? strlen(node) : 0;
    if (node && strncmp(body, node, k) == 0 && strncmp(body + k, "  ", 2) == 0)
        body += k + 2;
    snprintf(buf, n, "%s", body);
}

void label_world(const cJSON *ev, char *buf, size_t n)
{
    char tmp[1024];
    const char *body = label_sentence(ev, tmp, sizeof tmp);
    snprintf(buf, n, "%s", body ? body : "");
}

void label_note(const cJSON *ev, char *buf, size_t n)
{
    label_world(ev, buf, n);
    if (strncmp(buf, "** ", 3) == 0)
        memmove(buf, buf + 3, strlen(buf + 3) + 1);
}

void label_check(const cJSON *ev, char *buf, size_t n)
{
    const char *msg = trace_str(ev, "msg"), *where = trace_str(ev, "where");
    snprintf(buf, n, "%s", msg ? msg : "");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "ok")) && where)
        add(buf, n, " (%s)", where);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static const char *tp_of(const cJSON *ev)
{
    const char *tp = trace_str(ev, "tp");
    return tp ? tp : "?";
}

void label_hw(const cJSON *ev, char *buf, size_t n)
{
    snprintf(buf, n, "HW→%lld %s", (long long)trace_int(ev, "hw", -1), tp_of(ev));
}

/* A broker in a short list: the number after its last '-' ("broker-2" -> 2), else its name. */
static void add_short_names(char *buf, size_t n, const cJSON *arr)
{
    const cJSON *e;
    int k = 0;
    add(buf, n, "[");
    cJSON_ArrayForEach(e, arr) {
        if (!cJSON_IsString(e))
            continue;
        const char *name = e->valuestring, *dash = strrchr(name, '-');
        if (dash && dash[1] && dash[1 + strspn(dash + 1, "0123456789")] == '\0')
            name = dash + 1;
        add(buf, n, "%s%s", k++ ? "," : "", name);
    }
    add(buf, n, "]");
}

void label_leader(const cJSON *ev, char *buf, size_t n)
{
    const char *leader = trace_str(ev, "leader");
    long long epoch = (long long)trace_int(ev, "leader_epoch", -1);
    bool unclean = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "unclean"));
    if (leader)
        snprintf(buf, n, "%sleader %s e%lld %s", unclean ? "UNCLEAN " : "", leader, epoch,
                 tp_of(ev));
    else
        snprintf(buf, n, "OFFLINE e%lld %s", epoch, tp_of(ev));
}

void label_isr(const cJSON *ev, char *buf, size_t n)
{
    const char *change = trace_str(ev, "change");
    snprintf(buf, n, "ISR %s ", change ? change : "change");
    add_short_names(buf, n, cJSON_GetObjectItemCaseSensitive(ev, "isr"));
    add(buf, n, " %s", tp_of(ev));
}

void label_broker(const cJSON *ev, char *buf, size_t n)
{
    const char *kind = trace_str(ev, "kind"), *broker = trace_str(ev, "broker");
    snprintf(buf, n, "%s %s", kind && strlen(kind) > 7 ? kind + 7 : "?", broker ? broker : "?");
}

void label_role(const cJSON *ev, char *buf, size_t n)
{
    const char *role = trace_str(ev, "role"), *leader = trace_str(ev, "leader");
    long long epoch = (long long)trace_int(ev, "leader_epoch", -1);
    if (role && strcmp(role, "follower") == 0)
        snprintf(buf, n, "follower of %s e%lld %s", leader ? leader : "nobody", epoch, tp_of(ev));
    else
        snprintf(buf, n, "%s e%lld %s", role ? role : "?", epoch, tp_of(ev));
}

void label_truncate(const cJSON *ev, char *buf, size_t n)
{
    snprintf(buf, n, "truncate %lld→%lld %s", (long long)trace_int(ev, "from", -1),
             (long long)trace_int(ev, "to", -1), tp_of(ev));
}

void label_log_clean(const cJSON *ev, char *buf, size_t n)
{
    snprintf(buf, n, "cleaned %s -%lld", tp_of(ev), (long long)trace_int(ev, "removed", 0));
}

void label_log_retention(const cJSON *ev, char *buf, size_t n)
{
    snprintf(buf, n, "retention %s start %lld", tp_of(ev),
             (long long)trace_int(ev, "log_start_offset", -1));
}

void label_replicated(const cJSON *ev, char *buf, size_t n)
{
    long long base = (long long)trace_int(ev, "base_offset", -1);
    long long last = (long long)trace_int(ev, "last_offset", -1);
    if (base == last)
        snprintf(buf, n, "replicated %lld %s", base, tp_of(ev));
    else
        snprintf(buf, n, "replicated %lld..%lld %s", base, last, tp_of(ev));
}

/* The lane's mark is already a ✗: the label just says what happened. */
void label_crash(const cJSON *ev, char *buf, size_t n)
{
    const char *reason = trace_str(ev, "reason");
    snprintf(buf, n, "crashed%s%s%s", reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
}

/* Produce and Fetch: the first partition's essentials, "+N" for the others. */
static void produce_fetch_part(const cJSON *p, bool fetch, bool response, char *buf, size_t n)
{
    const char *tp = trace_str(p, "tp"), *err = trace_str(p, "error");
    add(buf, n, " %s", tp ? tp : "?");
    if (response && is_error(err)) {
        add(buf, n, " %s", err);
        return;
    }
    if (!fetch && !response) {
        int64_t recs = trace_int(p, "records", 0), seq = trace_int(p, "base_seq", -1);
        add(buf, n, " [%lld]", (long long)recs);
        if (seq >= 0)
            add(buf, n, " seq=%lld..%lld", (long long)seq, (long long)(seq + recs - 1));
    } else if (!fetch) {
        add(buf, n, " @%lld", (long long)trace_int(p, "base_offset", -1));
    } else if (!response) {
        add(buf, n, "@%lld", (long long)trace_int(p, "offset", -1));
    } else {
        add(buf, n, " hw=%lld [%lld]", (long long)trace_int(p, "hw", -1),
            (long long)trace_int(p, "records", 0));
    }
}

/* Any other API: the text timeline's sentence after "FROM -> TO  ", without corr=. */
static void generic_message(const cJSON *ev, char *buf, size_t n)
{
    char tmp[1024];
    const char *body = label_sentence(ev, tmp, sizeof tmp);
    const char *api = trace_str(ev, "api");
    const char *start = body && api ? strstr(body, api) : NULL;
    if (!start) {
        snprintf(buf, n, "%s", api ? api : "?");
        return;
    }
    char *corr = strstr(tmp, " corr=");
    if (corr)
        *corr = '\0';
    snprintf(buf, n, "%s", start);
    char *resp = strstr(buf, " response");
    if (resp && resp == buf + strlen(api))
        memmove(resp + 5, resp + 9, strlen(resp + 9) + 1); /* " response" -> " resp" */
}

void label_message(const cJSON *ev, char *buf, size_t n)
{
    const char *api = trace_str(ev, "api");
    bool response = trace_str(ev, "dir") && strcmp(trace_str(ev, "dir"), "response") == 0;
    bool produce = api && strcmp(api, "Produce") == 0, fetch = api && strcmp(api, "Fetch") == 0;
    buf[0] = '\0';
    if (!produce && !fetch) {
        generic_message(ev, buf, n);
        return;
    }
    add(buf, n, "%s%s", api, response ? " resp" : "");
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(ev, "parts");
    int total = cJSON_GetArraySize(parts);
    if (total > 0)
        produce_fetch_part(parts->child, fetch, response, buf, n);
    if (total > 1)
        add(buf, n, " +%d", total - 1);
    if (is_error(trace_str(ev, "error")))
        add(buf, n, " %s", trace_str(ev, "error"));
}
