-- The world API through Lua: the clock and the run variants, w:at, per-link latency,
-- send callbacks and futures, probability faults and their hit counts, notes.

local w = ksim.world{ seed = 11, latency = 1 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t")
local p = c:producer("p1", { ["enable.idempotence"] = false, acks = "1" })

ksim.check(w:now() == 0, "the clock starts at 0 ms")
ksim.check(w:run_for(250) == "deadline" and w:now() == 250,
           "run_for lets time pass even when nothing happens")

-- w:at starts a task at an absolute time.
local started_at
w:at(400, function() started_at = w:now() end)
w:run()
ksim.check(started_at == 400, "w:at runs its function at the time given")

-- Latency: the default (1 ms each way) and a slower link.
local t0 = w:now()
local md = p:send("t", { key = "a", value = "1" }):get()
local first = w:now() - t0
ksim.check(md and md.offset == 0, "the main chunk can wait on a future like a Java main thread")
w:latency("p1", "broker-1", 20, { both = true })
t0 = w:now()
p:send("t", { key = "a", value = "2" }):get()
ksim.check(w:now() - t0 >= 40 and w:now() - t0 > first,
           "a slower link makes the round trip at least 40 ms")

-- Callbacks run once the record is done, with the metadata or the error name.
local calls, seen = 0, nil
local f = p:send("t", { key = "b", value = "3" }, function(m, err)
  calls = calls + 1
  seen = err == nil and m.offset or err
end)
ksim.check(not f:done(), "a future is not done right after send")
ksim.check(w:run_until(function() return calls > 0 end, 1000) == "predicate",
           "run_until stops as soon as the condition holds")
ksim.check(calls == 1 and seen == 2, "the callback ran once with the record's offset")

-- A probability fault: with this seed, some of 40 responses are lost and retried.
local id = w:fault{ drop = "response", api = "Produce", probability = 0.25 }
p:close()
local q = c:producer("p2", { ["enable.idempotence"] = false, acks = "1",
                             ["request.timeout.ms"] = 200, ["delivery.timeout.ms"] = 60000 })
for i = 1, 40 do q:send("t", { key = "k" .. i, value = tostring(i), partition = 0 }):get() end
local hits = w:fault_hits(id)
ksim.check(hits > 0 and hits < 40, "a probability fault fires on some messages, not all")
ksim.check(#c:log("t", 0) >= 3 + 40, "every record got through, some of them more than once")
ksim.check(w:clear_fault(id) and not w:clear_fault(id), "a rule is cleared once")
w:note("done: " .. hits .. " responses were lost")

-- Kafka refuses topics whose names differ only by '.' and '_' (they collide in metrics).
c:create_topic("a.b")
local ok, err = pcall(c.create_topic, c, "a_b")
ksim.check(not ok and tostring(err):find("Topic 'a_b' collides with existing topic: a.b", 1, true),
           "a topic colliding with another in metric names is refused, as Kafka does")
