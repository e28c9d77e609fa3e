-- Base functions wrapped by the sandbox report bad arguments as Lua does: file:line and
-- the function's name.
ksim.world{}
local function err(f)
  local ok, e = pcall(f)
  return ok and "no error" or tostring(e)
end
ksim.check(err(function() setmetatable(5, {}) end) ==
           "base_errors.lua:8: bad argument #1 to 'setmetatable' (table expected, got number)",
           "setmetatable(5, {}) names the line and setmetatable")
ksim.check(err(function() coroutine.resume(5) end) ==
           "base_errors.lua:11: bad argument #1 to 'resume' (thread expected, got number)",
           "coroutine.resume(5) names the line and resume")
ksim.check(err(function() coroutine.close(5) end) ==
           "base_errors.lua:14: bad argument #1 to 'close' (thread expected, got number)",
           "coroutine.close(5) names the line and close")
ksim.check(err(function() math.randomseed("x") end) ==
           "base_errors.lua:17: bad argument #1 to 'randomseed' (number expected, got string)",
           "math.randomseed('x') names the line and randomseed")
ksim.check(err(function() load({}) end) ==
           "base_errors.lua:20: bad argument #1 to 'load' (function expected, got table)",
           "load({}) names the line and load")
