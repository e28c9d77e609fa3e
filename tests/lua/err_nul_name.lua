-- A client name with a NUL byte would be cut short in C: refused instead.
local w = ksim.world{}
local c = w:cluster("main")
c:producer("a\0b", { ["enable.idempotence"] = false })
