-- cluster:describe_transactions from Lua: the list is empty before any transactional
-- producer, and an id no coordinator knows is an error in Kafka's words.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 3 })
c:create_topic("t", { partitions = 1 })
w:run_for(1000)

local list = c:describe_transactions()
ksim.check(type(list) == "table" and #list == 0, "no transactional ids before any transactional producer")
local ok, err = pcall(c.describe_transactions, c, "my-transactional-id")
ksim.check(not ok and err:find("TRANSACTIONAL_ID_NOT_FOUND", 1, true) ~= nil,
  "an unknown transactional id is TRANSACTIONAL_ID_NOT_FOUND")
ok, err = pcall(c.describe_transactions, c, {})
ksim.check(not ok and err:find("string expected", 1, true) ~= nil, "the id must be a string")
