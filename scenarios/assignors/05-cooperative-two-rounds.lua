-- 05-cooperative-two-rounds: CooperativeSticky hands a partition over in two rebalances.
--
-- CooperativeSticky：Sticky 的增量版本，配合 Cooperative Rebalance 使用
-- 增量协作式 Rebalance（Cooperative）：只撤销需要移动的分区，其他分区继续消费
--
-- Under the cooperative protocol (KIP-429) members keep what they own when they rejoin
-- and report it (ownedPartitions, with their generation). The assignor gives nobody a
-- partition that another member still owns: such a partition is left out, its owner
-- revokes it, and because something was revoked the group rebalances once more, where
-- the free partition finds its new owner. Below, each round is one call of Kafka's
-- CooperativeStickyAssignor, fed what a real group would send it.

local w = ksim.world{}
local topics = { orders = 6 }
local function member(id, owned, generation)
  return { id = id, topics = { "orders" }, owned = owned, generation = generation }
end
local function show(round, a, ids)
  for _, id in ipairs(ids) do
    local parts = #a[id] > 0 and table.concat(a[id], " ") or "(nothing yet)"
    w:note(string.format("%-8s %-3s %s", round, id, parts))
  end
end
local function assign(members)
  return ksim.assign{ assignor = "cooperative-sticky", topics = topics, members = members }
end

-- Generation 1: C1 and C2 form the group.
local g1 = assign{ member("C1"), member("C2") }
w:note("Generation 1: C1 and C2 share orders, 3 partitions each.")
show("gen 1", g1, { "C1", "C2" })

-- C3 joins. Round 1 (generation 2): C1 and C2 rejoin owning what they have.
local r1 = assign{ member("C1", g1.C1, 1), member("C2", g1.C2, 1), member("C3") }
w:note("C3 joins. Round 1: the target is 2 each, but C1 and C2 still own the partitions " ..
       "C3 should get, so C3 gets nothing yet and each of C1, C2 keeps 2.")
show("round 1", r1, { "C1", "C2", "C3" })
ksim.check(#r1.C1 == 2 and #r1.C2 == 2 and #r1.C3 == 0,
           "round 1: C1 and C2 keep two each, C3 waits")

-- Each member revokes what it owned but was not given, and asks to rejoin.
local function revoked(before, now)
  local keep, out = {}, {}
  for _, p in ipairs(now) do keep[p] = true end
  for _, p in ipairs(before) do
    if not keep[p] then out[#out + 1] = p end
  end
  return out
end
local rev1, rev2 = revoked(g1.C1, r1.C1), revoked(g1.C2, r1.C2)
w:note("C1 revokes " .. table.concat(rev1, " ") .. ", C2 revokes " .. table.concat(rev2, " ") ..
       " (onPartitionsRevoked), and both rejoin: a second rebalance.")
ksim.check(#rev1 == 1 and #rev2 == 1, "only one partition each is revoked; the others go on")

-- Round 2 (generation 3): the revoked partitions are free now.
local r2 = assign{ member("C1", r1.C1, 2), member("C2", r1.C2, 2), member("C3", r1.C3, 2) }
show("round 2", r2, { "C1", "C2", "C3" })
ksim.check(table.concat(r2.C3, " ") == table.concat({ rev1[1], rev2[1] }, " ") or
           table.concat(r2.C3, " ") == table.concat({ rev2[1], rev1[1] }, " "),
           "round 2: C3 gets exactly the two partitions C1 and C2 revoked")
ksim.check(table.concat(r2.C1, " ") == table.concat(r1.C1, " ") and
           table.concat(r2.C2, " ") == table.concat(r1.C2, " "),
           "round 2: C1 and C2 keep what they kept in round 1")

-- The same history, counted by ksim.compare_assignors for every strategy.
local r = ksim.compare_assignors{
  topics = topics,
  members = { member("C1"), member("C2") },
  steps = { { join = "C3", topics = { "orders" } } },
}
local step = r.steps[2]
w:note(string.format("%-20s %6s %8s %7s", "C3 joins", "moved", "revoked", "rounds"))
for _, s in ipairs(r.strategies) do
  w:note(string.format("%-20s %6d %8d %7d", s, step[s].moved, step[s].revoked, step[s].rounds))
end
local coop = step["cooperative-sticky"]
ksim.check(coop.rounds == 2 and coop.revoked == 2 and coop.moved == 2,
           "cooperative-sticky: 2 rounds, 2 revoked, 2 moved")
ksim.check(step.sticky.rounds == 1 and step.sticky.revoked == 6 and step.sticky.moved == 2,
           "sticky (eager): 1 round, but all 6 partitions revoked for the same 2 moved")
ksim.check(table.concat(coop.assignment.C3, " ") == table.concat(r2.C3, " "),
           "compare_assignors ends where the two calls above end")
ksim.check(#coop.round == 2 and #coop.round[1].assigned.C3 == 0 and
           #coop.round[2].assigned.C3 == 2 and coop.round[2].generation == 3,
           "and its rounds are the same: C3 waits in generation 2, gets two in generation 3")
