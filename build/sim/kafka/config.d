build/sim/kafka/config.o: sim/kafka/config.c sim/kafka/config.h
sim/kafka/config.h:
