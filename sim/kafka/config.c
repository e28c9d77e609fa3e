/* config: Kafka-style configuration tables and the parsing and wording of their values. */
#include "sim/kafka/config.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/suggest.h"

/* Definition helpers. A numeric range is checked only when min < max, so "at least N" is
 * written as [N, type maximum]. */
#define INT_MIN_(n, d, lo) { n, CFG_INT, d, NULL, lo, INT32_MAX, false }
#define INT_RANGE_(n, d, lo, hi) { n, CFG_INT, d, NULL, lo, hi, false }
#define LONG_MIN_(n, d, lo) { n, CFG_LONG, d, NULL, lo, INT64_MAX, false }
#define BOOL_(n, d) { n, CFG_BOOL, d, NULL, 0, 0, false }
#define STR_(n, d) { n, CFG_STRING, d, NULL, 0, 0, false }
#define ENUM_(n, d, ch) { n, CFG_ENUM, d, ch, 0, 0, false }
/* Unmodelled keys keep Kafka 3.9's type and default so a listing can show them truthfully;
 * config_set refuses them all the same. */
#define UNMODELLED(n, t, d) { n, t, d, NULL, 0, 0, true }

/* Kafka 3.9 ProducerConfig. linger.ms is still 0 here (Kafka 4.0 changed it to 5). */
static const cfg_def_t producer_defs[] = {
    ENUM_("acks", "all", "all|-1|0|1"),
    INT_MIN_("batch.size", "16384", 0),
    UNMODELLED("bootstrap.servers", CFG_STRING, ""),
    UNMODELLED("buffer.memory", CFG_LONG, "33554432"),
    STR_("client.id", ""),
    UNMODELLED("compression.type", CFG_STRING, "none"),
    INT_MIN_("delivery.timeout.ms", "120000", 0),
    BOOL_("enable.idempotence", "true"),
    UNMODELLED("interceptor.classes", CFG_STRING, ""),
    UNMODELLED("key.serializer", CFG_STRING, NULL),
    LONG_MIN_("linger.ms", "0", 0),
    LONG_MIN_("max.block.ms", "60000", 0),
    INT_MIN_("max.in.flight.requests.per.connection", "5", 1),
    INT_MIN_("max.request.size", "1048576", 0),
    UNMODELLED("metadata.max.age.ms", CFG_LONG, "300000"),
    UNMODELLED("partitioner.adaptive.partitioning.enable", CFG_BOOL, "true"),
    UNMODELLED("partitioner.class", CFG_STRING, NULL),
    UNMODELLED("partitioner.ignore.keys", CFG_BOOL, "false"),
    LONG_MIN_("reconnect.backoff.max.ms", "1000", 0),
    LONG_MIN_("reconnect.backoff.ms", "50", 0),
    INT_MIN_("request.timeout.ms", "30000", 0),
    INT_MIN_("retries", "2147483647", 0),
    LONG_MIN_("retry.backoff.max.ms", "1000", 0),
    LONG_MIN_("retry.backoff.ms", "100", 0),
    UNMODELLED("security.protocol", CFG_STRING, "PLAINTEXT"),
    UNMODELLED("transaction.timeout.ms", CFG_INT, "60000"),
    UNMODELLED("transactional.id", CFG_STRING, NULL),
    UNMODELLED("value.serializer", CFG_STRING, NULL),
};

/* Kafka 3.9 ConsumerConfig (classic group protocol). */
static const cfg_def_t consumer_defs[] = {
    INT_MIN_("auto.commit.interval.ms", "5000", 0),
    ENUM_("auto.offset.reset", "latest", "latest|earliest|none"),
    UNMODELLED("bootstrap.servers", CFG_STRING, ""),
    STR_("client.id", ""),
    INT_MIN_("default.api.timeout.ms", "60000", 0),
    BOOL_("enable.auto.commit", "true"),
    INT_MIN_("fetch.max.bytes", "52428800", 0),
    INT_MIN_("fetch.max.wait.ms", "500", 0),
    INT_MIN_("fetch.min.bytes", "1", 0),
    STR_("group.id", NULL),
    STR_("group.instance.id", NULL),
    INT_MIN_("heartbeat.interval.ms", "3000", 1),
    ENUM_("isolation.level", "read_uncommitted", "read_uncommitted|read_committed"),
    UNMODELLED("key.deserializer", CFG_STRING, NULL),
    INT_MIN_("max.partition.fetch.bytes", "1048576", 0),
    INT_MIN_("max.poll.interval.ms", "300000", 1),
    INT_MIN_("max.poll.records", "500", 1),
    STR_("partition.assignment.strategy",
         "org.apache.kafka.clients.consumer.RangeAssignor,"
         "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
    LONG_MIN_("reconnect.backoff.max.ms", "1000", 0),
    LONG_MIN_("reconnect.backoff.ms", "50", 0),
    INT_MIN_("request.timeout.ms", "30000", 0),
    LONG_MIN_("retry.backoff.max.ms", "1000", 0),
    LONG_MIN_("retry.backoff.ms", "100", 0),
    UNMODELLED("security.protocol", CFG_STRING, "PLAINTEXT"),
    INT_MIN_("session.timeout.ms", "45000", 1),
    UNMODELLED("value.deserializer", CFG_STRING, NULL),
};

/* Kafka 3.9 TopicConfig, plus the creation options of kafka-topics (--partitions,
 * --replication-factor). min.insync.replicas and unclean.leader.election.enable default to
 * the broker's values; they are shown here with the broker's defaults. */
static const cfg_def_t topic_defs[] = {
    STR_("cleanup.policy", "delete"),
    LONG_MIN_("delete.retention.ms", "86400000", 0),
    LONG_MIN_("max.compaction.lag.ms", "9223372036854775807", 1),
    UNMODELLED("max.message.bytes", CFG_INT, "1048588"),
    UNMODELLED("message.timestamp.type", CFG_STRING, "CreateTime"),
    { "min.cleanable.dirty.ratio", CFG_DOUBLE, "0.5", NULL, 0, 1, false },
    LONG_MIN_("min.compaction.lag.ms", "0", 0),
    INT_MIN_("min.insync.replicas", "1", 1),
    /* A bound of ksim's, not Kafka's: every broker keeps metadata for every partition. */
    INT_RANGE_("partitions", "1", 1, 100000),
    INT_MIN_("replication.factor", "1", 1),
    LONG_MIN_("retention.bytes", "-1", INT64_MIN),
    LONG_MIN_("retention.ms", "604800000", -1),
    INT_MIN_("segment.bytes", "1073741824", 14),
    LONG_MIN_("segment.ms", "604800000", 1),
    BOOL_("unclean.leader.election.enable", "false"),
};

/* Kafka 3.9 broker configs (KafkaConfig / ServerLogConfig and friends). */
static const cfg_def_t broker_defs[] = {
    UNMODELLED("auto.create.topics.enable", CFG_BOOL, "true"),
    INT_MIN_("broker.heartbeat.interval.ms", "2000", 1),
    INT_MIN_("broker.session.timeout.ms", "9000", 1),
    INT_MIN_("default.replication.factor", "1", 1),
    INT_MIN_("group.initial.rebalance.delay.ms", "3000", 0),
    INT_MIN_("group.max.session.timeout.ms", "1800000", 1),
    INT_MIN_("group.min.session.timeout.ms", "6000", 1),
    LONG_MIN_("log.cleaner.backoff.ms", "15000", 0),
    LONG_MIN_("log.cleaner.dedupe.buffer.size", "134217728", 0),
    { "log.cleaner.io.buffer.load.factor", CFG_DOUBLE, "0.9", NULL, 0, 1, false },
    LONG_MIN_("log.retention.check.interval.ms", "300000", 1),
    UNMODELLED("log.retention.ms", CFG_LONG, NULL),
    INT_MIN_("min.insync.replicas", "1", 1),
    INT_RANGE_("num.partitions", "1", 1, 100000),
    INT_MIN_("offsets.commit.timeout.ms", "5000", 1),
    INT_RANGE_("offsets.topic.num.partitions", "50", 1, 100000),
    /* Kafka refuses to create the topic with fewer brokers; ksim caps it (consumer-groups.md). */
    INT_RANGE_("offsets.topic.replication.factor", "3", 1, 32767),
    INT_MIN_("producer.id.expiration.check.interval.ms", "600000", 1),
    INT_MIN_("producer.id.expiration.ms", "86400000", 1),
    INT_MIN_("replica.fetch.backoff.ms", "1000", 0),
    INT_MIN_("replica.fetch.max.bytes", "1048576", 0),
    INT_MIN_("replica.fetch.min.bytes", "1", 1),
    INT_MIN_("replica.fetch.response.max.bytes", "10485760", 0),
    INT_MIN_("replica.fetch.wait.max.ms", "500", 0),
    LONG_MIN_("replica.lag.time.max.ms", "30000", 1),
    INT_MIN_("replica.socket.timeout.ms", "30000", 1),
    INT_MIN_("request.timeout.ms", "30000", 1),
    UNMODELLED("transaction.state.log.num.partitions", CFG_INT, "50"),
    BOOL_("unclean.leader.election.enable", "false"),
};

#define SCHEMA(what, defs) { what, defs, sizeof defs / sizeof defs[0] }
const config_schema_t producer_config_schema = SCHEMA("producer", producer_defs);
const config_schema_t consumer_config_schema = SCHEMA("consumer", consumer_defs);
const config_schema_t topic_config_schema = SCHEMA("topic", topic_defs);
const config_schema_t broker_config_schema = SCHEMA("broker", broker_defs);

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

static ptrdiff_t find_def(const config_schema_t *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->defs[i].name, key) == 0)
            return (ptrdiff_t)i;
    return -1;
}

void config_init(config_t *c, const config_schema_t *schema)
{
    c->schema = schema;
    c->values = xcalloc(schema->n, sizeof *c->values);
    c->set = xcalloc(schema->n, sizeof *c->set);
    for (size_t i = 0; i < schema->n; i++)
        c->values[i] = dup_or_null(schema->defs[i].dflt);
}

void config_free(config_t *c)
{
    if (!c->values)
        return;
    for (size_t i = 0; i < c->schema->n; i++)
        free(c->values[i]);
    free(c->values);
    free(c->set);
    c->values = NULL;
    c->set = NULL;
}

/* `dst` is treated as uninitialised storage, as in config_init. */
void config_copy(config_t *dst, const config_t *src)
{
    size_t n = src->schema->n;
    dst->schema = src->schema;
    dst->values = xcalloc(n, sizeof *dst->values);
    dst->set = xcalloc(n, sizeof *dst->set);
    for (size_t i = 0; i < n; i++) {
        dst->values[i] = dup_or_null(src->values[i]);
        dst->set[i] = src->set[i];
    }
}

bool config_has(const config_schema_t *s, const char *key)
{
    ptrdiff_t i = find_def(s, key);
    return i >= 0 && !s->defs[i].unmodelled;
}

/* ---- error text: appended piece by piece, always NUL-terminated, truncated when full ---- */

typedef struct errbuf {
    char *buf;
    size_t cap, len;
} errbuf_t;

static void eb_printf(errbuf_t *e, const char *fmt, ...)
{
    if (!e->buf || e->cap == 0 || e->len + 1 >= e->cap)
        return;
    size_t room = e->cap - e->len;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(e->buf + e->len, room, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    e->len = (size_t)w >= room ? e->cap - 1 : e->len + (size_t)w;
}

static errbuf_t eb_start(char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    return (errbuf_t){ err, errlen, 0 };
}

/* ---- unknown keys: "did you mean" ---- */

#define MAX_KEYS 128

static const char *suggest(const config_schema_t *s, const char *key)
{
    const char *names[MAX_KEYS];
    assert(s->n <= MAX_KEYS);
    for (size_t i = 0; i < s->n; i++)
        names[i] = s->defs[i].unmodelled ? NULL : s->defs[i].name;
    return suggest_closest(key, names, s->n);
}

static void unknown_key(const config_schema_t *s, const char *key, errbuf_t *e)
{
    eb_printf(e, "unknown %s config '%s'", s->what, key);
    const char *hint = suggest(s, key);
    if (hint)
        eb_printf(e, " (did you mean '%s'?)", hint);
    eb_printf(e, "; valid names: ");
    const char *sep = "";
    for (size_t i = 0; i < s->n; i++) {
        if (s->defs[i].unmodelled)
            continue;
        eb_printf(e, "%s%s", sep, s->defs[i].name);
        sep = ", ";
    }
}

/* ---- values ---- */

/* Parses an integer written as [-]digits, optionally followed by ".0…0" (Lua hands whole
 * numbers over as "5.0"). False on anything else; *overflow tells an out-of-int64 integer. */
static bool parse_integer(const char *text, int64_t *out, bool *overflow)
{
    *overflow = false;
    const char *p = text;
    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    const char *end_digits = p;
    if (*p == '.') {
        p++;
        if (*p != '0')
            return false;
        while (*p == '0')
            p++;
    }
    if (*p)
        return false;
    /* strtoll stops at the '.', so the fraction of zeros is ignored. */
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    assert(end == end_digits);
    if (errno == ERANGE) {
        *overflow = true;
        return false;
    }
    *out = (int64_t)v;
    return true;
}

static bool parse_double(const char *text, double *out)
{
    if (!*text)
        return false;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (*end || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool enum_has(const char *choices, const char *value)
{
    size_t n = strlen(value);
    for (const char *p = choices;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0)
            return true;
        if (!bar)
            return false;
        p = bar + 1;
    }
}

static void bad_value(const config_schema_t *s, const cfg_def_t *d, const char *value,
                      errbuf_t *e)
{
    eb_printf(e, "invalid value '%s' for %s config '%s': ", value, s->what, d->name);
}

/* Checks `value` against `d`. On success returns the text to store (malloc'd). */
static char *check_value(const config_schema_t *s, const cfg_def_t *d, const char *value,
                         errbuf_t *e)
{
    switch (d->type) {
    case CFG_INT:
    case CFG_LONG: {
        int64_t v;
        bool overflow;
        int64_t lo = d->type == CFG_INT ? INT32_MIN : INT64_MIN;
        int64_t hi = d->type == CFG_INT ? INT32_MAX : INT64_MAX;
        if (d->min < d->max) {
            lo = d->min > lo ? d->min : lo;
            hi = d->max < hi ? d->max : hi;
        }
        if (!parse_integer(value, &v, &overflow)) {
            bad_value(s, d, value, e);
            if (!overflow)
                eb_printf(e, "expected an integer");
            else if (value[0] == '-')
                eb_printf(e, "must be at least %" PRId64, lo);
            else
                eb_printf(e, "must be at most %" PRId64, hi);
            return NULL;
        }
        if (v < lo || v > hi) {
            bad_value(s, d, value, e);
            if (v < lo)
                eb_printf(e, "must be at least %" PRId64, lo);
            else
                eb_printf(e, "must be at most %" PRId64, hi);
            return NULL;
        }
        char buf[24];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        return dup_or_null(buf);
    }
    case CFG_DOUBLE: {
        double v;
        if (!parse_double(value, &v)) {
            bad_value(s, d, value, e);
            eb_printf(e, "expected a number");
            return NULL;
        }
        if (d->min < d->max && (v < (double)d->min || v > (double)d->max)) {
            bad_value(s, d, value, e);
            if (v < (double)d->min)
                eb_printf(e, "must be at least %" PRId64, d->min);
            else
                eb_printf(e, "must be at most %" PRId64, d->max);
            return NULL;
        }
        return dup_or_null(value);
    }
    case CFG_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            bad_value(s, d, value, e);
            eb_printf(e, "expected true or false");
            return NULL;
        }
        return dup_or_null(value);
    case CFG_ENUM:
        assert(d->choices);
        if (!enum_has(d->choices, value)) {
            bad_value(s, d, value, e);
            eb_printf(e, "expected one of ");
            for (const char *p = d->choices; *p; p++) {
                if (*p == '|')
                    eb_printf(e, ", ");
                else
                    eb_printf(e, "%c", *p);
            }
            return NULL;
        }
        return dup_or_null(value);
    case CFG_STRING:
        return dup_or_null(value);
    }
    assert(!"unknown cfg_type");
    return NULL;
}

bool config_set(config_t *c, const char *key, const char *value, char *err, size_t errlen)
{
    assert(c && c->values && key && value);
    const config_schema_t *s = c->schema;
    errbuf_t e = eb_start(err, errlen);
    ptrdiff_t i = find_def(s, key);
    if (i < 0) {
        unknown_key(s, key, &e);
        return false;
    }
    const cfg_def_t *d = &s->defs[i];
    if (d->unmodelled) {
        eb_printf(&e, "%s config '%s' is a Kafka setting that ksim does not model yet",
                  s->what, key);
        return false;
    }
    char *text = check_value(s, d, value, &e);
    if (!text)
        return false;
    free(c->values[i]);
    c->values[i] = text;
    c->set[i] = true;
    return true;
}

/* ---- getters: asking for a key the schema lacks is a bug in ksim, not a user error ---- */

static size_t def_index(const config_t *c, const char *key)
{
    ptrdiff_t i = find_def(c->schema, key);
    assert(i >= 0 && "config key not in schema");
    return (size_t)i;
}

int64_t config_long(const config_t *c, const char *key)
{
    size_t i = def_index(c, key);
    cfg_type_t t = c->schema->defs[i].type;
    assert(t == CFG_INT || t == CFG_LONG);
    assert(c->values[i] && "numeric config without a value");
    return (int64_t)strtoll(c->values[i], NULL, 10);
}

int32_t config_int(const config_t *c, const char *key)
{
    size_t i = def_index(c, key);
    assert(c->schema->defs[i].type == CFG_INT);
    assert(c->values[i] && "numeric config without a value");
    return (int32_t)strtoll(c->values[i], NULL, 10);
}

double config_double(const config_t *c, const char *key)
{
    size_t i = def_index(c, key);
    cfg_type_t t = c->schema->defs[i].type;
    assert(t == CFG_DOUBLE || t == CFG_INT || t == CFG_LONG);
    assert(c->values[i] && "numeric config without a value");
    return strtod(c->values[i], NULL);
}

bool config_bool(const config_t *c, const char *key)
{
    size_t i = def_index(c, key);
    assert(c->schema->defs[i].type == CFG_BOOL);
    assert(c->values[i] && "boolean config without a value");
    return strcmp(c->values[i], "true") == 0;
}

const char *config_str(const config_t *c, const char *key)
{
    return c->values[def_index(c, key)];
}

bool config_is_set(const config_t *c, const char *key)
{
    return c->set[def_index(c, key)];
}

int64_t config_duration_us(const config_t *c, const char *key)
{
    int64_t ms = config_long(c, key);
    if (ms >= CONFIG_MAX_DURATION_US / 1000)
        return CONFIG_MAX_DURATION_US;
    return ms < 0 ? 0 : ms * 1000;
}
