/* config: Kafka-style configuration tables (producer, consumer, topic, broker).
 * It owns the key names, types, defaults and valid choices of each table, parses values
 * given as text, and words the errors a user sees ("did you mean ...", valid choices). */
#ifndef KSIM_CONFIG_H
#define KSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum cfg_type {
    CFG_INT,    /* int32 */
    CFG_LONG,   /* int64 */
    CFG_DOUBLE,
    CFG_BOOL,
    CFG_STRING,
    CFG_ENUM,   /* one of `choices` ("a|b|c") */
} cfg_type_t;

typedef struct cfg_def {
    const char *name;
    cfg_type_t type;
    const char *dflt;     /* Kafka 3.9's default, as text; NULL: no default (unset) */
    const char *choices;  /* CFG_ENUM: "all|-1|0|1" */
    int64_t min, max;     /* numeric range (inclusive) when min < max */
    bool unmodelled;      /* a real Kafka key that this version of ksim does not model */
} cfg_def_t;

typedef struct config_schema {
    const char *what; /* "producer", "consumer", "topic", "broker" */
    const cfg_def_t *defs;
    size_t n;
} config_schema_t;

typedef struct config {
    const config_schema_t *schema;
    char **values;  /* per def: current text, or NULL when unset */
    bool *set;      /* per def: given explicitly by the user */
} config_t;

extern const config_schema_t producer_config_schema;
extern const config_schema_t consumer_config_schema;
extern const config_schema_t topic_config_schema;
extern const config_schema_t broker_config_schema;

void config_init(config_t *c, const config_schema_t *schema);
void config_free(config_t *c);
void config_copy(config_t *dst, const config_t *src);
/* Sets `key` from its text form. On an unknown key or a bad value returns false with a
 * message naming the key and what is valid. */
bool config_set(config_t *c, const char *key, const char *value, char *err, size_t errlen);
bool config_has(const config_schema_t *s, const char *key);

int64_t config_long(const config_t *c, const char *key);
/* A duration key in ms (INT or LONG) as µs, saturating at CONFIG_MAX_DURATION_US, so that
 * Kafka's "forever" idiom (Long.MAX_VALUE) stays forever and never overflows. */
#define CONFIG_MAX_DURATION_US (1000000000LL * 1000000LL) /* 10^9 s, about 31.7 years */
int64_t config_duration_us(const config_t *c, const char *key);
int32_t config_int(const config_t *c, const char *key);
double config_double(const config_t *c, const char *key);
bool config_bool(const config_t *c, const char *key);
/* NULL when unset and without default. */
const char *config_str(const config_t *c, const char *key);
bool config_is_set(const config_t *c, const char *key);

#endif
