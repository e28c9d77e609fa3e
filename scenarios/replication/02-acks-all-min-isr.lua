-- replication/02: acks=all with min.insync.replicas=2.
--
-- acks=all：ISR 中所有副本都写入后才确认；min.insync.replicas=2：ISR 少于 2 个副本时拒绝写入。
-- One broker down: the ISR shrinks to two, writes go on, and nothing acknowledged is lost.
-- Two brokers down: the ISR is one replica, below min.insync.replicas: every write is refused
-- with NOT_ENOUGH_REPLICAS (before the append), so nothing is acknowledged that could be lost.

local w = ksim.world{ seed = 12 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("payments", { partitions = 1, ["replication.factor"] = 3,
                             ["min.insync.replicas"] = 2 })
local p = c:producer("p1", { acks = "all", ["delivery.timeout.ms"] = 20000,
                              ["request.timeout.ms"] = 10000 })
-- A second producer that does not retry shows the broker's answer itself.
local once = c:producer("p2", { acks = "all", retries = 0, ["enable.idempotence"] = false })

local first, second = {}, {}
w:spawn("app", function()
  w:note("acks=all, min.insync.replicas=2, replication factor 3: payments-0 is led by broker-1.")
  for i = 1, 3 do first[i] = p:send("payments", { key = "a" .. i, value = "paid " .. i }) end
  p:flush()

  w:note("broker-3 crashes. After its session expires (9 s) the controller removes it from the ISR.")
  w:crash("broker-3")
  w:sleep(10000)
  for i = 4, 6 do first[i] = p:send("payments", { key = "a" .. i, value = "paid " .. i }) end
  p:flush()
  w:note("Two replicas in the ISR (= min.insync.replicas): writes are still accepted, each on two brokers.")

  w:note("broker-2 crashes too. The ISR becomes [broker-1] alone, below min.insync.replicas.")
  w:crash("broker-2")
  w:sleep(10000)
  second[1] = once:send("payments", { key = "b1", value = "refused" })
  second[2] = p:send("payments", { key = "b2", value = "refused too" })
  once:flush()
  w:note("p2 (retries=0) gets the broker's answer: NOT_ENOUGH_REPLICAS, nothing appended.")
  p:flush()
  w:note("p1 retried NOT_ENOUGH_REPLICAS (a retriable error) until delivery.timeout.ms ran out: " ..
         "the record failed with a TimeoutException, and the application knows it was not written.")
end)
w:run()

local acked = 0
for i = 1, 6 do if first[i]:get() then acked = acked + 1 end end
local log = c:log("payments", 0)
local _, err1 = second[1]:get()
local _, err2 = second[2]:get()
ksim.check(acked == 6, "all six records written while at most one broker was down were acknowledged")
ksim.check(#log == 6 and log.high_watermark == 6,
           "the leader's log holds the six acknowledged records, all committed (HW 6)")
ksim.check(#c:log("payments", 0, "broker-2") == 6,
           "each of them is also on broker-2, which was in the ISR when it was acknowledged")
ksim.check(err1 == "NOT_ENOUGH_REPLICAS",
           "with two brokers down the leader refuses the write: NOT_ENOUGH_REPLICAS")
ksim.check(err2 == "TimeoutException",
           "a retrying producer gives up at delivery.timeout.ms with a TimeoutException")
ksim.check(c:describe_topic("payments").partitions[1].isr[1] == "broker-1" and
           #c:describe_topic("payments").partitions[1].isr == 1, "the ISR is [broker-1]")
