-- replication/03: unclean leader election, on and off, side by side.
--
-- unclean.leader.election.enable=false（默认）：ISR 里没有存活副本时分区不可用，但不丢已确认的消息；
-- =true：选一个不同步的副本当 Leader，分区立刻可用，但已确认的消息丢失。可用性 vs. 一致性。
-- Two identical clusters live through the same story: the follower falls out of the ISR,
-- the leader acknowledges more writes alone, then dies. "safe" keeps the partition offline
-- until the leader returns; "unclean" elects the stale follower at once and loses data.

local w = ksim.world{ seed = 13 }

local function setup(name, unclean)
  local c = w:cluster(name, { brokers = 2, ["replica.lag.time.max.ms"] = 5000 })
  c:create_topic("events", { partitions = 1, ["replication.factor"] = 2,
                             ["min.insync.replicas"] = 1,
                             ["unclean.leader.election.enable"] = unclean })
  local b = c:brokers()
  return { c = c, name = name, leader = b[1], follower = b[2],
           p = c:producer(name .. "-app", { acks = "all", ["enable.idempotence"] = false,
                                            ["delivery.timeout.ms"] = 120000 }) }
end

local safe = setup("safe", false)
local unclean = setup("unclean", true)
local both = { safe, unclean }

w:note("Two clusters: 'safe' (unclean.leader.election.enable=false, Kafka's default) with " ..
       "broker-1 and broker-2, and 'unclean' (=true) with unclean-broker-1 and unclean-broker-2.")

local acked, during = {}, {}
local offline_seen = {}
for _, s in ipairs(both) do
  acked[s.name] = {}
  w:spawn(s.name, function()
    s.p:send("events", { key = "e1", value = "on both replicas" }):get()
    w:partition(s.leader, s.follower)
    w:sleep(8000)
    for i = 2, 3 do
      local md = s.p:send("events", { key = "e" .. i, value = "leader only" }):get()
      if md then acked[s.name][#acked[s.name] + 1] = md.offset end
    end
    w:crash(s.leader)
    w:sleep(10000)
    offline_seen[s.name] = s.c:metrics().OfflinePartitionsCount
    w:heal()
    during[s.name] = s.p:send("events", { key = "e4", value = "written during the outage" })
  end)
end

w:at(1000, function()
  w:note("Each follower is cut off from its leader. After replica.lag.time.max.ms (5 s here) " ..
         "the leader shrinks the ISR to itself; with min.insync.replicas=1 it keeps acknowledging.")
end)
w:at(8100, function()
  w:note("Both leaders acknowledged e2 and e3 alone, and now both crash.")
end)
w:at(17500, function()
  w:note("9 s later the controllers fence the dead leaders. 'safe' has no ISR member alive: " ..
         "events-0 is OFFLINE. 'unclean' elects its out-of-sync follower: online again.")
end)
w:run_for(40000)
w:note("Both leaders come back.")
for _, s in ipairs(both) do w:restart(s.leader) end
w:run_for(40000)

local function values(log)
  local v = {}
  for _, r in ipairs(log) do v[#v + 1] = r.key end
  return table.concat(v, ",")
end
local safe_log = safe.c:log("events", 0)
local unclean_log = unclean.c:log("events", 0)
w:note("safe: " .. values(safe_log) .. "    unclean: " .. values(unclean_log))

ksim.check(#acked.safe == 2 and #acked.unclean == 2,
           "in both clusters the leader alone acknowledged e2 and e3")
ksim.check(offline_seen.safe == 1 and offline_seen.unclean == 0,
           "during the outage 'safe' has one offline partition, 'unclean' none")
ksim.check(values(safe_log) == "e1,e2,e3,e4",
           "safe: nothing acknowledged was lost; e4 waited until broker-1 led again")
ksim.check(values(unclean_log) == "e1,e4",
           "unclean: e2 and e3 were acknowledged and are gone; e4 was accepted during the outage")
ksim.check(select(1, during.safe:get()).offset == 3 and select(1, during.unclean:get()).offset == 1,
           "e4 landed at offset 3 on 'safe' and at offset 1 on 'unclean'")
ksim.check(values(unclean.c:log("events", 0, "unclean-broker-1")) == "e1,e4",
           "the old 'unclean' leader truncated its e2 and e3 when it came back as a follower")
