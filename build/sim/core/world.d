build/sim/core/world.o: sim/core/world.c sim/core/world.h \
 sim/core/../trace.h /usr/include/cjson/cJSON.h sim/core/evq.h \
 sim/core/rng.h sim/core/net.h
sim/core/world.h:
sim/core/../trace.h:
/usr/include/cjson/cJSON.h:
sim/core/evq.h:
sim/core/rng.h:
sim/core/net.h:
