-- Lag: what kafka-consumer-groups.sh --describe shows, for a group too slow for its topic.
-- The producer writes 60 records/s over three partitions; each consumer handles 25
-- records/s (40 ms a record). One consumer falls behind, two still do, three catch up. A
-- fourth finds no partition left: a group never uses more consumers than partitions.
local w = ksim.world{ seed = 8 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("clicks", { partitions = 3, ["replication.factor"] = 3 })
local p = c:producer("web", { ["linger.ms"] = 5 })
w:spawn("web", function()
  local n = 0
  while w:now() < 100000 do
    for i = 0, 2 do n = n + 1; p:send("clicks", { key = "user-" .. n, value = "click", partition = i }) end
    w:sleep(50)
  end
end)

local consumers = {}
local function add_member(name)
  local k = c:consumer(name, { ["group.id"] = "analytics", ["auto.offset.reset"] = "earliest",
                               ["auto.commit.interval.ms"] = 1000, ["max.poll.records"] = 25 })
  consumers[#consumers + 1] = k
  w:spawn(name, function()
    k:subscribe({ "clicks" })
    while w:now() < 100000 do
      local recs = k:poll(500)
      w:sleep(40 * #recs)
    end
  end)
end

local function lag()
  local d = c:describe_group("analytics")
  local total, rows = 0, {}
  for _, r in ipairs(d.partitions) do
    total = total + (r.lag or 0)
    rows[#rows + 1] = string.format("%s-%d lag %d", r.topic, r.partition, r.lag or 0)
  end
  w:note(string.format("%d member(s), %s: %s (total lag %d)", #d.members, d.state,
    table.concat(rows, ", "), total))
  return total, d
end

local samples = {}
for i, t in ipairs({ 20000, 40000, 60000, 80000 }) do
  add_member("c" .. i)
  w:run_until(function() return w:now() >= t end)
  samples[i] = { lag() }
end

ksim.check(samples[1][1] > 0, "one consumer falls behind: the lag grows")
ksim.check(samples[2][1] > samples[1][1], "two consumers (50 records/s) still fall behind")
ksim.check(samples[3][1] < samples[2][1], "three consumers (75 records/s) catch up: the lag shrinks")
local idle = 0
for _, m in ipairs(samples[4][2].members) do if #m.assignment == 0 then idle = idle + 1 end end
ksim.check(#samples[4][2].members == 4 and idle == 1,
  "a fourth consumer joins but gets no partition: it idles")
ksim.check(samples[4][1] < samples[3][1], "and the three others keep shrinking the lag")
