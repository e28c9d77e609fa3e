-- Text that is not UTF-8 (notes, checks, task names, keys, values) must not reach the
-- trace as raw bytes: every line stays valid JSON.
local w = ksim.world{}
local c = w:cluster("main")
c:create_topic("t")
local p = c:producer("p1", { ["enable.idempotence"] = false })
w:note("bad \xff and nul \0 end")
w:spawn("t\xfe", function()
  p:send("t", { key = "\xff\xfe", value = "a\0b" }):get()
  ksim.check(true, "m\xff")
end)
w:run()
ksim.check(c:log("t", 0)[1].value == "a\0b", "the log keeps every byte")
