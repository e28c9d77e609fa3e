-- Loops inside C library functions, which the instruction budget cannot stop, are refused
-- up front; the cheap calls still work, and the string methods are the wrapped functions.
ksim.world{}
local function err(f)
  local ok, e = pcall(f)
  return ok and "no error" or tostring(e)
end
local function has(s, part) return s:find(part, 1, true) ~= nil end

ksim.check(string.rep("", 1e12) == "" and ("").rep("", 1e12, "") == "",
           "string.rep of an empty string with an empty separator is empty at once")
ksim.check(has(err(function() return ("ab"):rep(1e12) end),
                   "library_loops.lua:12: string.rep: the result would be 2000000000000 bytes"),
           "string.rep over the memory cap is an error naming the line")
ksim.check(("ab"):rep(3, ",") == "ab,ab,ab" and string.rep("x", 0) == "",
           "string.rep still repeats")
ksim.check(has(err(function() table.move({}, 1, 1e12, 1, {}) end),
                   "more than 10000000 elements, the limit"),
           "table.move of more than 10,000,000 elements is an error naming the limit")
ksim.check(table.concat(table.move({ 1, 2, 3 }, 1, 3, 2, {}), ",", 2, 4) == "1,2,3",
           "table.move still moves")
local big = ("a"):rep(100000)
local msg = "pattern too costly: 3 repetition items over a subject of 100000 bytes could " ..
            "run for ever (the instruction budget cannot stop it); use fewer, anchor it with ^, " ..
            "or search plain text"
ksim.check(has(err(function() big:find(".-.-.-x") end), msg), "s:find with a costly pattern is refused")
ksim.check(has(err(function() string.match(big, "(a*)(a*)b") end), "2 repetition items"),
           "string.match counts greedy repetitions")
ksim.check(has(err(function() for _ in big:gmatch("[ab]+[%a]-c") do end end), "2 repetition items"),
           "s:gmatch counts repetitions after a set")
ksim.check(has(err(function() big:gsub("a+a+", "") end), "2 repetition items"),
           "s:gsub counts repetitions")
ksim.check(big:find(".-.-x", 1, true) == nil, "a plain find is never refused")
ksim.check(has(err(function() big:find(".-b") end), "1 repetition item"),
           "one unanchored repetition over 100 KB is refused: it is tried from every position")
ksim.check(big:find("^a+") == 1, "anchored, one repetition over a long subject is allowed")
local mid = ("a"):rep(20000)
ksim.check(select(2, mid:gsub("%a+", "")) == 1, "one repetition over 20 KB is allowed")
ksim.check(select(2, big:gsub("[a-z%-]%*%+%-", "")) == 0,
           "escaped quantifiers and ranges in a set are not repetitions")
ksim.check(("key=value"):match("^(%w+)=(%w+)$") == "key", "cheap patterns still match")
