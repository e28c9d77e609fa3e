-- A consumer restarted while its old Fetch is still on the wire is not stalled by the
-- reset of the old connection.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1 })
local k = c:consumer("k1", { ["auto.offset.reset"] = "earliest" })
local p = c:producer("p1", { ["enable.idempotence"] = false })
k:assign{ { "t", 0 } }
w:fault{ delay = 10, api = "Fetch", dir = "response", count = 1 }
w:spawn("app1", function() pcall(function() k:poll(2000) end) end)
w:at(505, function() w:crash("k1") end)
local got, at
w:at(506, "app2", function()
  w:restart("k1")
  k:seek("t", 0, 0)
  got = k:poll(60000)
  at = w:now()
end)
w:at(600, "prod", function() p:send("t", { value = "hello" }); p:flush() end)
w:run()
ksim.check(got and #got == 1 and at < 1000,
           "the restarted consumer reads the new record at once, not after request.timeout.ms")
