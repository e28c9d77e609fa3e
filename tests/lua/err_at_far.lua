-- A task planned beyond the virtual-time limit: the implicit run reaches the limit, with
-- no script line to name.
local w = ksim.world{}
w:at(1e12, function() end)
