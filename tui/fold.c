/* fold: how each kind of event changes the state the inspector shows. Every function
 * reads the event's fields (docs/trace-format.md) and records changes in the histories
 * of state.h, keyed by section and entity name:
 *   node      NAME                 role, status (up / crashed / paused), and for a broker
 *                                  the controller's view (registered / fenced / unfenced)
 *   partition "CONTROLLER TOPIC-P" the controller's view: leader (empty: offline), leader
 *                                  epoch, ISR and the ISR before its last change, whether
 *                                  the leader was elected uncleanly, the replicas, the
 *                                  cluster
 *   log       "NODE TOPIC-P"       one replica: its records (st_log_*; a follower's are
 *                                  copies of its leader's; markers are control records),
 *                                  HW, the leader's LSO, role, leader epoch
 *   producer, consumer, client     requests in flight, counters, producer id and epoch,
 *                                  positions and assignment, a producer's transaction
 *                                  state and last transactional call
 *   group     GROUP                state, generation, members, committed and pending
 *                                  offsets
 *   txn       "BROKER TXN-ID"      a transaction coordinator's view of a transactional id:
 *                                  state, producer id, epoch, partitions
 *   static    "GROUP INSTANCE-ID"  the member id a static member holds (not drawn)
 *   topic, network, fault, run     what the world set up and how it ended */
#include "model.h"

#include "../sim/trace.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

static const char *node_of(const cJSON *ev)
{
    const char *n = trace_str(ev, "node");
    return n ? n : "?";
}

/* The section a client's entity lives in: its role, when it is a client's. */
static const char *client_section(const model_t *m, const char *name)
{
    uint16_t id = model_find_node(m, name);
    const char *role = id == NODE_NONE || id == NODE_WORLD ? "" : model_node_role(m, id);
    if (strcmp(role, "producer") == 0 || strcmp(role, "consumer") == 0)
        return role;
    if (strcmp(role, "broker") == 0 || strcmp(role, "controller") == 0)
        return NULL;
    return "client";
}

static uint32_t client(model_t *m, const char *name, uint32_t i)
{
    const char *sec = client_section(m, name);
    return sec ? st_entity(&m->st, sec, name, i) : ST_NEVER;
}

static uint32_t log_entity(model_t *m, const cJSON *ev, uint32_t i)
{
    char name[256];
    const char *tp = trace_str(ev, "tp");
    snprintf(name, sizeof name, "%s %s", node_of(ev), tp ? tp : "?");
    return st_entity(&m->st, "log", name, i);
}

/* A partition as its cluster's controller sees it. */
static uint32_t partition_entity(model_t *m, const char *controller, const char *tp, uint32_t i)
{
    char name[512];
    snprintf(name, sizeof name, "%s %s", controller, tp ? tp : "?");
    return st_entity(&m->st, "partition", name, i);
}

static uint64_t req_key(uint16_t node, int64_t corr)
{
    return ((uint64_t)node << 48) ^ (uint64_t)corr;
}

/* ---- nodes ---- */

void fold_node(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *name = node_of(ev), *role = trace_str(ev, "role");
    uint16_t id = model_find_node(m, name);
    if (id < m->nnodes && role)
        m->nodes[id].role = intern_id(&m->strs, role);
    uint32_t e = st_entity(&m->st, "node", name, i);
    st_set_str(&m->st, e, "role", i, role ? role : "?");
    st_set_str(&m->st, e, "status", i, "up");
    client(m, name, i);
}

static void fold_txn_forget(model_t *m, const char *broker, uint32_t i);

void fold_status(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *name = node_of(ev), *kind = trace_str(ev, "kind");
    const char *status = strcmp(kind, "crash") == 0   ? "crashed"
                         : strcmp(kind, "pause") == 0 ? "paused"
                                                      : "up";
    st_set_str(&m->st, st_entity(&m->st, "node", name, i), "status", i, status);
    if (strcmp(kind, "crash") == 0)
        fold_txn_forget(m, name, i);
    uint32_t c = strcmp(kind, "crash") == 0 ? client(m, name, i) : ST_NEVER;
    if (c != ST_NEVER) /* its requests died with it */
        st_req_close_all(&m->st, c, i, NULL);
}

/* ---- the network ---- */

static void names(char *buf, size_t n, const cJSON *arr)
{
    size_t len = strlen(buf);
    const cJSON *e;
    int k = 0;
    cJSON_ArrayForEach(e, arr) {
        if (cJSON_IsString(e) && len + 1 < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", k++ ? "," : "", e->valuestring);
        if (len >= n)
            len = n - 1;
    }
}

void fold_partition(model_t *m, uint32_t i, const cJSON *ev)
{
    char name[64], cut[512] = "";
    snprintf(name, sizeof name, "partition %lld", (long long)trace_int(ev, "partition", 0));
    names(cut, sizeof cut, cJSON_GetObjectItemCaseSensitive(ev, "a"));
    bool oneway = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "oneway"));
    strncat(cut, oneway ? " -/-> " : " <-/-> ", sizeof cut - strlen(cut) - 1);
    names(cut, sizeof cut, cJSON_GetObjectItemCaseSensitive(ev, "b"));
    st_set_str(&m->st, st_entity(&m->st, "network", name, i), "cut", i, cut);
}

void fold_heal(model_t *m, uint32_t i, const cJSON *ev)
{
    char name[64];
    snprintf(name, sizeof name, "partition %lld", (long long)trace_int(ev, "partition", 0));
    st_unset(&m->st, st_entity(&m->st, "network", name, i), "cut", i);
}

void fold_disconnect(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c != ST_NEVER)
        st_req_close_all(&m->st, c, i, trace_str(ev, "peer"));
}

/* ---- messages: the requests clients wait for ---- */

static void fold_produce_ids(model_t *m, uint32_t c, uint32_t i, const cJSON *ev)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(ev, "parts")) {
        int64_t pid = trace_int(p, "producer_id", -1);
        if (pid < 0)
            continue;
        st_set_int(&m->st, c, "producer id", i, pid);
        st_set_int(&m->st, c, "epoch", i, trace_int(p, "producer_epoch", -1));
        return;
    }
}

void fold_send(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *dir = trace_str(ev, "dir"), *from = trace_str(ev, "from");
    if (!from || !dir || strcmp(dir, "request") != 0)
        return;
    uint32_t c = client(m, from, i);
    if (c == ST_NEVER)
        return;
    uint32_t req = st_req_open(&m->st, c, i, trace_str(ev, "to"));
    u64map_put(&m->reqs, req_key(m->ev[i].node, trace_int(ev, "corr", -1)), req);
    const char *api = trace_str(ev, "api");
    if (api && strcmp(api, "Produce") == 0)
        fold_produce_ids(m, c, i, ev);
}

static void close_request(model_t *m, uint32_t i, const char *client_name, int64_t corr)
{
    uint16_t node = model_find_node(m, client_name);
    uint64_t key = req_key(node, corr);
    uint32_t req = u64map_get(&m->reqs, key);
    const char *sec = client_section(m, client_name);
    if (req == INTERN_NONE || !sec)
        return;
    st_req_close(&m->st, st_find(&m->st, sec, client_name), req, i);
    u64map_del(&m->reqs, key);
}

void fold_deliver(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *dir = trace_str(ev, "dir"), *to = trace_str(ev, "to");
    if (dir && to && strcmp(dir, "response") == 0)
        close_request(m, i, to, trace_int(ev, "corr", -1));
}

void fold_request_timeout(model_t *m, uint32_t i, const cJSON *ev)
{
    close_request(m, i, node_of(ev), trace_int(ev, "corr", -1));
}

/* ---- the log ---- */

void fold_append(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = log_entity(m, ev, i);
    int64_t pid = trace_int(ev, "producer_id", -1);
    uint32_t flags = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "transactional"))
                         ? ST_REC_TXN
                         : 0;
    const char *control = trace_str(ev, "control");
    if (control)
        flags |= ST_REC_CONTROL | (strcmp(control, "ABORT") == 0 ? ST_REC_ABORT : 0);
    const cJSON *r;
    uint32_t k = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(ev, "records")) {
        st_rec_t rec = { trace_int(r, "offset", -1), pid, i, ST_NEVER, ST_NEVER, k++, flags, i };
        st_log_append(&m->st, e, &rec);
    }
    if (control && pid >= 0 && k > 0)
        st_log_end_txn(&m->st, e, i, pid, flags & ST_REC_ABORT);
}

void fold_hw(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = log_entity(m, ev, i);
    int64_t hw = trace_int(ev, "hw", -1);
    /* The LSO moves with the HW while they are equal (an lso event says otherwise). */
    int64_t lso = st_field_int(&m->st, e, "LSO", ST_NEVER, -1);
    if (lso >= 0 && lso == st_field_int(&m->st, e, "HW", ST_NEVER, -1))
        st_set_int(&m->st, e, "LSO", i, hw);
    st_set_int(&m->st, e, "HW", i, hw);
}

void fold_lso(model_t *m, uint32_t i, const cJSON *ev)
{
    st_set_int(&m->st, log_entity(m, ev, i), "LSO", i, trace_int(ev, "lso", -1));
}

/* A leader appended a COMMIT or ABORT marker: a control record; an ABORT marks the
 * producer's records since its previous marker as aborted. */
void fold_txn_marker(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = log_entity(m, ev, i);
    int64_t pid = trace_int(ev, "producer_id", -1);
    const char *result = trace_str(ev, "result");
    bool abort = result && strcmp(result, "abort") == 0;
    uint32_t flags = ST_REC_TXN | ST_REC_CONTROL | (abort ? ST_REC_ABORT : 0);
    st_rec_t rec = { trace_int(ev, "offset", -1), pid, i, ST_NEVER, ST_NEVER, 0, flags, i };
    st_log_append(&m->st, e, &rec);
    st_log_end_txn(&m->st, e, i, pid, abort);
}

/* ---- replication: the controller's view, and each replica's ---- */

/* The ISR the controller starts a partition with: its replicas that are unfenced, or the
 * first of them when none is (QuorumController's placement; the event does not list it). */
static void initial_isr(model_t *m, const cJSON *replicas, char *buf, size_t n)
{
    char b[32];
    size_t len = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, replicas) {
        uint32_t e = cJSON_IsString(r) ? st_find(&m->st, "node", r->valuestring) : ST_NEVER;
        const char *view = st_field(&m->st, e, "controller", ST_NEVER, b, sizeof b);
        if (view && strcmp(view, "unfenced") == 0 && len + 1 < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", r->valuestring);
    }
    if (len == 0 && replicas && cJSON_IsString(replicas->child))
        snprintf(buf, n, "%s", replicas->child->valuestring);
}

/* Each partition of a new topic: its leader, replicas and ISR, at leader epoch 0. The
 * partitions are those `leaders` or `replicas` list, never more than the line holds. */
static void fold_topic_partitions(model_t *m, uint32_t i, const cJSON *ev, const char *topic)
{
    const cJSON *leader = cJSON_GetObjectItemCaseSensitive(ev, "leaders")->child;
    const cJSON *replicas = cJSON_GetObjectItemCaseSensitive(ev, "replicas");
    replicas = replicas ? replicas->child : NULL;
    int64_t parts = trace_int(ev, "partitions", 0);
    const char *cluster = trace_str(ev, "cluster");
    for (int64_t p = 0; p < parts && (leader || replicas); p++) {
        char tp[256], list[512] = "";
        snprintf(tp, sizeof tp, "%s-%lld", topic, (long long)p);
        uint32_t e = partition_entity(m, node_of(ev), tp, i);
        if (cluster)
            st_set_str(&m->st, e, "cluster", i, cluster);
        if (leader && cJSON_IsString(leader))
            st_set_str(&m->st, e, "leader", i, leader->valuestring);
        if (cJSON_IsArray(replicas)) {
            names(list, sizeof list, replicas);
            st_set_str(&m->st, e, "replicas", i, list);
            initial_isr(m, replicas, list, sizeof list);
            st_set_str(&m->st, e, "ISR", i, list);
            st_set_int(&m->st, e, "leader epoch", i, 0);
        }
        leader = leader ? leader->next : NULL;
        replicas = replicas ? replicas->next : NULL;
    }
}

void fold_topic(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *name = trace_str(ev, "topic");
    uint32_t e = st_entity(&m->st, "topic", name ? name : "?", i);
    st_set_int(&m->st, e, "partitions", i, trace_int(ev, "partitions", 0));
    st_set_int(&m->st, e, "replication factor", i, trace_int(ev, "replication_factor", 1));
    int64_t min_isr = trace_int(ev, "min_insync_replicas", -1);
    if (min_isr >= 0)
        st_set_int(&m->st, e, "min.insync.replicas", i, min_isr);
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ev, "leaders")))
        fold_topic_partitions(m, i, ev, name ? name : "?");
}

static void set_names(model_t *m, uint32_t e, const char *field, uint32_t i, const cJSON *arr)
{
    char list[512] = "";
    names(list, sizeof list, arr);
    st_set_str(&m->st, e, field, i, list);
}

void fold_leader_elected(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = partition_entity(m, node_of(ev), trace_str(ev, "tp"), i);
    const char *leader = trace_str(ev, "leader");
    bool unclean = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "unclean"));
    st_set_str(&m->st, e, "leader", i, leader ? leader : ""); /* none: offline */
    st_set_int(&m->st, e, "leader epoch", i, trace_int(ev, "leader_epoch", -1));
    set_names(m, e, "ISR", i, cJSON_GetObjectItemCaseSensitive(ev, "isr"));
    if (unclean)
        st_set_int(&m->st, e, "unclean", i, 1);
    else
        st_unset(&m->st, e, "unclean", i);
    if (unclean || !leader) /* drawn in red: data may be lost, or nobody serves it */
        m->ev[i].flags |= MF_ERROR;
}

void fold_isr_changed(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = partition_entity(m, node_of(ev), trace_str(ev, "tp"), i);
    set_names(m, e, "ISR", i, cJSON_GetObjectItemCaseSensitive(ev, "isr"));
    set_names(m, e, "was", i, cJSON_GetObjectItemCaseSensitive(ev, "was"));
    const char *change = trace_str(ev, "change");
    st_set_str(&m->st, e, "change", i, change ? change : "?");
}

/* broker_registered, broker_fenced, broker_unfenced: the controller's word on a broker. */
void fold_broker(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *broker = trace_str(ev, "broker"), *kind = trace_str(ev, "kind");
    if (broker && kind && strncmp(kind, "broker_", 7) == 0)
        st_set_str(&m->st, st_entity(&m->st, "node", broker, i), "controller", i, kind + 7);
}

/* A broker's own view of one of its replicas: leader or follower, of whom, in which epoch.
 * Records past the log end it reports are gone (a restart keeps only what was flushed). */
void fold_role(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = log_entity(m, ev, i);
    const char *role = trace_str(ev, "role"), *leader = trace_str(ev, "leader");
    st_set_str(&m->st, e, "role", i, role ? role : "?");
    st_unset(&m->st, e, "LSO", i); /* a new leader traces its LSO afresh */
    st_set_int(&m->st, e, "leader epoch", i, trace_int(ev, "leader_epoch", -1));
    if (leader)
        st_set_str(&m->st, e, "leader", i, leader);
    else
        st_unset(&m->st, e, "leader", i);
    int64_t hw = trace_int(ev, "hw", -1), leo = trace_int(ev, "leo", -1);
    if (hw >= 0)
        st_set_int(&m->st, e, "HW", i, hw);
    if (leo >= 0)
        st_log_remove(&m->st, e, i, leo, false);
}

void fold_truncate(model_t *m, uint32_t i, const cJSON *ev)
{
    int64_t to = trace_int(ev, "to", 0);
    st_log_remove(&m->st, log_entity(m, ev, i), i, to, false);
    /* A follower behind its leader's log start starts over, empty, at `to`. */
    if (to > trace_int(ev, "from", 0))
        st_log_remove(&m->st, log_entity(m, ev, i), i, to, true);
}

/* The cleaner removed records: the event lists their offsets. */
void fold_log_clean(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = log_entity(m, ev, i);
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(ev, "removed_offsets");
    const cJSON *o;
    cJSON_ArrayForEach(o, offs)
        st_log_remove_at(&m->st, e, i, (int64_t)cJSON_GetNumberValue(o));
    st_set_int(&m->st, e, "cleaner checkpoint", i, trace_int(ev, "checkpoint", 0));
}

/* Retention deleted the log's first segments: the log now starts later. */
void fold_log_retention(model_t *m, uint32_t i, const cJSON *ev)
{
    st_log_remove(&m->st, log_entity(m, ev, i), i, trace_int(ev, "log_start_offset", 0), true);
}

/* A follower copied records from its leader: the leader's records at those offsets. */
void fold_replicated(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t e = log_entity(m, ev, i);
    char buf[256], name[512];
    const char *leader = st_field(&m->st, e, "leader", ST_NEVER, buf, sizeof buf);
    const char *tp = trace_str(ev, "tp");
    uint32_t from = ST_NEVER;
    if (leader) {
        snprintf(name, sizeof name, "%s %s", leader, tp ? tp : "?");
        from = st_find(&m->st, "log", name);
    }
    st_log_copy(&m->st, e, from == e ? ST_NEVER : from, i, trace_int(ev, "base_offset", 0),
                trace_int(ev, "last_offset", -1));
}

/* ---- clients ---- */

void fold_record(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c != ST_NEVER)
        st_add(&m->st, c, "records sent", i, 1);
}

void fold_retry(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c == ST_NEVER)
        return;
    st_add(&m->st, c, "retries", i, 1);
    st_set_str(&m->st, c, "last error", i, trace_str(ev, "error") ? trace_str(ev, "error") : "?");
}

void fold_batch_done(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c == ST_NEVER)
        return;
    const char *err = trace_str(ev, "error");
    if (err && strcmp(err, "NONE") != 0) {
        st_add(&m->st, c, "batches failed", i, 1);
        st_set_str(&m->st, c, "last error", i, err);
        return;
    }
    st_add(&m->st, c, "batches acked", i, 1);
}

void fold_assign(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    char buf[512] = "";
    names(buf, sizeof buf, cJSON_GetObjectItemCaseSensitive(ev, "partitions"));
    if (c != ST_NEVER)
        st_set_str(&m->st, c, "assigned", i, buf[0] ? buf : "(none)");
}

/* ---- consumer groups ---- */

static bool listed(const cJSON *names, const char *name)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, names)
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return true;
    return false;
}

/* A producer's offsets pending in group g ("pending <tp>"), then committed or dropped by
 * its marker (a superseded one leaves the committed offset as it was). */
static void fold_txn_offsets(model_t *m, uint32_t g, uint32_t i, const cJSON *ev, bool pending)
{
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(ev, "offsets"), *o;
    const cJSON *sup = cJSON_GetObjectItemCaseSensitive(ev, "superseded");
    const char *result = trace_str(ev, "result");
    bool commit = result && strcmp(result, "commit") == 0;
    cJSON_ArrayForEach(o, offsets) {
        char field[300];
        snprintf(field, sizeof field, "pending %s", o->string);
        if (pending) {
            st_set_int(&m->st, g, field, i, trace_int(offsets, o->string, -1));
            continue;
        }
        st_unset(&m->st, g, field, i);
        snprintf(field, sizeof field, "committed %s", o->string);
        if (commit && !listed(sup, o->string))
            st_set_int(&m->st, g, field, i, trace_int(offsets, o->string, -1));
    }
}

void fold_group(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *group = trace_str(ev, "group"), *kind = trace_str(ev, "kind");
    uint32_t g = st_entity(&m->st, "group", group ? group : "?", i);
    if (strcmp(kind, "group_state") == 0) {
        const char *to = trace_str(ev, "to"), *protocol = trace_str(ev, "protocol");
        st_set_str(&m->st, g, "state", i, to ? to : "?");
        st_set_int(&m->st, g, "generation", i, trace_int(ev, "generation", -1));
        st_set_str(&m->st, g, "coordinator", i, node_of(ev));
        if (protocol)
            st_set_str(&m->st, g, "protocol", i, protocol);
    } else if (strcmp(kind, "group_assignment") == 0) {
        const cJSON *a;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(ev, "assignment")) {
            char field[300], buf[512] = "";
            snprintf(field, sizeof field, "member %s", a->string);
            names(buf, sizeof buf, a);
            st_set_str(&m->st, g, field, i, buf[0] ? buf : "(none)");
        }
    } else if (strcmp(kind, "offset_commit") == 0) {
        const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(ev, "offsets"), *o;
        cJSON_ArrayForEach(o, offsets) {
            char field[300];
            snprintf(field, sizeof field, "committed %s", o->string);
            st_set_int(&m->st, g, field, i, trace_int(offsets, o->string, -1));
        }
    } else if (strncmp(kind, "txn_offsets_", 12) == 0) {
        fold_txn_offsets(m, g, i, ev, strcmp(kind, "txn_offsets_pending") == 0);
    } else if (strcmp(kind, "unowned") == 0) {
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(ev, "total_ms");
        st_set_int(&m->st, g, "last rebalance: ms without owner", i,
                   (int64_t)cJSON_GetNumberValue(ms));
    }
}

void fold_member(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c == ST_NEVER)
        return;
    const char *kind = trace_str(ev, "kind");
    if (strcmp(kind, "subscribe") == 0) {
        char buf[512] = "";
        names(buf, sizeof buf, cJSON_GetObjectItemCaseSensitive(ev, "topics"));
        st_set_str(&m->st, c, "subscribed", i, buf);
        st_set_str(&m->st, c, "group", i, trace_str(ev, "group") ? trace_str(ev, "group") : "?");
    } else if (strcmp(kind, "coordinator_found") == 0) {
        st_set_str(&m->st, c, "coordinator", i, trace_str(ev, "coordinator"));
    } else if (strcmp(kind, "coordinator_unknown") == 0) {
        st_set_str(&m->st, c, "coordinator", i, "(unknown)");
    } else if (strcmp(kind, "member_reset") == 0) {
        st_set_int(&m->st, c, "generation", i, -1);
    } else {
        char buf[512] = "";
        names(buf, sizeof buf, cJSON_GetObjectItemCaseSensitive(ev, "partitions"));
        st_set_int(&m->st, c, "generation", i, trace_int(ev, "generation", -1));
        st_set_str(&m->st, c, "last rebalance", i, kind + strlen("partitions_"));
        st_set_str(&m->st, c, kind + strlen("partitions_"), i, buf[0] ? buf : "(none)");
    }
}

static void set_position(model_t *m, uint32_t c, uint32_t i, const char *tp, int64_t pos)
{
    char field[256];
    snprintf(field, sizeof field, "position %s", tp ? tp : "?");
    st_set_int(&m->st, c, field, i, pos);
}

void fold_position(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    int64_t off = trace_int(ev, "offset", -1);
    if (c != ST_NEVER && off >= 0)
        set_position(m, c, i, trace_str(ev, "tp"), off);
}

void fold_poll(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c == ST_NEVER)
        return;
    st_add(&m->st, c, "records polled", i, trace_int(ev, "count", 0));
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(ev, "records"))
        set_position(m, c, i, trace_str(r, "tp"), trace_int(r, "offset", -1) + 1);
}

/* ---- faults and the run ---- */

static uint32_t fault_entity(model_t *m, const cJSON *ev, uint32_t i)
{
    char name[64];
    snprintf(name, sizeof name, "fault %lld", (long long)trace_int(ev, "fault", 0));
    return st_entity(&m->st, "fault", name, i);
}

void fold_fault_rule(model_t *m, uint32_t i, const cJSON *ev)
{
    char body[512];
    uint32_t e = fault_entity(m, ev, i);
    const char *text = text_format_body(ev, body, sizeof body);
    const char *colon = text ? strchr(text, ':') : NULL;
    st_set_str(&m->st, e, "rule", i, colon ? colon + 2 : "?");
    st_set_int(&m->st, e, "fired", i, 0);
}

void fold_fault(model_t *m, uint32_t i, const cJSON *ev)
{
    st_add(&m->st, fault_entity(m, ev, i), "fired", i, 1);
}

void fold_drop(model_t *m, uint32_t i, const cJSON *ev)
{
    if (trace_int(ev, "fault", -1) >= 0)
        st_add(&m->st, fault_entity(m, ev, i), "fired", i, 1);
}

void fold_fault_cleared(model_t *m, uint32_t i, const cJSON *ev)
{
    st_set_str(&m->st, fault_entity(m, ev, i), "cleared", i, "yes");
}

void fold_run_end(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *status = trace_str(ev, "status");
    st_set_str(&m->st, st_entity(&m->st, "run", "run", i), "ended", i, status ? status : "?");
}

/* A static member that joined again under a new member id (its group.instance.id replaced
 * the old member: replaceStaticMember) takes the old one's place in the member list. The
 * "static" entity remembers which member id holds each instance id; it is not drawn. */
static void fold_static_member(model_t *m, uint32_t g, uint32_t i, const cJSON *ev)
{
    const char *instance = trace_str(ev, "instance_id"), *member = trace_str(ev, "member");
    if (!instance || !member)
        return;
    char name[512], buf[32], field[320];
    snprintf(name, sizeof name, "%s %s", trace_str(ev, "group"), instance);
    uint32_t s = st_entity(&m->st, "static", name, i);
    const char *old = st_field(&m->st, s, "member", i, buf, sizeof buf);
    if (old && strcmp(old, member) != 0) {
        snprintf(field, sizeof field, "member %s", old);
        st_unset(&m->st, g, field, i);
    }
    st_set_str(&m->st, s, "member", i, member);
}

/* member_joined (a static member's new id replaces its old one) and member_removed. */
void fold_group_member(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *group = trace_str(ev, "group"), *kind = trace_str(ev, "kind");
    const char *member = trace_str(ev, "member");
    uint32_t g = st_entity(&m->st, "group", group ? group : "?", i);
    if (strcmp(kind, "member_joined") == 0) {
        fold_static_member(m, g, i, ev);
    } else if (member) {
        char field[320];
        snprintf(field, sizeof field, "member %s", member);
        st_unset(&m->st, g, field, i);
    }
}

/* ---- transactions ---- */

/* One coordinator's view of one transactional id. */
static uint32_t txn_entity(model_t *m, const char *broker, const char *id, uint32_t i)
{
    char name[512];
    snprintf(name, sizeof name, "%s %s", broker, id ? id : "?");
    return st_entity(&m->st, "txn", name, i);
}

/* txn_state, txn_fenced and txn_loaded: the coordinator's transactional ids, each with its
 * state, producer id and epoch and partitions (loaded ids: their state only, the event
 * says no more). */
void fold_txn_coord(model_t *m, uint32_t i, const cJSON *ev)
{
    const char *kind = trace_str(ev, "kind"), *node = node_of(ev);
    if (strcmp(kind, "txn_loaded") == 0) {
        const cJSON *states = cJSON_GetObjectItemCaseSensitive(ev, "states"), *id;
        cJSON_ArrayForEach(id, cJSON_GetObjectItemCaseSensitive(ev, "transactional_ids")) {
            const char *state = cJSON_IsString(id) ? trace_str(states, id->valuestring) : NULL;
            if (state)
                st_set_str(&m->st, txn_entity(m, node, id->valuestring, i), "state", i, state);
        }
        return;
    }
    uint32_t t = txn_entity(m, node, trace_str(ev, "transactional_id"), i);
    st_set_int(&m->st, t, "producer id", i, trace_int(ev, "producer_id", -1));
    if (strcmp(kind, "txn_fenced") == 0) {
        char fenced[64];
        snprintf(fenced, sizeof fenced, "epoch %lld -> %lld",
                 (long long)trace_int(ev, "old_epoch", -1),
                 (long long)trace_int(ev, "new_epoch", -1));
        st_set_int(&m->st, t, "epoch", i, trace_int(ev, "new_epoch", -1));
        st_set_str(&m->st, t, "fenced", i, fenced);
        return;
    }
    char parts[512] = "";
    names(parts, sizeof parts, cJSON_GetObjectItemCaseSensitive(ev, "partitions"));
    const char *to = trace_str(ev, "to");
    st_set_str(&m->st, t, "state", i, to ? to : "?");
    st_set_int(&m->st, t, "epoch", i, trace_int(ev, "producer_epoch", -1));
    if (parts[0])
        st_set_str(&m->st, t, "partitions", i, parts);
    else
        st_unset(&m->st, t, "partitions", i);
}

/* A crashed coordinator forgets its transactions (the next one loads them from
 * __transaction_state: txn_loaded). */
static void fold_txn_forget(model_t *m, const char *broker, uint32_t i)
{
    uint32_t sec = intern_find(&m->st.strs, "txn");
    size_t k = strlen(broker);
    for (uint32_t e = 0; e < m->st.n && sec != INTERN_NONE; e++) {
        const st_entity_t *ent = st_get_entity(&m->st, e);
        const char *name = st_str(&m->st, ent->name);
        if (ent->section != sec || strncmp(name, broker, k) != 0 || name[k] != ' ')
            continue;
        for (uint32_t s = 0; s < ent->nslots; s++)
            if (st_value(&m->st, e, s, i))
                st_unset(&m->st, e, st_str(&m->st, ent->slots[s].field), i);
    }
}

/* txn_client, producer_id and txn_call: a producer's transaction state, its producer id
 * and epoch as the client holds them (bumped without any Produce), its last call. */
void fold_txn_client(model_t *m, uint32_t i, const cJSON *ev)
{
    uint32_t c = client(m, node_of(ev), i);
    if (c == ST_NEVER)
        return;
    const char *kind = trace_str(ev, "kind"), *error = trace_str(ev, "error");
    char buf[512];
    if (strcmp(kind, "producer_id") == 0) {
        st_set_int(&m->st, c, "producer id", i, trace_int(ev, "producer_id", -1));
        st_set_int(&m->st, c, "epoch", i, trace_int(ev, "producer_epoch", -1));
        if (trace_str(ev, "transactional_id"))
            st_set_str(&m->st, c, "transactional id", i, trace_str(ev, "transactional_id"));
    } else if (strcmp(kind, "txn_client") == 0) {
        snprintf(buf, sizeof buf, "%s%s%s%s", trace_str(ev, "to") ? trace_str(ev, "to") : "?",
                 error ? " (" : "", error ? error : "", error ? ")" : "");
        st_set_str(&m->st, c, "transaction", i, buf);
    } else {
        snprintf(buf, sizeof buf, "%s %s%s", trace_str(ev, "call") ? trace_str(ev, "call") : "?",
                 error ? "failed: " : "done", error ? error : "");
        st_set_str(&m->st, c, "last call", i, buf);
    }
}
