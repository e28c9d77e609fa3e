-- Scenarios are sandboxed: no files.
local f = io.open("/etc/passwd")
