-- The group coordinator's broker crashes in the middle of a rebalance.
--
-- The coordinator is the leader of the group's __consumer_offsets partition. When its
-- broker dies, the members' requests fail (connection reset), they mark the coordinator
-- unknown and ask FindCoordinator again. Only when the controller fences the dead broker
-- (broker.session.timeout.ms) does the partition get a new leader; that broker loads the
-- group's last stored generation and its committed offsets from the partition's log, and
-- the interrupted rebalance starts over there.
local w = ksim.world{ seed = 4 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("payments", { partitions = 6, ["replication.factor"] = 3 })
local p = c:producer("source", {})
w:spawn("source", function()
  for i = 1, 500 do p:send("payments", { key = "pay-" .. i, value = "x" }); w:sleep(100) end
  p:flush()
end)

local function member(name, start)
  local k = c:consumer(name, { ["group.id"] = "ledger", ["auto.offset.reset"] = "earliest",
                               ["auto.commit.interval.ms"] = 1000 })
  w:spawn(name, function()
    w:sleep(start)
    k:subscribe({ "payments" })
    while w:now() < 45000 do pcall(k.poll, k, 200) end
  end)
end
member("c1", 0)
member("c2", 0)
member("c3", 12000)

w:run_until(function() return w:now() >= 11000 end)
local before = c:describe_group("ledger")
ksim.check(before.state == "Stable" and #before.members == 2, "c1 and c2 form the group")
local committed = {}
for _, r in ipairs(before.partitions) do committed[r.partition] = r.committed or -1 end
w:note("The coordinator is " .. before.coordinator .. "; c3 joins at 12 s.")

w:run_until(function() return c:describe_group("ledger").state == "PreparingRebalance" end)
w:note(before.coordinator .. " crashes while the group is PreparingRebalance.")
w:crash(before.coordinator)

w:run_until(function()
  local ok, d = pcall(c.describe_group, c, "ledger")
  return ok and d.coordinator ~= before.coordinator and d.state == "Stable" and #d.members == 3
end)
local after = c:describe_group("ledger")
w:note(string.format("At %.0f ms the group is Stable again on %s, generation %d.", w:now(),
  after.coordinator, after.generation))
ksim.check(after.coordinator ~= before.coordinator, "another broker coordinates the group")
ksim.check(after.generation > before.generation, "under a new generation")
local kept, owned = true, 0
for _, r in ipairs(after.partitions) do
  if (r.committed or -1) < committed[r.partition] then kept = false end
end
for _, m in ipairs(after.members) do owned = owned + #m.assignment end
ksim.check(kept, "the committed offsets survived: the new coordinator loaded them from its log")
ksim.check(owned == 6, "all six partitions are assigned among the three members")
w:run()
