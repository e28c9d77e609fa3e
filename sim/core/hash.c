#include "hash.h"

uint64_t hash_fnv1a64_update(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t hash_fnv1a64(const void *data, size_t len)
{
    return hash_fnv1a64_update(HASH_FNV64_INIT, data, len);
}

/* Decode one UTF-8 sequence; invalid bytes count as U+FFFD, as Java's decoder does. */
static uint32_t utf8_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    uint32_t c = *p++;
    int extra = 0;
    if (c >= 0xf0 && c <= 0xf4) {
        c &= 0x07;
        extra = 3;
    } else if (c >= 0xe0 && c <= 0xef) {
        c &= 0x0f;
        extra = 2;
    } else if (c >= 0xc2 && c < 0xe0) {
        c &= 0x1f;
        extra = 1;
    } else if (c >= 0x80) {
        *pp = p;
        return 0xfffd;
    }
    for (int i = 0; i < extra; i++) {
        if ((*p & 0xc0) != 0x80) {
            *pp = p;
            return 0xfffd;
        }
        c = (c << 6) | (*p++ & 0x3f);
    }
    *pp = p;
    return c;
}

int32_t hash_java_string(const char *utf8)
{
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)utf8;
    while (*p) {
        uint32_t c = utf8_next(&p);
        if (c >= 0x10000) {
            c -= 0x10000;
            h = 31 * h + (0xd800 + (c >> 10));
            h = 31 * h + (0xdc00 + (c & 0x3ff));
        } else {
            h = 31 * h + c;
        }
    }
    return (int32_t)h;
}

int32_t hash_kafka_abs(int32_t n)
{
    if (n == INT32_MIN)
        return 0;
    return n < 0 ? -n : n;
}

int32_t hash_murmur2(const void *data, size_t len)
{
    const unsigned char *d = data;
    const uint32_t m = 0x5bd1e995;
    const int r = 24;
    uint32_t h = 0x9747b28cU ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        size_t i4 = i * 4;
        uint32_t k = (uint32_t)d[i4] | ((uint32_t)d[i4 + 1] << 8) | ((uint32_t)d[i4 + 2] << 16) |
                     ((uint32_t)d[i4 + 3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    size_t tail = len & ~(size_t)3;
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)d[tail + 2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)d[tail + 1] << 8;
        /* fall through */
    case 1:
        h ^= d[tail];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t hash_partition_for_key(const void *key, size_t len, int32_t partitions)
{
    int32_t positive = hash_murmur2(key, len) & 0x7fffffff;
    return positive % partitions;
}
