-- idempotence/03: what the idempotent producer does not promise.
--
-- 幂等的局限：1）只在单个 Producer 会话内有效，重启后获得新的 PID；
-- 2）只在单个分区内去重，同一条消息发到两个分区就是两条消息。
-- 跨会话、跨分区的精确一次需要事务（transactional.id）。
-- Two limits, each shown as it happens: a restarted producer is a new producer (a new PID),
-- so the broker cannot know that its resend repeats what the old one wrote; and the broker
-- de-duplicates per partition, so one payment sent to two partitions is two records.

local w = ksim.world{ seed = 5 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("payments", { partitions = 2 })
local p = c:producer("p1", { ["enable.idempotence"] = true })

w:fault{ drop = "response", api = "Produce", from = "broker-1", to = "p1", count = 1 }

local first_pid, second_pid, lost_err, resent
w:spawn("app", function()
  w:note("局限一：单会话。p1 sends payment 42 to payments-0; broker-1 writes it, the answer is lost.")
  local f = p:send("payments", { partition = 0, key = "pay-42", value = "100 EUR" })
  w:sleep(1000)
  first_pid = p:producer_id()
  w:note(("p1 (producer %d) still waits for the answer when its process crashes."):format(first_pid))
  w:crash("p1")
  local _, err = f:get()
  lost_err = err
  w:note("The application restarts p1. It does not know whether payment 42 was written, so it " ..
         "sends it again, as an at-least-once application must.")
  w:restart("p1")
  resent = p:send("payments", { partition = 0, key = "pay-42", value = "100 EUR" }):get()
  second_pid = p:producer_id()
  w:note(("The restarted p1 got a new producer id, %d. The broker keeps sequences per producer " ..
          "id: for producer %d this is a first batch, accepted at any sequence. The payment " ..
          "is now in the log twice."):format(second_pid, second_pid))

  w:note("局限二：单分区。The same payment sent to payments-0 and payments-1 is two records: " ..
         "each partition de-duplicates only what was sent to it.")
  p:send("payments", { partition = 0, key = "pay-77", value = "5 EUR" })
  p:send("payments", { partition = 1, key = "pay-77", value = "5 EUR" })
  p:flush()
end)

w:run()

local function count(partition, key)
  local n = 0
  for _, r in ipairs(c:log("payments", partition)) do
    if r.key == key then n = n + 1 end
  end
  return n
end

ksim.check(lost_err == "ProcessCrashed", "the first send's outcome was lost with the crashed process")
ksim.check(first_pid ~= nil and second_pid ~= nil and first_pid ~= second_pid,
           "the restarted producer has a new producer id")
ksim.check(resent ~= nil and resent.offset == 1, "the resend was appended as a new record (offset 1)")
ksim.check(count(0, "pay-42") == 2, "payment 42 is in payments-0 twice: idempotence ended with the session")
ksim.check(count(0, "pay-77") == 1 and count(1, "pay-77") == 1,
           "payment 77 is once in each partition: two records, no cross-partition de-duplication")
w:note("要跨会话、跨分区地精确一次：使用事务。That is what transactions add: a transactional.id " ..
       "survives restarts (the same id fences the old instance) and one transaction spans " ..
       "partitions (docs/idempotence.md, Limits).")
