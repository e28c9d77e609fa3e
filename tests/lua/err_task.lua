-- A runtime error inside a task ends the run with file:line and the task's name.
local w = ksim.world{}
w:spawn("app", function()
  w:sleep(5)
  local account = nil
  return account.balance
end)
w:run()
