-- Pausing a node that is already paused has no effect: its pause ends as first planned.
local w = ksim.world{}
w:cluster("main", { brokers = 1 })
w:pause("broker-1", 10)
w:at(5, function() w:pause("broker-1", 100) end)
