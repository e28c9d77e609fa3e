-- A task that sleeps forever: virtual time runs until the time limit.
local w = ksim.world{}
w:spawn("ticker", function()
  while true do
    w:sleep(1)
  end
end)
