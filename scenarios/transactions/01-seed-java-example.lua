-- transactions/01: the seed's Java example, committed and then aborted, with a
-- read_committed and a read_uncommitted consumer side by side.
--
-- 事务：跨分区的原子性写入。The guide's producer writes key1 to topic1 and key2 to topic2 in
-- one transaction and commits; ksim then runs the catch branch: a second transaction
-- (key3, key4) hits an exception and is aborted. Both transactions' records reach the logs;
-- the commit and abort markers decide who sees them. A read_committed consumer (只读取已
-- 提交的消息) sees key1 and key2 only; a read_uncommitted one (the default) sees all four.

local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("topic1", { partitions = 1, ["replication.factor"] = 3 })
c:create_topic("topic2", { partitions = 1, ["replication.factor"] = 3 })

-- props.put("transactional.id", "my-transactional-id"); props.put("enable.idempotence", "true");
local producer = c:producer("producer", { ["transactional.id"] = "my-transactional-id",
                                          ["enable.idempotence"] = true })

local function reader(name, isolation)
  local k = c:consumer(name, { ["isolation.level"] = isolation,
                               ["auto.offset.reset"] = "earliest" })
  k:assign{ { "topic1", 0 }, { "topic2", 0 } }
  return k
end
local committed_reader = reader("read-committed", "read_committed")
local everything_reader = reader("read-uncommitted", "read_uncommitted")

local seen = { ["read-committed"] = {}, ["read-uncommitted"] = {} }
local function poll_into(k)
  for _, r in ipairs(k:poll(100)) do table.insert(seen[k:name()], r.key) end
end

local aborted_with
w:spawn("app", function()
  w:note("my-transactional-id 的协调者：abs(\"my-transactional-id\".hashCode()) % 50 = " ..
         "abs(-959806496) % 50 = 46, the leader of __transaction_state-46.")
  -- 初始化事务
  producer:init_transactions()
  local d = c:describe_transactions("my-transactional-id")
  w:note(("initTransactions(): coordinator %s gave producer id %d, epoch %d; state %s.")
    :format(d.coordinator, d.producer_id, d.producer_epoch, d.state))

  -- 开始事务 / 发送多条消息（跨 Topic/分区）/ 提交事务
  producer:begin_transaction()
  producer:send("topic1", { key = "key1", value = "value1" })
  producer:send("topic2", { key = "key2", value = "value2" })
  w:sleep(200)
  w:note("key1 and key2 are in the logs, not yet committed: the LSO of topic1-0 and topic2-0 " ..
         "stays at the transaction's first offset, so read_committed sees nothing yet.")
  producer:commit_transaction()
  w:note("commitTransaction() returned: PrepareCommit is durable; the markers follow.")

  -- the catch branch: an exception inside the transaction, then abortTransaction()
  producer:begin_transaction()
  producer:send("topic1", { key = "key3", value = "value3" })
  producer:send("topic2", { key = "key4", value = "value4" })
  local ok, err = pcall(function()
    producer:flush()
    error("the business check failed after the sends", 0)
  end)
  if not ok then
    aborted_with = err
    w:note("catch (Exception e): " .. err .. " -> abortTransaction()")
    -- 回滚事务
    producer:abort_transaction()
  end
end)

w:spawn("readers", function()
  while w:now() < 5000 do
    poll_into(committed_reader)
    poll_into(everything_reader)
  end
end)

w:run()

local function list(t) return table.concat(t, ",") end
local rc, ru = seen["read-committed"], seen["read-uncommitted"]
w:note("read_committed saw " .. list(rc) .. "; read_uncommitted saw " .. list(ru) .. ".")
ksim.check(aborted_with ~= nil, "the second transaction took the catch branch")
table.sort(rc); table.sort(ru)
ksim.check(list(rc) == "key1,key2", "read_committed returns exactly the committed key1 and key2")
ksim.check(list(ru) == "key1,key2,key3,key4",
           "read_uncommitted returns all four records, the aborted key3 and key4 included")
local markers = 0
for _, t in ipairs({ "topic1", "topic2" }) do
  for _, r in ipairs(c:log(t, 0)) do
    if r.control then markers = markers + 1 end
  end
end
ksim.check(markers == 4, "each partition holds a COMMIT and an ABORT marker (control records)")
local d = c:describe_transactions("my-transactional-id")
ksim.check(d.state == "CompleteAbort", "the coordinator's last state is CompleteAbort")
