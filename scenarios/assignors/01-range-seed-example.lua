-- 01-range-seed-example: RangeAssignor on the course's own example.
--
-- 示例：3 个分区，2 个消费者
-- Topic A: P0, P1, P2 / Consumer 1: P0, P1 / Consumer 2: P2
--
-- Range works topic by topic: it sorts the subscribers of a topic (by member id), divides
-- the topic's partitions by their number, and gives each one a contiguous block; the
-- first (partitions % consumers) members get one partition more. ksim runs Kafka 3.9's
-- RangeAssignor itself, so the answer below is Kafka's, to the partition. (It is the
-- default: a consumer's partition.assignment.strategy is [range, cooperative-sticky], and
-- a group uses the first assignor that every member lists.)

local w = ksim.world{}

w:note("Range（默认）：按 Topic 维度分配，每个 Topic 的分区连续分配给消费者")
w:note("Topic A has 3 partitions (P0, P1, P2; Kafka writes them A-0, A-1, A-2) and two " ..
       "consumers of one group subscribe to it.")

local group = {
  assignor = "range",
  topics = { A = 3 },
  members = {
    { id = "Consumer 1", topics = { "A" } },
    { id = "Consumer 2", topics = { "A" } },
  },
}
local a = ksim.assign(group)

w:note("3 partitions / 2 consumers = 1, remainder 1: Consumer 1, first by id, takes one extra.")
w:note(string.format("%-12s %s", "consumer", "partitions"))
for _, m in ipairs(group.members) do
  w:note(string.format("%-12s %s", m.id, table.concat(a[m.id], ", ")))
end

ksim.check(table.concat(a["Consumer 1"], ",") == "A-0,A-1", "Consumer 1 gets P0 and P1")
ksim.check(table.concat(a["Consumer 2"], ",") == "A-2", "Consumer 2 gets P2")

-- The order of members in the group does not matter to Range: it sorts them by member id.
group.members = { group.members[2], group.members[1] }
local b = ksim.assign(group)
ksim.check(table.concat(b["Consumer 1"], ",") == "A-0,A-1",
           "listing Consumer 2 first changes nothing: Range sorts members by id")

-- Static members (group.instance.id) come first, sorted by their instance id.
group.members[1].instance = "instance-1"
local c = ksim.assign(group)
w:note("With group.instance.id = instance-1, Consumer 2 is a static member: Range puts " ..
       "static members first, so now Consumer 2 gets P0 and P1.")
ksim.check(table.concat(c["Consumer 2"], ",") == "A-0,A-1" and c["Consumer 1"][1] == "A-2",
           "a static member comes before dynamic ones")
