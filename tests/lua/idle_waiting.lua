-- A task still blocked when the world goes idle: the producer is paused for ever (a
-- zombie), so its record never completes. The run ends well, and says who still waits.
local w = ksim.world{}
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1 })
local p = c:producer("p1", { ["enable.idempotence"] = false })
w:spawn("t", function()
  w:sleep(12)
  w:pause("p1")
  p:send("t", "v"):get()
end)
w:spawn("done", function() w:sleep(1) end)
