#include "log_config.h"

#include <stdio.h>
#include <string.h>

#include "../core/world.h"
#include "config.h"

log_config_t log_config_default(void)
{
    return (log_config_t){
        .compact = false,
        .delete = true,
        .segment_bytes = 1073741824,
        .segment_us = 604800000LL * US_PER_MS,
        .retention_us = 604800000LL * US_PER_MS,
        .retention_bytes = -1,
        .delete_retention_us = 86400000LL * US_PER_MS,
        .min_lag_us = 0,
        .max_lag_us = CONFIG_MAX_DURATION_US,
        .min_cleanable_ratio = 0.5,
    };
}

/* cleanup.policy is a list (Kafka's ValidList of "compact" and "delete"). */
static bool read_policy(const char *s, log_config_t *out, char *err, size_t errlen)
{
    out->compact = out->delete = false;
    const char *p = s;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len == 7 && strncmp(p, "compact", 7) == 0) {
            out->compact = true;
        } else if (len == 6 && strncmp(p, "delete", 6) == 0) {
            out->delete = true;
        } else {
            snprintf(err, errlen,
                     "invalid value '%s' for configuration cleanup.policy: each item must be "
                     "one of compact, delete (for example \"compact,delete\")",
                     s);
            return false;
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (!out->compact && !out->delete) {
        snprintf(err, errlen,
                 "invalid value '%s' for configuration cleanup.policy: give compact, delete "
                 "or compact,delete",
                 s);
        return false;
    }
    return true;
}

/* A ms setting where a negative value means "no limit" (retention.ms = -1). */
static int64_t limit_us(const config_t *c, const char *key)
{
    int64_t ms = config_long(c, key);
    return ms < 0 ? -1 : config_duration_us(c, key);
}

bool log_config_read(const config_t *c, log_config_t *out, char *err, size_t errlen)
{
    *out = log_config_default();
    if (!read_policy(config_str(c, "cleanup.policy"), out, err, errlen))
        return false;
    out->segment_bytes = config_int(c, "segment.bytes");
    out->segment_us = config_duration_us(c, "segment.ms");
    out->retention_us = limit_us(c, "retention.ms");
    out->retention_bytes = config_long(c, "retention.bytes");
    if (out->retention_bytes < 0)
        out->retention_bytes = -1;
    out->delete_retention_us = config_duration_us(c, "delete.retention.ms");
    out->min_lag_us = config_duration_us(c, "min.compaction.lag.ms");
    out->max_lag_us = config_duration_us(c, "max.compaction.lag.ms");
    out->min_cleanable_ratio = config_double(c, "min.cleanable.dirty.ratio");
    return true;
}

const char *log_config_policy(const log_config_t *c)
{
    if (c->compact && c->delete)
        return "compact,delete";
    return c->compact ? "compact" : "delete";
}
