#include "mdimage.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../trace.h"
#include "protocol.h"

void md_image_init(md_image_t *img, int32_t n_brokers)
{
    memset(img, 0, sizeof *img);
    img->n_brokers = n_brokers;
    img->brokers = proto_calloc((size_t)n_brokers, sizeof *img->brokers);
    for (int32_t i = 0; i < n_brokers; i++)
        img->brokers[i] = (md_broker_t){ .id = i + 1, .fenced = true, .epoch = -1 };
}

void md_image_free(md_image_t *img)
{
    for (int32_t i = 0; i < img->n_topics; i++)
        free(img->topics[i].parts);
    free(img->topics);
    free(img->brokers);
    memset(img, 0, sizeof *img);
}

md_topic_t *md_find_topic(const md_image_t *img, const char *topic)
{
    for (int32_t i = 0; i < img->n_topics; i++)
        if (img->topics[i].name == topic || strcmp(img->topics[i].name, topic) == 0)
            return &img->topics[i];
    return NULL;
}

md_partition_t *md_find_partition(const md_image_t *img, const char *topic, int32_t p)
{
    md_topic_t *t = md_find_topic(img, topic);
    return t && p >= 0 && p < t->n ? &t->parts[p] : NULL;
}

const md_broker_t *md_broker(const md_image_t *img, int32_t id)
{
    return id >= 1 && id <= img->n_brokers ? &img->brokers[id - 1] : NULL;
}

bool md_unfenced(const md_image_t *img, int32_t id)
{
    const md_broker_t *b = md_broker(img, id);
    return b && b->registered && !b->fenced;
}

bool md_in(const int32_t *ids, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

bool md_in_isr(const md_partition_t *p, int32_t id)
{
    return md_in(p->isr, p->n_isr, id);
}

bool md_is_replica(const md_partition_t *p, int32_t id)
{
    return md_in(p->replicas, p->n_replicas, id);
}

static void apply_topic(md_image_t *img, const md_record_t *r)
{
    assert(!md_find_topic(img, r->topic));
    img->topics = realloc(img->topics, (size_t)(img->n_topics + 1) * sizeof *img->topics);
    if (!img->topics)
        abort();
    md_topic_t *t = &img->topics[img->n_topics++];
    t->name = r->topic;
    t->n = r->partitions;
    t->min_isr = r->min_isr;
    t->unclean = r->unclean;
    t->log = r->log;
    t->parts = proto_calloc((size_t)r->partitions, sizeof *t->parts);
}

void md_image_apply(md_image_t *img, const md_record_t *r)
{
    img->offset++;
    switch (r->kind) {
    case MD_TOPIC:
        apply_topic(img, r);
        break;
    case MD_PARTITION: {
        md_partition_t *p = md_find_partition(img, r->topic, r->partitions);
        assert(p);
        *p = r->part;
        break;
    }
    case MD_BROKER: {
        assert(r->broker >= 1 && r->broker <= img->n_brokers);
        md_broker_t *b = &img->brokers[r->broker - 1];
        if (r->change == MD_REGISTER) {
            b->registered = true;
            b->epoch = r->broker_epoch;
        }
        b->fenced = r->change != MD_UNFENCE;
        break;
    }
    case MD_PRODUCER_IDS:
        img->next_producer_id = r->next_producer_id;
        break;
    }
}

cJSON *md_ids_json(const int32_t *ids, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, trace_int_item(ids[i]));
    return a;
}
