-- A closed consumer refuses what Kafka's refuses; so do unassigned partitions and a
-- crashed process. Producer errors name the producer once.
local w = ksim.world{}
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 2 })
local k = c:consumer("c1", { ["auto.offset.reset"] = "earliest" })
local function err(f)
  local ok, e = pcall(f)
  return ok and "no error" or tostring(e)
end
local closed = "consumer 'c1': This consumer has already been closed."
k:assign{ { "t", 0 } }
ksim.check(err(function() k:position("t", 1) end) == "consumer_closed.lua:13: consumer 'c1': " ..
           "You can only check the position for partitions assigned to this consumer.",
           "position of a partition not assigned is Kafka's IllegalStateException")
ksim.check(k:position("t", 0) == nil, "position of an assigned partition is nil until known")
k:close()
k:close()
ksim.check(err(function() k:poll(10) end) == "consumer_closed.lua:19: " .. closed,
           "poll after close raises Kafka's message")
ksim.check(err(function() k:assign{ { "t", 1 } } end):find(closed, 1, true) ~= nil, "assign after close raises")
ksim.check(err(function() k:seek("t", 0, 0) end):find(closed, 1, true) ~= nil, "seek after close raises")
ksim.check(err(function() k:seek_to_beginning("t", 0) end):find(closed, 1, true) ~= nil,
           "seek_to_beginning after close raises")
ksim.check(err(function() k:seek_to_end("t", 0) end):find(closed, 1, true) ~= nil,
           "seek_to_end after close raises")
ksim.check(err(function() k:position("t", 0) end):find(closed, 1, true) ~= nil,
           "position after close raises")

local k2 = c:consumer("c2", { ["auto.offset.reset"] = "earliest" })
k2:assign{ { "t", 0 } }
w:crash("c2")
ksim.check(err(function() k2:poll(10) end) == "consumer_closed.lua:33: consumer 'c2': its process crashed",
           "polling a crashed consumer from the main chunk says its process crashed")

local p = c:producer("p1")
w:crash("p1")
ksim.check(err(function() p:send("t", "v") end) ==
           "consumer_closed.lua:38: producer 'p1': its process has crashed",
           "a crashed producer's error names the producer once")
