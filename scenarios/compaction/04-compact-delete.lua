-- compaction/04: cleanup.policy = compact,delete: latest value per key, but nothing older
-- than retention.ms.
--
-- compact,delete：既压缩（每个 Key 只留最新值），又按 retention.ms 删除过期的段 ——
-- 即使某个 Key 的最新值在过期的段里，也会被删除。
-- With both policies the cleaner compacts the log and, on the same thread, deletes whole
-- segments whose newest record is older than retention.ms, even when they hold a key's
-- only value. A consumer positioned before the new log start gets OFFSET_OUT_OF_RANGE and
-- follows auto.offset.reset.

local w = ksim.world{ seed = 4 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("prices", {
  partitions = 1, ["replication.factor"] = 3,
  ["cleanup.policy"] = "compact,delete",
  ["retention.ms"] = 60000,   -- 1 minute
  ["segment.ms"] = 10000,     -- a segment per 10 s of records
  ["segment.bytes"] = 1000,   -- small, so the cleaner does not merge every segment into one
})
local p = c:producer("feed", { acks = "all" })
local function send(key, value)
  p:send("prices", { key = key, value = value, partition = 0 })
  p:flush()
end

w:spawn("feed", function()
  send("delisted-stock", "12.50")
  w:note("delisted-stock gets one price and never another.")
  for i = 1, 150 do
    w:sleep(1000)
    send(("stock-%d"):format(i % 3), ("%d.00"):format(100 + i))
  end
end)

local k = c:consumer("auditor", { ["auto.offset.reset"] = "earliest" })
k:assign{ { "prices", 0 } }
local first_seen = {}
w:spawn("auditor", function()
  for _, r in ipairs(k:poll(1000)) do first_seen[#first_seen + 1] = r.offset end
  w:note("The auditor read the first record, then goes quiet for two minutes.")
  w:sleep(120000)
  while w:now() < 153000 do
    for _, r in ipairs(k:poll(500)) do first_seen[#first_seen + 1] = r.offset end
  end
end)

w:note("A segment's age, for retention.ms, is the age of its newest record. The cleaner " ..
       "merges small cleaned segments up to segment.bytes: a merged segment is as young as " ..
       "its newest record, so with Kafka's 1 GiB segments an old value can outlive " ..
       "retention.ms for as long as it shares a segment with fresh ones.")
w:run_for(80000)
local d = c:describe_log("prices", 0)
local has_delisted = false
for _, r in ipairs(c:log("prices", 0)) do
  if r.key == "delisted-stock" then has_delisted = true end
end
ksim.check(d.log_start_offset > 0,
           ("retention moved the log start to %d: the first segment was older than " ..
            "retention.ms"):format(d.log_start_offset))
ksim.check(not has_delisted,
           "delisted-stock's only value is gone: compact alone would have kept it forever")
local keys = {}
local dup = false
for _, r in ipairs(c:log("prices", 0)) do
  if r.offset < d.cleaner_checkpoint then
    if keys[r.key] then dup = true end
    keys[r.key] = true
  end
end
ksim.check(not dup, "below the cleaner checkpoint each key still has one value: the log is compacted too")
w:run_for(75000)
local d2 = c:describe_log("prices", 0, "broker-3")
ksim.check(d2.log_start_offset > 0, "the followers delete their old segments as well")
ksim.check(#first_seen > 1 and first_seen[2] >= d.log_start_offset,
           "the auditor's old position fell below the log start: it was reset to the earliest offset")
ksim.check(k:position("prices", 0) == c:describe_log("prices", 0).log_end_offset,
           ("and then read up to the end (position %d, log end %d)")
           :format(k:position("prices", 0), c:describe_log("prices", 0).log_end_offset))
