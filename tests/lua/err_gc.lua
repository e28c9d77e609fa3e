-- Finalizers would run outside the instruction budget, so they are refused.
setmetatable({}, { __gc = function() while true do end end })
