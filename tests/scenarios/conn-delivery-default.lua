-- delivery.timeout.ms left at its default is raised to linger.ms + request.timeout.ms.
local w = ksim.world{ seed = 1 }
local c = w:cluster("main", { brokers = 1 })
local ok = pcall(c.producer, c, "p1", { ["enable.idempotence"] = false,
                                        ["request.timeout.ms"] = 150000 })
ksim.check(ok, "a request.timeout.ms above the default delivery.timeout.ms is accepted")
local bad = pcall(c.producer, c, "p2", { ["enable.idempotence"] = false,
                                         ["request.timeout.ms"] = 150000,
                                         ["delivery.timeout.ms"] = 120000 })
ksim.check(not bad, "but a delivery.timeout.ms set explicitly too low is refused")
