/* broker_markers: placeholder wiring; answers every marker with NONE and writes nothing
 * until the partition side of transactions lands. */
#include "broker_internal.h"
#include "protocol.h"
#include "txn_protocol.h"

#include "api.h"

void markers_handle(broker_t *b, msg_t *m)
{
    write_markers_t *r = write_markers_copy(m->body);
    msg_t *resp = msg_new(b->w, API_WRITE_TXN_MARKERS, true, r, &write_markers_resp_ops);
    net_reply(b->w, b->node, m, resp);
}
