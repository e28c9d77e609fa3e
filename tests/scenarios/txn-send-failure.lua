-- A send that fails inside a transaction (KafkaProducer.doSend's ApiException: the topic not
-- in metadata within max.block.ms, a record larger than max.request.size) makes the
-- transaction abortable: commit raises, abort works, and nothing of it becomes visible.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1, ["replication.factor"] = 1 })
local p = c:producer("p", { ["transactional.id"] = "x", ["max.block.ms"] = 1000,
                            ["max.request.size"] = 2000 })
p:init_transactions()

local function attempt(bad)
  p:begin_transaction()
  p:send("t", { key = "a", value = "1" })
  local _, err = bad():get()
  local state = p:transaction_state()
  local ok, commit_err = pcall(p.commit_transaction, p)
  p:abort_transaction()
  return err, state, ok, commit_err
end

local err, state, ok, commit_err = attempt(function()
  return p:send("nope-topic", { key = "b", value = "2" })
end)
ksim.check(err == "TimeoutException" and state == "ABORTABLE_ERROR",
           "a send whose topic never appears fails and makes the transaction abortable")
ksim.check(not ok and commit_err:find("KafkaException: Cannot execute transactional method") ~= nil
           and commit_err:find("Topic nope-topic not present in metadata after 1000 ms.", 1, true) ~= nil,
           "commit raises, naming the cause")

err, state, ok, commit_err = attempt(function()
  return p:send("t", { key = "b", value = string.rep("x", 5000) })
end)
ksim.check(err == "RecordTooLargeException" and state == "ABORTABLE_ERROR",
           "a record above max.request.size makes the transaction abortable")
ksim.check(not ok and commit_err:find("max.request.size", 1, true) ~= nil, "commit raises")

local visible = 0
for _, r in ipairs(c:log("t", 0)) do
  if not r.control then visible = visible + 1 end
end
ksim.check(p:transaction_state() == "READY", "after the aborts the producer is ready again")
local k = c:consumer("reader", { ["isolation.level"] = "read_committed",
                                 ["auto.offset.reset"] = "earliest" })
k:assign{ { "t", 0 } }
local seen = 0
for _ = 1, 5 do seen = seen + #k:poll(100) end
ksim.check(seen == 0, "read_committed sees none of the aborted transactions' records (" ..
           visible .. " in the log)")
