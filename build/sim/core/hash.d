build/sim/core/hash.o: sim/core/hash.c sim/core/hash.h
sim/core/hash.h:
