/* retention: which leading segments of a log the delete policy removes, as
 * UnifiedLog.deleteOldSegments picks them: older than retention.ms, beyond
 * retention.bytes, or wholly below the log start offset. The log manager
 * (log_manager.c) runs it on its schedule and traces what went. */
#ifndef KSIM_RETENTION_H
#define KSIM_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

typedef enum retention_reason {
    RETENTION_TIME,       /* retention.ms */
    RETENTION_SIZE,       /* retention.bytes */
    RETENTION_LOG_START,  /* below the log start offset */
} retention_reason_t;

const char *retention_reason_name(retention_reason_t r);

typedef struct retention_result {
    int32_t segments;          /* deleted */
    int64_t first_base, end;   /* the offsets they held: [first_base, end) */
    int64_t bytes;
    int64_t records;
    int64_t old_start, new_start;
} retention_result_t;

/* Deletes the leading segments `reason` allows at `now`: only segments wholly below the
 * high watermark, never the empty active segment, stopping at the first that must stay.
 * Returns false when none goes. */
bool retention_delete(plog_t *l, retention_reason_t reason, int64_t now,
                      retention_result_t *out);

#endif
