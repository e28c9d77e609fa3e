build/sim/kafka/api.o: sim/kafka/api.c sim/kafka/api.h
sim/kafka/api.h:
