-- A closed producer still retries what it has.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1 })
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1",
                             ["request.timeout.ms"] = 1000 })
w:fault{ drop = "response", api = "Produce", count = 1 }
local md, err
w:spawn("app", function()
  local f = p:send("t", { value = "v" })
  p:close()
  md, err = f:get()
end)
w:run()
ksim.check(md ~= nil and err == nil, "a record sent before close() is retried and acknowledged")
