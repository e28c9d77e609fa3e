#include "api.h"

#include <string.h>

static const struct {
    int16_t key;
    const char *name;
} apis[] = {
    { API_PRODUCE, "Produce" },
    { API_FETCH, "Fetch" },
    { API_LIST_OFFSETS, "ListOffsets" },
    { API_METADATA, "Metadata" },
    { API_OFFSET_COMMIT, "OffsetCommit" },
    { API_OFFSET_FETCH, "OffsetFetch" },
    { API_FIND_COORDINATOR, "FindCoordinator" },
    { API_JOIN_GROUP, "JoinGroup" },
    { API_HEARTBEAT, "Heartbeat" },
    { API_LEAVE_GROUP, "LeaveGroup" },
    { API_SYNC_GROUP, "SyncGroup" },
    { API_INIT_PRODUCER_ID, "InitProducerId" },
    { API_ADD_PARTITIONS_TO_TXN, "AddPartitionsToTxn" },
    { API_ADD_OFFSETS_TO_TXN, "AddOffsetsToTxn" },
    { API_END_TXN, "EndTxn" },
    { API_WRITE_TXN_MARKERS, "WriteTxnMarkers" },
    { API_TXN_OFFSET_COMMIT, "TxnOffsetCommit" },
    { API_ALTER_PARTITION, "AlterPartition" },
    { API_BROKER_REGISTRATION, "BrokerRegistration" },
    { API_BROKER_HEARTBEAT, "BrokerHeartbeat" },
    { API_ALLOCATE_PRODUCER_IDS, "AllocateProducerIds" },
    { API_SYNTHETIC, "Synthetic" },
};

#define N_APIS (sizeof apis / sizeof apis[0])

const char *api_name(int16_t api)
{
    for (size_t i = 0; i < N_APIS; i++)
        if (apis[i].key == api)
            return apis[i].name;
    return "Unknown";
}

int16_t api_parse(const char *name)
{
    for (size_t i = 0; i < N_APIS; i++)
        if (strcmp(apis[i].name, name) == 0)
            return apis[i].key;
    return -1;
}

const char *api_all_names(void)
{
    return "Produce, Fetch, ListOffsets, Metadata, OffsetCommit, OffsetFetch, FindCoordinator, "
           "JoinGroup, Heartbeat, LeaveGroup, SyncGroup, InitProducerId, AddPartitionsToTxn, "
           "AddOffsetsToTxn, EndTxn, WriteTxnMarkers, TxnOffsetCommit, AlterPartition, "
           "BrokerRegistration, BrokerHeartbeat, AllocateProducerIds";
}

static const struct {
    int16_t code;
    const char *name;
    int retriable;
} errors[] = {
    { KERR_NONE, "NONE", 0 },
    { KERR_OFFSET_OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE", 0 },
    { KERR_CORRUPT_MESSAGE, "CORRUPT_MESSAGE", 1 },
    { KERR_UNKNOWN_TOPIC_OR_PARTITION, "UNKNOWN_TOPIC_OR_PARTITION", 1 },
    { KERR_LEADER_NOT_AVAILABLE, "LEADER_NOT_AVAILABLE", 1 },
    { KERR_NOT_LEADER_OR_FOLLOWER, "NOT_LEADER_OR_FOLLOWER", 1 },
    { KERR_REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT", 1 },
    { KERR_MESSAGE_TOO_LARGE, "MESSAGE_TOO_LARGE", 0 },
    { KERR_NETWORK_EXCEPTION, "NETWORK_EXCEPTION", 1 },
    { KERR_COORDINATOR_LOAD_IN_PROGRESS, "COORDINATOR_LOAD_IN_PROGRESS", 1 },
    { KERR_COORDINATOR_NOT_AVAILABLE, "COORDINATOR_NOT_AVAILABLE", 1 },
    { KERR_NOT_COORDINATOR, "NOT_COORDINATOR", 1 },
    { KERR_NOT_ENOUGH_REPLICAS, "NOT_ENOUGH_REPLICAS", 1 },
    { KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 1 },
    { KERR_INVALID_REQUIRED_ACKS, "INVALID_REQUIRED_ACKS", 0 },
    { KERR_ILLEGAL_GENERATION, "ILLEGAL_GENERATION", 0 },
    { KERR_INCONSISTENT_GROUP_PROTOCOL, "INCONSISTENT_GROUP_PROTOCOL", 0 },
    { KERR_UNKNOWN_MEMBER_ID, "UNKNOWN_MEMBER_ID", 0 },
    { KERR_INVALID_SESSION_TIMEOUT, "INVALID_SESSION_TIMEOUT", 0 },
    { KERR_REBALANCE_IN_PROGRESS, "REBALANCE_IN_PROGRESS", 0 },
    { KERR_NOT_CONTROLLER, "NOT_CONTROLLER", 1 },
    { KERR_INVALID_REQUEST, "INVALID_REQUEST", 0 },
    { KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "OUT_OF_ORDER_SEQUENCE_NUMBER", 0 },
    { KERR_DUPLICATE_SEQUENCE_NUMBER, "DUPLICATE_SEQUENCE_NUMBER", 0 },
    { KERR_INVALID_PRODUCER_EPOCH, "INVALID_PRODUCER_EPOCH", 0 },
    { KERR_INVALID_TXN_STATE, "INVALID_TXN_STATE", 0 },
    { KERR_INVALID_PRODUCER_ID_MAPPING, "INVALID_PRODUCER_ID_MAPPING", 0 },
    { KERR_INVALID_TRANSACTION_TIMEOUT, "INVALID_TRANSACTION_TIMEOUT", 0 },
    { KERR_CONCURRENT_TRANSACTIONS, "CONCURRENT_TRANSACTIONS", 1 },
    { KERR_TRANSACTION_COORDINATOR_FENCED, "TRANSACTION_COORDINATOR_FENCED", 0 },
    { KERR_UNKNOWN_PRODUCER_ID, "UNKNOWN_PRODUCER_ID", 0 },
    { KERR_INVALID_RECORD, "INVALID_RECORD", 0 },
    { KERR_UNSTABLE_OFFSET_COMMIT, "UNSTABLE_OFFSET_COMMIT", 1 },
    { KERR_FENCED_LEADER_EPOCH, "FENCED_LEADER_EPOCH", 1 },
    { KERR_UNKNOWN_LEADER_EPOCH, "UNKNOWN_LEADER_EPOCH", 1 },
    { KERR_STALE_BROKER_EPOCH, "STALE_BROKER_EPOCH", 0 },
    { KERR_OFFSET_NOT_AVAILABLE, "OFFSET_NOT_AVAILABLE", 1 },
    { KERR_MEMBER_ID_REQUIRED, "MEMBER_ID_REQUIRED", 0 },
    { KERR_FENCED_INSTANCE_ID, "FENCED_INSTANCE_ID", 0 },
    { KERR_PRODUCER_FENCED, "PRODUCER_FENCED", 0 },
    { KERR_INVALID_UPDATE_VERSION, "INVALID_UPDATE_VERSION", 0 },
    { KERR_DUPLICATE_BROKER_REGISTRATION, "DUPLICATE_BROKER_REGISTRATION", 0 },
    { KERR_BROKER_ID_NOT_REGISTERED, "BROKER_ID_NOT_REGISTERED", 0 },
    { KERR_INELIGIBLE_REPLICA, "INELIGIBLE_REPLICA", 0 },
    { KERR_TRANSACTION_ABORTABLE, "TRANSACTION_ABORTABLE", 0 },
    { KERR_OPERATION_NOT_ATTEMPTED, "OPERATION_NOT_ATTEMPTED", 0 },
    { KERR_CLIENT_TIMEOUT, "TimeoutException", 1 },
    { KERR_CLIENT_RECORD_TOO_LARGE, "RecordTooLargeException", 0 },
    { KERR_CLIENT_CRASHED, "ProcessCrashed", 0 },
    { KERR_CLIENT_NO_OFFSET, "NoOffsetForPartitionException", 0 },
    { KERR_CLIENT_COMMIT_FAILED, "CommitFailedException", 0 },
    { KERR_CLIENT_REBALANCING, "RebalanceInProgressException", 0 },
    { KERR_CLIENT_TXN_ABORTED, "TransactionAbortedException", 0 },
    { KERR_CLIENT_ILLEGAL_STATE, "IllegalStateException", 0 },
    { KERR_CLIENT_KAFKA, "KafkaException", 0 },
    { KERR_CLIENT_ILLEGAL_ARGUMENT, "IllegalArgumentException", 0 },
};

#define N_ERRORS (sizeof errors / sizeof errors[0])

const char *kerr_name(int16_t code)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if (errors[i].code == code)
            return errors[i].name;
    return "UNKNOWN_SERVER_ERROR";
}

int kerr_retriable(int16_t code)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if (errors[i].code == code)
            return errors[i].retriable;
    return 0;
}
