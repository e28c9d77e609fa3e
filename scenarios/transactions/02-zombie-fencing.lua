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

local old_epoch, new_epoch, zombie_send, zombie_commit
w:spawn("instance-1", function()
  old:init_transactions()
  old_epoch = select(2, old:producer_id())
  old:begin_transaction()
  old:send("payments", { key = "pay-1", value = "from instance-1" })
  old:flush()
  w:note("instance-1 (epoch " .. old_epoch .. ") wrote pay-1 in an open transaction; its " ..
         "process now stalls in a 20 s GC pause.")
  w:pause("instance-1", 20000)
  w:sleep(1)
  w:note("instance-1 wakes up and goes on with its transaction as if nothing happened.")
  zombie_send = select(2, old:send("payments", { key = "pay-2", value = "from instance-1" }):get())
  local ok, err = pcall(old.commit_transaction, old)
  zombie_commit = not ok and err or "committed"
  w:note("instance-1's commit: " .. zombie_commit)
end)

w:spawn("instance-2", function()
  w:sleep(5000)
  w:note("The supervisor starts instance-2 with the same transactional.id.")
  new:init_transactions()
  new_epoch = select(2, new:producer_id())
  local d = c:describe_transactions("payments-tx")
  w:note(("instance-2 has epoch %d; the coordinator aborted instance-1's transaction (state %s).")
    :format(new_epoch, d.state))
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
ksim.check(zombie_commit ~= nil and zombie_commit:find("ProducerFencedException") ~= nil,
           "the zombie's commit fails with ProducerFencedException")
ksim.check(zombie_send ~= nil, "the zombie's late send failed too")
ksim.check(table.concat(values, ";") == "pay-1=from instance-2;pay-2=from instance-2",
           "read_committed sees only instance-2's records: the zombie's writes never become visible")
