-- A stale reset must not fail requests sent on a newer connection (which would make the
-- producer resend records the broker already has).
local w = ksim.world{ seed = 1, latency = 100 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 2 })
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1", ["linger.ms"] = 0,
                             ["retry.backoff.ms"] = 10 })
w:spawn("app", function()
  p:send("t", { value = "warm", partition = 0 }):get()
  p:send("t", { value = "A", partition = 0 })
  w:sleep(2)
  p:send("t", { value = "B", partition = 1 })
  p:flush()
end)
w:at(403, function() w:crash("broker-1") end)
w:at(420, function() w:restart("broker-1") end)
w:run()
ksim.check(#c:log("t", 0) == 2 and #c:log("t", 1) == 1,
           "a broker crash with requests in flight, then a restart: every record once")
