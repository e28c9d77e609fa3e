-- The same inside a w:run_until condition.
local w = ksim.world{}
w:spawn(function() w:sleep(1) end)
w:run_until(function()
  error(nil)
end)
