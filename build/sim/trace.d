build/sim/trace.o: sim/trace.c sim/trace.h /usr/include/cjson/cJSON.h \
 sim/core/hash.h
sim/trace.h:
/usr/include/cjson/cJSON.h:
sim/core/hash.h:
