build/sim/core/net.o: sim/core/net.c sim/core/net.h sim/core/world.h \
 sim/core/../trace.h /usr/include/cjson/cJSON.h sim/core/evq.h \
 sim/core/rng.h sim/core/../kafka/api.h
sim/core/net.h:
sim/core/world.h:
sim/core/../trace.h:
/usr/include/cjson/cJSON.h:
sim/core/evq.h:
sim/core/rng.h:
sim/core/../kafka/api.h:
