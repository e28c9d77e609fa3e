build/sim/kafka/log.o: sim/kafka/log.c sim/kafka/log.h sim/kafka/bytes.h
sim/kafka/log.h:
sim/kafka/bytes.h:
