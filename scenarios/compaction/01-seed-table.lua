-- compaction/01: the seed guide's table, compacted as Kafka's log cleaner does it.
--
-- 日志压缩保留每个 Key 的最新 Value，删除旧值；Offset 不连续但保持顺序；
-- 墓碑消息保留一段时间（delete.retention.ms）后删除。
-- Compaction keeps the latest value of every key. Offsets never change, so gaps appear.
-- A tombstone (a null value) stays for delete.retention.ms after the cleaning that first
-- saw it, so consumers have time to see the delete; then it goes too.

local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("users", {
  partitions = 1, ["replication.factor"] = 3,
  ["cleanup.policy"] = "compact",
  ["segment.ms"] = 1000,                -- roll the active segment after 1 s of records
  ["delete.retention.ms"] = 60000,      -- tombstones stay 60 s after their first cleaning
  ["min.cleanable.dirty.ratio"] = 0.2,  -- one new segment is enough to wake the cleaner
})
local p = c:producer("p1", { acks = "all" })

local function send(key, value)
  p:send("users", { key = key, value = value, partition = 0 })
  p:flush()
end

-- The records of users-0 at offsets first..last, as "offset:key=value" words.
local function table_of(first, last, broker)
  local out = {}
  for _, r in ipairs(c:log("users", 0, broker)) do
    if r.offset >= first and r.offset <= last then
      out[#out + 1] = ("%d:%s=%s"):format(r.offset, r.key, r.value or "null")
    end
  end
  return table.concat(out, " ")
end

-- Whether every replica's cleaner has checkpointed `offset`.
local function cleaned(offset)
  for _, b in ipairs(c:brokers()) do
    if c:describe_log("users", 0, b).cleaner_checkpoint ~= offset then return false end
  end
  return true
end

w:note("原始日志 / the original log: K1=V1, K2=V2, K1=V3, K3=V4, K2=null (tombstone), K1=V5.")
w:spawn("app", function()
  send("K1", "V1"); send("K2", "V2"); send("K1", "V3")
  send("K3", "V4"); send("K2", nil);  send("K1", "V5")
end)
w:run_for(500)
ksim.check(table_of(0, 5) == "0:K1=V1 1:K2=V2 2:K1=V3 3:K3=V4 4:K2=null 5:K1=V5",
           "the log holds the seed's six records at offsets 0..5")
ksim.check(#c:describe_log("users", 0).segments == 1,
           "all six are in the active segment, which the cleaner never touches")

w:note("Kafka never cleans the active segment. Two seconds later K4 is written: its " ..
       "timestamp is more than segment.ms after the segment's first batch, so the segment " ..
       "rolls and offsets 0..5 become cleanable.")
w:spawn("app", function() w:sleep(1500); send("K4", "V6") end)
w:run_until(function() return cleaned(6) end, 30000)
ksim.check(table_of(0, 5) == "3:K3=V4 4:K2=null 5:K1=V5",
           "after the first cleaning: K3@3, K1@5, and the tombstone K2@4 is still there")
local d = c:describe_log("users", 0)
ksim.check(d.cleaner_checkpoint == 6 and d.dirty_ratio == 0,
           "the cleaner's checkpoint is 6: everything below it is clean")
ksim.check(table_of(0, 5, "broker-2") == "3:K3=V4 4:K2=null 5:K1=V5",
           "each replica cleans its own copy: broker-2's log agrees")

local k = c:consumer("reader", { ["auto.offset.reset"] = "earliest" })
k:assign{ { "users", 0 } }
local seen = {}
w:spawn("reader", function()
  for _ = 1, 5 do
    for _, r in ipairs(k:poll(500)) do
      seen[#seen + 1] = ("%d:%s=%s"):format(r.offset, r.key, r.value or "null")
    end
  end
end)
w:run_for(3000)
ksim.check(table.concat(seen, " ") == "3:K3=V4 4:K2=null 5:K1=V5 6:K4=V6",
           "a consumer from the beginning sees the gaps, and the tombstone tells it K2 is deleted")

w:note("delete.retention.ms (60 s) passes. The next cleaning removes the tombstone: it is " ..
       "K2's latest record and its batch's delete horizon is behind us.")
w:spawn("app", function() w:sleep(61000); send("K4", "V7") end)
w:spawn("app2", function() w:sleep(63000); send("K4", "V8") end)
w:run_until(function() return cleaned(8) end, 120000)
ksim.check(table_of(0, 5) == "3:K3=V4 5:K1=V5",
           "压缩后 / after compaction and tombstone expiry: exactly K3@3 and K1@5")
ksim.check(table_of(0, 5, "broker-3") == "3:K3=V4 5:K1=V5", "broker-3's copy agrees")
w:note("特点：K1 只保留最新值 V5；K2 被删除；Offset 不连续但保持顺序；墓碑消息保留一段时间后删除。")
