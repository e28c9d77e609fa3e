-- The partition side of transactions end to end: a transactional producer commits one
-- transaction and aborts the next over two partitions, plain records in between. The log
-- shows the markers as control records; read_committed consumers read the committed and
-- plain records only, read_uncommitted every data record; neither gets a marker; each
-- starts at its own end (LSO or HW) with auto.offset.reset=latest while a transaction is
-- open.

local w = ksim.world{ seed = 21 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("out", { partitions = 2, ["replication.factor"] = 3 })
local p = c:producer("tx", { ["transactional.id"] = "part-tx" })
local plain = c:producer("plain", {})

local function reader(name, isolation, reset)
  local k = c:consumer(name, { ["isolation.level"] = isolation, ["auto.offset.reset"] = reset })
  k:assign{ { "out", 0 }, { "out", 1 } }
  return k
end

local function read_all(k)
  local keys = {}
  for _ = 1, 5 do
    for _, r in ipairs(k:poll(500)) do keys[#keys + 1] = r.key end
  end
  table.sort(keys)
  return table.concat(keys, " ")
end

p:init_transactions()
p:begin_transaction()
p:send("out", { key = "c1", value = "committed", partition = 0 })
p:send("out", { key = "c2", value = "committed", partition = 1 })
p:commit_transaction()
plain:send("out", { key = "p1", value = "plain", partition = 0 })
plain:flush()
p:begin_transaction()
p:send("out", { key = "a1", value = "aborted", partition = 0 })
p:send("out", { key = "a2", value = "aborted", partition = 1 })
p:flush()

-- While the second transaction is open: the LSO of out-0 stops at a1.
local d0 = c:describe_topic("out").partitions[1]
ksim.check(d0.lso == 3 and d0.high_watermark == 4,
           "out-0 while a1 is open: LSO 3 (a1's offset), HW 4")
local late_rc = reader("late-rc", "read_committed", "latest")
local late_ru = reader("late-ru", "read_uncommitted", "latest")
late_rc:poll(200)
late_ru:poll(200)
ksim.check(late_rc:position("out", 0) == 3 and late_ru:position("out", 0) == 4,
           "auto.offset.reset=latest starts read_committed at the LSO (3), read_uncommitted at the HW (4)")

p:abort_transaction()
-- EndTxn is answered once the abort is decided; the markers follow.
w:run_for(1000)
local log0 = c:log("out", 0)
local markers = {}
for _, r in ipairs(log0) do
  if r.control then markers[#markers + 1] = r.offset .. ":" .. r.control end
end
ksim.check(table.concat(markers, " ") == "1:COMMIT 4:ABORT",
           "out-0 holds the COMMIT at 1 and the ABORT at 4 as control records")
ksim.check(log0.last_stable_offset == log0.high_watermark and log0.high_watermark == 5,
           "after the abort the LSO is the HW again (5)")

local rc = reader("rc", "read_committed", "earliest")
local ru = reader("ru", "read_uncommitted", "earliest")
ksim.check(read_all(rc) == "c1 c2 p1", "read_committed reads c1, c2 and p1: never a1, a2 or a marker")
ksim.check(read_all(ru) == "a1 a2 c1 c2 p1", "read_uncommitted reads every data record, no marker")
ksim.check(rc:position("out", 0) == 5 and ru:position("out", 0) == 5,
           "both end past the ABORT marker (position 5)")
