/* tui_fixture: small traces for the viewer's unit tests, written to a temporary file and
 * indexed with model_load. The lost-ACK story: p1's first Produce is appended at offset
 * 0, its answer is dropped by fault 1, the retry is appended again at offset 1. Faults on
 * the lanes. Replication: a divergent tail truncated after a partition heals; an offline
 * partition and an unclean election. */
#ifndef KSIM_TUI_FIXTURE_H
#define KSIM_TUI_FIXTURE_H

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"
#include "tui/export.h"
#include "tui/inspector.h"
#include "tui/model.h"
#include "tui/screen.h"

static const char *const lost_ack_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"7\",\"scenario\":\"lost-ack.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"p1\",\"kind\":\"node\",\"role\":\"producer\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":1}",
    "{\"t\":0,\"seq\":3,\"node\":\"world\",\"kind\":\"topic\",\"topic\":\"payments\",\"partitions\":1,\"replication_factor\":1,\"leaders\":[\"broker-1\"]}",
    "{\"t\":0,\"seq\":4,\"node\":\"world\",\"kind\":\"fault_rule\",\"fault\":1,\"action\":\"drop\",\"dir\":\"response\",\"api\":\"Produce\",\"from\":\"broker-1\",\"to\":\"p1\",\"count\":1}",
    "{\"t\":0,\"seq\":5,\"node\":\"world\",\"kind\":\"note\",\"text\":\"问题场景：生产者发送消息 → Broker 写入成功 → ACK 丢失 → 生产者重试 → 消息重复\"}",
    "{\"t\":0,\"seq\":6,\"node\":\"p1\",\"kind\":\"record\",\"rec\":0,\"topic\":\"payments\",\"partition\":-1,\"key\":\"k1\",\"value\":\"100\"}",
    "{\"t\":1000,\"seq\":7,\"node\":\"p1\",\"kind\":\"send\",\"msg\":1,\"api\":\"Produce\",\"dir\":\"request\",\"from\":\"p1\",\"to\":\"broker-1\",\"corr\":1,\"acks\":\"1\",\"parts\":[{\"tp\":\"payments-0\",\"records\":1,\"bytes\":73}]}",
    "{\"t\":1500,\"seq\":8,\"node\":\"broker-1\",\"kind\":\"deliver\",\"msg\":1,\"api\":\"Produce\",\"dir\":\"request\",\"from\":\"p1\",\"to\":\"broker-1\",\"corr\":1}",
    "{\"t\":1500,\"seq\":9,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"payments-0\",\"base_offset\":0,\"last_offset\":0,\"records\":[{\"offset\":0,\"key\":\"k1\",\"value\":\"100\"}]}",
    "{\"t\":1500,\"seq\":10,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":1}",
    "{\"t\":1500,\"seq\":11,\"node\":\"broker-1\",\"kind\":\"send\",\"msg\":2,\"api\":\"Produce\",\"dir\":\"response\",\"from\":\"broker-1\",\"to\":\"p1\",\"corr\":1,\"parts\":[{\"tp\":\"payments-0\",\"error\":\"NONE\",\"base_offset\":0}]}",
    "{\"t\":1500,\"seq\":12,\"node\":\"broker-1\",\"kind\":\"drop\",\"msg\":2,\"api\":\"Produce\",\"dir\":\"response\",\"from\":\"broker-1\",\"to\":\"p1\",\"corr\":1,\"reason\":\"fault\",\"fault\":1}",
    "{\"t\":3000000,\"seq\":13,\"node\":\"world\",\"kind\":\"note\",\"text\":\"Still no answer: p1 cannot know whether broker-1 wrote the record, so after request.timeout.ms it retries.\"}",
    "{\"t\":5001000,\"seq\":14,\"node\":\"p1\",\"kind\":\"request_timeout\",\"to\":\"broker-1\",\"api\":\"Produce\",\"corr\":1,\"timeout_ms\":5000}",
    "{\"t\":5001000,\"seq\":15,\"node\":\"p1\",\"kind\":\"retry\",\"tp\":\"payments-0\",\"records\":1,\"error\":\"REQUEST_TIMED_OUT\",\"attempt\":1,\"backoff_ms\":89.558}",
    "{\"t\":5090558,\"seq\":16,\"node\":\"p1\",\"kind\":\"send\",\"msg\":3,\"api\":\"Produce\",\"dir\":\"request\",\"from\":\"p1\",\"to\":\"broker-1\",\"corr\":2,\"acks\":\"1\",\"parts\":[{\"tp\":\"payments-0\",\"records\":1,\"bytes\":73}]}",
    "{\"t\":5091058,\"seq\":17,\"node\":\"broker-1\",\"kind\":\"deliver\",\"msg\":3,\"api\":\"Produce\",\"dir\":\"request\",\"from\":\"p1\",\"to\":\"broker-1\",\"corr\":2}",
    "{\"t\":5091058,\"seq\":18,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"payments-0\",\"base_offset\":1,\"last_offset\":1,\"records\":[{\"offset\":1,\"key\":\"k1\",\"value\":\"100\"}]}",
    "{\"t\":5091058,\"seq\":19,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":2}",
    "{\"t\":5091058,\"seq\":20,\"node\":\"broker-1\",\"kind\":\"send\",\"msg\":4,\"api\":\"Produce\",\"dir\":\"response\",\"from\":\"broker-1\",\"to\":\"p1\",\"corr\":2,\"parts\":[{\"tp\":\"payments-0\",\"error\":\"NONE\",\"base_offset\":1}]}",
    "{\"t\":5091558,\"seq\":21,\"node\":\"p1\",\"kind\":\"deliver\",\"msg\":4,\"api\":\"Produce\",\"dir\":\"response\",\"from\":\"broker-1\",\"to\":\"p1\",\"corr\":2}",
    "{\"t\":5091558,\"seq\":22,\"node\":\"p1\",\"kind\":\"batch_done\",\"tp\":\"payments-0\",\"records\":1,\"base_offset\":1,\"attempts\":2,\"error\":\"NONE\"}",
    "{\"t\":5091558,\"seq\":23,\"node\":\"broker-1\",\"kind\":\"custom_event\",\"tp\":\"payments-0\",\"level\":3}",
    "{\"t\":5091558,\"seq\":24,\"node\":\"world\",\"kind\":\"note\",\"text\":\"The retry was appended again at offset 1: the log holds the payment twice.\"}",
    "{\"t\":5091558,\"seq\":25,\"node\":\"world\",\"kind\":\"check\",\"ok\":true,\"msg\":\"the partition holds two records\",\"where\":\"lost-ack.lua:40\"}",
    "{\"t\":5091558,\"seq\":26,\"node\":\"world\",\"kind\":\"run_end\",\"status\":\"idle\",\"time\":5091558}",
    NULL,
};

/* Faults on the lanes: a crash and restart, a pause, a network partition and its heal. */
static const char *const faults_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"1\",\"scenario\":\"faults.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"broker-2\",\"kind\":\"node\",\"role\":\"broker\",\"id\":1}",
    "{\"t\":0,\"seq\":3,\"node\":\"p1\",\"kind\":\"node\",\"role\":\"producer\",\"id\":2}",
    "{\"t\":1000,\"seq\":4,\"node\":\"broker-2\",\"kind\":\"crash\",\"reason\":\"w:crash\"}",
    "{\"t\":1500,\"seq\":5,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"t-0\",\"hw\":1}",
    "{\"t\":2000,\"seq\":6,\"node\":\"p1\",\"kind\":\"send\",\"msg\":1,\"api\":\"Metadata\",\"dir\":\"request\",\"from\":\"p1\",\"to\":\"broker-2\",\"corr\":1,\"topics\":[]}",
    "{\"t\":2500,\"seq\":7,\"node\":\"broker-2\",\"kind\":\"drop\",\"msg\":1,\"api\":\"Metadata\",\"dir\":\"request\",\"from\":\"p1\",\"to\":\"broker-2\",\"corr\":1,\"reason\":\"node down\"}",
    "{\"t\":3000,\"seq\":8,\"node\":\"broker-2\",\"kind\":\"restart\"}",
    "{\"t\":3500,\"seq\":9,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"t-0\",\"hw\":2}",
    "{\"t\":4000,\"seq\":10,\"node\":\"broker-1\",\"kind\":\"pause\"}",
    "{\"t\":4500,\"seq\":11,\"node\":\"p1\",\"kind\":\"record\",\"rec\":0,\"topic\":\"t\",\"partition\":0,\"key\":\"k\",\"value\":\"v\"}",
    "{\"t\":5000,\"seq\":12,\"node\":\"world\",\"kind\":\"note\",\"text\":\"broker-1 is paused\"}",
    "{\"t\":6000,\"seq\":13,\"node\":\"broker-1\",\"kind\":\"resume\",\"held\":0}",
    "{\"t\":7000,\"seq\":14,\"node\":\"world\",\"kind\":\"partition\",\"partition\":1,\"a\":[\"p1\"],\"b\":[\"broker-1\"],\"oneway\":false}",
    "{\"t\":7500,\"seq\":15,\"node\":\"p1\",\"kind\":\"record\",\"rec\":1,\"topic\":\"t\",\"partition\":0,\"key\":\"k\",\"value\":\"v\"}",
    "{\"t\":8000,\"seq\":16,\"node\":\"world\",\"kind\":\"note\",\"text\":\"p1 is cut off from broker-1\"}",
    "{\"t\":9000,\"seq\":17,\"node\":\"world\",\"kind\":\"heal\",\"partition\":1}",
    "{\"t\":9200,\"seq\":18,\"node\":\"p1\",\"kind\":\"record\",\"rec\":2,\"topic\":\"t\",\"partition\":0,\"key\":\"k\",\"value\":\"v\"}",
    "{\"t\":9500,\"seq\":19,\"node\":\"world\",\"kind\":\"check\",\"ok\":false,\"msg\":\"a failed check\",\"where\":\"faults.lua:9\"}",
    NULL,
};

/* Replication (tests/tui/divergent-tail.lua, trimmed): three records reach all three
 * replicas; broker-1, the leader, is cut off and appends lost4 and lost5 alone; the
 * controller elects broker-2 (epoch 1) and fences broker-1; after the heal broker-1
 * truncates its divergent tail (5 -> 3) and copies k6 from broker-2. Two routine
 * heartbeats (bg), one of them lost in the partition. */
static const char *const replication_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"3\",\"scenario\":\"divergent-tail.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"broker-2\",\"kind\":\"node\",\"role\":\"broker\",\"id\":1}",
    "{\"t\":0,\"seq\":3,\"node\":\"broker-3\",\"kind\":\"node\",\"role\":\"broker\",\"id\":2}",
    "{\"t\":0,\"seq\":4,\"node\":\"controller\",\"kind\":\"node\",\"role\":\"controller\",\"id\":3}",
    "{\"t\":0,\"seq\":5,\"node\":\"controller\",\"kind\":\"broker_registered\",\"broker\":\"broker-1\",\"broker_epoch\":0,\"reason\":\"cluster formation\"}",
    "{\"t\":0,\"seq\":6,\"node\":\"controller\",\"kind\":\"broker_unfenced\",\"broker\":\"broker-1\"}",
    "{\"t\":0,\"seq\":7,\"node\":\"controller\",\"kind\":\"broker_registered\",\"broker\":\"broker-2\",\"broker_epoch\":2,\"reason\":\"cluster formation\"}",
    "{\"t\":0,\"seq\":8,\"node\":\"controller\",\"kind\":\"broker_unfenced\",\"broker\":\"broker-2\"}",
    "{\"t\":0,\"seq\":9,\"node\":\"controller\",\"kind\":\"broker_registered\",\"broker\":\"broker-3\",\"broker_epoch\":4,\"reason\":\"cluster formation\"}",
    "{\"t\":0,\"seq\":10,\"node\":\"controller\",\"kind\":\"broker_unfenced\",\"broker\":\"broker-3\"}",
    "{\"t\":0,\"seq\":11,\"node\":\"broker-1\",\"kind\":\"broker_started\",\"broker_epoch\":0}",
    "{\"t\":0,\"seq\":12,\"node\":\"broker-2\",\"kind\":\"broker_started\",\"broker_epoch\":2}",
    "{\"t\":0,\"seq\":13,\"node\":\"broker-3\",\"kind\":\"broker_started\",\"broker_epoch\":4}",
    "{\"t\":0,\"seq\":14,\"node\":\"controller\",\"kind\":\"topic\",\"cluster\":\"main\",\"topic\":\"payments\",\"partitions\":1,\"replication_factor\":3,\"min_insync_replicas\":1,\"leaders\":[\"broker-1\"],\"replicas\":[[\"broker-1\",\"broker-2\",\"broker-3\"]]}",
    "{\"t\":0,\"seq\":15,\"node\":\"broker-1\",\"kind\":\"role\",\"tp\":\"payments-0\",\"role\":\"leader\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":0,\"seq\":16,\"node\":\"broker-2\",\"kind\":\"role\",\"tp\":\"payments-0\",\"role\":\"follower\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":0,\"seq\":18,\"node\":\"broker-3\",\"kind\":\"role\",\"tp\":\"payments-0\",\"role\":\"follower\",\"leader_epoch\":0,\"leader\":\"broker-1\",\"leo\":0,\"hw\":0}",
    "{\"t\":0,\"seq\":20,\"node\":\"p1\",\"kind\":\"node\",\"role\":\"producer\",\"id\":4}",
    "{\"t\":1500,\"seq\":38,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"payments-0\",\"base_offset\":0,\"last_offset\":2,\"leader_epoch\":0,\"records\":[{\"offset\":0,\"key\":\"k1\",\"value\":\"1\"},{\"offset\":1,\"key\":\"k2\",\"value\":\"2\"},{\"offset\":2,\"key\":\"k3\",\"value\":\"3\"}]}",
    "{\"t\":2000,\"seq\":43,\"node\":\"broker-2\",\"kind\":\"replicated\",\"tp\":\"payments-0\",\"base_offset\":0,\"last_offset\":2}",
    "{\"t\":2000,\"seq\":46,\"node\":\"broker-3\",\"kind\":\"replicated\",\"tp\":\"payments-0\",\"base_offset\":0,\"last_offset\":2}",
    "{\"t\":2500,\"seq\":52,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":3}",
    "{\"t\":503000,\"seq\":68,\"node\":\"broker-2\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":3}",
    "{\"t\":503000,\"seq\":71,\"node\":\"broker-3\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":3}",
    "{\"t\":1002000,\"seq\":78,\"node\":\"world\",\"kind\":\"partition\",\"partition\":1,\"a\":[\"broker-1\"],\"b\":[\"broker-2\",\"broker-3\",\"controller\"],\"oneway\":false}",
    "{\"t\":1002000,\"seq\":79,\"node\":\"world\",\"kind\":\"note\",\"task\":\"app\",\"text\":\"broker-1 is cut off from the other brokers and the controller, but not from p1.\"}",
    "{\"t\":1002500,\"seq\":91,\"node\":\"broker-1\",\"kind\":\"append\",\"tp\":\"payments-0\",\"base_offset\":3,\"last_offset\":4,\"leader_epoch\":0,\"records\":[{\"offset\":3,\"key\":\"lost4\",\"value\":\"4\"},{\"offset\":4,\"key\":\"lost5\",\"value\":\"5\"}]}",
    "{\"t\":2000000,\"seq\":107,\"node\":\"broker-1\",\"kind\":\"send\",\"msg\":37,\"api\":\"BrokerHeartbeat\",\"dir\":\"request\",\"from\":\"broker-1\",\"to\":\"controller\",\"corr\":3,\"bg\":true,\"broker_id\":1,\"broker_epoch\":0,\"metadata_offset\":8}",
    "{\"t\":2000000,\"seq\":108,\"node\":\"broker-1\",\"kind\":\"drop\",\"msg\":37,\"api\":\"BrokerHeartbeat\",\"dir\":\"request\",\"from\":\"broker-1\",\"to\":\"controller\",\"corr\":3,\"bg\":true,\"reason\":\"network partition\"}",
    "{\"t\":2000000,\"seq\":109,\"node\":\"broker-2\",\"kind\":\"send\",\"msg\":38,\"api\":\"BrokerHeartbeat\",\"dir\":\"request\",\"from\":\"broker-2\",\"to\":\"controller\",\"corr\":8,\"bg\":true,\"broker_id\":2,\"broker_epoch\":2,\"metadata_offset\":8}",
    "{\"t\":2000500,\"seq\":111,\"node\":\"controller\",\"kind\":\"deliver\",\"msg\":38,\"api\":\"BrokerHeartbeat\",\"dir\":\"request\",\"from\":\"broker-2\",\"to\":\"controller\",\"corr\":8,\"bg\":true}",
    "{\"t\":9000000,\"seq\":267,\"node\":\"controller\",\"kind\":\"leader_elected\",\"tp\":\"payments-0\",\"leader\":\"broker-2\",\"leader_epoch\":1,\"isr\":[\"broker-2\",\"broker-3\"],\"unclean\":false,\"reason\":\"heartbeat session expired\"}",
    "{\"t\":9000000,\"seq\":268,\"node\":\"controller\",\"kind\":\"isr_changed\",\"tp\":\"payments-0\",\"isr\":[\"broker-2\",\"broker-3\"],\"was\":[\"broker-1\",\"broker-2\",\"broker-3\"],\"change\":\"shrink\",\"partition_epoch\":1,\"reason\":\"heartbeat session expired\"}",
    "{\"t\":9000000,\"seq\":269,\"node\":\"controller\",\"kind\":\"broker_fenced\",\"broker\":\"broker-1\",\"reason\":\"heartbeat session expired\"}",
    "{\"t\":9000500,\"seq\":273,\"node\":\"broker-2\",\"kind\":\"role\",\"tp\":\"payments-0\",\"role\":\"leader\",\"leader_epoch\":1,\"leader\":\"broker-2\",\"leo\":3,\"hw\":3}",
    "{\"t\":9000500,\"seq\":276,\"node\":\"broker-3\",\"kind\":\"role\",\"tp\":\"payments-0\",\"role\":\"follower\",\"leader_epoch\":1,\"leader\":\"broker-2\",\"leo\":3,\"hw\":3}",
    "{\"t\":16003000,\"seq\":484,\"node\":\"world\",\"kind\":\"heal\",\"partition\":1}",
    "{\"t\":16003000,\"seq\":485,\"node\":\"world\",\"kind\":\"note\",\"task\":\"app\",\"text\":\"Healed: broker-1 learns it is no longer the leader.\"}",
    "{\"t\":16502000,\"seq\":502,\"node\":\"broker-1\",\"kind\":\"role\",\"tp\":\"payments-0\",\"role\":\"follower\",\"leader_epoch\":1,\"leader\":\"broker-2\",\"leo\":5,\"hw\":3}",
    "{\"t\":16503000,\"seq\":509,\"node\":\"broker-1\",\"kind\":\"truncate\",\"tp\":\"payments-0\",\"from\":5,\"to\":3,\"removed\":2,\"reason\":\"diverging epoch from the leader\"}",
    "{\"t\":18000500,\"seq\":568,\"node\":\"controller\",\"kind\":\"broker_unfenced\",\"broker\":\"broker-1\"}",
    "{\"t\":18006000,\"seq\":592,\"node\":\"controller\",\"kind\":\"isr_changed\",\"tp\":\"payments-0\",\"isr\":[\"broker-2\",\"broker-3\",\"broker-1\"],\"was\":[\"broker-2\",\"broker-3\"],\"change\":\"expand\",\"partition_epoch\":2,\"reason\":\"AlterPartition\"}",
    "{\"t\":36105093,\"seq\":1454,\"node\":\"broker-2\",\"kind\":\"append\",\"tp\":\"payments-0\",\"base_offset\":3,\"last_offset\":3,\"leader_epoch\":1,\"records\":[{\"offset\":3,\"key\":\"k6\",\"value\":\"6\"}]}",
    "{\"t\":36105593,\"seq\":1459,\"node\":\"broker-1\",\"kind\":\"replicated\",\"tp\":\"payments-0\",\"base_offset\":3,\"last_offset\":3}",
    "{\"t\":36105593,\"seq\":1462,\"node\":\"broker-3\",\"kind\":\"replicated\",\"tp\":\"payments-0\",\"base_offset\":3,\"last_offset\":3}",
    "{\"t\":36106093,\"seq\":1468,\"node\":\"broker-2\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":4}",
    "{\"t\":36606593,\"seq\":1484,\"node\":\"broker-1\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":4}",
    "{\"t\":36606593,\"seq\":1487,\"node\":\"broker-3\",\"kind\":\"hw\",\"tp\":\"payments-0\",\"hw\":4}",
    "{\"t\":60000000,\"seq\":2546,\"node\":\"world\",\"kind\":\"check\",\"ok\":true,\"msg\":\"the new leader holds k1..k3 and k6\",\"where\":\"divergent-tail.lua:26\"}",
    NULL,
};

/* Two clusters with the same topic: the first ("a") loses its only in-sync replica and
 * goes OFFLINE; the second (its topic event does not name it) elects an out-of-sync
 * replica (UNCLEAN), then its old leader again. */
static const char *const unclean_trace[] = {
    "{\"format\":\"ksim-trace\",\"version\":1,\"seed\":\"13\",\"scenario\":\"unclean.lua\",\"time_unit\":\"us\"}",
    "{\"t\":0,\"seq\":1,\"node\":\"broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":0}",
    "{\"t\":0,\"seq\":2,\"node\":\"broker-2\",\"kind\":\"node\",\"role\":\"broker\",\"id\":1}",
    "{\"t\":0,\"seq\":3,\"node\":\"controller\",\"kind\":\"node\",\"role\":\"controller\",\"id\":2}",
    "{\"t\":0,\"seq\":4,\"node\":\"b-broker-1\",\"kind\":\"node\",\"role\":\"broker\",\"id\":3}",
    "{\"t\":0,\"seq\":5,\"node\":\"b-broker-2\",\"kind\":\"node\",\"role\":\"broker\",\"id\":4}",
    "{\"t\":0,\"seq\":6,\"node\":\"b-controller\",\"kind\":\"node\",\"role\":\"controller\",\"id\":5}",
    "{\"t\":0,\"seq\":7,\"node\":\"controller\",\"kind\":\"broker_unfenced\",\"broker\":\"broker-1\"}",
    "{\"t\":0,\"seq\":8,\"node\":\"controller\",\"kind\":\"broker_unfenced\",\"broker\":\"broker-2\"}",
    "{\"t\":0,\"seq\":9,\"node\":\"b-controller\",\"kind\":\"broker_unfenced\",\"broker\":\"b-broker-1\"}",
    "{\"t\":0,\"seq\":10,\"node\":\"controller\",\"kind\":\"topic\",\"cluster\":\"a\",\"topic\":\"events\",\"partitions\":1,\"replication_factor\":2,\"min_insync_replicas\":1,\"leaders\":[\"broker-1\"],\"replicas\":[[\"broker-1\",\"broker-2\"]]}",
    "{\"t\":0,\"seq\":11,\"node\":\"b-controller\",\"kind\":\"topic\",\"topic\":\"events\",\"partitions\":1,\"replication_factor\":2,\"min_insync_replicas\":1,\"leaders\":[\"b-broker-1\"],\"replicas\":[[\"b-broker-1\",\"b-broker-2\"]]}",
    "{\"t\":5000,\"seq\":12,\"node\":\"broker-1\",\"kind\":\"crash\"}",
    "{\"t\":5000,\"seq\":13,\"node\":\"b-broker-1\",\"kind\":\"crash\"}",
    "{\"t\":9000,\"seq\":14,\"node\":\"controller\",\"kind\":\"leader_elected\",\"tp\":\"events-0\",\"leader\":null,\"leader_epoch\":1,\"isr\":[\"broker-1\"],\"unclean\":false,\"reason\":\"heartbeat session expired\"}",
    "{\"t\":9000,\"seq\":15,\"node\":\"b-controller\",\"kind\":\"leader_elected\",\"tp\":\"events-0\",\"leader\":\"b-broker-2\",\"leader_epoch\":1,\"isr\":[\"b-broker-2\"],\"unclean\":true,\"reason\":\"heartbeat session expired\"}",
    "{\"t\":9000,\"seq\":16,\"node\":\"b-controller\",\"kind\":\"isr_changed\",\"tp\":\"events-0\",\"isr\":[\"b-broker-2\"],\"was\":[\"b-broker-1\"],\"change\":\"replace\",\"partition_epoch\":2,\"reason\":\"heartbeat session expired\"}",
    "{\"t\":20000,\"seq\":17,\"node\":\"b-controller\",\"kind\":\"leader_elected\",\"tp\":\"events-0\",\"leader\":\"b-broker-1\",\"leader_epoch\":2,\"isr\":[\"b-broker-1\",\"b-broker-2\"],\"unclean\":false,\"reason\":\"preferred leader\"}",
    NULL,
};

/* Writes the lines to a temporary file and indexes it; the file stays open (the model
 * reads events back from it) and is closed by fixture_close. */
static inline model_t *fixture_load(const char *const *lines, FILE **file)
{
    FILE *f = tmpfile();
    if (!f) {
        perror("tmpfile");
        exit(2);
    }
    for (size_t i = 0; lines[i]; i++)
        fprintf(f, "%s\n", lines[i]);
    fflush(f);
    rewind(f);
    char err[512];
    model_t *m = model_load(f, "fixture.jsonl", NULL, NULL, err, sizeof err);
    if (!m) {
        fprintf(stderr, "fixture: %s\n", err);
        exit(2);
    }
    *file = f;
    return m;
}

static inline void fixture_close(model_t *m, FILE *f)
{
    model_free(m);
    fclose(f);
}

typedef bool (*fixture_export_fn)(model_t *, const export_opts_t *, FILE *, char *, size_t);

/* What an exporter writes with these options, as a string the caller frees. */
static inline char *fixture_export(model_t *m, fixture_export_fn fn, const export_opts_t *o)
{
    char *buf = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    fn(m, o, out, err, sizeof err);
    fclose(out);
    return buf;
}

/* The event with this seq (the fixtures keep the run's numbers, with gaps). */
static inline uint32_t fixture_ev_of_seq(model_t *m, int64_t seq)
{
    for (uint32_t i = 0; i < m->n; i++) {
        const cJSON *ev = model_json(m, i);
        if (ev && trace_int(ev, "seq", -1) == seq)
            return i;
    }
    return MODEL_NONE;
}

/* The inspector right after the event with this seq, on an 80×70 region. */
static inline scr_t *fixture_inspect_after(model_t *m, int64_t seq)
{
    static scr_t *s;
    if (!s)
        s = scr_new(80, 70, false);
    scr_clear(s);
    uint32_t e = fixture_ev_of_seq(m, seq);
    insp_view_t v = { m, e == MODEL_NONE ? 0 : e + 1, 0 };
    insp_draw(s, &v, 0, 0, s->w, s->h);
    return s;
}

/* The row of the line that holds both a and b after row `from`, or -1. */
static inline int fixture_line_with(const scr_t *s, int from, const char *a, const char *b)
{
    static char text[8192];
    for (int y = from + 1; y < s->h; y++) {
        const char *t = scr_row_text(s, y, text, sizeof text);
        if (strstr(t, a) && (!b || strstr(t, b)))
            return y;
    }
    return -1;
}

/* Wide characters need a UTF-8 locale, whatever the environment of the test run. */
static inline void fixture_locale(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        setlocale(LC_ALL, "C.utf8");
}

#endif
