-- 01-lost-ack-duplicate: the opening scene of the course.
--
-- 问题场景：生产者发送消息 → Broker 写入成功 → ACK 丢失 → 生产者重试 → 消息重复
-- The producer sends a record, the broker writes it, the acknowledgement is lost on the way
-- back, the producer retries, and the log ends up with the record twice.

local w = ksim.world{ seed = 7 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("payments", { partitions = 1 })

-- The classic, pre-3.0 set-up: no idempotence. acks=1 keeps the story on one broker.
local p = c:producer("p1", {
  ["enable.idempotence"] = false,
  acks = "1",
  ["request.timeout.ms"] = 5000,
})

-- Lose exactly one acknowledgement: the first Produce response from broker-1 to p1.
w:fault{ drop = "response", api = "Produce", from = "broker-1", to = "p1", count = 1 }

w:note("问题场景：生产者发送消息 → Broker 写入成功 → ACK 丢失 → 生产者重试 → 消息重复")
w:note("p1 sends payment k1=100. broker-1 appends it at offset 0 and answers, " ..
       "but the answer is lost on the way back.")

local result, err
w:spawn("app", function()
  local f = p:send("payments", { key = "k1", value = "100" })
  p:flush()
  result, err = f:get()
end)

w:at(3000, function()
  w:note("Still no answer: p1 cannot know whether broker-1 wrote the record. " ..
         "After request.timeout.ms (5 s here) it gives up on that request and retries.")
end)

w:run()

w:note("The retry was appended again at offset 1: the log now holds the payment twice. " ..
       "This is why Kafka has the idempotent producer (enable.idempotence=true).")

local log = c:log("payments", 0)
ksim.check(result ~= nil and err == nil, "the producer reports success for the record")
ksim.check(result ~= nil and result.offset == 1, "the acknowledged offset is 1, the retry's")
ksim.check(#log == 2, "the partition holds two records")
ksim.check(log[1].key == "k1" and log[2].key == "k1" and log[1].value == log[2].value,
           "both records are the same payment: a duplicate")
