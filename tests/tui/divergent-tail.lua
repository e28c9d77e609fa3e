-- divergent-tail: the trace the viewer's replication tests read. Three records reach all
-- three replicas; then broker-1, the leader, is cut off from the others and the controller
-- and appends two more alone (acks=1). The controller elects broker-2; after the heal
-- broker-1 becomes a follower, truncates its divergent tail and copies the new leader's
-- records.
local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("payments", { partitions = 1, ["replication.factor"] = 3 })
local p = c:producer("p1", { acks = "1", ["enable.idempotence"] = false })
w:spawn("app", function()
  for i = 1, 3 do p:send("payments", { key = "k" .. i, value = tostring(i) }) end
  p:flush()
  w:sleep(1000)
  w:partition("broker-1", { "broker-2", "broker-3", "controller" })
  w:note("broker-1 is cut off from the other brokers and the controller, but not from p1.")
  for i = 4, 5 do p:send("payments", { key = "lost" .. i, value = tostring(i) }) end
  p:flush()
  w:sleep(15000)
  w:heal()
  w:note("Healed: broker-1 learns it is no longer the leader.")
  w:sleep(20000)
  p:send("payments", { key = "k6", value = "6" })
  p:flush()
end)
w:run_for(60000)
ksim.check(#c:log("payments", 0) == 4, "the new leader holds k1..k3 and k6")
