build/sim/core/evq.o: sim/core/evq.c sim/core/evq.h
sim/core/evq.h:
