/* tui_fixture: small traces for the viewer's unit tests, written to a temporary file and
 * indexed with model_load. The lost-ACK story: p1's first Produce is appended at offset
 * 0, its answer is dropped by fault 1, the retry is appended again at offset 1. */
#ifndef KSIM_TUI_FIXTURE_H
#define KSIM_TUI_FIXTURE_H

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/model.h"

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

/* Wide characters need a UTF-8 locale, whatever the environment of the test run. */
static inline void fixture_locale(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        setlocale(LC_ALL, "C.utf8");
}

#endif
