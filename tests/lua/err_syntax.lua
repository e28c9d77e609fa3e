-- A syntax error: the run stops before anything happens, naming file and line.
local w = ksim.world{}
local x = = 3
