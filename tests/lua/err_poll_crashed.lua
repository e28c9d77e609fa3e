-- A task polling a consumer whose process crashed hears it, as the main chunk does.
local w = ksim.world{}
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1 })
local k = c:consumer("c1", { ["auto.offset.reset"] = "earliest" })
k:assign{ { "t", 0 } }
w:crash("c1")
w:spawn("reader", function()
  k:poll(100)
end)
