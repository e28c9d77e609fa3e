/* kinds: what the viewer knows about each kind of trace event, in one table. An entry
 * says how the event is drawn (an arrow between lanes, a mark on its node's lane, a line
 * across the diagram, or nothing), its glyph and style, how its short label is written,
 * and how it changes the state the inspector shows. A kind missing from the table is
 * drawn on its node's lane as "kind field=value …"; teaching the viewer a new kind is one
 * entry here, plus a label or fold function when the defaults are not enough. */
#ifndef KSIM_KINDS_H
#define KSIM_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "screen.h"

struct model;

typedef enum kind_shape {
    KS_HIDDEN,  /* not a row of its own (a delivery: the arrow's head) */
    KS_MESSAGE, /* an arrow from `from` to `to` */
    KS_LANE,    /* a mark on the node's lane, with its label */
    KS_WORLD,   /* a line across all lanes (notes, checks, topics, fault rules) */
} kind_shape_t;

enum kind_flag {
    KF_FAULT = 1, /* `f` stops here: drops, fired faults, crashes, pauses, partitions */
    KF_NOTE = 2,  /* scenario narration: `n` stops here, the caption shows it */
    KF_CHECK = 4, /* a check result */
};

/* Writes the short label of ev into buf (always NUL-terminated). */
typedef void (*kind_label_fn)(const cJSON *ev, char *buf, size_t n);
/* Folds event i into the model's state histories. */
typedef void (*kind_fold_fn)(struct model *m, uint32_t i, const cJSON *ev);

typedef struct kind_info {
    const char *kind;
    kind_shape_t shape;
    unsigned flags;
    scr_glyph_t glyph;   /* the lane mark */
    scr_style_t style;
    kind_label_fn label; /* NULL: the text timeline's sentence, without the node name */
    kind_fold_fn fold;   /* NULL: the kind changes nothing the inspector shows */
} kind_info_t;

/* The entry for a kind name; kinds not in the table get a generic lane entry. */
const kind_info_t *kinds_lookup(const char *kind);

/* The text timeline's sentence for ev (text_format_body), background traffic included. */
const char *label_sentence(const cJSON *ev, char *buf, size_t n);

/* Label functions (label.c). */
void label_default(const cJSON *ev, char *buf, size_t n);
void label_message(const cJSON *ev, char *buf, size_t n);
void label_hw(const cJSON *ev, char *buf, size_t n);
void label_crash(const cJSON *ev, char *buf, size_t n);
void label_world(const cJSON *ev, char *buf, size_t n);
void label_note(const cJSON *ev, char *buf, size_t n);
void label_check(const cJSON *ev, char *buf, size_t n);
void label_leader(const cJSON *ev, char *buf, size_t n);
void label_isr(const cJSON *ev, char *buf, size_t n);
void label_broker(const cJSON *ev, char *buf, size_t n);
void label_role(const cJSON *ev, char *buf, size_t n);
void label_truncate(const cJSON *ev, char *buf, size_t n);
void label_log_clean(const cJSON *ev, char *buf, size_t n);
void label_log_retention(const cJSON *ev, char *buf, size_t n);
void label_replicated(const cJSON *ev, char *buf, size_t n);

/* Fold functions (fold.c). */
void fold_node(struct model *m, uint32_t i, const cJSON *ev);
void fold_status(struct model *m, uint32_t i, const cJSON *ev);
void fold_partition(struct model *m, uint32_t i, const cJSON *ev);
void fold_heal(struct model *m, uint32_t i, const cJSON *ev);
void fold_topic(struct model *m, uint32_t i, const cJSON *ev);
void fold_append(struct model *m, uint32_t i, const cJSON *ev);
void fold_hw(struct model *m, uint32_t i, const cJSON *ev);
/* Transactions: a leader's last stable offset, and a marker appended to its log. */
void fold_lso(struct model *m, uint32_t i, const cJSON *ev);
void fold_txn_marker(struct model *m, uint32_t i, const cJSON *ev);
void fold_send(struct model *m, uint32_t i, const cJSON *ev);
void fold_deliver(struct model *m, uint32_t i, const cJSON *ev);
void fold_drop(struct model *m, uint32_t i, const cJSON *ev);
void fold_request_timeout(struct model *m, uint32_t i, const cJSON *ev);
void fold_disconnect(struct model *m, uint32_t i, const cJSON *ev);
void fold_record(struct model *m, uint32_t i, const cJSON *ev);
void fold_retry(struct model *m, uint32_t i, const cJSON *ev);
void fold_batch_done(struct model *m, uint32_t i, const cJSON *ev);
void fold_assign(struct model *m, uint32_t i, const cJSON *ev);
/* Consumer groups: the coordinator's view of a group, and a member's. */
void fold_group(struct model *m, uint32_t i, const cJSON *ev);
void fold_member(struct model *m, uint32_t i, const cJSON *ev);
void fold_group_member(struct model *m, uint32_t i, const cJSON *ev);
void fold_txn_coord(struct model *m, uint32_t i, const cJSON *ev);
void fold_txn_client(struct model *m, uint32_t i, const cJSON *ev);
void fold_position(struct model *m, uint32_t i, const cJSON *ev);
void fold_poll(struct model *m, uint32_t i, const cJSON *ev);
void fold_fault_rule(struct model *m, uint32_t i, const cJSON *ev);
void fold_fault(struct model *m, uint32_t i, const cJSON *ev);
void fold_fault_cleared(struct model *m, uint32_t i, const cJSON *ev);
void fold_run_end(struct model *m, uint32_t i, const cJSON *ev);
void fold_leader_elected(struct model *m, uint32_t i, const cJSON *ev);
void fold_isr_changed(struct model *m, uint32_t i, const cJSON *ev);
void fold_broker(struct model *m, uint32_t i, const cJSON *ev);
void fold_role(struct model *m, uint32_t i, const cJSON *ev);
void fold_truncate(struct model *m, uint32_t i, const cJSON *ev);
void fold_replicated(struct model *m, uint32_t i, const cJSON *ev);
void fold_log_clean(struct model *m, uint32_t i, const cJSON *ev);
void fold_log_retention(struct model *m, uint32_t i, const cJSON *ev);

#endif
