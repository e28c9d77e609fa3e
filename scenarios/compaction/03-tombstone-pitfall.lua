-- compaction/03: the tombstone pitfall: a consumer slower than delete.retention.ms misses
-- the delete.
--
-- 墓碑消息只保留 delete.retention.ms。一个落后太久的消费者回来时，墓碑已被清理，
-- 它永远不知道那个 Key 被删除了 —— 它的本地缓存里留着一条“幽灵”记录。
-- A tombstone stays delete.retention.ms after the cleaning that first saw it. A consumer
-- that reads the key's value, then falls further behind than that, comes back to a log
-- where the value and the tombstone are both gone: nothing tells it the key was deleted.

local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("sessions", {
  partitions = 1,
  ["cleanup.policy"] = "compact",
  ["segment.ms"] = 1000,
  ["delete.retention.ms"] = 20000,   -- 20 s (Kafka's default is one day)
})
local p = c:producer("app", { acks = "all" })

local function send(key, value)
  p:send("sessions", { key = key, value = value, partition = 0 })
  p:flush()
end

-- Two caches that materialize the topic as a table: key -> value, a tombstone deletes.
local function cache_reader(name)
  local k = c:consumer(name, { ["auto.offset.reset"] = "earliest" })
  k:assign{ { "sessions", 0 } }
  local cache = {}
  local function read(ms)
    for _, r in ipairs(k:poll(ms)) do cache[r.key] = r.value end
  end
  return cache, read
end
local tombstone_written = false
local fast, fast_read = cache_reader("fast-cache")
local slow, slow_read = cache_reader("slow-cache")

w:spawn("writer", function()
  send("alice", "logged in")
  send("bob", "logged in")
  w:sleep(2000)
  w:note("alice logs out: the application deletes her session with a tombstone (value null).")
  send("alice", nil)
  tombstone_written = true
  -- Busy traffic for other users keeps the segments rolling and the cleaner working.
  for i = 1, 90 do
    w:sleep(1000)
    send(("user-%d"):format(i % 5), ("seen at %d s"):format(i))
  end
end)

w:spawn("fast-cache", function()
  for _ = 1, 200 do fast_read(500) end
end)

w:spawn("slow-cache", function()
  slow_read(500)
  w:note("slow-cache has read alice's session, then stalls for 60 s (a long GC, a " ..
         "redeploy, a stuck batch job): longer than delete.retention.ms.")
  w:sleep(60000)
  for _ = 1, 40 do slow_read(500) end
end)

w:run_until(function()
  if not tombstone_written then return false end
  for _, r in ipairs(c:log("sessions", 0)) do
    if r.key == "alice" then return false end
  end
  return true
end, 120000)
w:note(("t=%d s: the cleaner has removed alice's tombstone; her key is gone from the log.")
       :format(w:now() // 1000))
w:run_for(40000)

ksim.check(fast.alice == nil, "fast-cache saw the tombstone and deleted alice")
ksim.check(slow.alice == "logged in",
           "slow-cache never saw the tombstone: it still holds alice's session (a ghost)")
ksim.check(slow.bob == "logged in" and fast.bob == "logged in",
           "both caches agree on keys that were not deleted")
w:note("教训：消费者的最大延迟必须小于 delete.retention.ms；否则用全量重建（从头读取）来修正本地状态。")
w:note("Lesson: keep consumers' lag under delete.retention.ms, or rebuild their state " ..
       "from the beginning of the topic.")
