-- transactions/05: the stuck consumer (a classroom puzzle).
--
-- "My read_committed consumer stopped, but the topic keeps getting messages!" A batch job
-- opened a transaction, wrote one record, and hung. A partition's last stable offset (LSO)
-- cannot pass the first offset of an open transaction, and read_committed consumers read
-- only below the LSO: every record after the job's, even plain non-transactional ones,
-- waits. read_uncommitted consumers go on. The coordinator aborts the transaction when
-- transaction.timeout.ms (60 s by default) has passed — it looks every 10 s — and the
-- consumer catches up at once.

local w = ksim.world{ seed = 5 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("events", { partitions = 1, ["replication.factor"] = 3 })
local job = c:producer("batch-job", { ["transactional.id"] = "stuck-tx" })
local web = c:producer("web", {})

local function reader(name, isolation)
  local k = c:consumer(name, { ["isolation.level"] = isolation, ["auto.offset.reset"] = "earliest" })
  k:assign{ { "events", 0 } }
  return k
end
local rc, ru = reader("read-committed", "read_committed"), reader("read-uncommitted", "read_uncommitted")

local opened_at
w:spawn("batch-job", function()
  job:init_transactions()
  job:begin_transaction()
  job:send("events", { key = "job", value = "half done" })
  job:flush()
  opened_at = w:now()
  w:note("The batch job wrote one record in a transaction and hangs: the transaction stays open.")
  w:pause("batch-job")
end)

w:spawn("web", function()
  while not opened_at do w:sleep(100) end
  for i = 1, 90 do
    web:send("events", { key = "click-" .. i, value = "page view" })
    w:sleep(1000)
  end
  web:flush()
end)

local first_at, count, saw_job = {}, {}, false
local function follow(k)
  local name = k:name()
  count[name] = 0
  w:spawn(name, function()
    while w:now() < 100000 do
      for _, r in ipairs(k:poll(500)) do
        if r.key == "job" and name == "read-committed" then saw_job = true end
        if r.key ~= "job" then
          count[name] = count[name] + 1
          first_at[name] = first_at[name] or w:now()
        end
      end
    end
  end)
end
follow(rc)
follow(ru)

w:at(30000, function()
  local d = c:describe_transactions("stuck-tx")
  w:note(("At 30 s: stuck-tx is %s for %.0f ms; read_uncommitted has read %d clicks, " ..
          "read_committed %d."):format(d.state, d.duration_ms or -1, count["read-uncommitted"],
          count["read-committed"]))
end)

w:run()

local d = c:describe_transactions("stuck-tx")
w:note(("read_committed got its first click at %.0f ms, after the coordinator aborted the " ..
        "transaction; read_uncommitted at %.0f ms."):format(first_at["read-committed"] or -1,
        first_at["read-uncommitted"] or -1))
ksim.check(first_at["read-uncommitted"] < 2000, "read_uncommitted reads the clicks at once")
ksim.check(first_at["read-committed"] >= opened_at + 60000 and
           first_at["read-committed"] <= opened_at + 71000,
           "read_committed waits at the LSO until transaction.timeout.ms (60 s) aborts the transaction")
ksim.check(count["read-committed"] == 90 and not saw_job,
           "then it reads all 90 clicks and never the aborted record")
ksim.check(d.state == "CompleteAbort", "the coordinator aborted stuck-tx")
