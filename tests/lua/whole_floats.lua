-- Whole numbers written as floats are accepted wherever an integer is expected.
local w = ksim.world{ seed = 1e3 }
ksim.check(w:seed() == 1000, "ksim.world{seed = 1e3} seeds with 1000")
local c = w:cluster("main", { brokers = 1.0 })
c:create_topic("t", { partitions = 2 })
local p = c:producer("p1")
local k = c:consumer("c1", { ["auto.offset.reset"] = "earliest" })
local id = w:fault{ delay = 1, api = "Produce", count = 1.0, nth = 1.0 }
ksim.check(w:clear_fault(id + 0.0) == true, "w:clear_fault(1.0) clears fault 1")
local md = p:send("t", { value = "v", partition = 1.0 }):get()
ksim.check(md and md.partition == 1, "p:send with partition = 1.0 sends to partition 1")
ksim.check(#c:log("t", 1.0) == 1 and c:leader("t", 0.0) == "broker-1", "c:log and c:leader take 1.0")
k:assign{ { "t", 1.0 } }
k:seek("t", 1.0, 0.0)
ksim.check(k:position("t", 1.0) == 0, "the consumer takes whole floats")
local ok, e = pcall(p.send, p, "t", { value = "v", partition = 1.5 })
ksim.check(not ok and e:find("partition must be a whole number >= 0", 1, true) ~= nil,
           "a partition of 1.5 is still refused")
