-- Random faults: 30% of Produce responses are lost, so retries and duplicates depend on
-- the seed (--seed N). Used by tests/scenarios.t to show that the seed, and only the
-- seed, decides the run.
local w = ksim.world{ latency = { uniform = { 0.2, 2.0 } } }
local c = w:cluster("main", { brokers = 2 })
c:create_topic("t", { partitions = 2 })
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1",
                             ["request.timeout.ms"] = 1000 })
w:fault{ drop = "response", api = "Produce", probability = 0.3 }
w:spawn("app", function()
  for i = 1, 20 do
    p:send("t", { key = "k" .. i, value = tostring(i) })
    w:sleep(3)
  end
  p:flush()
end)
w:run()
local n = #c:log("t", 0) + #c:log("t", 1)
ksim.check(n >= 20, "every record is in the log at least once")
