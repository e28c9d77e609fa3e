-- Two ways a member can disappear for a while.
--
-- 1. A crash. Nobody sends LeaveGroup; the coordinator notices only when the member's
--    heartbeats stop for session.timeout.ms, removes it and rebalances its partitions to
--    the others.
-- 2. A rolling restart of static members (group.instance.id). Each restarted process
--    joins with an empty member id but a known instance id: the coordinator gives it a
--    new member id in place of the old one and the assignment it had, without a rebalance,
--    as long as it is back within session.timeout.ms.
local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("events", { partitions = 6, ["replication.factor"] = 3 })
local p = c:producer("source", {})
w:spawn("source", function()
  for i = 1, 600 do p:send("events", { key = "e" .. i, value = "x" }); w:sleep(100) end
  p:flush()
end)

local function member(group, name, extra)
  local cfg = { ["group.id"] = group, ["session.timeout.ms"] = 10000,
                ["auto.offset.reset"] = "earliest" }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  local k = c:consumer(name, cfg)
  w:spawn(name, function()
    k:subscribe({ "events" })
    while w:now() < 60000 do
      -- A poll in a crashed process fails; the loop goes on when it is back.
      if not pcall(k.poll, k, 200) then w:sleep(100) end
    end
  end)
  return k
end

for i = 1, 3 do member("dynamic", "d" .. i) end
for i = 1, 3 do member("static", "s" .. i, { ["group.instance.id"] = "instance-" .. i }) end

w:run_until(function() return w:now() >= 15000 end)
local d0, s0 = c:describe_group("dynamic"), c:describe_group("static")
ksim.check(d0.state == "Stable" and #d0.members == 3, "the dynamic group is Stable with 3 members")
ksim.check(s0.state == "Stable" and #s0.members == 3, "the static group is Stable with 3 members")

w:note("d3 crashes: no LeaveGroup, its heartbeats just stop.")
w:crash("d3")
w:run_until(function() return w:now() >= 21000 end)
ksim.check(c:describe_group("dynamic").generation == d0.generation,
  "6 s later the coordinator still counts on d3 (session.timeout.ms = 10 s)")
w:run_until(function() return w:now() >= 27000 end)
local d1 = c:describe_group("dynamic")
ksim.check(#d1.members == 2 and d1.generation == d0.generation + 1,
  "once its session expired, d3 is removed and the group rebalanced")
local owned = 0
for _, m in ipairs(d1.members) do owned = owned + #m.assignment end
ksim.check(owned == 6, "d1 and d2 own all six partitions")

w:note("Rolling restart of the static members, one every 6 s, each down for 4 s.")
for i = 1, 3 do
  w:crash("s" .. i)
  w:run_for(4000)
  w:restart("s" .. i)
  w:run_for(2000)
end
w:run_until(function() return w:now() >= 50000 end)
local s1 = c:describe_group("static")
ksim.check(s1.generation == s0.generation and s1.state == "Stable",
  "the static group went through the rolling restart without a rebalance")
local before = {}
for _, m in ipairs(s0.members) do before[m.instance_id] = m.member_id end
local ids, renewed = {}, 0
for _, m in ipairs(s1.members) do
  ids[#ids + 1] = m.instance_id .. "=" .. #m.assignment
  if before[m.instance_id] ~= m.member_id then renewed = renewed + 1 end
end
ksim.check(renewed == 3, "every restarted instance came back under a new member id")
table.sort(ids)
w:note("static members after the restart: " .. table.concat(ids, ", "))
ksim.check(table.concat(ids, ",") == "instance-1=2,instance-2=2,instance-3=2",
  "each instance kept its two partitions")
w:run()
