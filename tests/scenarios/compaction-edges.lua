-- Edge cases of compaction and retention, end to end:
-- a keyless record refused by a compacted topic (INVALID_RECORD, as Kafka's LogValidator);
-- cleanup.policy validated at topic creation;
-- a follower that was down while retention deleted segments starts over at the leader's
-- log start offset (AbstractFetcherThread: truncateFullyAndStartAt);
-- a consumer reading a cleaned range, with gaps and emptied batches, reaches the end.

local w = ksim.world{ seed = 8 }
local c = w:cluster("main", { brokers = 2, ["log.retention.check.interval.ms"] = 5000 })
c:create_topic("compacted", { partitions = 1, ["cleanup.policy"] = "compact",
                              ["segment.ms"] = 1000, ["replication.factor"] = 2 })
c:create_topic("events", { partitions = 1, ["replication.factor"] = 2,
                           ["retention.ms"] = 20000, ["segment.ms"] = 5000 })
local okc, err = pcall(c.create_topic, c, "bad", { ["cleanup.policy"] = "compress" })
ksim.check(not okc and err:find("cleanup.policy") ~= nil,
           "an unknown cleanup.policy is refused at topic creation, naming the key")

local p = c:producer("p1", { acks = "all", retries = 0 })
local keyless_err
w:spawn("keyless", function()
  local f = p:send("compacted", { value = "no key", partition = 0 })
  local md, e = f:get()
  keyless_err = e
end)
w:run_for(1000)
ksim.check(keyless_err == "INVALID_RECORD",
           "a record without a key sent to a compacted topic fails with INVALID_RECORD")
ksim.check(#c:log("compacted", 0) == 0, "and nothing was appended")

-- The follower of events-0 goes down; the leader keeps writing and retention deletes.
local leader = c:leader("events", 0)
local follower = leader == "broker-1" and "broker-2" or "broker-1"
w:crash(follower)
w:spawn("writer", function()
  for i = 1, 60 do
    p:send("events", { key = "k" .. (i % 4), value = "v" .. i, partition = 0 })
    p:send("compacted", { key = "k" .. (i % 4), value = "v" .. i, partition = 0 })
    p:flush()
    w:sleep(1000)
  end
end)
w:run_for(62000)
local start = c:describe_log("events", 0).log_start_offset
ksim.check(start > 0, ("retention moved the leader's log start to %d"):format(start))
w:restart(follower)
w:run_for(20000)
local fd = c:describe_log("events", 0, follower)
ksim.check(fd.log_start_offset >= start and fd.log_end_offset == c:describe_log("events", 0).log_end_offset,
           "the restarted follower started over at the leader's log start and caught up")
local fl = c:log("events", 0, follower)
ksim.check(#fl > 0 and fl[1].offset >= start, "it holds nothing below the leader's log start")

local k = c:consumer("reader", { ["auto.offset.reset"] = "earliest" })
k:assign{ { "compacted", 0 } }
local got, last = 0, -1
w:spawn("reader", function()
  while w:now() < 95000 do
    for _, r in ipairs(k:poll(500)) do got = got + 1; last = r.offset end
  end
end)
w:run_for(15000)
local cl = c:log("compacted", 0)
ksim.check(got == #cl and last == cl[#cl].offset,
           ("a consumer of the compacted topic reads its %d records across the gaps"):format(#cl))
ksim.check(k:position("compacted", 0) == c:describe_log("compacted", 0).log_end_offset,
           "and its position reaches the log end")
