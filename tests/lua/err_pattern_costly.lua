-- A pattern whose backtracking could run for ever: refused, since the instruction budget
-- cannot stop a loop inside string.find.
local s = ("a"):rep(100000)
s:find(".-.-.-x")
