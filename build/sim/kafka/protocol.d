build/sim/kafka/protocol.o: sim/kafka/protocol.c sim/kafka/protocol.h \
 sim/kafka/../core/net.h sim/kafka/../core/world.h \
 sim/kafka/../core/../trace.h /usr/include/cjson/cJSON.h \
 sim/kafka/../core/evq.h sim/kafka/../core/rng.h sim/kafka/bytes.h \
 sim/kafka/log.h sim/kafka/api.h
sim/kafka/protocol.h:
sim/kafka/../core/net.h:
sim/kafka/../core/world.h:
sim/kafka/../core/../trace.h:
/usr/include/cjson/cJSON.h:
sim/kafka/../core/evq.h:
sim/kafka/../core/rng.h:
sim/kafka/bytes.h:
sim/kafka/log.h:
sim/kafka/api.h:
