-- A rebalance listener slower than max.poll.interval.ms: in Kafka the listener runs inside
-- poll(), so the poll interval runs on while it works, and the heartbeat thread leaves the
-- group when it expires (the slow onPartitionsAssigned of many rebalance storms).
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("t", { partitions = 4, ["replication.factor"] = 3 })
local k = c:consumer("a", { ["group.id"] = "g", ["max.poll.interval.ms"] = 10000,
                            ["session.timeout.ms"] = 6000, ["heartbeat.interval.ms"] = 1000,
                            ["auto.offset.reset"] = "earliest" })
local listener_done_at
w:spawn("a", function()
  k:subscribe({ "t" }, { on_partitions_assigned = function(tps)
    if not listener_done_at then
      w:sleep(30000)
      listener_done_at = w:now()
    end
  end })
  while w:now() < 60000 do pcall(k.poll, k, 200) end
end)
w:run_for(25000)
local d = c:describe_group("g")
ksim.check(listener_done_at == nil, "the listener is still working at 25 s")
ksim.check(d.generation >= 2,
           "meanwhile max.poll.interval.ms expired: the member left and the group rebalanced")
