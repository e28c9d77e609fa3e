-- 02-range-imbalance: Range divides each topic on its own, so the same member gets the
-- extra partition of every topic.
--
-- Range（默认）：按 Topic 维度分配 …… 可能导致不均衡
--
-- Two consumers read five topics of 3 partitions each. Per topic, 3 / 2 = 1 remainder 1,
-- and the remainder goes to the first member by id every time: C1 ends with 10
-- partitions, C2 with 5. RoundRobin and the sticky assignors deal all 15 partitions
-- together and end 8 / 7.

local w = ksim.world{}

local topics, names = {}, {}
for i = 1, 5 do
  names[i] = "t" .. i
  topics[names[i]] = 3
end
local members = {
  { id = "C1", topics = names },
  { id = "C2", topics = names },
}

w:note("C1 and C2 subscribe to t1 .. t5, 3 partitions each: 15 partitions for 2 consumers.")
w:note(string.format("%-20s %4s %4s  %s", "assignor", "C1", "C2", "C1's partitions"))
local count = {}
for _, assignor in ipairs({ "range", "roundrobin", "sticky", "cooperative-sticky" }) do
  local a = ksim.assign{ assignor = assignor, topics = topics, members = members }
  count[assignor] = { C1 = #a.C1, C2 = #a.C2 }
  w:note(string.format("%-20s %4d %4d  %s", assignor, #a.C1, #a.C2, table.concat(a.C1, " ")))
end

w:note("Range gives C1 two partitions of every topic: t1-0 t1-1, t2-0 t2-1, ... . With more " ..
       "topics the gap grows: Range's spread is (number of topics) x 1 here.")
ksim.check(count.range.C1 == 10 and count.range.C2 == 5,
           "range: C1 gets 10 partitions, C2 gets 5 (the extra one of each topic goes to C1)")
for _, assignor in ipairs({ "roundrobin", "sticky", "cooperative-sticky" }) do
  ksim.check(count[assignor].C1 == 8 and count[assignor].C2 == 7,
             assignor .. ": 8 and 7, balanced across topics")
end

-- The same story as numbers: the group forming, then a third consumer.
local r = ksim.compare_assignors{ topics = topics, members = members,
                                  steps = { { join = "C3", topics = names } } }
w:note("A third consumer joins: 15 partitions / 3 = 5 each, and every assignor balances.")
for _, step in ipairs(r.steps) do
  for _, s in ipairs(r.strategies) do
    w:note(string.format("step %d %-20s min %2d  max %2d  spread %d", step.step, s, step[s].min,
                         step[s].max, step[s].spread))
  end
end
ksim.check(r.steps[1].range.spread == 5 and r.steps[2].range.spread == 0,
           "range's spread is 5 with two consumers, 0 with three (3 partitions per topic)")
