-- compaction/02: a CDC changelog shrinking pass by pass.
--
-- 数据库 CDC（变更数据捕获）：每一行的每次更新都是一条以主键为 Key 的消息。压缩后，
-- 每个主键只剩最新的一行 —— 这就是一张可以随时重建的表。
-- A change-data-capture feed writes every update of a row as a record keyed by the row's
-- primary key. The cleaner wakes every log.cleaner.backoff.ms (15 s), and cleans when the
-- dirty part (written since its last pass) is more than min.cleanable.dirty.ratio (0.5)
-- of the cleanable log. Pass after pass, the log stays about one row per key.

local w = ksim.world{ seed = 2 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("inventory.customers", {
  partitions = 1,
  ["cleanup.policy"] = "compact",
  ["segment.bytes"] = 4096,  -- small segments, so segments fill and roll within seconds
})
local p = c:producer("debezium", { acks = "all", ["linger.ms"] = 0 })

local ROWS, UPDATES = 12, 600
local latest = {}   -- row id -> the offset and value of its latest change
w:spawn("cdc", function()
  for i = 1, UPDATES do
    local id = ("customer-%02d"):format((i * 7) % ROWS + 1)
    local value = ('{"id":"%s","version":%d,"email":"user%d@example.com"}'):format(id, i, i)
    local f = p:send("inventory.customers", { key = id, value = value, partition = 0 })
    p:flush()
    local md = f:get()
    latest[id] = { offset = md.offset, value = value }
    w:sleep(100)
  end
end)

w:note(("%d rows, %d updates, one every 100 ms: the log grows by about 100 bytes a " ..
        "record; a 4 KiB segment fills in about 4 s."):format(ROWS, UPDATES))

local passes, shrank, ratios_ok, guarantee = 0, 0, true, true
local last_checkpoint = -1
for step = 1, 5 do
  w:run_for(15000)
  local d = c:describe_log("inventory.customers", 0)
  if d.cleaner_checkpoint ~= last_checkpoint then
    passes = passes + 1
    last_checkpoint = d.cleaner_checkpoint
  end
  -- Below the checkpoint, a key holds only its latest value as of the checkpoint.
  local seen = {}
  for _, r in ipairs(c:log("inventory.customers", 0)) do
    if r.offset < d.cleaner_checkpoint then
      if seen[r.key] then guarantee = false end
      seen[r.key] = true
    end
  end
  w:note(("t=%3d s: %4d records in %d segments (log end %d), checkpoint %d, dirty ratio %.2f")
         :format(step * 15, d.records, #d.segments, d.log_end_offset, d.cleaner_checkpoint,
                 d.dirty_ratio))
  if d.records < d.log_end_offset // 2 then shrank = shrank + 1 end
end
w:note("The feed has stopped. Nothing new is dirty: the cleaner has nothing to do, and the " ..
       "last records stay in the active segment until more are written.")
w:run()

local d = c:describe_log("inventory.customers", 0)
ksim.check(passes == 4, ("while the feed ran (60 s) the cleaner made %d passes, one per " ..
                         "wake-up: each time the dirty ratio was far above 0.5"):format(passes))
ksim.check(shrank == 5, "after every pass the log holds under half of what was written")
ksim.check(guarantee, "below the cleaner checkpoint every key appears at most once")
local by_key = {}
for _, r in ipairs(c:log("inventory.customers", 0)) do by_key[r.key] = r end
local all_latest = true
for id, l in pairs(latest) do
  local r = by_key[id]
  if not r or r.offset ~= l.offset or r.value ~= l.value then all_latest = false end
end
ksim.check(all_latest, "every row's latest change is still in the log, at its original offset")
ksim.check(d.records < UPDATES // 4,
           ("%d updates were written, %d records remain"):format(UPDATES, d.records))
