-- A loop that never ends in Lua: the instruction budget stops it.
local w = ksim.world{}
local n = 0
while true do
  n = n + 1
end
