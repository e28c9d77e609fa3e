-- transactions/02: zombie fencing.
--
-- 僵尸实例：an instance of the payments service stalls in a long GC pause in the middle of a
-- transaction. Its supervisor starts a replacement with the same transactional.id. The
-- replacement's initTransactions() bumps the producer epoch at the coordinator and aborts
-- the open transaction. When the old instance wakes up, every write it makes carries the
-- old epoch: the coordinator and the partition leaders refuse it, and its producer fails
-- with ProducerFencedException, a fatal error: the zombie can only close.

local w = ksim.world{ seed = 2 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("payments", { partitions = 2, ["replication.factor"] = 3 })
local txn = { ["transactional.id"] = "payments-tx" }
local old = c:producer("instance-1", txn)
local new = c:producer("instance-2", txn)
local reader = c:consumer("auditor", { ["isolation.level"] = "read_committed",
                                       ["auto.offset.reset"] = "earliest" })
reader:assign{ { "payments", 0 }, { "payments", 1 } }

local old_epoch, new_epoch, zombie_send, zombie_end
w:spawn("instance-1", function()
  old:init_transactions()
  old_epoch = select(2, old:producer_id())
  old:begin_transaction()
  local md = old:send("payments", { key = "pay-1", value = "from instance-1" }):get()
  w:note(("instance-1 (epoch %d) wrote pay-1 to payments-%d in an open transaction; its " ..
          "process now stalls in a 20 s GC pause."):format(old_epoch, md.partition))
  w:pause("instance-1", 20000)
  w:sleep(20000)
  w:note(("instance-1 wakes up and goes on with its transaction as if nothing happened: it " ..
          "writes pay-2 to payments-%d, a partition already in its transaction."):format(md.partition))
  local _, err = old:send("payments", { partition = md.partition, key = "pay-2",
                                        value = "from instance-1" }):get()
  zombie_send = err
  w:note("The partition's leader refuses it (" .. tostring(err) .. "): the abort marker " ..
         "carried the new epoch. instance-1 tries to commit, then to abort.")
  local ok, cerr = pcall(old.commit_transaction, old)
  if not ok then
    local aok, aerr = pcall(old.abort_transaction, old)
    zombie_end = aok and cerr or aerr
  end
  w:note("instance-1 ends with " .. tostring(zombie_end))
end)

w:spawn("instance-2", function()
  w:sleep(5000)
  w:note("The supervisor starts instance-2 with the same transactional.id.")
  new:init_transactions()
  new_epoch = select(2, new:producer_id())
  w:note(("instance-2 has epoch %d: its first InitProducerId found instance-1's transaction " ..
          "Ongoing, bumped the epoch and aborted it (PrepareAbort, markers, CompleteAbort), " ..
          "answering CONCURRENT_TRANSACTIONS; the retry bumped the epoch once more."):format(new_epoch))
  new:begin_transaction()
  new:send("payments", { key = "pay-1", value = "from instance-2" })
  new:send("payments", { key = "pay-2", value = "from instance-2" })
  new:commit_transaction()
end)

local values = {}
w:spawn("auditor", function()
  while w:now() < 30000 do
    for _, r in ipairs(reader:poll(200)) do table.insert(values, r.key .. "=" .. r.value) end
  end
end)

w:run()

table.sort(values)
w:note("The auditor (read_committed) saw: " .. table.concat(values, "; "))
ksim.check(new_epoch == old_epoch + 2,
           "instance-2 has the same producer id two epochs on: one bump fenced, one is its own")
ksim.check(zombie_send == "INVALID_PRODUCER_EPOCH",
           "the zombie's late write is refused by the partition leader (INVALID_PRODUCER_EPOCH)")
ksim.check(zombie_end ~= nil and zombie_end:find("ProducerFencedException") ~= nil,
           "the zombie ends with ProducerFencedException, a fatal error")
ksim.check(table.concat(values, ";") == "pay-1=from instance-2;pay-2=from instance-2",
           "read_committed sees only instance-2's records: the zombie's writes never become visible")
