/* log_config: the settings one partition log runs by (Kafka's LogConfig): segment rolling,
 * cleanup.policy, retention and the cleaner's per-topic knobs, read once from a topic's
 * configuration. Durations are held in µs, the unit of virtual time. */
#ifndef KSIM_LOG_CONFIG_H
#define KSIM_LOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct log_config {
    bool compact, delete;          /* cleanup.policy */
    int64_t segment_bytes;         /* segment.bytes */
    int64_t segment_us;            /* segment.ms */
    int64_t retention_us;          /* retention.ms; -1: forever */
    int64_t retention_bytes;       /* retention.bytes; -1: no limit */
    int64_t delete_retention_us;   /* delete.retention.ms: how long tombstones stay */
    int64_t min_lag_us, max_lag_us; /* min.compaction.lag.ms, max.compaction.lag.ms */
    double min_cleanable_ratio;    /* min.cleanable.dirty.ratio */
} log_config_t;

struct config;

/* Kafka 3.9's defaults (what a log without a topic configuration runs by). */
log_config_t log_config_default(void);
/* Reads a topic's configuration; false with a message when cleanup.policy is not a list of
 * "compact" and "delete". */
bool log_config_read(const struct config *topic_cfg, log_config_t *out, char *err,
                     size_t errlen);
/* "delete", "compact" or "compact,delete". */
const char *log_config_policy(const log_config_t *c);

#endif
