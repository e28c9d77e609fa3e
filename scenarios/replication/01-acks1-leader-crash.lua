-- replication/01: acks=1 and a leader that dies before its followers copied the data.
--
-- 消息丢失：acks=1 时，Leader 写入成功就返回 ACK；Follower 还没来得及同步，Leader 宕机，
-- 新 Leader 上没有这些消息 —— 已确认的消息丢失了。
-- With acks=1 the leader answers as soon as it has appended. If it dies before a follower
-- fetched the records, the new leader never had them: acknowledged records are lost.

local w = ksim.world{ seed = 11 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("orders", { partitions = 1, ["replication.factor"] = 3 })
local p = c:producer("p1", { acks = "1", ["enable.idempotence"] = false })

w:note("acks=1：Leader 写入本地日志即确认。orders-0 的 Leader 是 broker-1，broker-2 和 broker-3 是 Follower。")
w:note("orders-0 is led by broker-1; broker-2 and broker-3 follow it by sending Fetch requests.")

local acked = {}
w:spawn("app", function()
  p:send("orders", { key = "o1", value = "first" })
  p:flush()
  w:sleep(1000)
  w:note("Now the link from broker-1 to its followers goes slow: Fetch responses take 20 s.")
  w:fault{ delay = 20000, api = "Fetch", dir = "response", from = "broker-1", to = "broker-2" }
  w:fault{ delay = 20000, api = "Fetch", dir = "response", from = "broker-1", to = "broker-3" }
  local fs = {}
  for i = 2, 4 do fs[#fs + 1] = p:send("orders", { key = "o" .. i, value = "order " .. i }) end
  p:flush()
  for _, f in ipairs(fs) do
    local md = f:get()
    if md then acked[#acked + 1] = md.offset end
  end
  w:note(("broker-1 acknowledged %d more records (offsets 1..3), which only it holds."):format(#acked))
  w:crash("broker-1")
  w:note("broker-1 crashes. The controller notices when its heartbeat session expires " ..
         "(broker.session.timeout.ms = 9 s) and elects broker-2, first in the ISR.")
end)

w:run_for(15000)
w:note("broker-1 restarts, registers again, follows broker-2, and truncates the records " ..
       "broker-2 never had (its leader epoch 0 ended at offset 1 on the new leader).")
w:restart("broker-1")
w:run_for(30000)

local d = c:describe_topic("orders").partitions[1]
local log = c:log("orders", 0)
ksim.check(#acked == 3, "the producer got an acknowledgement for all three records")
ksim.check(d.leader == "broker-2" and d.leader_epoch == 1, "broker-2 leads orders-0 in epoch 1")
ksim.check(#log == 1 and log[1].value == "first",
           "the new leader's log holds only the first record: the three acknowledged records are lost")
ksim.check(#c:log("orders", 0, "broker-1") == 1,
           "broker-1 truncated its copy: every replica agrees again")
w:note("教训：要不丢消息，用 acks=all，并设置 min.insync.replicas ≥ 2。")
