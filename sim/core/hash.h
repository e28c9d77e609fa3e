/* hash: the hash functions whose exact values users and traces depend on:
 * FNV-1a 64 (trace digest, rng streams), Java's String.hashCode and Kafka's Utils.abs,
 * and Kafka's murmur2 (the default partitioner). */
#ifndef KSIM_HASH_H
#define KSIM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HASH_FNV64_INIT 0xcbf29ce484222325ULL

uint64_t hash_fnv1a64_update(uint64_t h, const void *data, size_t len);
uint64_t hash_fnv1a64(const void *data, size_t len);
/* Java String.hashCode over the UTF-16 code units of a UTF-8 string. */
int32_t hash_java_string(const char *utf8);
/* Kafka's Utils.abs: INT32_MIN maps to 0. */
int32_t hash_kafka_abs(int32_t n);
/* Kafka's Utils.murmur2 (seed 0x9747b28c) over raw bytes. */
int32_t hash_murmur2(const void *data, size_t len);
/* Kafka's Utils.toPositive(murmur2(key)) % partitions: the default partitioner for keys. */
int32_t hash_partition_for_key(const void *key, size_t len, int32_t partitions);

#endif
