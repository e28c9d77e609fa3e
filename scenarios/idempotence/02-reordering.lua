-- idempotence/02: several requests in flight, a lost request, and the order of the log.
--
-- max.in.flight.requests.per.connection=5：同一连接上最多 5 个未确认的请求。
-- 不开幂等时，第一个请求丢失后重试，后面的批次先写入：分区内顺序被打乱。
-- 开启幂等时，Broker 拒绝有“空洞”的序列号（OUT_OF_ORDER_SEQUENCE_NUMBER），
-- 客户端按序列号顺序重发：顺序得以保持。
-- Two identical clusters, one producer each, the same story: four records A, B, C, D sent
-- 1 ms apart (linger.ms=0, so each goes in its own request), and the request carrying A is
-- lost. As on TCP, the connection is then broken: B, C and D, sent behind A on it, are lost
-- with it. Nothing here is scripted but the loss: the order is what each protocol makes of
-- the retries.

local w = ksim.world{ seed = 21 }

local function setup(name, idempotent)
  local c = w:cluster(name, { brokers = 1 })
  c:create_topic("events", { partitions = 1 })
  local p = c:producer(name .. "-app", {
    ["enable.idempotence"] = idempotent,
    ["max.in.flight.requests.per.connection"] = 5,
    ["linger.ms"] = 0,
    ["request.timeout.ms"] = 1000,
  })
  return { c = c, p = p, name = name, broker = c:brokers()[1] }
end

local classic = setup("classic", false)
local idem = setup("idem", true)

w:note("Two clusters: 'classic' (enable.idempotence=false) and 'idem' (enable.idempotence=true), " ..
       "both with max.in.flight.requests.per.connection=5.")

local done = {}
for _, s in ipairs({ classic, idem }) do
  w:spawn(s.name, function()
    -- A first record makes the broker know the producer (see the note at the end).
    s.p:send("events", { value = "warm-up" }):get()
    -- The next Produce request from this producer (the one carrying A) is lost.
    w:fault{ drop = "request", api = "Produce", from = s.name .. "-app", to = s.broker, count = 1 }
    for _, v in ipairs({ "A", "B", "C", "D" }) do
      s.p:send("events", { value = v })
      w:sleep(1)
    end
    s.p:flush()
    done[s.name] = true
  end)
end

w:at(300, function()
  w:note("Both: A's request was lost, and B, C and D went on the same (now broken) " ..
         "connection. After request.timeout.ms (1 s) the producer closes it and all four " ..
         "requests fail at once.")
  w:note("classic: each failed batch goes back to the head of the partition's queue " ..
         "(RecordAccumulator.reenqueue), the last one handled first in line: they are " ..
         "sent again D, C, B, A.")
  w:note("idem: a retried batch keeps its sequence number and goes only when it is the " ..
         "first one in flight: A (sequence 1), then B, C, D.")
end)

w:run()

local function order(s)
  local out = {}
  for _, r in ipairs(s.c:log("events", 0)) do
    if r.value ~= "warm-up" then out[#out + 1] = r.value end
  end
  return table.concat(out, " ")
end

w:note("classic log: " .. order(classic) .. "    idem log: " .. order(idem))
ksim.check(done.classic and done.idem, "both producers delivered all four records")
ksim.check(order(classic) == "D C B A",
           "without idempotence the retries land in reverse (D C B A): send order is lost")
ksim.check(order(idem) == "A B C D", "with idempotence the log keeps send order: A B C D")
ksim.check(#idem.c:log("events", 0) == 5 and #classic.c:log("events", 0) == 5,
           "neither log holds a duplicate")
w:note("幂等生产者在 max.in.flight ≤ 5 时保证分区内有序：Broker 为每个 PID 保留最近 5 个批次。")
