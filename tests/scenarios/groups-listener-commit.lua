-- Kafka calls onPartitionsRevoked while the member still owns the partitions, "so that
-- users can still access the previously owned partitions to commit offsets". A listener
-- that commits there succeeds, under the eager protocol (onJoinPrepare, before the
-- JoinGroup) and the cooperative one (onJoinComplete, before the assignment changes).
local w = ksim.world{ seed = 5 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("orders", { partitions = 4, ["replication.factor"] = 3 })
local p = c:producer("source", {})
w:spawn("source", function()
  for i = 1, 40 do p:send("orders", { key = "k" .. i, value = "v", partition = (i - 1) % 4 }) end
  p:flush()
end)

local function run(strategy)
  local t0 = w:now()
  local group = "g-" .. strategy
  local seen = { calls = 0, owned = -1, revoked = 0, errors = {} }
  local cfg = { ["group.id"] = group, ["auto.offset.reset"] = "earliest",
                ["enable.auto.commit"] = false, ["partition.assignment.strategy"] = strategy }
  local k1 = c:consumer("a-" .. strategy, cfg)
  w:spawn("a-" .. strategy, function()
    k1:subscribe({ "orders" }, {
      on_partitions_revoked = function(tps)
        seen.calls = seen.calls + 1
        if seen.calls > 1 then return end
        seen.owned, seen.revoked = #k1:assignment(), #tps
        local ok, err = pcall(k1.commit_sync, k1)
        if not ok then seen.errors[#seen.errors + 1] = err end
      end })
    while w:now() < t0 + 40000 do k1:poll(200) end
  end)
  w:run_until(function() return w:now() >= t0 + 12000 end)
  local k2 = c:consumer("b-" .. strategy, cfg)
  w:spawn("b-" .. strategy, function()
    k2:subscribe({ "orders" })
    while w:now() < t0 + 40000 do k2:poll(200) end
  end)
  w:run_until(function() return w:now() >= t0 + 30000 end)
  ksim.check(seen.calls >= 1 and seen.owned == 4,
    strategy .. ": in on_partitions_revoked the member still owns its 4 partitions (" ..
    tostring(seen.owned) .. ")")
  ksim.check(#seen.errors == 0, strategy .. ": commit_sync there succeeds " ..
    (seen.errors[1] or ""))
  local committed = 0
  for _, part in ipairs(c:describe_group(group).partitions) do
    if part.committed == 10 then committed = committed + 1 end
  end
  ksim.check(committed == 4, strategy .. ": the commit landed for all 4 partitions (" ..
    committed .. ")")
  return seen
end

local eager = run("range")
ksim.check(eager.revoked == 4, "eager: all 4 partitions are revoked")
local coop = run("cooperative-sticky")
ksim.check(coop.revoked == 2, "cooperative: only the 2 moving partitions are revoked")
w:run()
