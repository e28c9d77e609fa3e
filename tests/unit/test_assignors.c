/* Unit tests for sim/client/assignors: range and roundrobin, member order, and the
 * errors a group can have. Groups are from Kafka's own tests (RangeAssignorTest,
 * RoundRobinAssignorTest, AbstractPartitionAssignorTest) with Kafka's expected answers,
 * and hand-worked ones. The sticky assignors are in test_sticky_assignors.c. */
#include "tests/unit/assign_fixture.h"

/* ---- range (RangeAssignorTest) ---- */

static void test_range(void)
{
    tg_new(&T, "member consumer1 -");
    is_str(tg_run(&T, "range"), "consumer1=[]", "range: a member subscribed to nothing gets nothing");
    tg_new(&T, "topic topic1 0\nmember consumer1 topic1");
    is_str(tg_run(&T, "range"), "consumer1=[]",
           "range: a topic without partitions (no metadata) is skipped");
    tg_new(&T, "topic topic1 3\nmember consumer1 topic1");
    is_str(tg_run(&T, "range"), "consumer1=[topic1-0 topic1-1 topic1-2]",
           "range: one member takes every partition of its topic");
    tg_new(&T, "topic topic1 3\ntopic other 3\nmember consumer1 topic1");
    is_str(tg_run(&T, "range"), "consumer1=[topic1-0 topic1-1 topic1-2]",
           "range: only partitions of subscribed topics are assigned");
    tg_new(&T, "topic topic1 1\ntopic topic2 2\nmember consumer1 topic1,topic2");
    is_str(tg_run(&T, "range"), "consumer1=[topic1-0 topic2-0 topic2-1]",
           "range: one member, several topics");
    tg_new(&T, "topic topic1 1\nmember consumer1 topic1\nmember consumer2 topic1");
    is_str(tg_run(&T, "range"), "consumer1=[topic1-0] consumer2=[]",
           "range: with one partition and two members, the first by id takes it");
    tg_new(&T, "topic topic1 3\ntopic topic2 2\nmember consumer1 topic1\n"
               "member consumer2 topic1,topic2\nmember consumer3 topic1");
    is_str(tg_run(&T, "range"),
           "consumer1=[topic1-0] consumer2=[topic1-1 topic2-0 topic2-1] consumer3=[topic1-2]",
           "range: each topic is divided among its own subscribers only");
    tg_new(&T, "topic topic1 3\ntopic topic2 3\nmember consumer2 topic1,topic2\n"
               "member consumer1 topic1,topic2");
    is_str(tg_run(&T, "range"),
           "consumer2=[topic1-2 topic2-2] consumer1=[topic1-0 topic1-1 topic2-0 topic2-1]",
           "range: the first P % C members by id get one extra partition of every topic");
}

static void test_range_static_members(void)
{
    tg_new(&T, "topic topic1 3\ntopic topic2 3\n"
               "member consumer-b topic1,topic2 instance=instance1\n"
               "member consumer-a topic1,topic2 instance=instance2");
    is_str(tg_run(&T, "range"),
           "consumer-b=[topic1-0 topic1-1 topic2-0 topic2-1] consumer-a=[topic1-2 topic2-2]",
           "range: static members are ordered by group.instance.id, not member id");
    tg_new(&T, "topic topic1 3\ntopic topic2 3\n"
               "member consumer-b topic1,topic2 instance=instance1\n"
               "member consumer-a topic1,topic2");
    is_str(tg_run(&T, "range"),
           "consumer-b=[topic1-0 topic1-1 topic2-0 topic2-1] consumer-a=[topic1-2 topic2-2]",
           "range: a static member comes before every dynamic member");
    const char *group = "topic topic1 5\ntopic topic2 4\n"
                        "member consumer1 topic1,topic2 instance=instance1\n"
                        "member consumer2 topic1,topic2 instance=instance2\n"
                        "member consumer3 topic1,topic2 instance=instance3\n";
    tg_new(&T, group);
    tg_add(&T, "member consumer4 topic1,topic2");
    is_str(tg_run(&T, "range"),
           "consumer1=[topic1-0 topic1-1 topic2-0] consumer2=[topic1-2 topic2-1] "
           "consumer3=[topic1-3 topic2-2] consumer4=[topic1-4 topic2-3]",
           "range: static members first, then the dynamic one (Kafka's static member test)");
    tg_new(&T, group);
    tg_add(&T, "member consumer5 topic1,topic2");
    is_str(tg_run(&T, "range"),
           "consumer1=[topic1-0 topic1-1 topic2-0] consumer2=[topic1-2 topic2-1] "
           "consumer3=[topic1-3 topic2-2] consumer5=[topic1-4 topic2-3]",
           "range: replacing the dynamic member leaves the static members' partitions alone");
    tg_new(&T, "topic topic1 5\ntopic topic2 5\n"
               "member consumer1 topic1,topic2 instance=instance1\n"
               "member consumer5 topic1,topic2 instance=instance2\n"
               "member consumer4 topic1,topic2 instance=instance3");
    is_str(tg_run(&T, "range"),
           "consumer1=[topic1-0 topic1-1 topic2-0 topic2-1] "
           "consumer5=[topic1-2 topic1-3 topic2-2 topic2-3] consumer4=[topic1-4 topic2-4]",
           "range: static members keep their partitions when their member ids change");
}

/* Kafka's RangeAssignorTest.testRackAware* with its replica layout. */
static void test_range_racks(void)
{
    const char *group = "topic t1 6\ntopic t2 7\ntopic t3 2\n"
                        "member consumer0 t1,t2,t3 rack=a\nmember consumer1 t1,t2,t3 rack=b\n"
                        "member consumer2 t1,t2,t3 rack=c";
    const char *plain = "consumer0=[t1-0 t1-1 t2-0 t2-1 t2-2 t3-0] "
                        "consumer1=[t1-2 t1-3 t2-3 t2-4 t3-1] consumer2=[t1-4 t1-5 t2-5 t2-6]";
    tg_new(&T, group);
    tg_kafka_racks(&T, 3, 3, NONE3);
    is_str(tg_run(&T, "range"), plain, "range: brokers without racks give the plain ranges");
    tg_kafka_racks(&T, 3, 3, ABC);
    is_str(tg_run(&T, "range"), plain,
           "range: every partition on every rack gives the plain ranges");
    ok(!(T.r.flags & ASSIGN_RACK_AWARE), "range: and rack-aware assignment is not used");
    tg_kafka_racks(&T, 1, 3, ABC);
    is_str(tg_run(&T, "range"),
           "consumer0=[t1-0 t1-3 t2-0 t2-3 t2-6] consumer1=[t1-1 t1-4 t2-1 t2-4 t3-0] "
           "consumer2=[t1-2 t1-5 t2-2 t2-5 t3-1]",
           "range: one replica per partition: every member gets partitions of its rack");
    ok(T.r.flags & ASSIGN_RACK_AWARE, "range: and rack-aware assignment is used");
    tg_kafka_racks(&T, 2, 3, ABC);
    is_str(tg_run(&T, "range"),
           "consumer0=[t1-0 t1-2 t2-0 t2-2 t2-3 t3-1] consumer1=[t1-1 t1-3 t2-1 t2-4 t3-0] "
           "consumer2=[t1-4 t1-5 t2-5 t2-6]",
           "range: two replicas: balance first, racks where the quotas allow");
    tg_kafka_racks(&T, 3, 2, AB);
    is_str(tg_run(&T, "range"), plain,
           "range: a member on a rack without partitions: the plain ranges (Kafka's test)");
    tg_new(&T, "topic t1 6\ntopic t2 7\ntopic t3 2\n"
               "member consumer0 t1,t2,t3 rack=a\nmember consumer1 t1,t2,t3 rack=b\n"
               "member consumer2 t1,t3 rack=c");
    tg_kafka_racks(&T, 1, 3, ABC);
    is_str(tg_run(&T, "range"),
           "consumer0=[t1-0 t1-3 t2-0 t2-2 t2-3 t2-6] consumer1=[t1-1 t1-4 t2-1 t2-4 t2-5 t3-0] "
           "consumer2=[t1-2 t1-5 t3-1]",
           "range: rack-aware with unequal subscriptions (Kafka's test)");
}

static void test_range_co_partitioning(void)
{
    tg_new(&T, "topic t1 6\ntopic t2 6\ntopic t3 2\ntopic t4 2\n"
               "member consumer0 t1,t2 rack=a\nmember consumer1 t1,t2 rack=b\n"
               "member consumer2 t3,t4 rack=b\nmember consumer3 t3,t4 rack=a");
    tg_kafka_racks(&T, 1, 2, AB);
    is_str(tg_run(&T, "range"),
           "consumer0=[t1-0 t1-2 t1-4 t2-0 t2-2 t2-4] consumer1=[t1-1 t1-3 t1-5 t2-1 t2-3 t2-5] "
           "consumer2=[t3-1 t4-1] consumer3=[t3-0 t4-0]",
           "range: topics with the same subscribers and size stay co-partitioned on racks");
    tg_new(&T, "topic t1 6\ntopic t2 6\ntopic t3 2\ntopic t4 2\n"
               "member consumer0 t1,t2,t3,t4 rack=a\nmember consumer1 t1,t2,t3,t4 rack=b\n"
               "member consumer2 t1,t2,t3,t4 rack=b\nmember consumer3 t1,t2,t3,t4 rack=a");
    tg_kafka_racks(&T, 1, 3, ABC);
    is_str(tg_run(&T, "range"),
           "consumer0=[t1-0 t1-3 t2-0 t2-3 t3-0 t4-0] consumer1=[t1-1 t1-4 t2-1 t2-4 t3-1 t4-1] "
           "consumer2=[t1-2 t2-2] consumer3=[t1-5 t2-5]",
           "range: co-partitioning beats rack alignment (Kafka's test, 6 mismatches)");
    tg_new(&T, "topic t1 6\ntopic t2 6\ntopic t3 2\ntopic t4 2\ntopic t5 4\ntopic t6 4\n"
               "member consumer0 t1,t2,t3,t4,t5,t6 rack=a\n"
               "member consumer1 t1,t2,t3,t4,t5,t6 rack=b\n"
               "member consumer2 t1,t2,t3,t4,t5,t6 rack=c");
    tg_kafka_racks(&T, 2, 3, ABC);
    T.g.prefer_rack_aware = true;
    is_str(tg_run(&T, "range"),
           "consumer0=[t1-0 t1-2 t2-0 t2-2 t3-0 t4-0 t5-1 t6-1] "
           "consumer1=[t1-1 t1-3 t2-1 t2-3 t3-1 t4-1 t5-2 t6-2] "
           "consumer2=[t1-4 t1-5 t2-4 t2-5 t5-0 t5-3 t6-0 t6-3]",
           "range: co-partitioned assignment with the same subscription (Kafka's test)");
}

/* ---- roundrobin (RoundRobinAssignorTest) ---- */

static void test_roundrobin(void)
{
    tg_new(&T, "topic t0 1\ntopic t1 2\ntopic t2 3\nmember C0 t0\nmember C1 t0,t1\n"
               "member C2 t0,t1,t2");
    is_str(tg_run(&T, "roundrobin"), "C0=[t0-0] C1=[t1-0] C2=[t1-1 t2-0 t2-1 t2-2]",
           "roundrobin: unequal subscriptions skip members in the circle (Kafka's javadoc)");
    tg_new(&T, "topic topic1 3\ntopic topic2 3\nmember consumer1 topic1,topic2\n"
               "member consumer2 topic1,topic2");
    is_str(tg_run(&T, "roundrobin"),
           "consumer1=[topic1-0 topic1-2 topic2-1] consumer2=[topic1-1 topic2-0 topic2-2]",
           "roundrobin: the circle's position carries over from topic to topic");
    tg_new(&T, "topic topic1 3\ntopic topic2 2\nmember consumer1 topic1\n"
               "member consumer2 topic1,topic2\nmember consumer3 topic1");
    is_str(tg_run(&T, "roundrobin"),
           "consumer1=[topic1-0] consumer2=[topic1-1 topic2-0 topic2-1] consumer3=[topic1-2]",
           "roundrobin: mixed subscriptions (Kafka's test)");
    tg_new(&T, "topic topic1 3\ntopic topic2 3\n"
               "member consumer-b topic1,topic2 instance=instance1\n"
               "member consumer-a topic1,topic2 instance=instance2");
    is_str(tg_run(&T, "roundrobin"),
           "consumer-b=[topic1-0 topic1-2 topic2-1] consumer-a=[topic1-1 topic2-0 topic2-2]",
           "roundrobin: static members are ordered by group.instance.id");
    tg_new(&T, "topic topic1 5\ntopic topic2 4\n"
               "member consumer1 topic1,topic2 instance=instance1\n"
               "member consumer2 topic1,topic2 instance=instance2\n"
               "member consumer3 topic1,topic2 instance=instance3\n"
               "member consumer4 topic1,topic2");
    is_str(tg_run(&T, "roundrobin"),
           "consumer1=[topic1-0 topic1-4 topic2-3] consumer2=[topic1-1 topic2-0] "
           "consumer3=[topic1-2 topic2-1] consumer4=[topic1-3 topic2-2]",
           "roundrobin: static members first, then dynamic ones (Kafka's persistence test)");
    tg_new(&T, "topic b 2\ntopic a 2\nmember c1 a,b\nmember c2 a,b");
    is_str(tg_run(&T, "roundrobin"), "c1=[a-0 b-0] c2=[a-1 b-1]",
           "roundrobin: topics go in name order, whatever their order in the group");
    tg_new(&T, "topic t 4\nmember c1 t rack=a\nmember c2 t rack=b");
    tg_kafka_racks(&T, 1, 2, AB);
    T.reps[0][0].racks = &ABC[1];
    is_str(tg_run(&T, "roundrobin"), "c1=[t-0 t-2] c2=[t-1 t-3]",
           "roundrobin: racks play no part (Kafka has no rack-aware round robin)");
}

/* ---- member order: Java's String.compareTo ---- */

static void test_member_order(void)
{
    tg_new(&T, "topic t 2\nmember C2 t\nmember C10 t");
    is_str(tg_run(&T, "range"), "C2=[t-1] C10=[t-0]",
           "range: member ids compare as Java strings: \"C10\" < \"C2\"");
    tg_new(&T, "topic t 2\nmember a t\nmember Z t");
    is_str(tg_run(&T, "range"), "a=[t-1] Z=[t-0]", "range: \"Z\" < \"a\" (UTF-16 code units)");
    /* U+FFFD (EF BF BD) against U+1F600 (F0 9F 98 80): by UTF-8 bytes U+FFFD comes first;
     * in UTF-16, U+1F600 is the surrogate pair D83D DE00 and D83D < FFFD. */
    tg_new(&T, "topic t 2\nmember \xef\xbf\xbd t\nmember \xf0\x9f\x98\x80 t");
    is_str(tg_run(&T, "range"), "\xef\xbf\xbd=[t-1] \xf0\x9f\x98\x80=[t-0]",
           "range: a member id outside the BMP sorts by its UTF-16 surrogates, as in Java");
    tg_new(&T, "topic t 3\nmember m1 t instance=C2\nmember m2 t instance=C10\nmember m0 t");
    is_str(tg_run(&T, "roundrobin"), "m1=[t-1] m2=[t-0] m0=[t-2]",
           "roundrobin: group.instance.ids compare as Java strings too");
    tg_new(&T, "topic t 4\ntopic u 1\nmember c1 t,u\nmember c2 t,u");
    is_str(tg_run(&T, "sticky"), "c1=[t-0 t-2 u-0] c2=[t-1 t-3]",
           "answers list partitions by topic name, then partition");
}

/* ---- errors ---- */

static void test_errors(void)
{
    tg_new(&T, "topic t 1\nmember c1 t");
    is_str(tg_run(&T, "rangee"),
           "error: unknown assignor 'rangee' (known: range, roundrobin, sticky, cooperative-sticky)",
           "an unknown assignor is an error that lists the known ones");
    tg_new(&T, "topic t 1\nmember c1 t\nmember c1 t");
    is_str(tg_run(&T, "range"), "error: member id 'c1' is used twice", "duplicate member ids");
    tg_new(&T, "topic t 1\nmember c1 t instance=i\nmember c2 t instance=i");
    is_str(tg_run(&T, "range"), "error: members 'c1' and 'c2' have the same group.instance.id 'i'",
           "duplicate group.instance.ids");
    tg_new(&T, "topic t 2\nmember c1 t owned=t-2");
    is_str(tg_run(&T, "sticky"), "error: member 'c1' owns t-2, but topic 't' has 2 partitions",
           "an owned partition that does not exist");
    tg_new(&T, "topic t 2\nmember c1 t owned=t-1,t-1");
    is_str(tg_run(&T, "sticky"), "error: member 'c1' owns t-1 twice", "a partition owned twice");
    tg_new(&T, "topic t 2\nmember c1 t,t");
    is_str(tg_run(&T, "range"), "error: member 'c1' subscribes to topic 't' twice",
           "a topic subscribed twice");
    tg_new(&T, "topic t 2\nmember c1 t gen=-2");
    is_str(tg_run(&T, "sticky"),
           "error: member 'c1' has generation -2; a generation is -1 (none) or more",
           "a generation below -1");
    tg_new(&T, "topic t -1\nmember c1 t");
    is_str(tg_run(&T, "range"), "error: topic 't' has a negative partition count (-1)",
           "a negative partition count");
    tg_new(&T, "topic t 1\ntopic t 2\nmember c1 t");
    is_str(tg_run(&T, "range"), "error: topic 't' is listed twice", "a topic listed twice");
    tg_new(&T, "topic t 1");
    is_str(tg_run(&T, "sticky"),
           "error: the group has no members (Kafka runs an assignor only for members)",
           "a group without members");
    tg_new(&T, "topic t 1\nmember c1 t");
    T.subs[0][0] = 5;
    is_str(tg_run(&T, "range"), "error: member 'c1' subscribes to topic number 5, but there are 1 topics",
           "a topic index out of range");
}

int main(void)
{
    test_range();
    test_range_static_members();
    test_range_racks();
    test_range_co_partitioning();
    test_roundrobin();
    test_member_order();
    test_errors();
    assign_result_free(&T.r);
    return tap_done();
}
