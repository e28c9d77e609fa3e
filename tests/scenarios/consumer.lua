-- The consumer API through Lua: assign, seek, seek_to_beginning / seek_to_end, position,
-- max.poll.records, auto.offset.reset (earliest, latest, none).

local w = ksim.world{ seed = 5 }
local c = w:cluster("main", { brokers = 2 })
c:create_topic("events", { partitions = 2 })
local p = c:producer("p1", { ["enable.idempotence"] = false, ["linger.ms"] = 0 })

local function values(records)
  local out = {}
  for _, r in ipairs(records) do out[#out + 1] = r.value end
  return table.concat(out, ",")
end

w:spawn("app", function()
  for i = 1, 5 do p:send("events", { value = "e" .. i, partition = 0 }) end
  p:flush()

  local k = c:consumer("reader", { ["max.poll.records"] = 2, ["auto.offset.reset"] = "earliest" })
  k:assign{ { "events", 0 } }
  ksim.check(k:position("events", 0) == nil, "before the first poll the position is unknown")
  local got = k:poll(1000)
  ksim.check(values(got) == "e1,e2", "earliest starts at offset 0, two records a poll")
  ksim.check(k:position("events", 0) == 2, "the position moves past what poll returned")
  ksim.check(values(k:poll(1000)) == "e3,e4", "the next poll continues where the last stopped")

  k:seek("events", 0, 1)
  ksim.check(values(k:poll(1000)) == "e2,e3", "seek rewinds to the offset given")

  k:seek_to_end("events", 0)
  ksim.check(#k:poll(200) == 0, "after seek_to_end nothing old comes back")
  p:send("events", { value = "e6", partition = 0 })
  p:flush()
  ksim.check(values(k:poll(1000)) == "e6", "a record produced after seek_to_end is read")

  k:seek_to_beginning("events", 0)
  ksim.check(values(k:poll(1000)) == "e1,e2", "seek_to_beginning goes back to offset 0")

  local late = c:consumer("late", { ["auto.offset.reset"] = "latest" })
  late:assign{ { topic = "events", partition = 0 } }
  ksim.check(#late:poll(300) == 0, "latest skips what the partition held before")

  local strict = c:consumer("strict", { ["auto.offset.reset"] = "none" })
  strict:assign{ { "events", 1 } }
  local ok, err = pcall(strict.poll, strict, 100)
  ksim.check(not ok and tostring(err):find("no reset policy for partitions: [events-1]", 1, true),
             "with auto.offset.reset=none, poll fails naming the partition")
  local seek_ok = pcall(strict.seek, strict, "events", 0, 0)
  ksim.check(not seek_ok, "seek on a partition that is not assigned is an error")
end)

w:run()
