/* json_in: what the assignor commands (`ksim assign`, `ksim compare-assignors`) read from
 * JSON: objects checked for unknown fields (with a suggestion), whole numbers, the topics
 * table (name: partition count), subscriptions and the racks of partitions' replicas.
 * Errors are sentences written to err; strings point into the cJSON tree. */
#ifndef KSIM_JSON_IN_H
#define KSIM_JSON_IN_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../sim/client/assignors/assignor.h"

#define JIN_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* calloc that exits (code 4) when memory runs out. */
void *jin_calloc(size_t n, size_t size);
/* Says that memory ran out and exits with code 4. */
void jin_out_of_memory(void);

/* Writes s for a terminal: control characters and invalid UTF-8 as U+FFFD, so that names
 * from the input (in messages and tables) cannot move the cursor or clear the screen. */
void jin_put_text(FILE *f, const char *s);

/* Parses text[0..len) as one JSON value with nothing after it but white space. NULL when
 * it is not, with *at where it goes wrong and a sentence in err: not valid JSON, text
 * after the value, or a NUL (as a byte or \u0000), which no name can hold. */
cJSON *jin_parse(const char *text, size_t len, const char **at, char *err, size_t errlen);

/* obj has no field outside `fields`; else "unknown field 'x' in WHERE (did you mean
 * 'y'? fields: ...)". */
bool jin_fields(const cJSON *obj, const char *const *fields, size_t n, const char *where,
                char *err, size_t errlen);

/* A JSON number that is a whole int32, or null (then *out keeps its default). */
bool jin_int(const cJSON *v, int32_t *out);

typedef struct jin_named {
    const char *name;
    int32_t index;
} jin_named_t;

typedef struct jin_topics {
    assign_topic_t *topics; /* in the object's order */
    jin_named_t *by_name;   /* sorted by name, for look-ups */
    int32_t n;
} jin_topics_t;

/* Reads {"name": partitions, ...}; more than ASSIGN_MAX_PARTITIONS in all is an error. */
bool jin_topics(jin_topics_t *t, const cJSON *obj, char *err, size_t errlen);
void jin_topics_free(jin_topics_t *t);
/* The topic's index, or -1. */
int32_t jin_find_topic(const jin_topics_t *t, const char *name);
/* The topic names, sorted, separated by ", " ("none" without topics). */
const char *jin_topic_list(const jin_topics_t *t, char *buf, size_t n);

/* Reads the array of topic names that member `who` subscribes to into a new array of
 * topic indexes (*out, *n; free it). */
bool jin_subscription(const jin_topics_t *t, const cJSON *arr, const char *who, int32_t **out,
                      int32_t *n, char *err, size_t errlen);

/* An optional field that must be a string or null: *out is the string or NULL. */
bool jin_opt_string(const cJSON *obj, const char *key, const char *who, const char **out,
                    char *err, size_t errlen);

/* Reads "partition_racks" (NULL or null: none), an object of topic name: the racks of each
 * of its partitions. replicas[t] must have room for topic t's partitions; a topic listed
 * gets its replicas pointed there, rack names in a new array storage[t] (free them). */
bool jin_racks(jin_topics_t *t, const cJSON *pr, assign_replicas_t **replicas,
               const char ***storage, char *err, size_t errlen);

/* Reads the racks of `np` partitions of topic `name` from first_partition on: an array
 * of arrays of rack names (null for a broker without one). Fills out[0 .. np) with racks
 * from a new array *storage (free it). */
bool jin_partition_racks(const cJSON *parts, const char *name, int32_t first_partition,
                         int32_t np, assign_replicas_t *out, const char ***storage, char *err,
                         size_t errlen);

/* Java's sort of member ids for printing answers: order[i] is the index of the i-th id. */
void jin_java_order(const char *const *ids, int32_t n, int32_t *order);

#endif
