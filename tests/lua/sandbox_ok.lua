-- What the sandbox keeps: pure libraries, sorted pairs, text load, seeded math.random,
-- pcall that cannot swallow the end of a run, and require from the scenario's folder.
local w = ksim.world{ seed = 5 }
local keys = {}
for k in pairs({ b = 1, a = 1, [2] = 1, [1] = 1, c = 1 }) do keys[#keys + 1] = tostring(k) end
ksim.check(table.concat(keys, " ") == "1 2 a b c", "pairs visits keys in sorted order")
ksim.check(load("return 40 + 2")() == 42, "load runs text chunks")
ksim.check(not pcall(load, "\27Lua", "bin", "b"), "load refuses binary chunks")
ksim.check(string.dump == nil, "string.dump is gone")
ksim.check(not pcall(function() return os.time() end), "os is not available")
local lib = require("_lua_errors_lib")
ksim.check(lib.answer == 42, "require loads a Lua file from the scenario's folder")
ksim.check(math.type(math.random(10)) == "integer", "math.random works (seeded by the run)")
