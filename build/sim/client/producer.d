build/sim/client/producer.o: sim/client/producer.c sim/client/producer.h \
 sim/client/../core/world.h sim/client/../core/../trace.h \
 /usr/include/cjson/cJSON.h sim/client/../core/evq.h \
 sim/client/../core/rng.h sim/client/../kafka/bytes.h \
 sim/client/../kafka/config.h sim/client/../core/hash.h \
 sim/client/../core/net.h sim/client/../core/world.h \
 sim/client/../kafka/api.h sim/client/../kafka/protocol.h \
 sim/client/../kafka/../core/net.h sim/client/../kafka/bytes.h \
 sim/client/../kafka/log.h sim/client/metadata.h
sim/client/producer.h:
sim/client/../core/world.h:
sim/client/../core/../trace.h:
/usr/include/cjson/cJSON.h:
sim/client/../core/evq.h:
sim/client/../core/rng.h:
sim/client/../kafka/bytes.h:
sim/client/../kafka/config.h:
sim/client/../core/hash.h:
sim/client/../core/net.h:
sim/client/../core/world.h:
sim/client/../kafka/api.h:
sim/client/../kafka/protocol.h:
sim/client/../kafka/../core/net.h:
sim/client/../kafka/bytes.h:
sim/client/../kafka/log.h:
sim/client/metadata.h:
