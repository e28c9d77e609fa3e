build/sim/kafka/broker.o: sim/kafka/broker.c sim/kafka/broker.h \
 sim/kafka/../core/world.h sim/kafka/../core/../trace.h \
 /usr/include/cjson/cJSON.h sim/kafka/../core/evq.h \
 sim/kafka/../core/rng.h sim/kafka/log.h sim/kafka/bytes.h \
 sim/kafka/../core/net.h sim/kafka/../core/world.h sim/kafka/api.h \
 sim/kafka/protocol.h
sim/kafka/broker.h:
sim/kafka/../core/world.h:
sim/kafka/../core/../trace.h:
/usr/include/cjson/cJSON.h:
sim/kafka/../core/evq.h:
sim/kafka/../core/rng.h:
sim/kafka/log.h:
sim/kafka/bytes.h:
sim/kafka/../core/net.h:
sim/kafka/../core/world.h:
sim/kafka/api.h:
sim/kafka/protocol.h:
