/* Unit tests for the viewer on compaction traces: a cleaning pass removes exactly the
 * offsets its log_clean event lists from that replica's log (and rewinding brings them
 * back), retention removes what lies below the new log start, and the text timeline words
 * both events and a rejected record. */
#include <stdio.h>
#include <string.h>

#include "sim/trace.h"
#include "tests/unit/tap.h"
#include "tests/unit/tui_fixture.h"
#include "tui/state.h"
#include "tui/text.h"

static const char *const compaction_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"1\",\"scenario\":\"c.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":1}",
    "{\"t\":0,\"seq\":2,\"node\":\"controller\",\"kind\":\"topic\",\"cluster\":\"main\",\"topic\":\"users\",\"partitions\":1,\"replication_factor\":1,\"min_insync_replicas\":1,\"cleanup_policy\":\"compact\",\"leaders\":[\"broker-1\"],\"replicas\":[[\"broker-1\"]]}",
    "{\"t\":10,\"seq\":3,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"users-0\",\"base_offset\":0,\"last_offset\":0,\"leader_epoch\":0,\"records\":[{\"offset\":0,\"key\":\"K1\",\"value\":\"V1\"}]}",
    "{\"t\":20,\"seq\":4,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"users-0\",\"base_offset\":1,\"last_offset\":1,\"leader_epoch\":0,\"records\":[{\"offset\":1,\"key\":\"K2\",\"value\":null}]}",
    "{\"t\":30,\"seq\":5,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"users-0\",\"base_offset\":2,\"last_offset\":2,\"leader_epoch\":0,\"records\":[{\"offset\":2,\"key\":\"K1\",\"value\":\"V2\"}]}",
    "{\"t\":40,\"seq\":6,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"users-0\",\"base_offset\":3,\"last_offset\":3,\"leader_epoch\":0,\"records\":[{\"offset\":3,\"key\":\"K3\",\"value\":\"V3\"}]}",
    "{\"t\":50,\"seq\":7,\"node\":\"broker-1\",\"kind\":\"log_clean\",\"tp\":\"users-0\",\"first_dirty\":0,\"checkpoint\":3,\"base_offset\":0,\"end_offset\":3,\"segments_before\":1,\"segments_after\":1,\"records_before\":3,\"records_after\":2,\"removed\":1,\"tombstones_removed\":0,\"bytes_before\":210,\"bytes_after\":140,\"keys_mapped\":2,\"removed_offsets\":[0],\"dirty_ratio_before\":1,\"dirty_ratio_after\":0}",
    "{\"t\":60,\"seq\":8,\"node\":\"broker-1\",\"kind\":\"log_retention\",\"tp\":\"users-0\",\"reason\":\"retention.ms\",\"segments\":1,\"base_offset\":0,\"end_offset\":2,\"records\":1,\"bytes\":70,\"log_start_offset\":2}",
    "{\"t\":70,\"seq\":9,\"node\":\"broker-1\",\"kind\":\"record_rejected\",\"tp\":\"users-0\",\"error\":\"INVALID_RECORD\",\"message\":\"One or more records have been rejected\"}",
    NULL,
};

/* The offsets broker-1's users-0 holds just after event index i, as "0 1 2". */
static const char *offsets_after(model_t *m, uint32_t i)
{
    static char buf[128];
    const st_rec_t *recs[16];
    size_t total;
    uint32_t e = st_find(&m->st, "log", "broker-1 users-0");
    size_t n = e == ST_NEVER ? 0 : st_log_tail(&m->st, e, i + 1, recs, 16, &total);
    size_t len = 0;
    buf[0] = 0;
    for (size_t k = 0; k < n; k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lld", k ? " " : "",
                                (long long)recs[k]->offset);
    return buf;
}

static uint32_t index_of_kind(model_t *m, const char *kind)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (strcmp(model_kind_name(m, i), kind) == 0)
            return i;
    return 0;
}

int main(void)
{
    fixture_locale();
    FILE *f;
    model_t *m = fixture_load(compaction_trace, &f);
    uint32_t clean = index_of_kind(m, "log_clean"), ret = index_of_kind(m, "log_retention");
    is_str(offsets_after(m, clean - 1), "0 1 2 3", "before the pass the log holds all four records");
    is_str(offsets_after(m, clean), "1 2 3", "the pass removes exactly the offset it lists (0)");
    is_str(offsets_after(m, ret), "2 3", "retention removes what lies below the new log start (2)");
    is_str(offsets_after(m, clean - 1), "0 1 2 3", "rewinding to before the pass shows them again");
    char buf[1024];
    const char *t = text_format_event(model_json(m, clean), buf, sizeof buf);
    ok(strstr(t, "cleaned users-0 offsets 0..2 (dirty from 0): 2 of 3 records kept") &&
           strstr(t, "dirty ratio 1.00 -> 0.00, checkpoint 3"),
       "the text timeline words a pass: %s", t);
    t = text_format_event(model_json(m, ret), buf, sizeof buf);
    ok(strstr(t, "deleted 1 segment of users-0 (offsets 0..1, 1 records) by retention.ms; "
                 "log start offset 2") != NULL,
       "and a retention deletion: %s", t);
    t = text_format_event(model_json(m, index_of_kind(m, "record_rejected")), buf, sizeof buf);
    ok(strstr(t, "rejected a batch for users-0: INVALID_RECORD") != NULL,
       "and a rejected batch: %s", t);
    fixture_close(m, f);
    return tap_done();
}
