/* Unit tests for the sticky assignors (sim/client/assignors/sticky*.c): the situations
 * of Kafka's AbstractStickyAssignorTest, StickyAssignorTest and CooperativeStickyAssignorTest
 * with Kafka's expected answers, and the quirks ksim reproduces. Where Kafka's test only
 * checks a property, the expected answer was worked out from Kafka's algorithm, member
 * map order included. */
#include "tests/unit/assign_fixture.h"

/* ---- sticky and cooperative-sticky: one rebalance ---- */

static void test_sticky_basics(void)
{
    tg_new(&T, "member consumer -");
    is_str(tg_run(&T, "sticky"),
           "consumer=[]",
           "sticky: one member, no topic");
    tg_new(&T, "topic topic 0\n"
               "member consumer topic");
    is_str(tg_run(&T, "sticky"),
           "consumer=[]",
           "sticky: a topic without partitions gives nothing");
    tg_new(&T, "topic topic 3\n"
               "member consumer topic");
    is_str(tg_run(&T, "sticky"),
           "consumer=[topic-0 topic-1 topic-2]",
           "sticky: one member takes its topic");
    tg_new(&T, "topic topic 2\n"
               "topic other 2\n"
               "member consumer topic owned=topic-0,topic-1,other-0,other-1 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer=[topic-0 topic-1]",
           "sticky: only partitions of subscribed topics, even when more are owned");
    tg_new(&T, "topic topic1 1\n"
               "topic topic2 2\n"
               "member consumer topic1,topic2");
    is_str(tg_run(&T, "sticky"),
           "consumer=[topic1-0 topic2-0 topic2-1]",
           "sticky: one member, several topics");
    tg_new(&T, "topic topic 1\n"
               "member consumer1 topic\n"
               "member consumer2 topic");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0] consumer2=[]",
           "sticky: two members, one partition");
    tg_new(&T, "topic topic 2\n"
               "member consumer1 topic\n"
               "member consumer2 topic");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0] consumer2=[topic-1]",
           "sticky: two members, two partitions");
    tg_new(&T, "topic topic1 3\n"
               "topic topic2 2\n"
               "member consumer1 topic1\n"
               "member consumer2 topic1,topic2\n"
               "member consumer3 topic1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0 topic1-2] consumer2=[topic2-0 topic2-1] consumer3=[topic1-1]",
           "sticky: mixed subscriptions take the general path (Kafka's exact answer)");
    tg_new(&T, "topic topic1 3\n"
               "topic topic2 3\n"
               "member consumer1 topic1,topic2\n"
               "member consumer2 topic1,topic2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0 topic1-2 topic2-1] consumer2=[topic1-1 topic2-0 topic2-2]",
           "sticky: two members, two topics of three (Kafka's exact answer)");
    tg_new(&T, "topic topic1 2\n"
               "topic topic2 1\n"
               "topic topic3 2\n"
               "topic topic4 1\n"
               "topic topic5 2\n"
               "member consumer1 topic1,topic2,topic3,topic4,topic5\n"
               "member consumer2 topic1,topic3,topic5\n"
               "member consumer3 topic1,topic3,topic5\n"
               "member consumer4 topic1,topic2,topic3,topic4,topic5");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic2-0 topic3-0] consumer2=[topic1-0 topic3-1] consumer3=[topic1-1 "
           "topic5-0] consumer4=[topic4-0 topic5-1]",
           "sticky: the scenario round robin handles poorly is balanced");
    tg_new(&T, "topic topic1 1\n"
               "topic topic2 0\n"
               "topic topic3 100\n"
               "member consumer topic1,topic2,topic3");
    is_str(tg_run(&T, "sticky"),
           "consumer=[topic1-0 topic3-0 topic3-1 topic3-2 topic3-3 topic3-4 topic3-5 "
           "topic3-6 topic3-7 topic3-8 topic3-9 topic3-10 topic3-11 topic3-12 topic3-13 "
           "topic3-14 topic3-15 topic3-16 topic3-17 topic3-18 topic3-19 topic3-20 topic3-21 "
           "topic3-22 topic3-23 topic3-24 topic3-25 topic3-26 topic3-27 topic3-28 topic3-29 "
           "topic3-30 topic3-31 topic3-32 topic3-33 topic3-34 topic3-35 topic3-36 topic3-37 "
           "topic3-38 topic3-39 topic3-40 topic3-41 topic3-42 topic3-43 topic3-44 topic3-45 "
           "topic3-46 topic3-47 topic3-48 topic3-49 topic3-50 topic3-51 topic3-52 topic3-53 "
           "topic3-54 topic3-55 topic3-56 topic3-57 topic3-58 topic3-59 topic3-60 topic3-61 "
           "topic3-62 topic3-63 topic3-64 topic3-65 topic3-66 topic3-67 topic3-68 topic3-69 "
           "topic3-70 topic3-71 topic3-72 topic3-73 topic3-74 topic3-75 topic3-76 topic3-77 "
           "topic3-78 topic3-79 topic3-80 topic3-81 topic3-82 topic3-83 topic3-84 topic3-85 "
           "topic3-86 topic3-87 topic3-88 topic3-89 topic3-90 topic3-91 topic3-92 topic3-93 "
           "topic3-94 topic3-95 topic3-96 topic3-97 topic3-98 topic3-99]",
           "sticky: a member subscribed to a deleted topic still gets the others' partitions");
}

static void test_sticky_quotas(void)
{
    tg_new(&T, "topic topic1 2\n"
               "topic topic2 3\n"
               "member consumer1 topic1,topic2 owned=topic1-0,topic2-1 gen=1\n"
               "member consumer2 topic1,topic2 owned=topic1-1,topic2-2 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0 topic2-0 topic2-1] consumer2=[topic1-1 topic2-2]",
           "sticky: a member owning minQuota keeps it and fills to maxQuota");
    tg_new(&T, "topic topic1 2\n"
               "topic topic2 2\n"
               "member consumer1 topic1,topic2 owned=topic1-0,topic2-0 gen=1\n"
               "member consumer2 topic1,topic2 owned=topic1-1,topic2-1 gen=1\n"
               "member consumer3 topic1,topic2 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0] consumer2=[topic1-1 topic2-1] consumer3=[topic2-0]",
           "sticky: more members at maxQuota than P % C: the later one in map order gives one up");
    tg_new(&T, "topic topic1 2\n"
               "topic topic2 2\n"
               "member consumer1 topic1,topic2 owned=topic1-0,topic2-0 gen=1\n"
               "member consumer2 topic1,topic2 owned=topic1-1,topic2-1 gen=1\n"
               "member consumer3 topic1,topic2 gen=1");
    is_str(tg_run(&T, "cooperative-sticky"),
           "consumer1=[topic1-0] consumer2=[topic1-1 topic2-1] consumer3=[]",
           "cooperative-sticky: the partition given up waits for the next rebalance");
    tg_new(&T, "topic topic1 2\n"
               "topic topic2 3\n"
               "member consumer1 topic1,topic2 owned=topic1-0 gen=1\n"
               "member consumer2 topic1,topic2 owned=topic1-1 gen=1\n"
               "member consumer3 topic1,topic2 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0 topic2-1] consumer2=[topic1-1 topic2-2] consumer3=[topic2-0]",
           "sticky: members under minQuota keep theirs and share the rest");
    tg_new(&T, "topic topic 4\n"
               "member consumer1 topic owned=topic-0,topic-1 gen=1\n"
               "member consumer2 topic owned=topic-2 gen=1\n"
               "member consumer3 topic gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-1] consumer2=[topic-2] consumer3=[topic-3]",
           "sticky: members that reach their quota are filled (Kafka's test)");
    tg_new(&T, "topic a 3\n"
               "topic b 3\n"
               "member c1 a,b owned=a-0,a-1,a-2,b-0,b-1,b-2 gen=1\n"
               "member c2 a,b gen=1");
    is_str(tg_run(&T, "sticky"),
           "c1=[a-0 a-1 b-0] c2=[a-2 b-1 b-2]",
           "sticky: a member keeps a spread of topics (owned sorted by partition, then topic)");
    tg_new(&T, "topic topic1 3\n"
               "topic topic2 4\n"
               "member consumer1 topic1,topic2 owned=topic1-0,topic1-2,topic2-1,topic2-3 gen=1\n"
               "member consumer2 topic1,topic2 owned=topic1-1,topic2-0,topic2-2 gen=1\n"
               "member consumer3 topic1,topic2 gen=1\n"
               "member consumer4 topic1,topic2 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0 topic2-1] consumer2=[topic1-1 topic2-0] consumer3=[topic1-2 "
           "topic2-3] consumer4=[topic2-2]",
           "sticky: adding two members to two topics (Kafka's exact answer)");
    tg_new(&T, "topic topic1 3\n"
               "topic topic2 4\n"
               "member consumer1 topic1,topic2 owned=topic1-0,topic1-2,topic2-1,topic2-3 gen=1\n"
               "member consumer2 topic1,topic2 owned=topic1-1,topic2-0,topic2-2 gen=1\n"
               "member consumer3 topic1,topic2 gen=1\n"
               "member consumer4 topic1,topic2 gen=1");
    is_str(tg_run(&T, "cooperative-sticky"),
           "consumer1=[topic1-0 topic2-1] consumer2=[topic1-1 topic2-0] consumer3=[] "
           "consumer4=[]",
           "cooperative-sticky: adding two members: moved partitions wait a round");
    tg_new(&T, "topic topic1 3\n"
               "topic topic2 4\n"
               "member consumer3 topic1,topic2 owned=topic1-2,topic2-3 gen=1\n"
               "member consumer4 topic1,topic2 owned=topic2-2 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer3=[topic1-0 topic1-2 topic2-1 topic2-3] consumer4=[topic1-1 topic2-0 "
           "topic2-2]",
           "sticky: removing two members of four (Kafka's exact answer)");
}

static void test_sticky_generations(void)
{
    tg_new(&T, "topic topic 3\n"
               "topic topic2 3\n"
               "member consumer1 topic,topic2 owned=topic-0,topic-2,topic2-1 gen=10\n"
               "member consumer2 topic,topic2 owned=topic-0,topic-2,topic2-1 gen=9");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2 topic2-1] consumer2=[topic-1 topic2-0 topic2-2]",
           "sticky: a stale generation's claims lose to the current one");
    tg_new(&T, "topic topic 3\n"
               "topic topic2 3\n"
               "member consumer1 topic,topic2 owned=topic-0,topic-2,topic2-1 gen=10\n"
               "member consumer2 topic,topic2 owned=topic-0,topic-2,topic2-1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2 topic2-1] consumer2=[topic-1 topic2-0 topic2-2]",
           "sticky: claims without a generation lose to those with one");
    tg_new(&T, "topic topic 3\n"
               "member consumer1 topic owned=topic-0,topic-1 gen=1\n"
               "member consumer2 topic owned=topic-0,topic-2 gen=1\n"
               "member consumer3 topic gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-1] consumer2=[topic-2] consumer3=[topic-0]",
           "sticky: a partition claimed twice in one generation goes to neither claimant");
    tg_new(&T, "topic topic 3\n"
               "member consumer1 topic owned=topic-0,topic-1 gen=1\n"
               "member consumer2 topic owned=topic-0,topic-2 gen=1\n"
               "member consumer3 topic gen=1");
    is_str(tg_run(&T, "cooperative-sticky"),
           "consumer1=[topic-1] consumer2=[topic-2] consumer3=[]",
           "cooperative-sticky: a partition claimed twice in one generation waits a round");
    tg_new(&T, "topic topic 4\n"
               "member consumer1 topic owned=topic-0,topic-1 gen=1\n"
               "member consumer2 topic owned=topic-0,topic-2 gen=1\n"
               "member consumer3 topic gen=1");
    is_str(tg_run(&T, "cooperative-sticky"),
           "consumer1=[topic-1 topic-3] consumer2=[topic-2] consumer3=[]",
           "cooperative-sticky: doubly claimed, four partitions (Kafka's exact answer)");
    tg_new(&T, "topic topic 3\n"
               "topic topic2 3\n"
               "topic topic3 3\n"
               "member consumer1 topic,topic2,topic3 owned=topic-0,topic2-0,topic3-0 gen=10\n"
               "member consumer2 topic,topic2,topic3 owned=topic-1,topic2-1,topic3-1 gen=9\n"
               "member consumer3 topic,topic2,topic3 owned=topic2-1,topic3-0,topic3-2 gen=8");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic2-0 topic3-0] consumer2=[topic-1 topic2-1 topic3-1] "
           "consumer3=[topic-2 topic2-2 topic3-2]",
           "sticky: partitions go to the highest generation claiming them");
    tg_new(&T, "topic topic 3\n"
               "topic topic1 3\n"
               "topic topic2 3\n"
               "topic topic3 3\n"
               "member consumer1 topic,topic2,topic3,topic1\n"
               "member consumer2 topic,topic2,topic3,topic1 owned=topic-0,topic2-0,topic1-0 gen=9\n"
               "member consumer3 topic,topic2,topic3,topic1 owned=topic3-2,topic2-2,topic1-1 gen=8\n"
               "member consumer4 topic,topic2,topic3,topic1 owned=topic3-1,topic-1,topic-2 gen=7");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-2 topic2-1 topic3-0] consumer2=[topic-0 topic1-0 topic2-0] "
           "consumer3=[topic1-1 topic2-2 topic3-2] consumer4=[topic-1 topic-2 topic3-1]",
           "sticky: current members of older generations keep what nobody newer claims");
    tg_new(&T, "topic topic 3\n"
               "topic topic2 3\n"
               "member consumer1 topic,topic2 owned=topic-0,topic2-1,topic-1 gen=10\n"
               "member consumer2 topic,topic2 owned=topic-0,topic2-1,topic2-2 gen=8");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-1 topic2-1] consumer2=[topic-2 topic2-0 topic2-2]",
           "sticky: claims of several generations (Kafka's test)");
    tg_new(&T, "topic topic1 3\n"
               "member consumer1 topic1 owned=topic1-0 gen=1\n"
               "member consumer2 topic1 owned=topic1-1 gen=1\n"
               "member consumer3 topic1 gen=1");
    is_str(tg_run(&T, "cooperative-sticky"),
           "consumer1=[topic1-0] consumer2=[topic1-1] consumer3=[topic1-2]",
           "cooperative-sticky: owned partitions from the subscription are kept (Kafka's old-version test)");
    tg_new(&T, "topic topic1 1\n"
               "topic topic2 1\n"
               "topic topic3 1\n"
               "topic topic4 1\n"
               "topic topic5 1\n"
               "topic topic6 1\n"
               "member consumer1 topic1,topic2 owned=topic1-0 gen=1\n"
               "member consumer2 topic1,topic2,topic3,topic4 owned=topic2-0,topic3-0 gen=1\n"
               "member consumer3 topic2,topic3,topic4,topic5,topic6 owned=topic4-0,topic5-0,topic6-0 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic1-0] consumer2=[topic2-0 topic3-0] consumer3=[topic4-0 topic5-0 "
           "topic6-0]",
           "sticky: the general path moves nothing that need not move");
    tg_new(&T, "topic topic 6\n"
               "topic topic1 1\n"
               "member consumer1 topic owned=topic-0,topic-2 gen=1\n"
               "member consumer2 topic owned=topic-1,topic-2,topic-3 gen=2\n"
               "member consumer3 topic owned=topic-2,topic-4,topic-5 gen=3\n"
               "member consumer4 topic1 owned=topic1-0 gen=2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2] consumer2=[topic-1 topic-3] consumer3=[topic-4 "
           "topic-5] consumer4=[topic1-0]",
           "sticky: three generations claim topic-2 (1, 2, 3): the newest wins");
    tg_new(&T, "topic topic 6\n"
               "topic topic1 1\n"
               "member consumer1 topic owned=topic-0,topic-2 gen=1\n"
               "member consumer2 topic owned=topic-1,topic-2,topic-3 gen=3\n"
               "member consumer3 topic owned=topic-2,topic-4,topic-5 gen=2\n"
               "member consumer4 topic1 owned=topic1-0 gen=2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-1] consumer2=[topic-2 topic-3] consumer3=[topic-4 "
           "topic-5] consumer4=[topic1-0]",
           "sticky: three generations claim topic-2 (1, 3, 2): the newest wins");
    tg_new(&T, "topic topic 6\n"
               "topic topic1 1\n"
               "member consumer1 topic owned=topic-0,topic-2 gen=2\n"
               "member consumer2 topic owned=topic-1,topic-2,topic-3 gen=1\n"
               "member consumer3 topic owned=topic-2,topic-4,topic-5 gen=3\n"
               "member consumer4 topic1 owned=topic1-0 gen=2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2] consumer2=[topic-1 topic-3] consumer3=[topic-4 "
           "topic-5] consumer4=[topic1-0]",
           "sticky: three generations claim topic-2 (2, 1, 3): the newest wins");
    tg_new(&T, "topic topic 6\n"
               "topic topic1 1\n"
               "member consumer1 topic owned=topic-0,topic-2 gen=2\n"
               "member consumer2 topic owned=topic-1,topic-2,topic-3 gen=3\n"
               "member consumer3 topic owned=topic-2,topic-4,topic-5 gen=1\n"
               "member consumer4 topic1 owned=topic1-0 gen=2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-1] consumer2=[topic-2 topic-3] consumer3=[topic-4 "
           "topic-5] consumer4=[topic1-0]",
           "sticky: three generations claim topic-2 (2, 3, 1): the newest wins");
    tg_new(&T, "topic topic 6\n"
               "topic topic1 1\n"
               "member consumer1 topic owned=topic-0,topic-2 gen=3\n"
               "member consumer2 topic owned=topic-1,topic-2,topic-3 gen=1\n"
               "member consumer3 topic owned=topic-2,topic-4,topic-5 gen=2\n"
               "member consumer4 topic1 owned=topic1-0 gen=2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2] consumer2=[topic-1 topic-3] consumer3=[topic-4 "
           "topic-5] consumer4=[topic1-0]",
           "sticky: three generations claim topic-2 (3, 1, 2): the newest wins");
    tg_new(&T, "topic topic 6\n"
               "topic topic1 1\n"
               "member consumer1 topic owned=topic-0,topic-2 gen=3\n"
               "member consumer2 topic owned=topic-1,topic-2,topic-3 gen=2\n"
               "member consumer3 topic owned=topic-2,topic-4,topic-5 gen=1\n"
               "member consumer4 topic1 owned=topic1-0 gen=2");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2] consumer2=[topic-1 topic-3] consumer3=[topic-4 "
           "topic-5] consumer4=[topic1-0]",
           "sticky: three generations claim topic-2 (3, 2, 1): the newest wins");
}

static void test_sticky_quirks(void)
{
    tg_new(&T, "topic t 4\n"
               "member consumer1 t owned=t-0,t-1 gen=1\n"
               "member consumer2 t owned=t-2,t-3 gen=1\n"
               "member consumer3 t gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[t-0] consumer2=[t-2 t-3] consumer3=[t-1]",
           "quirk: the member first in Java's HashMap order (consumer2), not the first by id, keeps the extra partition");
    tg_new(&T, "topic t 4\n"
               "member consumer1 t\n"
               "member consumer2 t\n"
               "member consumer3 -");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[t-0 t-3] consumer2=[t-1] consumer3=[t-2]",
           "quirk: a member with no subscription, first in map order, gets partitions of topics it never subscribed to");
    tg_new(&T, "topic t 4\n"
               "member consumer3 t\n"
               "member consumer2 t\n"
               "member consumer1 -");
    is_str(tg_run(&T, "sticky"),
           "consumer3=[t-1 t-3] consumer2=[t-0 t-2] consumer1=[]",
           "quirk: the same member later in map order makes the subscriptions unequal (general path)");
    tg_new(&T, "topic t0 2\n"
               "topic t1 4\n"
               "member c1 t1 owned=t0-1 gen=2\n"
               "member c2 t0,t1 owned=t1-0,t1-1,t1-2,t1-3,t0-0 gen=3\n"
               "member c3 t0,t1 gen=3");
    is_str(tg_run(&T, "sticky"),
           "c1=[t0-1 t1-0] c2=[t1-2 t1-3] c3=[t0-0 t1-1]",
           "quirk: a partition goes back to an older-generation owner that no longer subscribes to its topic");
    tg_new(&T, "topic s 1\n"
               "topic t 4\n"
               "member f s owned=s-0,t-0 gen=1\n"
               "member A t owned=t-0,t-1,t-2,t-3 gen=2\n"
               "member B t gen=2");
    ok(strstr(tg_run(&T, "sticky"), "NullPointerException") != NULL,
       "quirk: Kafka throws NullPointerException when a partition's older owner is set aside");
    tg_new(&T, "topic t 4 a a a a,d\n"
               "member A t rack=a gen=1\n"
               "member B t rack=a gen=1\n"
               "member C t rack=b gen=1");
    ok(strstr(tg_run(&T, "sticky"), "IllegalStateException") != NULL,
       "quirk: rack-aware constrained assignment can overfill and make Kafka throw IllegalStateException");
    tg_new(&T, "topic t 4 a a b b\n"
               "member A t owned=t-0,t-2 gen=1 rack=a\n"
               "member B t owned=t-1,t-3 gen=1 rack=b");
    is_str(tg_run(&T, "cooperative-sticky"),
           "A=[t-0 t-1] B=[t-2 t-3]",
           "quirk: cooperative-sticky moves owned partitions on the wrong rack at once, without the revoke round");
}

/* ---- sticky and cooperative-sticky: several rebalances ---- */

static void test_sticky_add_remove(void)
{
    for (int coop = 0; coop < 2; coop++) {
        const char *a = coop ? "cooperative-sticky" : "sticky";
        tg_new(&T, "topic topic 3\nmember consumer1 topic");
        tg_run(&T, a);
        tg_rejoin(&T, 1);
        tg_add(&T, "member consumer2 topic gen=1");
        is_str(tg_run(&T, a),
               coop ? "consumer1=[topic-0 topic-1] consumer2=[]"
                    : "consumer1=[topic-0 topic-1] consumer2=[topic-2]",
               coop ? "cooperative-sticky: a new member waits while topic-2 is revoked"
                    : "sticky: a new member gets the partition the first one gives up");
        if (coop) {
            tg_rejoin(&T, 2);
            is_str(tg_run(&T, a), "consumer1=[topic-0 topic-1] consumer2=[topic-2]",
                   "cooperative-sticky: the follow-up rebalance hands topic-2 over");
        }
        tg_rejoin(&T, 3);
        tg_leave(&T, "consumer1");
        is_str(tg_run(&T, a), "consumer2=[topic-0 topic-1 topic-2]",
               "%s: the last member takes everything back", a);
    }
}

static void test_sticky_topic_balance(void)
{
    tg_new(&T, "topic topic1 12\ntopic topic2 12\nmember consumer1 topic1,topic2");
    tg_run(&T, "sticky");
    tg_rejoin(&T, 1);
    tg_add(&T, "member consumer2 topic1,topic2 gen=1");
    tg_run(&T, "sticky");
    ok(count_of(&T, "consumer1", "topic1") == 6 && count_of(&T, "consumer2", "topic2") == 6,
       "sticky: two members get six partitions of each topic");
    tg_rejoin(&T, 2);
    tg_add(&T, "member consumer3 topic1,topic2 gen=2\nmember consumer4 topic1,topic2 gen=2");
    tg_run(&T, "sticky");
    bool even = true;
    for (int i = 1; i <= 4; i++) {
        char id[24];
        snprintf(id, sizeof id, "consumer%d", i);
        even = even && count_of(&T, id, "topic1") == 3 && count_of(&T, id, "topic2") == 3;
    }
    ok(even, "sticky: four members get three partitions of each topic");
    tg_rejoin(&T, 3);
    tg_leave(&T, "consumer1");
    tg_leave(&T, "consumer2");
    tg_run(&T, "sticky");
    ok(count_of(&T, "consumer3", "topic1") == 6 && count_of(&T, "consumer4", "topic2") == 6,
       "sticky: after two leave, each topic is split evenly again");
}

static void test_sticky_add_remove_topic(void)
{
    tg_new(&T, "topic topic 3\ntopic topic2 0\nmember consumer1 topic\nmember consumer2 topic");
    is_str(tg_run(&T, "sticky"), "consumer1=[topic-0 topic-2] consumer2=[topic-1]",
           "sticky: three partitions for two members");
    tg_rejoin(&T, 1);
    T.topics[1].partitions = 3;
    tg_subscribe(&T, "consumer1", "topic,topic2");
    tg_subscribe(&T, "consumer2", "topic,topic2");
    tg_run(&T, "sticky");
    ok(count_of(&T, "consumer1", NULL) == 3 && kept(&T, "consumer1", "topic-0 topic-2") &&
           kept(&T, "consumer2", "topic-1"),
       "sticky: a new topic is shared and no member loses a partition");
    char before1[256], before2[256];
    snprintf(before1, sizeof before1, "%s", strstr(tg_run(&T, "sticky"), "=[") + 2);
    *strchr(before1, ']') = '\0';
    snprintf(before2, sizeof before2, "%s", strrchr(T.text, '[') + 1);
    *strchr(before2, ']') = '\0';
    tg_rejoin(&T, 2);
    T.topics[0].partitions = 0;
    tg_subscribe(&T, "consumer1", "topic2");
    tg_subscribe(&T, "consumer2", "topic2");
    tg_run(&T, "sticky");
    int n1 = count_of(&T, "consumer1", NULL), n2 = count_of(&T, "consumer2", NULL);
    ok(n1 + n2 == 3 && (n1 - n2 == 1 || n2 - n1 == 1), "sticky: a deleted topic's partitions are dropped");
    bool sticky = true;
    for (int32_t m = 0; m < 2; m++)
        for (int64_t k = T.r.first[m]; k < T.r.first[m + 1]; k++) {
            char tp[64];
            snprintf(tp, sizeof tp, "topic2-%d", T.r.tps[k].partition);
            sticky = sticky && strstr(m ? before2 : before1, tp);
        }
    ok(sticky, "sticky: and the remaining partitions stay where they were");
}

static void test_sticky_members_leave_and_join(void)
{
    char line[512];
    tg_new(&T, "");
    for (int i = 1; i < 20; i++) {
        snprintf(line, sizeof line, "topic t%02d %d", i, i);
        tg_add(&T, line);
    }
    for (int i = 1; i < 20; i++) {
        int n = snprintf(line, sizeof line, "member c%02d ", i);
        for (int j = 1; j <= i; j++)
            n += snprintf(line + n, sizeof line - (size_t)n, "%st%02d", j > 1 ? "," : "", j);
        tg_add(&T, line);
    }
    tg_run(&T, "sticky");
    ok(valid_and_balanced(&T), "sticky: 19 members with nested subscriptions are balanced");
    tg_rejoin(&T, 1);
    tg_leave(&T, "c10");
    tg_run(&T, "sticky");
    ok(valid_and_balanced(&T), "sticky: still balanced after one of them leaves");

    tg_new(&T, "topic topic 20");
    for (int i = 1; i < 10; i++) {
        snprintf(line, sizeof line, "member c%02d topic", i);
        tg_add(&T, line);
    }
    tg_run(&T, "sticky");
    ok(valid_and_balanced(&T), "sticky: nine members on one topic");
    tg_add(&T, "member c10 topic");
    tg_run(&T, "sticky");
    ok(valid_and_balanced(&T), "sticky: a tenth member joins");

    tg_new(&T, "topic t1 1\ntopic t2 1\ntopic t3 1\ntopic t4 1\nmember c0 -\nmember c1 t1\n"
               "member c2 t2,t3,t4");
    tg_run(&T, "sticky");
    ok(valid_and_balanced(&T), "sticky: members with disjoint subscriptions");
    tg_subscribe(&T, "c0", "t1");
    tg_run(&T, "sticky");
    ok(valid_and_balanced(&T), "sticky: a member that subscribes to a topic later");
}

static void test_sticky_stickiness(void)
{
    tg_new(&T, "topic topic1 3\nmember consumer1 topic1\nmember consumer2 topic1\n"
               "member consumer3 topic1\nmember consumer4 topic1");
    char first[256];
    snprintf(first, sizeof first, "%s", tg_run(&T, "sticky"));
    ok(valid_and_balanced(&T), "sticky: four members, three partitions");
    tg_rejoin(&T, 1);
    tg_leave(&T, "consumer1");
    tg_run(&T, "sticky");
    bool one_each = true, stayed = true;
    for (int i = 2; i <= 4; i++) {
        char id[24], owned[64];
        snprintf(id, sizeof id, "consumer%d", i);
        one_each = one_each && count_of(&T, id, NULL) == 1;
        const char *at = strstr(first, id) + strlen(id) + 2;
        snprintf(owned, sizeof owned, "%.*s", (int)(strchr(at, ']') - at), at);
        stayed = stayed && kept(&T, id, owned);
    }
    ok(one_each && stayed, "sticky: when a member leaves, the others keep their partition");
}

/* StickyAssignorTest.testAssignmentWithMultipleGenerations1 */
static void test_sticky_generations_rounds(void)
{
    tg_new(&T, "topic topic 6\nmember consumer1 topic\nmember consumer2 topic\n"
               "member consumer3 topic");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-3] consumer2=[topic-1 topic-4] consumer3=[topic-2 topic-5]",
           "sticky: six partitions, three members");
    tg_rejoin(&T, 1);
    tg_leave(&T, "consumer3");
    is_str(tg_run(&T, "sticky"),
           "consumer1=[topic-0 topic-2 topic-3] consumer2=[topic-1 topic-4 topic-5]",
           "sticky: consumer3's partitions are shared when it leaves");
    tg_rejoin(&T, 2);
    tg_leave(&T, "consumer1");
    tg_add(&T, "member consumer3 topic owned=topic-2,topic-5 gen=1");
    is_str(tg_run(&T, "sticky"),
           "consumer2=[topic-1 topic-4 topic-5] consumer3=[topic-0 topic-2 topic-3]",
           "sticky: a member back from generation 1 keeps what generation 2 did not take");
}

/* AbstractStickyAssignorTest's rack tests, laid out as Kafka's verifyRackAssignment does
 * (its subscriptions map is new HashMap<>(members)). */
static void test_sticky_racks(void)
{
    const char *uniform = "topic t1 6\ntopic t2 7\ntopic t3 2\n"
                          "member consumer0 t1,t2,t3 rack=a\nmember consumer1 t1,t2,t3 rack=b\n"
                          "member consumer2 t1,t2,t3 rack=c";
    const char *aligned = "consumer0=[t1-0 t1-3 t2-0 t2-3 t2-6] consumer1=[t1-1 t1-4 t2-1 t2-4 t3-0] "
                          "consumer2=[t1-2 t1-5 t2-2 t2-5 t3-1]";
    for (int coop = 0; coop < 2; coop++) {
        const char *a = coop ? "cooperative-sticky" : "sticky";
        tg_new(&T, uniform);
        T.g.java_map_capacity = 3;
        tg_kafka_racks(&T, 1, 3, ABC);
        is_str(tg_run(&T, a), aligned, "%s: one replica per partition: aligned on racks", a);
        tg_kafka_racks(&T, 3, 2, AB);
        is_str(tg_run(&T, a), aligned, "%s: a member on a rack without replicas still gets its share", a);
    }
    tg_new(&T, "topic t1 6\ntopic t2 7\ntopic t3 2\n"
               "member consumer0 t1,t2,t3 rack=a\nmember consumer1 t1,t2,t3 rack=b\n"
               "member consumer2 t1,t3 rack=c");
    T.g.java_map_capacity = 3;
    tg_kafka_racks(&T, 1, 3, ABC);
    is_str(tg_run(&T, "sticky"),
           "consumer0=[t1-3 t2-0 t2-2 t2-3 t2-6] consumer1=[t1-4 t2-1 t2-4 t2-5 t3-0] "
           "consumer2=[t1-0 t1-1 t1-2 t1-5 t3-1]",
           "sticky: unequal subscriptions, best-effort racks (Kafka's test, 4 mismatches)");
    tg_kafka_racks(&T, 2, 3, ABC);
    is_str(tg_run(&T, "sticky"),
           "consumer0=[t1-3 t2-0 t2-2 t2-5 t2-6] consumer1=[t1-0 t2-1 t2-3 t2-4 t3-0] "
           "consumer2=[t1-1 t1-2 t1-4 t1-5 t3-1]",
           "sticky: unequal subscriptions, two replicas: every member on its racks");
    tg_new(&T, "topic t1 6\ntopic t2 7\ntopic t3 2\n"
               "member consumer0 t1,t2,t3 rack=a owned=t1-0,t1-1,t1-2,t1-3,t1-4\n"
               "member consumer1 t1,t2,t3 rack=b owned=t1-5,t2-0,t2-1,t2-2,t2-3\n"
               "member consumer2 t1,t3 rack=c owned=t2-4,t2-5,t2-6,t3-0,t3-1");
    T.g.java_map_capacity = 3;
    tg_kafka_racks(&T, 1, 3, ABC);
    is_str(tg_run(&T, "cooperative-sticky"), "consumer0=[t1-3] consumer1=[t2-1] consumer2=[t3-1]",
           "cooperative-sticky: misplaced owned partitions are revoked first (general path)");
    tg_rejoin(&T, ASSIGN_NO_GENERATION);
    is_str(tg_run(&T, "cooperative-sticky"),
           "consumer0=[t1-3 t2-0 t2-2 t2-3 t2-6] consumer1=[t1-4 t2-1 t2-4 t2-5 t3-0] "
           "consumer2=[t1-0 t1-1 t1-2 t1-5 t3-1]",
           "cooperative-sticky: and placed on their racks in the follow-up rebalance");
    tg_new(&T, uniform);
    tg_add(&T, "");
    for (int32_t m = 0; m < 3; m++) {
        static const char *const own[3] = { "t1-0,t1-1,t1-2,t1-3,t1-4", "t1-5,t2-0,t2-1,t2-2,t2-3",
                                            "t2-4,t2-5,t2-6,t3-0,t3-1" };
        char *copy = strdup(own[m]);
        parse_owned(&T, &T.members[m], m, copy);
        free(copy);
    }
    T.g.java_map_capacity = 3;
    tg_kafka_racks(&T, 1, 3, ABC);
    is_str(tg_run(&T, "cooperative-sticky"), aligned,
           "quirk: equal subscriptions: misplaced owned partitions move at once, in one rebalance");
}

/* 32 members, 16 of whose ids share one String.hashCode: a tree bin in the subscriptions
 * HashMap. The constrained path walks consumerToOwnedPartitions, filled in the
 * subscriptions' iteration order, whose tree bin iterates otherwise: there AaBBAaBB comes
 * before BBBBBBBB and keeps maxQuota. */
static void test_sticky_tree_bin_order(void)
{
    static const char *const group[] = {
        "topic a 4",
        "topic t0 16",
        "topic T 16",
        "member Aa t0,a,T owned=T-15,T-2",
        "member c3 T,t0,a owned=T-5,t0-4",
        "member c10 T,t0,a",
        "member AaBBBBBB t0,T,a",
        "member AaBBAaAa a,T,t0",
        "member AaAaBBBB T,a,t0 owned=T-3,T-8",
        "member c14 a,T,t0 owned=t0-5",
        "member AaAaBBAa T,a,t0 owned=T-4",
        "member BBAaBBBB a,t0,T owned=t0-1",
        "member c27 T,t0,a",
        "member c15 T,a,t0 owned=t0-10",
        "member c28 T,a,t0",
        "member AaBBAaBB T,t0,a owned=T-12,T-7,t0-2,t0-15,t0-8",
        "member c6 a,t0,T owned=t0-7",
        "member BB t0,T,a owned=T-14,t0-14",
        "member BBAaAaAa a,T,t0",
        "member AaBBBBAa T,t0,a",
        "member BBAaAaBB a,T,t0",
        "member c9 a,t0,T owned=a-3",
        "member AaAaAaAa T,t0,a",
        "member c2 t0,T,a owned=T-13",
        "member BBAaBBAa T,a,t0",
        "member consumer1 a,t0,T",
        "member BBBBBBBB t0,a,T owned=a-1,T-11",
        "member c23 a,T,t0 owned=T-1",
        "member AaAaAaBB a,T,t0",
        "member c8 t0,T,a owned=t0-9,t0-11",
        "member C2 a,t0,T owned=t0-13,t0-3",
        "member BBBBAaBB a,T,t0",
        "member BBBBAaAa t0,a,T owned=t0-0",
        "member BBBBBBAa T,a,t0",
        "member c20 t0,T,a" };
    static const char *const want =
        "Aa=[T-2 T-15] c3=[t0-4] c10=[t0-8] AaBBBBBB=[T-10] AaBBAaAa=[T-6] AaAaBBBB=[T-3 T-8] "
        "c14=[t0-5] AaAaBBAa=[T-4] BBAaBBBB=[t0-1] c27=[t0-12] c15=[t0-10] c28=[t0-13] "
        "AaBBAaBB=[T-7 t0-2] c6=[t0-7] BB=[T-14 t0-14] BBAaAaAa=[T-11] AaBBBBAa=[T-9] "
        "BBAaAaBB=[T-12] c9=[a-3] AaAaAaAa=[T-0] c2=[T-13] BBAaBBAa=[a-0] consumer1=[t0-15] "
        "BBBBBBBB=[a-1] c23=[T-1] AaAaAaBB=[T-5] c8=[t0-9] C2=[t0-3] BBBBAaBB=[a-2] "
        "BBBBAaAa=[t0-0] BBBBBBAa=[t0-6] c20=[t0-11]";
    tg_new(&T, "");
    for (size_t i = 0; i < sizeof group / sizeof group[0]; i++)
        tg_add(&T, group[i]);
    is_str(tg_run(&T, "sticky"), want,
           "sticky: members of one hash take turns in the order of Kafka's second HashMap");
}

int main(void)
{
    test_sticky_basics();
    test_sticky_quotas();
    test_sticky_generations();
    test_sticky_quirks();
    test_sticky_add_remove();
    test_sticky_topic_balance();
    test_sticky_add_remove_topic();
    test_sticky_members_leave_and_join();
    test_sticky_stickiness();
    test_sticky_generations_rounds();
    test_sticky_racks();
    test_sticky_tree_bin_order();
    assign_result_free(&T.r);
    return tap_done();
}
