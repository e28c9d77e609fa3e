-- Seeds from 2^63 on do not fit a Lua integer: w:seed() returns their digits.
local w = ksim.world{ seed = "18446744073709551615" }
ksim.check(w:seed() == "18446744073709551615", "w:seed() of a seed above 2^63 is its digits")
ksim.check(tostring(w) == "world (seed 18446744073709551615)", "tostring of the world shows the seed")
