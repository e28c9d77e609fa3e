-- Scenarios are sandboxed: no processes.
local w = ksim.world{}
os.execute("ls")
