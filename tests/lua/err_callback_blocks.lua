-- A send callback runs inside the engine: it cannot wait.
local w = ksim.world{}
local c = w:cluster("main")
c:create_topic("t")
local p = c:producer("p1", { ["enable.idempotence"] = false })
p:send("t", { value = "v" }, function(md, err)
  p:flush()
end)
w:run()
