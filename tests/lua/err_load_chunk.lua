-- An error inside a chunk made by load is named after that chunk.
local f = load("local x = 1\nerror('inside the chunk')")
f()
