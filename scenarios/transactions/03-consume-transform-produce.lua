-- transactions/03: consume-transform-produce, exactly once across crashes.
--
-- 精确一次：the billing service reads orders, writes one invoice per order, and hands its
-- consumer offsets to the same transaction (sendOffsetsToTransaction). The invoices and the
-- offsets commit together or not at all. The service crashes twice in the middle of a
-- transaction; each time its supervisor restarts it, initTransactions() aborts what the
-- crashed instance left open, and the consumer resumes from the offsets committed with the
-- last committed transaction. The orders of the aborted transactions are processed again,
-- so their invoices are written twice to the log, but a read_committed reader sees every
-- order's invoice exactly once.

local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("orders", { partitions = 2, ["replication.factor"] = 3 })
c:create_topic("invoices", { partitions = 2, ["replication.factor"] = 3 })

local ORDERS = 120
local shop = c:producer("shop", {})
w:spawn("shop", function()
  for i = 1, ORDERS do
    shop:send("orders", { key = "order-" .. i, value = tostring(i) })
    w:sleep(50)
  end
  shop:flush()
end)

-- A static member (group.instance.id): the restarted instance takes its place in the group at
-- once instead of waiting for the crashed one's session to expire.
local k = c:consumer("billing-in", { ["group.id"] = "billing", ["group.instance.id"] = "billing-0",
                                     ["enable.auto.commit"] = false,
                                     ["isolation.level"] = "read_committed",
                                     ["auto.offset.reset"] = "earliest",
                                     ["max.poll.records"] = 10 })
local p = c:producer("billing-out", { ["transactional.id"] = "billing-0" })

local crash_after = { [4] = true, [11] = true } -- transactions that crash before their commit
local txns, crashes = 0, 0

local function run()
  p:init_transactions()
  k:subscribe({ "orders" })
  while w:now() < 40000 do
    local records = k:poll(100)
    if #records > 0 then
      p:begin_transaction()
      txns = txns + 1
      local next_offset = {}
      for _, r in ipairs(records) do
        p:send("invoices", { key = r.key, value = "invoice for order " .. r.value })
        next_offset[r.partition] = r.offset + 1
      end
      local offsets = {}
      for partition, offset in pairs(next_offset) do
        table.insert(offsets, { topic = "orders", partition = partition, offset = offset })
      end
      table.sort(offsets, function(a, b) return a.partition < b.partition end)
      p:send_offsets_to_transaction(offsets, k:group_metadata())
      if crash_after[txns] then
        crash_after[txns] = nil
        crashes = crashes + 1
        p:flush() -- the invoices reach the log, uncommitted
        w:note(("Transaction %d sent %d invoices and its offsets; the service crashes before " ..
                "commitTransaction()."):format(txns, #records))
        w:crash("billing-in")
        w:crash("billing-out")
      end
      p:commit_transaction()
    end
  end
end

w:spawn("billing", function()
  while w:now() < 40000 do
    local ok, err = pcall(run)
    if not ok then
      w:sleep(500)
      w:note("The supervisor restarts the service (" .. tostring(err):gsub("^.-: ", "") .. ").")
      w:restart("billing-in")
      w:restart("billing-out")
    end
  end
end)

w:run_until(function() return w:now() >= 40000 end)

local function read(isolation)
  local r = c:consumer("check-" .. isolation, { ["isolation.level"] = isolation,
                                                ["auto.offset.reset"] = "earliest" })
  r:assign{ { "invoices", 0 }, { "invoices", 1 } }
  local count, total = {}, 0
  w:spawn("check-" .. isolation, function()
    for _ = 1, 50 do
      for _, rec in ipairs(r:poll(50)) do
        count[rec.key] = (count[rec.key] or 0) + 1
        total = total + 1
      end
    end
  end)
  return count, function() return total end
end
local committed, n_committed = read("read_committed")
local everything, n_everything = read("read_uncommitted")
w:run()

local once = true
for i = 1, ORDERS do
  if committed["order-" .. i] ~= 1 then once = false end
end
w:note(("The invoices log holds %d invoices; read_committed returns %d, one per order.")
  :format(n_everything(), n_committed()))
ksim.check(crashes == 2, "the service crashed twice in the middle of a transaction")
ksim.check(once and n_committed() == ORDERS, "read_committed: every order's invoice exactly once")
ksim.check(n_everything() > ORDERS,
           "read_uncommitted also returns the invoices of the aborted transactions")
