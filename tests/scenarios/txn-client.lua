-- The transactional producer end to end against the coordinator: Java's calls in order, a
-- commit, an abort of records already written, a commit whose EndTxn answer is lost (the
-- call times out after max.block.ms, another call meanwhile is refused, calling commit
-- again completes it), and a zombie fenced by a new instance with the same
-- transactional.id.

local w = ksim.world{ seed = 3, latency = 1 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("out", { partitions = 2, ["replication.factor"] = 3 })
local p = c:producer("p1", { ["transactional.id"] = "tx-1", ["max.block.ms"] = 2000,
                             ["request.timeout.ms"] = 3000 })

p:init_transactions()
local id, epoch = p:producer_id()
ksim.check(p:transaction_state() == "READY" and id ~= nil and epoch == 0,
           "init_transactions gives the producer its id at epoch 0")

p:begin_transaction()
local f1 = p:send("out", { key = "a", value = "1", partition = 0 })
local f2 = p:send("out", { key = "b", value = "2", partition = 1 })
p:commit_transaction()
ksim.check(f1:done() and f2:done() and f1:get().offset == 0 and f2:get().offset == 0,
           "commit_transaction waits for every record of the transaction")
ksim.check(p:transaction_state() == "READY", "after the commit the producer is READY")

p:begin_transaction()
local f3 = p:send("out", { key = "c", value = "3", partition = 0 })
f3:get()
p:abort_transaction()
ksim.check(p:transaction_state() == "READY", "abort_transaction of written records completes")

-- The EndTxn answer is lost: commit times out, and calling it again resumes it.
p:begin_transaction()
p:send("out", { key = "d", value = "4", partition = 1 }):get()
w:fault{ api = "EndTxn", drop = "response", count = 1 }
local ok, err = pcall(p.commit_transaction, p)
ksim.check(not ok and string.find(err, "TimeoutException: Timeout expired after 2000ms while "
                                  .. "awaiting EndTxn", 1, true),
           "commit_transaction gives up after max.block.ms")
ok, err = pcall(p.begin_transaction, p)
ksim.check(not ok and string.find(err, "Cannot attempt operation `beginTransaction` because the "
                                  .. "previous call to `commitTransaction` timed out and must "
                                  .. "be retried", 1, true),
           "another call before the timed-out one is retried is an IllegalStateException")
p:commit_transaction()
ksim.check(p:transaction_state() == "READY", "calling commit_transaction again completes it")

-- A zombie: p1 is in a transaction when p2 initializes the same transactional.id.
p:begin_transaction()
p:send("out", { key = "z", value = "zombie", partition = 0 }):get()
local p2 = c:producer("p2", { ["transactional.id"] = "tx-1" })
p2:init_transactions()
local _, epoch2 = p2:producer_id()
ksim.check(epoch2 > epoch, "the new instance has a newer epoch")
ok, err = pcall(p.commit_transaction, p)
ksim.check(not ok and string.find(err, "producer 'p1': ProducerFencedException", 1, true),
           "the zombie's commit fails with ProducerFencedException")
ksim.check(p:transaction_state() == "FATAL_ERROR", "the zombie is in FATAL_ERROR")
ok, err = pcall(p.begin_transaction, p)
ksim.check(not ok and string.find(err, "ProducerFencedException", 1, true),
           "and every later call fails the same way")

p2:begin_transaction()
p2:send("out", { key = "e", value = "5", partition = 0 })
p2:commit_transaction()
ksim.check(p2:transaction_state() == "READY", "the new instance commits")
