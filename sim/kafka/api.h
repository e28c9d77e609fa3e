/* api: Kafka's request names (API keys) and error codes, by Kafka's own names.
 * Pure data shared by the network (fault filters, trace) and the Kafka model. */
#ifndef KSIM_API_H
#define KSIM_API_H

#include <stdint.h>

typedef enum api_key {
    API_PRODUCE = 0,
    API_FETCH = 1,
    API_LIST_OFFSETS = 2,
    API_METADATA = 3,
    API_OFFSET_COMMIT = 8,
    API_OFFSET_FETCH = 9,
    API_FIND_COORDINATOR = 10,
    API_JOIN_GROUP = 11,
    API_HEARTBEAT = 12,
    API_LEAVE_GROUP = 13,
    API_SYNC_GROUP = 14,
    API_INIT_PRODUCER_ID = 22,
    API_ADD_PARTITIONS_TO_TXN = 24,
    API_ADD_OFFSETS_TO_TXN = 25,
    API_END_TXN = 26,
    API_WRITE_TXN_MARKERS = 27,
    API_TXN_OFFSET_COMMIT = 28,
    API_ALTER_PARTITION = 56,
    API_BROKER_REGISTRATION = 62,
    API_BROKER_HEARTBEAT = 63,
    API_ALLOCATE_PRODUCER_IDS = 67,
    API_SYNTHETIC = 1000, /* engine benchmarks and tests only */
} api_key_t;

/* "Produce", "Fetch", ...; "Unknown" for a key not modelled. */
const char *api_name(int16_t api);
/* The key for a name ("Produce"), or -1. */
int16_t api_parse(const char *name);
/* Every modelled API name, for error messages. */
const char *api_all_names(void);

typedef enum kerr {
    KERR_NONE = 0,
    KERR_OFFSET_OUT_OF_RANGE = 1,
    KERR_CORRUPT_MESSAGE = 2,
    KERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KERR_LEADER_NOT_AVAILABLE = 5,
    KERR_NOT_LEADER_OR_FOLLOWER = 6,
    KERR_REQUEST_TIMED_OUT = 7,
    KERR_MESSAGE_TOO_LARGE = 10,
    KERR_NETWORK_EXCEPTION = 13,
    KERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KERR_COORDINATOR_NOT_AVAILABLE = 15,
    KERR_NOT_COORDINATOR = 16,
    KERR_NOT_ENOUGH_REPLICAS = 19,
    KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
    KERR_INVALID_REQUIRED_ACKS = 21,
    KERR_ILLEGAL_GENERATION = 22,
    KERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KERR_UNKNOWN_MEMBER_ID = 25,
    KERR_INVALID_SESSION_TIMEOUT = 26,
    KERR_REBALANCE_IN_PROGRESS = 27,
    KERR_NOT_CONTROLLER = 41,
    KERR_INVALID_REQUEST = 42,
    KERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    KERR_DUPLICATE_SEQUENCE_NUMBER = 46,
    KERR_INVALID_PRODUCER_EPOCH = 47,
    KERR_INVALID_TXN_STATE = 48,
    KERR_INVALID_PRODUCER_ID_MAPPING = 49,
    KERR_INVALID_TRANSACTION_TIMEOUT = 50,
    KERR_CONCURRENT_TRANSACTIONS = 51,
    KERR_TRANSACTION_COORDINATOR_FENCED = 52,
    KERR_OPERATION_NOT_ATTEMPTED = 55,
    KERR_UNKNOWN_PRODUCER_ID = 59,
    KERR_INVALID_RECORD = 87,
    KERR_UNSTABLE_OFFSET_COMMIT = 88,
    KERR_FENCED_LEADER_EPOCH = 74,
    KERR_UNKNOWN_LEADER_EPOCH = 75,
    KERR_STALE_BROKER_EPOCH = 77,
    KERR_OFFSET_NOT_AVAILABLE = 78,
    KERR_MEMBER_ID_REQUIRED = 79,
    KERR_FENCED_INSTANCE_ID = 82,
    KERR_PRODUCER_FENCED = 90,
    KERR_INVALID_UPDATE_VERSION = 95,
    KERR_DUPLICATE_BROKER_REGISTRATION = 101,
    KERR_BROKER_ID_NOT_REGISTERED = 102,
    KERR_INELIGIBLE_REPLICA = 107,
    KERR_TRANSACTION_ABORTABLE = 120,
    /* Client-side failures that Kafka raises as exceptions, not wire codes. */
    KERR_CLIENT_TIMEOUT = -1000,          /* org.apache.kafka.common.errors.TimeoutException */
    KERR_CLIENT_RECORD_TOO_LARGE = -1002,  /* RecordTooLargeException (max.request.size) */
    KERR_CLIENT_CRASHED = -1003,           /* the client's process crashed with it pending */
    KERR_CLIENT_NO_OFFSET = -1004,         /* NoOffsetForPartitionException */
    /* The consumer group's client-side failures. */
    KERR_CLIENT_COMMIT_FAILED = -1020,     /* CommitFailedException */
    KERR_CLIENT_REBALANCING = -1021,       /* RebalanceInProgressException */
    /* The transactional producer's client-side failures. */
    KERR_CLIENT_TXN_ABORTED = -1030,       /* TransactionAbortedException */
    KERR_CLIENT_ILLEGAL_STATE = -1031,     /* IllegalStateException */
    KERR_CLIENT_KAFKA = -1032,             /* KafkaException */
    KERR_CLIENT_ILLEGAL_ARGUMENT = -1033,  /* IllegalArgumentException */
} kerr_t;

/* Kafka's name: "NOT_LEADER_OR_FOLLOWER", or "TimeoutException" for client-side ones. */
const char *kerr_name(int16_t code);
/* Whether Kafka's producer retries this error (RetriableException). */
int kerr_retriable(int16_t code);

#endif
