-- A backlog goes out as max.in.flight requests back to back, not one per round trip.
local w = ksim.world{ seed = 1, latency = 10 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1 })
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1",
                             ["batch.size"] = 1000, ["linger.ms"] = 0 })
local done_at
w:spawn("app", function()
  for _ = 1, 50 do p:send("t", { value = string.rep("x", 90), partition = 0 }) end
  p:flush()
  done_at = w:now()
end)
w:run()
-- Metadata (20 ms), then 6 requests: 5 at once and the last after the first answer.
ksim.check(done_at <= 70, "a backlog of batches is pipelined up to max.in.flight requests")
