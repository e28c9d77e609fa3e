-- The text timeline: long values are cut after 40 characters (never inside a UTF-8
-- character), control characters are escaped, null shows as null, print() shows.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main")
c:create_topic("t")
local p = c:producer("p1", { ["enable.idempotence"] = false })
p:send("t", { key = "k", value = string.rep("é", 60) })
p:send("t", { value = "line1\nline2" })
print("printed from the script")
w:run()
ksim.check(#c:log("t", 0) == 2, "both records are in the log")
