-- One check passes, one fails: the run exits 1 and prints TAP lines.
local w = ksim.world{ seed = 42 }
w:spawn("app", function()
  w:sleep(1.25)
  w:note("the app woke up")
end)
w:run()
ksim.check(w:now() == 1.25, "the clock reads 1.25 ms")
ksim.check(w:now() == 2, "the clock reads 2 ms")
