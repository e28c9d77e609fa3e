-- Processing that outlasts max.poll.interval.ms. The heartbeat thread keeps the session
-- alive, but it also watches the time since the last poll(): past max.poll.interval.ms it
-- sends LeaveGroup and drops the generation ("consumer poll timeout has expired"). The
-- application finds out at its next commit: CommitFailedException, the partitions are
-- lost, and the next poll() joins the group again as a new member.
--
-- The seed's remedies, each in its own group on the same records:
--   * a larger max.poll.interval.ms (time for a whole batch),
--   * a smaller max.poll.records (batches that fit in the interval).
local w = ksim.world{ seed = 5 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("invoices", { partitions = 1, ["replication.factor"] = 3 })
local p = c:producer("loader", {})
for i = 1, 600 do p:send("invoices", { key = "inv-" .. i, value = "amount=" .. i }) end
p:flush()

local PER_RECORD_MS = 50 -- the application's processing time per record

local function app(name, settings)
  local cfg = { ["group.id"] = name, ["auto.offset.reset"] = "earliest",
                ["enable.auto.commit"] = false }
  for k, v in pairs(settings) do cfg[k] = v end
  local k = c:consumer(name, cfg)
  local result = { failures = {}, committed = 0, lost = 0 }
  w:spawn(name, function()
    k:subscribe({ "invoices" }, { on_partitions_lost = function() result.lost = result.lost + 1 end })
    for _ = 1, 3 do
      local recs = k:poll(5000)
      w:sleep(#recs * PER_RECORD_MS)
      local ok, err = pcall(k.commit_sync, k)
      if ok then result.committed = result.committed + #recs
      else result.failures[#result.failures + 1] = err end
    end
    k:close()
  end)
  return result
end

local slow = app("slow", { ["max.poll.interval.ms"] = 10000 })
local longer = app("longer-interval", { ["max.poll.interval.ms"] = 40000 })
local smaller = app("smaller-batches", { ["max.poll.interval.ms"] = 10000, ["max.poll.records"] = 100 })

w:note("500 records x 50 ms = 25 s of processing per poll, against max.poll.interval.ms = 10 s.")
w:run()

w:note("slow: " .. (slow.failures[1] or "no failure"))
w:note(string.format("committed: slow %d, longer-interval %d, smaller-batches %d",
  slow.committed, longer.committed, smaller.committed))
ksim.check(#slow.failures > 0 and slow.failures[1]:find("CommitFailedException", 1, true) ~= nil,
  "the slow consumer's commit fails with CommitFailedException")
ksim.check(slow.lost > 0, "its partitions were lost (onPartitionsLost), not revoked")
ksim.check(#longer.failures == 0 and longer.committed == 600,
  "with max.poll.interval.ms = 40 s every batch is processed and committed")
ksim.check(#smaller.failures == 0 and smaller.committed == 300,
  "with max.poll.records = 100 each batch fits in the interval and commits")
