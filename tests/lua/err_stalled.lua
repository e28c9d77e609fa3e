-- Zero latency and a consumer that never waits: Fetch and empty answer at one instant,
-- for ever. The run must end with a message, not hang.
local w = ksim.world{ latency = 0 }
local c = w:cluster("main")
c:create_topic("t")
local k = c:consumer("k1", { ["fetch.max.wait.ms"] = 0, ["auto.offset.reset"] = "earliest" })
k:assign{ { "t", 0 } }
k:poll(100)
