-- 04-sticky-after-leave: when a member leaves, Sticky moves only that member's partitions.
--
-- Sticky：尽量保持原有分配，减少 Rebalance 时的分区移动，在均衡性和稳定性间平衡
--
-- Four consumers read orders (7 partitions) and payments (4). C1 leaves the group. Range
-- and RoundRobin compute the assignment again from scratch; Sticky's first goal is still
-- balance, its second is to keep every partition where it was, so only C1's partitions
-- find new owners. Under the eager protocol every member still revokes all it had
-- before the rebalance; cooperative-sticky revokes nothing here.

local w = ksim.world{}

local subs = { "orders", "payments" }
local r = ksim.compare_assignors{
  topics = { orders = 7, payments = 4 },
  members = {
    { id = "C1", topics = subs },
    { id = "C2", topics = subs },
    { id = "C3", topics = subs },
    { id = "C4", topics = subs },
  },
  steps = { { leave = "C1" } },
}
local before, after = r.steps[1], r.steps[2]

w:note("Before: every assignor gives each of C1..C4 two or three of the 11 partitions.")
w:note("sticky before:  C1 " .. table.concat(before.sticky.assignment.C1, " ") .. " | C2 " ..
       table.concat(before.sticky.assignment.C2, " "))
w:note("C1 leaves. Partitions that change owner, and partitions revoked, per strategy:")
w:note(string.format("%-20s %-12s %6s %8s %7s", "strategy", "protocol", "moved", "revoked",
                     "spread"))
local protocol = { range = "eager", roundrobin = "eager", sticky = "eager",
                   ["cooperative-sticky"] = "cooperative" }
for _, s in ipairs(r.strategies) do
  local m = after[s]
  w:note(string.format("%-20s %-12s %6d %8d %7d", s, protocol[s], m.moved, m.revoked, m.spread))
end

-- Every partition a staying member had, it still has (sticky).
local function kept_all(strategy)
  for _, id in ipairs({ "C2", "C3", "C4" }) do
    local now = {}
    for _, p in ipairs(after[strategy].assignment[id]) do now[p] = true end
    for _, p in ipairs(before[strategy].assignment[id]) do
      if not now[p] then return false, id .. " lost " .. p end
    end
  end
  return true
end

local c1 = #before.sticky.assignment.C1
ksim.check(after.sticky.moved == c1, "sticky moves exactly C1's " .. c1 .. " partitions")
ksim.check(kept_all("sticky"), "sticky: C2, C3 and C4 keep every partition they had")
ksim.check(kept_all("cooperative-sticky"), "cooperative-sticky: the same")
ksim.check(not kept_all("roundrobin"), "roundrobin: staying members lose partitions")
ksim.check(after.range.moved == 5 and after.roundrobin.moved == 9,
           "range moves 5 partitions, roundrobin 9, for the same departure")
ksim.check(after.sticky.revoked == 8 and after["cooperative-sticky"].revoked == 0,
           "eager sticky still makes C2..C4 revoke all 8 they had; cooperative-sticky revokes none")
w:note("sticky after:   C2 " .. table.concat(after.sticky.assignment.C2, " ") ..
       " (kept everything, gained " .. (#after.sticky.assignment.C2 -
       #before.sticky.assignment.C2) .. ")")
