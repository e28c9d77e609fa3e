-- 03-roundrobin-spread: RoundRobin deals the partitions of all topics in one circle.
--
-- RoundRobin：所有 Topic 的分区混在一起，轮询分配，更均衡，但可能打散同一 Topic 的分区
--
-- RoundRobin sorts the members (static members first, then by member id) and stands them
-- in a circle; it sorts every subscribed partition by topic, then partition, and hands
-- them out one by one to the next member that subscribes to the partition's topic. The
-- circle does not restart at a new topic, so the topics' partitions interleave.

local w = ksim.world{}

local topics = { a = 2, b = 2, c = 2 }
local all = { "a", "b", "c" }
local members = {
  { id = "C1", topics = all },
  { id = "C2", topics = all },
  { id = "C3", topics = all },
}
w:note("Three topics of 2 partitions and three consumers: 6 partitions, 2 each would be fair.")

local function show(assignor)
  local a = ksim.assign{ assignor = assignor, topics = topics, members = members }
  for _, m in ipairs(members) do
    local parts = #a[m.id] > 0 and table.concat(a[m.id], " ") or "(none)"
    w:note(string.format("%-11s %-3s %s", assignor, m.id, parts))
  end
  return a
end
local range = show("range")
local rr = show("roundrobin")

w:note("Range splits each topic over C1 and C2 (2 partitions, 3 consumers: C3 gets none of " ..
       "any topic). RoundRobin's circle goes on where it stopped: b-0 goes to C3.")
ksim.check(#range.C3 == 0 and #range.C1 == 3, "range: C3 gets nothing, C1 and C2 three each")
ksim.check(table.concat(rr.C1, " ") == "a-0 b-1" and table.concat(rr.C2, " ") == "a-1 c-0" and
           table.concat(rr.C3, " ") == "b-0 c-1",
           "roundrobin: a-0 C1, a-1 C2, b-0 C3, b-1 C1, c-0 C2, c-1 C3")

-- With different subscriptions the circle skips members, and RoundRobin can be far off.
-- This is the example of Kafka's RoundRobinAssignor javadoc.
w:note("Different subscriptions (Kafka's javadoc): C0 reads t0; C1 reads t0, t1; C2 reads " ..
       "t0, t1, t2. t0 has 1 partition, t1 2, t2 3.")
topics = { t0 = 1, t1 = 2, t2 = 3 }
members = {
  { id = "C0", topics = { "t0" } },
  { id = "C1", topics = { "t0", "t1" } },
  { id = "C2", topics = { "t0", "t1", "t2" } },
}
local skew = show("roundrobin")
local sticky = show("sticky")
w:note("RoundRobin: t1-1 goes to C2, the next subscriber of t1 in the circle after C1, " ..
       "and all of t2 goes to C2, its only subscriber. Sticky balances instead: both t1 " ..
       "partitions go to C1, the member with fewer.")
ksim.check(table.concat(skew.C0, " ") == "t0-0" and table.concat(skew.C1, " ") == "t1-0" and
           table.concat(skew.C2, " ") == "t1-1 t2-0 t2-1 t2-2",
           "roundrobin: C0 [t0-0], C1 [t1-0], C2 [t1-1 t2-0 t2-1 t2-2], as Kafka's javadoc says")
ksim.check(#sticky.C1 == 2 and #sticky.C2 == 3, "sticky: C1 gets both t1 partitions")
