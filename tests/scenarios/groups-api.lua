-- The consumer group API from Lua: errors in Kafka's words, subscribe with a listener,
-- commit_sync, commit_async with its callback, assignment, position, describe_group.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 2 })

local plain = c:consumer("plain", {})
local ok, err = pcall(plain.subscribe, plain, { "t" })
ksim.check(not ok and err:find("you must provide a valid group.id", 1, true) ~= nil,
  "subscribe without group.id fails with Kafka's message")
ok, err = pcall(c.consumer, c, "bad", { ["group.id"] = "g", ["partition.assignment.strategy"] = "fair" })
ksim.check(not ok and err:find("Class fair cannot be found", 1, true) ~= nil,
  "an unknown assignor is refused when the consumer is made")
ksim.check(c:describe_group("nobody").state == "Dead", "a group that does not exist is Dead")

local short = c:consumer("short", { ["group.id"] = "g2", ["session.timeout.ms"] = 1000,
                                   ["heartbeat.interval.ms"] = 500 })
short:subscribe({ "t" })
ok, err = pcall(short.poll, short, 5000)
ksim.check(not ok and err:find("INVALID_SESSION_TIMEOUT", 1, true) ~= nil,
  "a session.timeout.ms below group.min.session.timeout.ms makes poll fail")
short:close()

local p = c:producer("p", {})
for i = 1, 10 do p:send("t", { key = "k" .. i, value = "v" .. i, partition = i % 2 }) end
p:flush()

local k = c:consumer("k", { ["group.id"] = "g", ["auto.offset.reset"] = "earliest",
                            ["enable.auto.commit"] = false })
ok, err = pcall(k.subscribe, k, { "t" }, { on_partition_assigned = function() end })
ksim.check(not ok and err:find("on_partition_assigned", 1, true) ~= nil,
  "a misspelt listener method is refused")
local assigned, async_err = {}, "not called"
k:subscribe({ "t" }, { on_partitions_assigned = function(tps)
  for _, tp in ipairs(tps) do assigned[#assigned + 1] = tp.topic .. "-" .. tp.partition end
end })
ok, err = pcall(k.assign, k, { { "t", 0 } })
ksim.check(not ok and err:find("mutually exclusive", 1, true) ~= nil,
  "assign after subscribe is refused")
local got = 0
while got < 10 do got = got + #k:poll(1000) end
table.sort(assigned)
ksim.check(table.concat(assigned, ",") == "t-0,t-1", "the listener heard both partitions assigned")
ksim.check(#k:assignment() == 2, "assignment() lists them")
ksim.check(k:position("t", 0) == 5 and k:position("t", 1) == 5, "positions after reading all")
k:commit_sync()
local d = c:describe_group("g")
ksim.check(d.state == "Stable" and d.partitions[1].committed == 5 and d.partitions[1].lag == 0,
  "commit_sync stored the positions: lag 0")
p:send("t", { key = "x", value = "y", partition = 0 })
p:flush()
k:poll(1000)
k:commit_async(function(e) async_err = e end)
w:run_for(100)
ksim.check(async_err == nil, "commit_async's callback reports success with nil")
ksim.check(c:describe_group("g").partitions[1].committed == 6, "and the new offset is stored")
k:close()
w:run_for(100)
ksim.check(c:describe_group("g").state == "Empty", "close leaves the group: Empty")

-- Manual assignment with a group.id: positions start from the group's committed offsets,
-- and commit_sync works outside poll (Kafka's commitSync drives the network itself).
local m = c:consumer("manual", { ["group.id"] = "g", ["auto.offset.reset"] = "earliest" })
m:assign{ { "t", 0 } }
m:poll(2000)
ksim.check(m:position("t", 0) == 6, "a manual consumer of group g starts at g's committed offset 6")
m:seek("t", 0, 2)
m:commit_sync()
ksim.check(c:describe_group("g").partitions[1].committed == 2,
  "its commit_sync (generation -1, the group is Empty) is stored")

ok, err = pcall(c.consumer, c, "hb", { ["group.id"] = "g", ["session.timeout.ms"] = 6000,
                                       ["heartbeat.interval.ms"] = 6000 })
ksim.check(not ok and err:find("Heartbeat must be set lower than the session timeout", 1, true) ~= nil,
  "heartbeat.interval.ms must be below session.timeout.ms, as Kafka checks")

-- Without on_partitions_lost, lost partitions go to on_partitions_revoked (Java's default).
local revoked_calls = 0
local slow = c:consumer("slow", { ["group.id"] = "g3", ["max.poll.interval.ms"] = 2000,
                                  ["heartbeat.interval.ms"] = 500, ["auto.offset.reset"] = "earliest" })
slow:subscribe({ "t" }, { on_partitions_revoked = function() revoked_calls = revoked_calls + 1 end })
while #slow:assignment() == 0 do slow:poll(500) end
w:run_for(3000) -- no poll: the heartbeat thread leaves the group
slow:poll(100)
w:run_for(10)
ksim.check(revoked_calls == 1, "the lost partitions reached on_partitions_revoked")

-- A commit_async still in flight when the run ends is simply dropped.
local last = c:consumer("last", { ["group.id"] = "g4" })
last:assign{ { "t", 0 } }
last:seek("t", 0, 1)
last:commit_async(function() end)
last:commit_async()
