-- replication/05: a slow follower leaves the ISR and comes back.
--
-- ISR（同步副本集合）：Follower 在 replica.lag.time.max.ms 内没有追上 Leader，就被移出 ISR；
-- 追上后重新加入。acks=all 只等 ISR 里的副本。
-- broker-3 stops in a long GC pause. While it is still in the ISR, acks=all writes wait for
-- it; after replica.lag.time.max.ms the leader asks the controller to drop it (AlterPartition),
-- and writes flow again with two replicas. When broker-3 resumes it catches up and rejoins.

local w = ksim.world{ seed = 15 }
local c = w:cluster("main", { brokers = 3, ["replica.lag.time.max.ms"] = 4000 })
c:create_topic("clicks", { partitions = 1, ["replication.factor"] = 3,
                           ["min.insync.replicas"] = 2 })
local p = c:producer("p1", { acks = "all", ["enable.idempotence"] = false })

local sent, acked = 0, 0
local isr_during, isr_after
w:spawn("app", function()
  for i = 1, 24 do
    p:send("clicks", { key = "c" .. i, value = tostring(i) }, function(md, err)
      if md then acked = acked + 1 end
    end)
    sent = sent + 1
    w:sleep(500)
  end
  p:flush()
end)
w:at(2000, function()
  w:note("broker-3 enters a 7 s GC pause (replica.lag.time.max.ms is 4 s here, " ..
         "broker.session.timeout.ms 9 s: it will not be fenced).")
  w:pause("broker-3", 7000)
end)
w:at(3000, function()
  w:note("acks=all waits for every ISR member: the writes since 2 s are not acknowledged yet.")
end)
w:at(6500, function()
  isr_during = c:describe_topic("clicks").partitions[1].isr
  w:note("The leader's ISR check found broker-3 lagging for over 4 s and asked the " ..
         "controller to shrink the ISR to " .. table.concat(isr_during, ",") ..
         ". The waiting writes were acknowledged at once.")
end)
w:at(9001, function()
  w:note("broker-3 resumes, fetches what it missed, reaches the high watermark, and the " ..
         "leader asks the controller to add it back.")
end)
w:run()
w:run_for(2000)
isr_after = c:describe_topic("clicks").partitions[1].isr

local m = c:metrics()
ksim.check(#isr_during == 2 and isr_during[1] == "broker-1" and isr_during[2] == "broker-2",
           "during the pause the ISR shrank to broker-1, broker-2")
ksim.check(#isr_after == 3, "after the pause broker-3 is back in the ISR")
ksim.check(m.IsrShrinksPerSec.count == 1 and m.IsrExpandsPerSec.count == 1,
           "the leader counted one ISR shrink and one expansion (IsrShrinksPerSec, IsrExpandsPerSec)")
ksim.check(m.TotalTimeMs.Produce.max >= 3000,
           "the writes waiting for the paused follower took over 3 s (Produce TotalTimeMs max)")
ksim.check(acked == sent and #c:log("clicks", 0) == sent, "every write was acknowledged, once")
ksim.check(#c:log("clicks", 0, "broker-3") == sent, "broker-3 caught up with every record")
w:note(("Produce TotalTimeMs: mean %.1f ms, max %.1f ms over %d requests."):format(
  m.TotalTimeMs.Produce.mean, m.TotalTimeMs.Produce.max, m.TotalTimeMs.Produce.count))
