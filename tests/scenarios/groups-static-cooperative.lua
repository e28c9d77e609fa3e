-- A static member of a cooperative-sticky group restarts after the group went through
-- several rebalances. Its new process owns nothing, so its subscription (owned partitions,
-- generation) differs from the one the coordinator stored; the protocol the group would
-- select is the same, so Kafka 3.9 takes it back without a rebalance.
local w = ksim.world{ seed = 11 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("events", { partitions = 6, ["replication.factor"] = 3 })

local function member(name, instance)
  local k = c:consumer(name, { ["group.id"] = "static", ["session.timeout.ms"] = 10000,
                               ["group.instance.id"] = instance,
                               ["partition.assignment.strategy"] = "cooperative-sticky" })
  w:spawn(name, function()
    k:subscribe({ "events" })
    while w:now() < 60000 do
      if not pcall(k.poll, k, 200) then w:sleep(100) end
    end
  end)
  return k
end

member("s1", "instance-1")
member("s2", "instance-2")
w:run_until(function() return w:now() >= 10000 end)
member("s3", "instance-3")
w:run_until(function() return w:now() >= 20000 end)
local g0 = c:describe_group("static")
ksim.check(g0.state == "Stable" and #g0.members == 3 and g0.generation >= 3,
  "three static members, Stable after the cooperative rebalances (generation " ..
  tostring(g0.generation) .. ")")

w:crash("s2")
w:run_for(3000)
w:restart("s2")
w:run_until(function() return w:now() >= 35000 end)
local g1 = c:describe_group("static")
ksim.check(g1.state == "Stable" and g1.generation == g0.generation,
  "s2's restart caused no rebalance (generation " .. tostring(g1.generation) .. ")")
local owned = {}
for _, m in ipairs(g1.members) do owned[#owned + 1] = m.instance_id .. "=" .. #m.assignment end
table.sort(owned)
ksim.check(table.concat(owned, ",") == "instance-1=2,instance-2=2,instance-3=2",
  "each instance kept its two partitions")
w:run()
