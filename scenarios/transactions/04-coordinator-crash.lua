-- transactions/04: the coordinator crashes between PrepareCommit and the markers.
--
-- commitTransaction() returns as soon as the coordinator has written PrepareCommit to its
-- __transaction_state partition and the followers have it: from then on the commit is
-- decided. Here the coordinator's WriteTxnMarkers requests are lost and its broker crashes
-- before any marker is written. The records stay invisible to read_committed readers
-- until the broker that becomes the __transaction_state partition's new leader loads
-- PrepareCommit from the log and completes the commit: it writes the markers (each
-- partition's records become visible with its marker) and then CompleteCommit.

local w = ksim.world{ seed = 4 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("orders", { partitions = 3, ["replication.factor"] = 3 })
local p = c:producer("orders-app", { ["transactional.id"] = "orders-tx" })
local reader = c:consumer("reader", { ["isolation.level"] = "read_committed",
                                      ["auto.offset.reset"] = "earliest" })
reader:assign{ { "orders", 0 }, { "orders", 1 }, { "orders", 2 } }

local first, states, crashed_at = nil, {}, nil
w:spawn("app", function()
  p:init_transactions()
  first = c:describe_transactions("orders-tx")
  w:note("orders-tx 的协调者 is " .. first.coordinator ..
         ": abs(\"orders-tx\".hashCode()) % 50 = abs(-390713748) % 50 = 48.")
  w:fault{ drop = "request", api = "WriteTxnMarkers", from = first.coordinator }
  p:begin_transaction()
  for i = 1, 6 do p:send("orders", { key = "order-" .. i, value = "paid" }) end
  p:commit_transaction()
  table.insert(states, c:describe_transactions("orders-tx").state)
  w:note("commitTransaction() returned. The coordinator's markers are lost on the way; " ..
         first.coordinator .. " crashes.")
  w:crash(first.coordinator)
  crashed_at = w:now()
end)

-- Whether the partition of every record read already holds the COMMIT marker.
local function committed_marker(partition)
  for _, r in ipairs(c:log("orders", partition)) do
    if r.control == "COMMIT" then return true end
  end
  return false
end

local seen, seen_at, seen_coordinator, after_markers = 0, nil, nil, true
w:spawn("reader", function()
  while w:now() < 30000 do
    local recs = reader:poll(200)
    if #recs > 0 and not seen_at then
      seen_at = w:now()
      seen_coordinator = c:describe_transactions("orders-tx").coordinator
    end
    for _, r in ipairs(recs) do
      if not committed_marker(r.partition) then after_markers = false end
    end
    seen = seen + #recs
  end
end)

w:run()

local after = c:describe_transactions("orders-tx")
w:note(("The reader got the orders from %.0f ms on, each partition's once %s's COMMIT marker " ..
        "had reached it; CompleteCommit followed when every marker was written.")
  :format(seen_at or -1, after.coordinator))
ksim.check(states[1] == "PrepareCommit", "when commitTransaction() returned the state was PrepareCommit")
ksim.check(after.coordinator ~= first.coordinator, "another broker coordinates orders-tx now")
ksim.check(after.state == "CompleteCommit", "the new coordinator completed the commit")
ksim.check(seen_at ~= nil and seen_at > crashed_at and seen_coordinator ~= first.coordinator
           and after_markers,
           "the reader saw nothing before the new coordinator's COMMIT marker was on the partition")
ksim.check(seen == 6, "the read_committed reader got all 6 orders, once")
