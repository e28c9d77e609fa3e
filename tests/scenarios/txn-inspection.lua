-- Transactions as the inspection API shows them on a partition without any: the last
-- stable offset equals the high watermark, and a plain record is neither transactional
-- nor a marker (control = false). Markers show as control = "COMMIT" or "ABORT".

local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 1 })
local p = c:producer("p1", {})
w:spawn("app", function()
  p:send("t", { key = "k", value = "v" })
  p:flush()
end)
w:run()
local log = c:log("t", 0)
ksim.check(log.last_stable_offset == log.high_watermark and log.high_watermark == 1,
           "without transactions the last stable offset is the high watermark (1)")
ksim.check(log[1].control == false and log[1].transactional == false,
           "a plain record is neither transactional nor a marker")
ksim.check(c:describe_topic("t").partitions[1].lso == 1, "describe_topic shows the LSO too")
ksim.check(c:describe_log("t", 0).first_uncleanable_offset == 0,
           "the cleaner's range stops at the active segment (and the LSO)")
