-- consumer:group_metadata() as Java's KafkaConsumer.groupMetadata(): what a transactional
-- producer's send_offsets_to_transaction takes.
local w = ksim.world{ seed = 3 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("t", { partitions = 2 })

local plain = c:consumer("plain", {})
local ok, err = pcall(plain.group_metadata, plain)
ksim.check(not ok and err:find("you must provide a valid group.id", 1, true) ~= nil,
  "group_metadata without group.id fails with Kafka's message")

local k = c:consumer("k", { ["group.id"] = "app", ["group.instance.id"] = "k-1" })
local md = k:group_metadata()
ksim.check(md.group_id == "app" and md.generation_id == -1 and md.member_id == ""
  and md.group_instance_id == "k-1", "before joining: generation -1, member id \"\"")
k:subscribe({ "t" })
while #k:assignment() == 0 do k:poll(500) end
md = k:group_metadata()
ksim.check(md.generation_id == 1 and md.member_id:find("^k%-") ~= nil
  and md.group_instance_id == "k-1", "after the join: the generation and the member id")
local d = c:describe_group("app")
ksim.check(d.generation == md.generation_id and d.members[1].member_id == md.member_id,
  "the same as the coordinator's")

local dyn = c:consumer("dyn", { ["group.id"] = "other" })
ksim.check(dyn:group_metadata().group_instance_id == nil, "a dynamic member has no instance id")
