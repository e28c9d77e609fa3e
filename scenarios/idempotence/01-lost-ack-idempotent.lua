-- idempotence/01: the lost ACK of the opening scene, now with enable.idempotence=true.
--
-- 幂等生产者：Producer ID（PID）+ 序列号（Sequence Number）。Broker 为每个 <PID, 分区>
-- 记住最近 5 个批次的序列号，重试的批次被识别为重复，不会再写一次。
-- The producer gets a producer id (PID) from InitProducerId and numbers its batches per
-- partition. The broker keeps, per partition and PID, the last five batches it wrote: the
-- retry after the lost acknowledgement is recognised and answered with the original offset.

local w = ksim.world{ seed = 7 }
local c = w:cluster("main", { brokers = 1 })
c:create_topic("payments", { partitions = 1 })

-- enable.idempotence=true is Kafka 3.0+'s default; it needs acks=all (also the default).
local p = c:producer("p1", {
  ["enable.idempotence"] = true,
  ["request.timeout.ms"] = 5000,
})

-- The same fault as in 01-lost-ack-duplicate.lua: the first Produce response is lost.
w:fault{ drop = "response", api = "Produce", from = "broker-1", to = "p1", count = 1 }

w:note("开启幂等：enable.idempotence=true（Kafka 3.0 起的默认值）。")
w:note("p1 first asks a broker for a producer id (InitProducerId). broker-1 has no block of " ..
       "ids yet: it answers COORDINATOR_LOAD_IN_PROGRESS and fetches 1000 ids from the " ..
       "controller; p1 asks again after retry.backoff.ms.")

local result, err
w:spawn("app", function()
  local f = p:send("payments", { key = "k1", value = "100" })
  p:flush()
  result, err = f:get()
end)

w:at(3000, function()
  local id, epoch = p:producer_id()
  w:note(("p1 is producer %d, epoch %d. Its batch to payments-0 carried sequence 0; broker-1 " ..
          "appended it at offset 0 and its answer was lost."):format(id, epoch))
  w:note("After request.timeout.ms p1 sends the same batch again: same PID, same epoch, " ..
         "same sequence 0.")
end)

w:run()

w:note("broker-1 found sequence 0..0 of producer 0 among the batches it keeps and answered " ..
       "with the original offset 0 without appending: the log holds the payment once.")

local log = c:log("payments", 0)
local id, epoch = p:producer_id()
ksim.check(result ~= nil and err == nil, "the producer reports success for the record")
ksim.check(result ~= nil and result.offset == 0,
           "the acknowledged offset is 0, the original append's")
ksim.check(#log == 1, "the partition holds the payment once: no duplicate")
ksim.check(log[1].producer_id == id and log[1].producer_epoch == epoch and log[1].sequence == 0,
           "the record carries the producer's id, epoch and sequence 0")
w:note("幂等的范围：单个分区、单个 Producer 会话。跨分区、跨会话的精确一次需要事务（见 idempotence/03）。")
