-- A misspelt Kafka config key: the error suggests the right one.
local w = ksim.world{}
local c = w:cluster("main")
local p = c:producer("p1", { ["enable.idempotency"] = true })
