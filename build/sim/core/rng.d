build/sim/core/rng.o: sim/core/rng.c sim/core/rng.h sim/core/hash.h
sim/core/rng.h:
sim/core/hash.h:
