/* kinds: the table of event kinds the viewer draws and folds (docs/trace-format.md lists
 * them). Kept sorted by name only for the reader: look-up is linear over a few dozen. */
#include "kinds.h"

#include <string.h>

static const kind_info_t table[] = {
    { "append", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_append },
    { "assign", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_assign },
    { "batch_done", KS_LANE, 0, G_DOT, SS_NORMAL, NULL, fold_batch_done },
    { "broker_fenced", KS_LANE, 0, G_DOT, SS_FAULT, label_broker, fold_broker },
    { "broker_registered", KS_LANE, 0, G_DOT, SS_STATE, label_broker, fold_broker },
    { "broker_unfenced", KS_LANE, 0, G_DOT, SS_STATE, label_broker, fold_broker },
    { "check", KS_WORLD, KF_CHECK, G_CHECK, SS_OK, label_check, NULL },
    { "commit_failed", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "config_adjusted", KS_LANE, 0, G_DOT, SS_DIM, NULL, NULL },
    { "coordinator_found", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_member },
    { "coordinator_unknown", KS_LANE, 0, G_DOT, SS_ERROR, NULL, fold_member },
    { "crash", KS_LANE, KF_FAULT, G_CROSS, SS_DROP, label_crash, fold_status },
    { "deliver", KS_HIDDEN, 0, G_DOT, SS_NORMAL, NULL, fold_deliver },
    { "disconnect", KS_LANE, 0, G_DOT, SS_ERROR, NULL, fold_disconnect },
    { "duplicate", KS_LANE, 0, G_DOT, SS_OK, NULL, NULL },
    { "drop", KS_MESSAGE, KF_FAULT, G_CROSS, SS_DROP, label_message, fold_drop },
    { "epoch_bump", KS_LANE, 0, G_DOT, SS_FAULT, NULL, NULL },
    { "fault", KS_WORLD, KF_FAULT, G_CROSS, SS_FAULT, label_world, fold_fault },
    { "fault_cleared", KS_WORLD, 0, G_DOT, SS_DIM, label_world, fold_fault_cleared },
    { "fault_rule", KS_WORLD, 0, G_DOT, SS_FAULT, label_world, fold_fault_rule },
    { "group_assignment", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group },
    { "group_state", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group },
    { "groups_loaded", KS_LANE, 0, G_DOT, SS_STATE, NULL, NULL },
    { "groups_unloaded", KS_LANE, 0, G_DOT, SS_DIM, NULL, NULL },
    { "heal", KS_WORLD, 0, G_DOT, SS_STATE, label_world, fold_heal },
    { "hw", KS_LANE, 0, G_HW, SS_STATE, label_hw, fold_hw },
    { "isr_changed", KS_LANE, 0, G_DOT, SS_STATE, label_isr, fold_isr_changed },
    { "leader_elected", KS_LANE, 0, G_DOT, SS_STATE, label_leader, fold_leader_elected },
    { "log_clean", KS_LANE, 0, G_DOT, SS_STATE, label_log_clean, fold_log_clean },
    { "log_retention", KS_LANE, 0, G_DOT, SS_STATE, label_log_retention, fold_log_retention },
    { "lso", KS_LANE, 0, G_HW, SS_STATE, NULL, fold_lso },
    { "member_joined", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group_member },
    { "member_removed", KS_LANE, 0, G_DOT, SS_ERROR, NULL, fold_group_member },
    { "member_reset", KS_LANE, 0, G_DOT, SS_ERROR, NULL, fold_member },
    { "metadata_timeout", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "node", KS_LANE, 0, G_UP, SS_STATE, NULL, fold_node },
    { "note", KS_WORLD, KF_NOTE, G_DOT, SS_NOTE, label_note, NULL },
    { "offset_commit", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group },
    { "offset_reset", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_position },
    { "offsets_unstable", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "partition", KS_WORLD, KF_FAULT, G_CROSS, SS_FAULT, label_world, fold_partition },
    { "partitions_assigned", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_member },
    { "partitions_lost", KS_LANE, 0, G_CROSS, SS_FAULT, NULL, fold_member },
    { "partitions_revoked", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_member },
    { "pause", KS_LANE, KF_FAULT, G_PAUSE, SS_FAULT, NULL, fold_status },
    { "poll", KS_LANE, 0, G_DOT, SS_NORMAL, NULL, fold_poll },
    { "poll_timeout", KS_LANE, 0, G_CROSS, SS_FAULT, NULL, NULL },
    { "producer_id", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_txn_client },
    { "producer_ids_allocated", KS_LANE, 0, G_DOT, SS_DIM, NULL, NULL },
    { "producers_expired", KS_LANE, 0, G_DOT, SS_STATE, NULL, NULL },
    { "record", KS_LANE, 0, G_DOT, SS_NORMAL, NULL, fold_record },
    { "record_rejected", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "replicated", KS_LANE, 0, G_DOT, SS_STATE, label_replicated, fold_replicated },
    { "request_timeout", KS_LANE, 0, G_DOT, SS_ERROR, NULL, fold_request_timeout },
    { "response_ignored", KS_LANE, 0, G_DOT, SS_DIM, NULL, NULL },
    { "restart", KS_LANE, 0, G_UP, SS_STATE, NULL, fold_status },
    { "resume", KS_LANE, 0, G_PLAY, SS_STATE, NULL, fold_status },
    { "retry", KS_LANE, 0, G_DOT, SS_ERROR, NULL, fold_retry },
    { "role", KS_LANE, 0, G_DOT, SS_STATE, label_role, fold_role },
    { "run_end", KS_WORLD, 0, G_DOT, SS_DIM, label_world, fold_run_end },
    { "seek", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_position },
    { "send", KS_MESSAGE, 0, G_DOT, SS_REQUEST, label_message, fold_send },
    { "sequence_rejected", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "simplification", KS_LANE, 0, G_DOT, SS_DIM, NULL, NULL },
    { "subscribe", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_member },
    { "topic", KS_WORLD, 0, G_DOT, SS_DIM, label_world, fold_topic },
    { "truncate", KS_LANE, 0, G_CROSS, SS_FAULT, label_truncate, fold_truncate },
    { "txn_call", KS_LANE, 0, G_DOT, SS_NORMAL, NULL, fold_txn_client },
    { "txn_client", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_txn_client },
    { "txn_coordinator_found", KS_LANE, 0, G_DOT, SS_STATE, NULL, NULL },
    { "txn_fence_failed", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "txn_fenced", KS_LANE, 0, G_DOT, SS_FAULT, NULL, fold_txn_coord },
    { "txn_loaded", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_txn_coord },
    { "txn_marker", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_txn_marker },
    { "txn_marker_rejected", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "txn_offsets_completed", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group },
    { "txn_offsets_pending", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group },
    { "txn_state", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_txn_coord },
    { "txn_timeout", KS_LANE, 0, G_DOT, SS_ERROR, NULL, NULL },
    { "unowned", KS_LANE, 0, G_DOT, SS_STATE, NULL, fold_group },
};

/* A kind this viewer does not know yet: most new kinds are state changes on a node. */
static const kind_info_t generic = { "", KS_LANE, 0, G_DOT, SS_STATE, NULL, NULL };

const kind_info_t *kinds_lookup(const char *kind)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].kind, kind) == 0)
            return &table[i];
    return &generic;
}
