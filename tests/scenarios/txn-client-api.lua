-- The transactional producer's Lua API where no coordinator is needed: Kafka's config rule,
-- the IllegalStateException and KafkaException texts of calls made in the wrong state,
-- and the argument checks of send_offsets_to_transaction.

local w = ksim.world{ seed = 5, latency = 1 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t")

local ok, err = pcall(c.producer, c, "bad", { ["transactional.id"] = "tx",
                                               ["enable.idempotence"] = false })
ksim.check(not ok and string.find(err, "Cannot set a transactional.id without also enabling "
                                  .. "idempotence", 1, true),
           "transactional.id with enable.idempotence=false is refused")

local plain = c:producer("plain", {})
ok, err = pcall(plain.init_transactions, plain)
ksim.check(not ok and string.find(err, "producer 'plain': IllegalStateException: Cannot use "
                                  .. "transactional methods without enabling transactions", 1, true),
           "a producer without transactional.id cannot use transactions")

local p = c:producer("p1", { ["transactional.id"] = "tx-1" })
ksim.check(p:transaction_state() == "UNINITIALIZED", "a transactional producer starts UNINITIALIZED")

ok, err = pcall(p.begin_transaction, p)
ksim.check(not ok and string.find(err, "IllegalStateException: TransactionalId tx-1: Invalid "
                                  .. "transition attempted from state UNINITIALIZED to state "
                                  .. "IN_TRANSACTION", 1, true),
           "begin_transaction before init_transactions is an IllegalStateException")

ok, err = pcall(p.send, p, "t", { value = "v" })
ksim.check(not ok and string.find(err, "Cannot perform a 'send' before completing a call to "
                                  .. "initTransactions", 1, true),
           "send before init_transactions is refused")

ok, err = pcall(p.commit_transaction, p)
ksim.check(not ok and string.find(err, "IllegalStateException", 1, true),
           "commit_transaction before init_transactions is an IllegalStateException")

ok, err = pcall(p.send_offsets_to_transaction, p, { { topic = "t", partition = 0, offset = 1 } },
                "g")
ksim.check(not ok and string.find(err, "KafkaException: Cannot send offsets if a transaction is "
                                  .. "not in progress", 1, true),
           "send_offsets_to_transaction outside a transaction is a KafkaException")

ok, err = pcall(p.send_offsets_to_transaction, p, { { topic = "t", partition = -1, offset = 1 } },
                "g")
ksim.check(not ok and string.find(err, "needs topic (a string), partition and offset", 1, true),
           "a bad offset entry is refused with what it needs")

ok, err = pcall(p.send_offsets_to_transaction, p, { topic = "t", partition = 0, offset = 1 },
                "g")
ksim.check(not ok and string.find(err, "offsets must be a list of offsets", 1, true),
           "one offset instead of a list of them is refused")

ok, err = pcall(p.send_offsets_to_transaction, p, {}, { group_id = "g", generation_id = 3 })
ksim.check(not ok and string.find(err, "IllegalArgumentException: Passed in group metadata has "
                                  .. "generationId > 0 but member.id", 1, true),
           "group metadata with a generation needs a member id")

ok, err = pcall(p.send_offsets_to_transaction, p, {}, { group = "g" })
ksim.check(not ok and string.find(err, "group", 1, true),
           "group metadata with an unknown key is refused")
