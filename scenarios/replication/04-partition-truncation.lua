-- replication/04: a network partition cuts the leader off; the old leader's tail is truncated.
--
-- 网络分区：旧 Leader 被隔离，控制器选出新 Leader；分区恢复后，旧 Leader 变成 Follower，
-- 按 Leader Epoch 截断它独有的、从未提交的消息（KIP-101/279）。
-- broker-1 leads quotes-0 and keeps serving a producer on its side of the cut (acks=1). The
-- controller, no longer hearing its heartbeats, fences it and elects broker-2 with a new
-- leader epoch. When the partition heals, broker-1 learns it is a follower, asks broker-2 where
-- its last epoch ended, and truncates what it wrote alone.

local w = ksim.world{ seed = 14 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("quotes", { partitions = 1, ["replication.factor"] = 3 })
local near = c:producer("near", { acks = "1", ["enable.idempotence"] = false })
local safe = c:producer("safe", { acks = "all", ["enable.idempotence"] = false,
                                  ["delivery.timeout.ms"] = 60000 })

local acked_alone, safe_result = {}, nil
w:spawn("app", function()
  near:send("quotes", { key = "q0", value = "committed" }):get()
  safe:send("quotes", { key = "s0", value = "committed" }):get()
  w:note("broker-1 (the leader) is cut off from broker-2, broker-3 and the controller; " ..
         "the producers can still reach it.")
  w:partition("broker-1", { "broker-2", "broker-3", "controller" })
  local safe_f = safe:send("quotes", { key = "s1", value = "acks=all" })
  for i = 1, 3 do
    local md = near:send("quotes", { key = "q" .. i, value = "acks=1" }):get()
    if md then acked_alone[#acked_alone + 1] = md.offset end
  end
  w:note(("acks=1: broker-1 acknowledged %d records no follower will ever fetch. " ..
          "acks=all: s1 waits, broker-1 cannot raise its high watermark."):format(#acked_alone))
  w:sleep(12000)
  w:note("The controller fenced broker-1 (no heartbeat for 9 s) and elected broker-2, epoch 1.")
  w:heal()
  w:note("The partition heals. broker-1 replays the metadata log, becomes a follower, and " ..
         "fetches with its last epoch (0); broker-2 answers that epoch 0 ended at offset 2.")
  safe_result = { safe_f:get() }
end)
w:run_for(60000)

local function keys(log)
  local k = {}
  for _, r in ipairs(log) do k[#k + 1] = r.key end
  return table.concat(k, ",")
end
local d = c:describe_topic("quotes").partitions[1]
w:note("quotes-0 now: leader " .. d.leader .. ", epoch " .. d.leader_epoch .. ", log " ..
       keys(c:log("quotes", 0)))

ksim.check(#acked_alone == 3, "the isolated leader acknowledged the three acks=1 records")
ksim.check(d.leader == "broker-2" and d.leader_epoch == 1, "broker-2 leads quotes-0 in epoch 1")
ksim.check(not keys(c:log("quotes", 0)):find("q1"),
           "the acks=1 records written to the isolated leader are gone")
ksim.check(keys(c:log("quotes", 0, "broker-1")) == keys(c:log("quotes", 0)),
           "broker-1 truncated its divergent tail: all replicas agree")
ksim.check(safe_result and safe_result[1] ~= nil and keys(c:log("quotes", 0)):find("s1"),
           "the acks=all record was never acknowledged by the old leader; its retry " ..
           "reached the new leader and is kept")
