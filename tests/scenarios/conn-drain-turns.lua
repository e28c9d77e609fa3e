-- Partitions take turns: with small requests, neither partition waits for the other's
-- whole backlog.
local w = ksim.world{ seed = 1, latency = 10 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 2 })
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1",
                             ["batch.size"] = 1000, ["max.request.size"] = 1100,
                             ["linger.ms"] = 0, ["max.in.flight.requests.per.connection"] = 1 })
local first_b
w:spawn("app", function()
  local fs = {}
  for _ = 1, 40 do
    p:send("t", { value = string.rep("a", 90), partition = 0 })
    fs[#fs + 1] = p:send("t", { value = string.rep("b", 90), partition = 1 })
  end
  fs[1]:get()
  first_b = w:now()
  p:flush()
end)
w:run()
ksim.check(first_b <= 60, "the second partition's first batch goes in the second request")
