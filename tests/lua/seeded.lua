-- The script asks for seed 42; --seed overrides it.
local w = ksim.world{ seed = 42, latency = { uniform = { 0.1, 3 } } }
w:note("seed " .. w:seed())
ksim.check(true, "runs")
