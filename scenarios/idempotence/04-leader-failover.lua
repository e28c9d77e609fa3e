-- idempotence/04: the leader dies while batches are in flight.
--
-- Leader 切换：新 Leader 作为 Follower 时已经复制了批次及其 PID/序列号，
-- 所以它认得重试的批次，不会重复写入，也不会留下空洞。
-- A follower copies the leader's batches with their producer id, epoch and sequence numbers
-- and keeps the same producer state the leader keeps. When it becomes leader, retried
-- batches whose acknowledgements died with the old leader are recognised as duplicates.
-- Two identical clusters live through the same failure: 'classic' without idempotence,
-- 'idem' with it.

local w = ksim.world{ seed = 31 }
local N = 20

local function setup(name, idempotent)
  local c = w:cluster(name, { brokers = 3 })
  c:create_topic("orders", { partitions = 1, ["replication.factor"] = 3,
                             ["min.insync.replicas"] = 2 })
  local p = c:producer(name .. "-app", {
    ["enable.idempotence"] = idempotent,
    acks = "all",
    ["linger.ms"] = 0,
    ["max.in.flight.requests.per.connection"] = 5,
    ["request.timeout.ms"] = 3000,
  })
  return { c = c, p = p, name = name, leader = c:brokers()[1], acked = 0 }
end

local classic = setup("classic", false)
local idem = setup("idem", true)
local both = { classic, idem }

w:note("Both clusters: orders-0 with three replicas led by broker-1, acks=all, " ..
       "min.insync.replicas=2, up to 5 requests in flight.")

for _, s in ipairs(both) do
  w:spawn(s.name, function()
    -- A first record: the producer has its metadata (and, idempotent, its producer id).
    s.p:send("orders", { key = "o0", value = "order 0" }):get()
    w:sleep(1000 - w:now())
    local fs = {}
    for i = 1, N do
      fs[i] = s.p:send("orders", { key = "o" .. i, value = "order " .. i })
      w:sleep(2)
    end
    s.p:flush()
    for i = 1, N do
      if fs[i]:get() then s.acked = s.acked + 1 end
    end
  end)
  -- From 1015 ms on the leader's Produce answers are lost; 10 ms later it crashes. The
  -- batches it wrote meanwhile are on the followers, but the producer never heard of them.
  w:fault{ drop = "response", api = "Produce", from = s.leader, to = s.name .. "-app", at = 1015 }
  w:at(1025, function() w:crash(s.leader) end)
end

w:at(1025, function()
  w:note("broker-1 crashes in both clusters with batches in flight. Its last answers were lost: " ..
         "the producers will send those batches again to the next leader.")
end)
w:run_for(20000)
w:note("The controller fenced broker-1 after its session timeout and elected broker-2. The " ..
       "retried batches reached it: 'classic' appended them again, 'idem' found their " ..
       "sequences in the producer state it had built as a follower and answered with the " ..
       "original offsets.")
for _, s in ipairs(both) do w:restart(s.leader) end
w:run_for(20000)

local function copies(s)
  local seen, dups, ordered, last = {}, 0, true, 0
  for _, r in ipairs(s.c:log("orders", 0)) do
    local i = tonumber(r.value:match("%d+"))
    if seen[i] then dups = dups + 1 else
      seen[i] = true
      if i < last then ordered = false end
      last = i
    end
  end
  local missing = 0
  for i = 0, N do if not seen[i] then missing = missing + 1 end end
  return dups, missing, ordered
end

local cd, cm = copies(classic)
local idd, idm, ido = copies(idem)
w:note(("classic: %d duplicates; idem: %d duplicates, %d missing"):format(cd, idd, idm))
ksim.check(classic.acked == N and idem.acked == N, "every record was acknowledged in both clusters")
ksim.check(cd > 0, "without idempotence the failover left duplicates (acks=all does not prevent them)")
ksim.check(idd == 0, "with idempotence the new leader's log has no duplicate")
ksim.check(idm == 0 and cm == 0, "no acknowledged record is missing in either cluster")
ksim.check(ido, "with idempotence the records are in send order: no gap, no reordering")
local d = idem.c:describe_topic("orders").partitions[1]
ksim.check(d.leader == "idem-broker-2" and #d.isr == 3,
           "broker-2 leads, and broker-1 rejoined the ISR after its restart")
