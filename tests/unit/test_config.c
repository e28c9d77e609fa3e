/* Unit tests for sim/kafka/config: schemas, defaults, parsing and the wording of errors. */
#include "sim/kafka/config.h"
#include "tests/unit/tap.h"

static const config_schema_t *all_schemas[] = {
    &producer_config_schema,
    &consumer_config_schema,
    &topic_config_schema,
    &broker_config_schema,
};
#define N_SCHEMAS (sizeof all_schemas / sizeof all_schemas[0])

/* A schema of our own, to reach the types and bounds the Kafka schemas do not model yet. */
static const cfg_def_t test_defs[] = {
    { "big", CFG_LONG, "0", NULL, 0, 0, false },
    { "bounded", CFG_INT, "5", NULL, 1, 10, false },
    { "ratio", CFG_DOUBLE, "0.5", NULL, 0, 1, false },
};
static const config_schema_t test_schema = { "test", test_defs, 3 };

static void test_schemas(void)
{
    const char *whats[] = { "producer", "consumer", "topic", "broker" };
    for (size_t k = 0; k < N_SCHEMAS; k++) {
        const config_schema_t *s = all_schemas[k];
        is_str(s->what, whats[k], "the %s schema names itself '%s'", whats[k], whats[k]);
        bool sorted = true;
        for (size_t i = 1; i < s->n; i++)
            if (strcmp(s->defs[i - 1].name, s->defs[i].name) >= 0)
                sorted = false;
        ok(sorted, "the %s schema lists its keys in strict alphabetical order", s->what);

        config_t c;
        config_init(&c, s);
        bool all_valid = true;
        char err[256];
        for (size_t i = 0; i < s->n; i++) {
            const cfg_def_t *d = &s->defs[i];
            if (d->unmodelled || !d->dflt)
                continue;
            if (!config_set(&c, d->name, d->dflt, err, sizeof err)) {
                tap_diag("%s", err);
                all_valid = false;
            }
        }
        ok(all_valid, "every modelled %s default passes its own validation", s->what);
        config_free(&c);
    }
}

static void test_defaults(void)
{
    config_t p, c, t, b;
    config_init(&p, &producer_config_schema);
    config_init(&c, &consumer_config_schema);
    config_init(&t, &topic_config_schema);
    config_init(&b, &broker_config_schema);

    is_str(config_str(&p, "acks"), "all", "a producer defaults to acks=all");
    is_int(config_long(&p, "linger.ms"), 0, "a producer defaults to linger.ms=0 (Kafka 3.9)");
    is_int(config_int(&p, "retries"), 2147483647, "a producer defaults to retries=2147483647");
    ok(config_bool(&p, "enable.idempotence"), "a producer defaults to enable.idempotence=true");
    is_int(config_int(&p, "max.in.flight.requests.per.connection"), 5,
           "a producer defaults to 5 requests in flight per connection");
    is_int(config_long(&p, "retry.backoff.max.ms"), 1000,
           "a producer defaults to retry.backoff.max.ms=1000");
    is_str(config_str(&p, "client.id"), "", "a producer defaults to an empty client.id");
    is_str(config_str(&p, "transactional.id"), NULL,
           "a key without a Kafka default reads as NULL (transactional.id)");
    is_int(config_int(&p, "transaction.timeout.ms"), 60000,
           "a producer defaults to transaction.timeout.ms=60000");
    is_str(config_str(&c, "auto.offset.reset"), "latest",
           "a consumer defaults to auto.offset.reset=latest");
    is_int(config_int(&c, "max.poll.records"), 500, "a consumer defaults to max.poll.records=500");
    is_str(config_str(&c, "isolation.level"), "read_uncommitted",
           "a consumer defaults to isolation.level=read_uncommitted");
    is_int(config_int(&c, "fetch.max.bytes"), 52428800, "a consumer defaults to fetch.max.bytes=50 MiB");
    is_int(config_int(&t, "partitions"), 1, "a topic defaults to 1 partition");
    is_int(config_int(&t, "replication.factor"), 1, "a topic defaults to replication.factor=1");
    is_int(config_int(&b, "num.partitions"), 1, "a broker defaults to num.partitions=1");
    ok(!config_is_set(&p, "acks"), "a default value does not count as set by the user");

    config_free(&p);
    config_free(&c);
    config_free(&t);
    config_free(&b);
}

static void test_set(void)
{
    config_t p, c;
    char err[512];
    config_init(&p, &producer_config_schema);
    config_init(&c, &consumer_config_schema);

    ok(config_set(&p, "acks", "1", err, sizeof err), "acks=1 is accepted");
    is_str(config_str(&p, "acks"), "1", "acks reads back as 1");
    ok(config_is_set(&p, "acks"), "a key given by the user counts as set");
    ok(config_set(&p, "linger.ms", "20", err, sizeof err), "linger.ms=20 is accepted");
    is_int(config_long(&p, "linger.ms"), 20, "linger.ms reads back as 20");
    ok(config_set(&p, "enable.idempotence", "false", err, sizeof err),
       "enable.idempotence=false is accepted");
    ok(!config_bool(&p, "enable.idempotence"), "enable.idempotence reads back as false");
    ok(config_set(&p, "client.id", "p1", err, sizeof err), "any text is a valid client.id");
    is_str(config_str(&p, "client.id"), "p1", "client.id reads back as given");
    ok(config_set(&c, "isolation.level", "read_committed", err, sizeof err),
       "isolation.level=read_committed is accepted");
    is_str(config_str(&c, "isolation.level"), "read_committed",
           "isolation.level reads back as read_committed");

    ok(config_set(&p, "batch.size", "5.0", err, sizeof err),
       "an integral value written as 5.0 is accepted for an INT key");
    is_str(config_str(&p, "batch.size"), "5", "5.0 is stored in its canonical form 5");
    is_int(config_int(&p, "batch.size"), 5, "batch.size reads back as 5");
    ok(config_set(&p, "max.block.ms", "007", err, sizeof err), "leading zeros are accepted");
    is_str(config_str(&p, "max.block.ms"), "7", "007 is stored as 7");
    ok(config_set(&p, "linger.ms", "-0", err, sizeof err), "-0 is accepted where 0 is");
    is_str(config_str(&p, "linger.ms"), "0", "-0 is stored as 0");
    ok(config_set(&p, "retries", "2147483647", err, sizeof err),
       "the largest int32 is accepted for an INT key");

    ok(config_has(&producer_config_schema, "acks"), "config_has knows a modelled key");
    ok(!config_has(&producer_config_schema, "compression.type"),
       "config_has is false for an unmodelled key");
    ok(!config_has(&producer_config_schema, "no.such.key"), "config_has is false for an unknown key");

    config_free(&p);
    config_free(&c);
}

static void test_errors(void)
{
    config_t p, c, t;
    char err[512];
    config_init(&p, &producer_config_schema);
    config_init(&c, &consumer_config_schema);
    config_init(&t, &topic_config_schema);

    ok(!config_set(&p, "enable.idempotency", "true", err, sizeof err),
       "a misspelt key is refused");
    is_str(err,
           "unknown producer config 'enable.idempotency' (did you mean 'enable.idempotence'?); "
           "valid names: acks, batch.size, client.id, delivery.timeout.ms, enable.idempotence, "
           "linger.ms, max.block.ms, max.in.flight.requests.per.connection, max.request.size, "
           "reconnect.backoff.max.ms, reconnect.backoff.ms, request.timeout.ms, retries, retry.backoff.max.ms, retry.backoff.ms, "
           "transaction.timeout.ms, transactional.id",
           "a misspelt key gets the closest name and the list of valid names");

    ok(!config_set(&t, "colour", "red", err, sizeof err), "an unknown key is refused");
    is_str(err, "unknown topic config 'colour'; valid names: cleanup.policy, delete.retention.ms, "
           "max.compaction.lag.ms, min.cleanable.dirty.ratio, min.compaction.lag.ms, "
           "min.insync.replicas, partitions, replication.factor, retention.bytes, retention.ms, "
           "segment.bytes, segment.ms, unclean.leader.election.enable",
           "an unknown key with nothing close gets no suggestion, only the valid names");

    ok(!config_set(&c, "max.poll.record", "1", err, sizeof err), "a near-miss consumer key is refused");
    ok(strstr(err, "(did you mean 'max.poll.records'?)") != NULL,
       "a key one letter short is matched to its full name");

    ok(!config_set(&p, "compression.type", "lz4", err, sizeof err), "an unmodelled key is refused");
    is_str(err, "producer config 'compression.type' is a Kafka setting that ksim does not model yet",
           "an unmodelled key is named as a real Kafka setting that ksim does not model yet");

    ok(!config_set(&c, "fetch.min.bytes", "abc", err, sizeof err), "a non-integer is refused");
    is_str(err, "invalid value 'abc' for consumer config 'fetch.min.bytes': expected an integer",
           "a non-integer for an INT key says an integer was expected");
    ok(!config_set(&c, "fetch.min.bytes", "1.5", err, sizeof err),
       "a fractional value is refused for an INT key");
    ok(!config_set(&c, "fetch.min.bytes", "", err, sizeof err), "an empty value is refused for an INT key");
    ok(!config_set(&c, "fetch.min.bytes", "1e3", err, sizeof err),
       "exponent notation is refused for an INT key");

    ok(!config_set(&p, "retries", "-1", err, sizeof err), "a value below the minimum is refused");
    is_str(err, "invalid value '-1' for producer config 'retries': must be at least 0",
           "a value below the minimum names the minimum");
    ok(!config_set(&c, "max.poll.records", "0", err, sizeof err), "max.poll.records=0 is refused");
    is_str(err, "invalid value '0' for consumer config 'max.poll.records': must be at least 1",
           "max.poll.records names its minimum of 1");

    ok(!config_set(&p, "enable.idempotence", "yes", err, sizeof err), "a non-boolean is refused");
    is_str(err, "invalid value 'yes' for producer config 'enable.idempotence': expected true or false",
           "a non-boolean says true or false was expected");

    ok(!config_set(&p, "acks", "al", err, sizeof err), "a value outside an enum is refused");
    is_str(err, "invalid value 'al' for producer config 'acks': expected one of all, -1, 0, 1",
           "a value outside an enum lists the choices");

    ok(!config_set(&p, "retries", "2147483648", err, sizeof err), "an int32 overflow is refused");
    is_str(err, "invalid value '2147483648' for producer config 'retries': must be at most 2147483647",
           "an int32 overflow names the int32 maximum");
    ok(!config_set(&p, "request.timeout.ms", "99999999999999999999", err, sizeof err),
       "an int64 overflow is refused for an INT key");
    ok(!config_set(&p, "linger.ms", "99999999999999999999", err, sizeof err),
       "an int64 overflow is refused for a LONG key");
    is_str(err,
           "invalid value '99999999999999999999' for producer config 'linger.ms': "
           "must be at most 9223372036854775807",
           "an int64 overflow names the int64 maximum");

    is_str(config_str(&p, "retries"), "2147483647", "a refused value leaves the old value in place");
    ok(!config_is_set(&p, "retries"), "a refused value does not mark the key as set");

    ok(!config_set(&t, "partitions", "100001", err, sizeof err) &&
           strstr(err, "must be at most 100000") != NULL,
       "a topic has at most 100000 partitions in ksim");

    config_free(&p);
    config_free(&c);
    config_free(&t);
}

static void test_durations(void)
{
    config_t p;
    char err[256];
    config_init(&p, &producer_config_schema);
    is_int(config_duration_us(&p, "request.timeout.ms"), 30000000,
           "a duration in ms reads as µs (request.timeout.ms 30000 -> 30000000)");
    ok(config_set(&p, "max.block.ms", "9223372036854775807", err, sizeof err),
       "Long.MAX_VALUE is a valid max.block.ms, Kafka's way to say forever");
    is_int(config_duration_us(&p, "max.block.ms"), CONFIG_MAX_DURATION_US,
           "a duration too long for µs saturates instead of overflowing");
    config_free(&p);
}

static void test_truncation(void)
{
    config_t p;
    config_init(&p, &producer_config_schema);
    char full[512];
    config_set(&p, "enable.idempotency", "true", full, sizeof full);

    char small[16 + 8];
    memset(small, 'X', sizeof small);
    ok(!config_set(&p, "enable.idempotency", "true", small, 16),
       "an error is still reported with a 16-byte buffer");
    is_int(strlen(small), 15, "the error is cut to fit 16 bytes, terminator included");
    ok(strncmp(small, full, 15) == 0, "the cut error is the start of the full message");
    ok(small[16] == 'X' && small[23] == 'X', "nothing is written past the 16 bytes");

    char one[1] = { 'X' };
    ok(!config_set(&p, "acks", "al", one, 1), "an error is still reported with a 1-byte buffer");
    is_int(one[0], '\0', "a 1-byte buffer receives an empty string");
    ok(!config_set(&p, "acks", "al", NULL, 0), "an error is still reported without a buffer");
    config_free(&p);
}

static void test_copy(void)
{
    config_t a, b;
    char err[256];
    config_init(&a, &producer_config_schema);
    config_set(&a, "acks", "0", err, sizeof err);
    config_copy(&b, &a);
    is_str(config_str(&b, "acks"), "0", "a copy carries the values of the original");
    ok(config_is_set(&b, "acks"), "a copy carries which keys were set");

    config_set(&b, "acks", "1", err, sizeof err);
    config_set(&b, "linger.ms", "9", err, sizeof err);
    is_str(config_str(&a, "acks"), "0", "changing a copy leaves the original alone");
    ok(!config_is_set(&a, "linger.ms"), "setting a key in a copy does not mark it set in the original");
    config_free(&a);
    is_str(config_str(&b, "acks"), "1", "a copy outlives the original it was made from");
    config_free(&b);
}

static void test_other_types(void)
{
    config_t c;
    char err[256];
    config_init(&c, &test_schema);
    ok(config_set(&c, "ratio", "0.25", err, sizeof err), "a decimal number is accepted for a DOUBLE key");
    ok(config_double(&c, "ratio") == 0.25, "a DOUBLE key reads back as a number");
    ok(!config_set(&c, "ratio", "half", err, sizeof err), "a non-number is refused for a DOUBLE key");
    is_str(err, "invalid value 'half' for test config 'ratio': expected a number",
           "a non-number for a DOUBLE key says a number was expected");
    ok(!config_set(&c, "ratio", "nan", err, sizeof err), "NaN is refused for a DOUBLE key");
    ok(!config_set(&c, "ratio", "1.5", err, sizeof err), "a DOUBLE above its maximum is refused");
    is_str(err, "invalid value '1.5' for test config 'ratio': must be at most 1",
           "a DOUBLE above its maximum names the maximum");
    ok(!config_set(&c, "bounded", "11", err, sizeof err), "an INT above its maximum is refused");
    is_str(err, "invalid value '11' for test config 'bounded': must be at most 10",
           "an INT above its maximum names the maximum");
    ok(config_set(&c, "big", "-9223372036854775808", err, sizeof err),
       "the smallest int64 is accepted for an unbounded LONG key");
    is_int(config_long(&c, "big"), INT64_MIN, "the smallest int64 reads back exactly");
    ok(!config_set(&c, "big", "-9223372036854775809", err, sizeof err),
       "a value below the smallest int64 is refused");
    is_str(err,
           "invalid value '-9223372036854775809' for test config 'big': "
           "must be at least -9223372036854775808",
           "an int64 underflow names the int64 minimum");
    config_free(&c);
}

int main(void)
{
    test_schemas();
    test_defaults();
    test_set();
    test_errors();
    test_truncation();
    test_durations();
    test_copy();
    test_other_types();
    return tap_done();
}
