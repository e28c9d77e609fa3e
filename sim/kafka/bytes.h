/* bytes: a key or value as Kafka sees it: raw bytes, or null (len -1). */
#ifndef KSIM_BYTES_H
#define KSIM_BYTES_H

#include <stdbool.h>
#include <stdint.h>

typedef struct bytes {
    const char *p;
    int32_t len; /* -1: null */
} bytes_t;

#define BYTES_NULL ((bytes_t){ NULL, -1 })

static inline bool bytes_is_null(bytes_t b) { return b.len < 0; }

#endif
