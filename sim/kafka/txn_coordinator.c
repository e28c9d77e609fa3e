/* txn_coordinator: placeholder wiring; the coordinator lands with transactions. */
#include "txn_coordinator.h"

#include <stdlib.h>

#include "../core/hash.h"
#include "protocol.h"

struct tcoord {
    broker_t *b;
};

tcoord_t *tcoord_new(broker_t *b, const config_t *cfg)
{
    (void)cfg;
    tcoord_t *tc = proto_calloc(1, sizeof *tc);
    tc->b = b;
    return tc;
}

void tcoord_free(tcoord_t *tc)
{
    free(tc);
}

int32_t tcoord_partition_for(const char *transactional_id, int32_t partitions)
{
    return hash_kafka_abs(hash_java_string(transactional_id)) % partitions;
}

void tcoord_handle(tcoord_t *tc, msg_t *m)
{
    (void)tc;
    (void)m;
}

void tcoord_response(tcoord_t *tc, const msg_t *m)
{
    (void)tc;
    (void)m;
}

void tcoord_elected(tcoord_t *tc, const bpartition_t *part)
{
    (void)tc;
    (void)part;
}

void tcoord_resigned(tcoord_t *tc, const bpartition_t *part)
{
    (void)tc;
    (void)part;
}

void tcoord_hw_advanced(tcoord_t *tc, const bpartition_t *part)
{
    (void)tc;
    (void)part;
}

void tcoord_disconnect(tcoord_t *tc, int32_t peer, uint32_t conn)
{
    (void)tc;
    (void)peer;
    (void)conn;
}

void tcoord_crash(tcoord_t *tc)
{
    (void)tc;
}
