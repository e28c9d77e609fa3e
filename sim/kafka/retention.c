#include "retention.h"

#include <string.h>

const char *retention_reason_name(retention_reason_t r)
{
    switch (r) {
    case RETENTION_TIME:
        return "retention.ms";
    case RETENTION_SIZE:
        return "retention.bytes";
    case RETENTION_LOG_START:
        return "log_start_offset";
    }
    return "?";
}

/* One segment's verdict; `left` is what retention.bytes still wants removed. */
static bool breached(const plog_t *l, size_t s, retention_reason_t reason, int64_t now,
                     int64_t *left)
{
    switch (reason) {
    case RETENTION_TIME:
        return now - plog_seg_largest_ts(l, s) > l->cfg.retention_us;
    case RETENTION_SIZE:
        if (*left - l->segs[s].bytes < 0)
            return false;
        *left -= l->segs[s].bytes;
        return true;
    case RETENTION_LOG_START:
        return s + 1 < l->n_segs && l->segs[s + 1].base_offset <= l->log_start;
    }
    return false;
}

bool retention_delete(plog_t *l, retention_reason_t reason, int64_t now,
                      retention_result_t *out)
{
    memset(out, 0, sizeof *out);
    if (reason == RETENTION_TIME && l->cfg.retention_us < 0)
        return false;
    int64_t left = 0;
    if (reason == RETENTION_SIZE) {
        if (l->cfg.retention_bytes < 0 || l->bytes < l->cfg.retention_bytes)
            return false;
        left = l->bytes - l->cfg.retention_bytes;
    }
    /* UnifiedLog.deletableSegments. */
    size_t n = 0;
    while (n < l->n_segs) {
        bool last_and_empty = n + 1 == l->n_segs && l->segs[n].bytes == 0;
        if (l->hw < plog_seg_end_offset(l, n) || last_and_empty ||
            !breached(l, n, reason, now, &left))
            break;
        n++;
    }
    if (n == 0)
        return false;
    out->segments = (int32_t)n;
    out->first_base = l->segs[0].base_offset;
    out->end = plog_seg_end_offset(l, n - 1);
    out->old_start = l->log_start;
    size_t nb = plog_seg_end_batch(l, n - 1);
    out->records = nb < l->n_batches ? (int64_t)l->batches[nb].first : (int64_t)l->n;
    out->bytes = plog_delete_segments(l, n);
    out->new_start = l->log_start;
    plog_repack(l);
    plog_check(l);
    return true;
}
