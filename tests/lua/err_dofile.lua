-- Scenarios may only load Lua files from their own folder.
dofile("/etc/passwd")
