-- Every fault of the scenario API against the real Kafka slice, each with its outcome
-- checked: delay, duplicate, crash on a message, partitions both ways and one way, heal,
-- pause and resume, crash and restart with the log surviving.

local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 1 })
local topics = { "delayed", "doubled", "cut", "oneway", "paused", "restarted", "shot" }
for _, t in ipairs(topics) do
  c:create_topic(t, { partitions = 2 })
end
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1",
                             ["request.timeout.ms"] = 1000,
                             ["delivery.timeout.ms"] = 30000 })

-- Test records go to partition 0; partition 1 only takes the warm-up.
local function send0(topic, value)
  return p:send(topic, { key = "k", value = value, partition = 0 })
end

local function send_and_wait(topic, value)
  return send0(topic, value):get()
end

w:spawn("app", function()
  -- Warm the metadata so that every fault below is about Produce alone.
  for _, t in ipairs(topics) do
    p:send(t, { value = "warm-up", partition = 1 })
  end
  p:flush()

  -- delay: the request arrives 50 ms late.
  local id = w:fault{ delay = 50, api = "Produce", dir = "request", count = 1 }
  local t0 = w:now()
  local md = send_and_wait("delayed", "late")
  ksim.check(md ~= nil and w:now() - t0 >= 50, "a delayed request is acknowledged at least 50 ms later")
  ksim.check(w:fault_hits(id) == 1, "the delay rule fired once")

  -- duplicate: the broker receives the request twice and appends twice.
  w:fault{ duplicate = true, api = "Produce", dir = "request", count = 1 }
  md = send_and_wait("doubled", "twice")
  ksim.check(md ~= nil and #c:log("doubled", 0) == 2, "a duplicated request is appended twice")

  -- both-way partition: nothing gets through until the heal, then the retry succeeds.
  local cut = w:partition({ "p1" }, { "broker-1" })
  local f = send0("cut", "across")
  w:sleep(2500)
  ksim.check(not f:done() and #c:log("cut", 0) == 0,
             "during a partition the record neither arrives nor completes")
  w:heal(cut)
  md = f:get()
  ksim.check(md ~= nil and #c:log("cut", 0) == 1, "after the heal the retry gets through once")

  -- one-way partition: requests arrive, answers do not: the retry duplicates.
  local one = w:partition({ "broker-1" }, { "p1" }, { oneway = true })
  f = send0("oneway", "echo")
  w:sleep(1500)
  w:heal(one)
  md = f:get()
  ksim.check(md ~= nil and #c:log("oneway", 0) >= 2,
             "with only the answers cut, every retry writes the record again")

  -- pause: the broker holds the request, then appends it when resumed.
  w:pause("broker-1", 300)
  t0 = w:now()
  md = send_and_wait("paused", "held")
  ksim.check(md ~= nil and w:now() - t0 >= 300, "a paused broker answers only after its pause")

  -- crash and restart: the log is on disk and survives.
  send_and_wait("restarted", "before")
  w:crash("broker-1")
  w:sleep(100)
  w:restart("broker-1")
  md = send_and_wait("restarted", "after")
  local log = c:log("restarted", 0)
  ksim.check(md ~= nil and #log == 2 and log[1].value == "before" and log[2].value == "after",
             "a restarted broker keeps its log and appends after it")

  -- crash on a message: the broker dies as the request arrives; the record waits for the
  -- restart and then gets through.
  w:fault{ crash = true, api = "Produce", to = "broker-1", count = 1 }
  f = send0("shot", "boom")
  w:sleep(500)
  ksim.check(#c:log("shot", 0) == 0 and not f:done(), "the crash rule fires before the append")
  w:restart("broker-1")
  md = f:get()
  ksim.check(md ~= nil and #c:log("shot", 0) == 1, "after the restart the retry is appended once")
end)

w:run()
