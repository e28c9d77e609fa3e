build/sim/kafka/cluster.o: sim/kafka/cluster.c sim/kafka/cluster.h \
 sim/kafka/../core/world.h sim/kafka/../core/../trace.h \
 /usr/include/cjson/cJSON.h sim/kafka/../core/evq.h \
 sim/kafka/../core/rng.h sim/kafka/config.h sim/kafka/log.h \
 sim/kafka/bytes.h sim/kafka/../client/consumer.h \
 sim/kafka/../client/../core/world.h sim/kafka/../client/../kafka/bytes.h \
 sim/kafka/../client/../kafka/config.h sim/kafka/../client/producer.h \
 sim/kafka/broker.h sim/kafka/protocol.h sim/kafka/../core/net.h \
 sim/kafka/../core/world.h
sim/kafka/cluster.h:
sim/kafka/../core/world.h:
sim/kafka/../core/../trace.h:
/usr/include/cjson/cJSON.h:
sim/kafka/../core/evq.h:
sim/kafka/../core/rng.h:
sim/kafka/config.h:
sim/kafka/log.h:
sim/kafka/bytes.h:
sim/kafka/../client/consumer.h:
sim/kafka/../client/../core/world.h:
sim/kafka/../client/../kafka/bytes.h:
sim/kafka/../client/../kafka/config.h:
sim/kafka/../client/producer.h:
sim/kafka/broker.h:
sim/kafka/protocol.h:
sim/kafka/../core/net.h:
sim/kafka/../core/world.h:
