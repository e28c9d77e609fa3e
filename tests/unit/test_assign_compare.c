/* Unit tests for sim/client/assignors/compare.c: histories of group changes replayed by
 * every strategy, with metrics worked out by hand from each protocol (eager revokes
 * everything, cooperative revokes only what moves and needs a second round for it), the
 * assignments an observer sees round by round, and the errors a history can have.
 * Histories are written as text:
 *   topic NAME PARTITIONS
 *   step CHANGE; CHANGE...   join ID TOPIC,TOPIC|- [instance=I] [rack=R] | leave ID |
 *                            crash ID | grow TOPIC N | subscribe ID TOPIC,TOPIC|-      */
#include "sim/client/assignors/compare.h"
#include "tests/unit/tap.h"

enum { HT = 16, HS = 32, HC = 8, HSUB = 256, NSTRAT = 5 };

typedef struct hist {
    assign_topic_t topics[HT];
    compare_change_t changes[HS][HC];
    compare_step_t steps[HS];
    int32_t subs[HSUB][HT];
    int nsubs;
    char strings[8192];
    size_t used;
    compare_history_t h;
    /* What the observer saw: each step's settled assignment and every round, by strategy. */
    char settled[HS][NSTRAT][512];
    char rounds[HS][NSTRAT][1024];
    compare_result_t r;
    compare_error_t err;
} hist_t;

static hist_t H;

static const char *keep(hist_t *h, const char *s)
{
    size_t n = strlen(s);
    char *p = h->strings + h->used;
    memcpy(p, s, n + 1);
    h->used += n + 1;
    return p;
}

static int32_t topic_of(const hist_t *h, const char *name)
{
    for (int32_t t = 0; t < h->h.ntopics; t++)
        if (strcmp(h->topics[t].name, name) == 0)
            return t;
    return 99; /* a topic that does not exist, for the error tests */
}

static void parse_topics(hist_t *h, compare_change_t *c, char *list)
{
    int32_t *sub = h->subs[h->nsubs++];
    c->topics = sub;
    if (strcmp(list, "-") == 0)
        return;
    for (char *s = NULL, *x = strtok_r(list, ",", &s); x; x = strtok_r(NULL, ",", &s))
        sub[c->ntopics++] = topic_of(h, x);
}

static void parse_change(hist_t *h, compare_change_t *c, char *text)
{
    char *w[6] = { 0 };
    int n = 0;
    for (char *s = NULL, *x = strtok_r(text, " ", &s); x && n < 6; x = strtok_r(NULL, " ", &s))
        w[n++] = x;
    *c = (compare_change_t){ .member = w[1] ? keep(h, w[1]) : NULL };
    if (strcmp(w[0], "join") == 0) {
        c->kind = COMPARE_JOIN;
        parse_topics(h, c, w[2]);
        for (int i = 3; i < n; i++) {
            if (strncmp(w[i], "instance=", 9) == 0)
                c->instance = keep(h, w[i] + 9);
            if (strncmp(w[i], "rack=", 5) == 0)
                c->rack = keep(h, w[i] + 5);
        }
    } else if (strcmp(w[0], "subscribe") == 0) {
        c->kind = COMPARE_SUBSCRIBE;
        parse_topics(h, c, w[2]);
    } else if (strcmp(w[0], "grow") == 0) {
        *c = (compare_change_t){ .kind = COMPARE_PARTITIONS, .topic = topic_of(h, w[1]),
                                 .partitions = atoi(w[2]) };
    } else {
        c->kind = strcmp(w[0], "leave") == 0 ? COMPARE_LEAVE : COMPARE_CRASH;
    }
}

static void parse_step(hist_t *h, char *text)
{
    int32_t s = h->h.nsteps++;
    h->steps[s].changes = h->changes[s];
    for (char *sv = NULL, *x = strtok_r(text, ";", &sv); x; x = strtok_r(NULL, ";", &sv)) {
        while (*x == ' ')
            x++;
        if (*x)
            parse_change(h, &h->changes[s][h->steps[s].nchanges++], x);
    }
}

static void hist_new(hist_t *h, const char *spec)
{
    compare_result_free(&h->r);
    memset(h, 0, sizeof *h);
    h->h.topics = h->topics;
    h->h.steps = h->steps;
    char *copy = strdup(spec);
    for (char *s = NULL, *line = strtok_r(copy, "\n", &s); line; line = strtok_r(NULL, "\n", &s)) {
        if (strncmp(line, "topic ", 6) == 0) {
            char name[64];
            int count = 0;
            sscanf(line + 6, "%63s %d", name, &count);
            h->topics[h->h.ntopics++] = (assign_topic_t){ keep(h, name), count, NULL };
        } else if (strncmp(line, "step", 4) == 0) {
            parse_step(h, line + 4);
        }
    }
    free(copy);
}

/* ---- the observer ---- */

static size_t put_tps(char *buf, size_t n, const assign_group_t *g, int32_t m,
                      const assign_tp_t *tps, int64_t from, int64_t to)
{
    size_t used = (size_t)snprintf(buf, n, "%s%s=[", m > 0 ? " " : "", g->members[m].id);
    for (int64_t k = from; k < to && used < n; k++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s-%d", k > from ? " " : "",
                                 g->topics[tps[k].topic].name, tps[k].partition);
    if (used < n)
        used += (size_t)snprintf(buf + used, n - used, "]");
    return used;
}

static void on_settled(void *ctx, int32_t step, int32_t k, const assign_group_t *g)
{
    hist_t *h = ctx;
    char *out = h->settled[step][k];
    for (int32_t m = 0; m < g->nmembers; m++) {
        size_t len = strlen(out);
        put_tps(out + len, sizeof h->settled[step][k] - len, g, m, g->members[m].owned, 0,
                g->members[m].nowned);
    }
}

/* "r1 gen=2: C1=[t-0] C2=[] revoked: C1=[t-1] C2=[] | r2 ..." */
static void on_round(void *ctx, const compare_round_t *r)
{
    hist_t *h = ctx;
    char *out = h->rounds[r->step][r->strategy];
    size_t cap = sizeof h->rounds[r->step][r->strategy], len = strlen(out);
    snprintf(out + len, cap - len, "%sr%d gen=%d: ", len ? " | " : "", r->round, r->generation);
    for (int32_t m = 0; m < r->group->nmembers; m++) {
        len = strlen(out);
        put_tps(out + len, cap - len, r->group, m, r->assigned->tps, r->assigned->first[m],
                r->assigned->first[m + 1]);
    }
    len = strlen(out);
    snprintf(out + len, cap - len, " revoked: ");
    for (int32_t m = 0; m < r->group->nmembers; m++) {
        len = strlen(out);
        put_tps(out + len, cap - len, r->group, m, r->revoked->tps, r->revoked->first[m],
                r->revoked->first[m + 1]);
    }
}

static const compare_strategy_t all5[NSTRAT] = {
    { "range", COMPARE_EAGER },
    { "roundrobin", COMPARE_EAGER },
    { "sticky", COMPARE_EAGER },
    { "cooperative-sticky", COMPARE_COOPERATIVE },
    { "cooperative-sticky", COMPARE_EAGER },
};
enum { RANGE, RR, STICKY, COOP, COOP_EAGER };

static bool hist_run(hist_t *h)
{
    compare_observer_t obs = { on_round, on_settled, h };
    compare_result_free(&h->r);
    bool ok = compare_run(&h->h, all5, NSTRAT, &obs, &h->r, &h->err);
    if (!ok)
        tap_diag("compare_run: step %d: %s", h->err.step, h->err.msg);
    return ok;
}

/* "min/max/spread moved revoked rounds" of a step and strategy. */
static const char *metrics(const hist_t *h, int32_t step, int32_t k)
{
    static char buf[128];
    const compare_metrics_t *m = step < 0 ? &h->r.total[k] : compare_at(&h->r, step, k);
    snprintf(buf, sizeof buf, "%lld/%lld/%lld moved=%lld revoked=%lld rounds=%d",
             (long long)m->min, (long long)m->max, (long long)m->spread, (long long)m->moved,
             (long long)m->revoked, m->rounds);
    return buf;
}

/* ---- tests ---- */

static void test_seed_example(void)
{
    hist_new(&H, "topic A 3\n"
                 "step join C1 A; join C2 A");
    ok(hist_run(&H), "a history of one step runs");
    is_str(H.settled[0][RANGE], "C1=[A-0 A-1] C2=[A-2]",
           "range: 3 partitions, 2 consumers: C1 gets P0 and P1, C2 gets P2");
    is_str(metrics(&H, 0, RANGE), "1/2/1 moved=0 revoked=0 rounds=1",
           "a group forming: one round, nothing owned so nothing moved or revoked");
    is_str(metrics(&H, 0, COOP), "1/2/1 moved=0 revoked=0 rounds=1",
           "cooperative: a group forming takes one round too");
    is_int(H.r.info[0].members, 2, "the step info counts the members");
    is_int(H.r.info[0].partitions, 3, "and the partitions they subscribe to");
    ok(H.r.info[0].rebalance, "and says the group rebalanced");
}

static const char *const JOIN3 = "topic t 4\n"
                                 "step join C1 t; join C2 t\n"
                                 "step join C3 t";

static void test_eager_revokes_everything(void)
{
    hist_new(&H, JOIN3);
    hist_run(&H);
    is_str(H.settled[0][RR], "C1=[t-0 t-2] C2=[t-1 t-3]", "roundrobin deals t to C1 and C2");
    is_str(H.settled[1][RR], "C1=[t-0 t-3] C2=[t-1] C3=[t-2]",
           "roundrobin deals again from the top when C3 joins");
    is_str(metrics(&H, 1, RR), "1/2/1 moved=2 revoked=4 rounds=1",
           "roundrobin (eager): both staying members revoke all 4; t-2 and t-3 change hands");
    is_str(H.settled[1][RANGE], "C1=[t-0 t-1] C2=[t-2] C3=[t-3]", "range: C3 gets the last block");
    is_str(metrics(&H, 1, RANGE), "1/2/1 moved=1 revoked=4 rounds=1",
           "range (eager): 4 revoked for 1 moved");
    is_str(metrics(&H, 1, STICKY), "1/2/1 moved=1 revoked=4 rounds=1",
           "sticky (eager): moves one partition, yet every member revoked everything");
    ok(strstr(H.rounds[1][RANGE], "revoked: C1=[t-0 t-1] C2=[t-2 t-3] C3=[]") != NULL,
       "the observer sees what each member revoked: all it had");
}

static void test_cooperative_two_rounds(void)
{
    hist_new(&H, JOIN3);
    hist_run(&H);
    is_str(metrics(&H, 1, COOP), "1/2/1 moved=1 revoked=1 rounds=2",
           "cooperative-sticky: one partition revoked, handed over in a second round");
    const char *r = H.rounds[1][COOP];
    ok(strstr(r, "r1 gen=2:") && strstr(r, "| r2 gen=3:"),
       "the rounds have generations 2 and 3 (the group formed at 1)");
    ok(strstr(r, "C3=[] revoked:") != NULL, "in round 1, C3 gets nothing yet");
    is_str(H.settled[1][COOP], H.settled[1][STICKY],
           "after round 2 cooperative-sticky lands where sticky lands in one");
    is_str(metrics(&H, 1, COOP_EAGER), "1/2/1 moved=2 revoked=4 rounds=1",
           "cooperative-sticky under eager reports nothing owned: two partitions move where "
           "sticky moves one");
    is_str(metrics(&H, -1, COOP), "1/2/1 moved=1 revoked=1 rounds=3",
           "totals: rounds 1 + 2, moved and revoked summed, the worst spread");
}

static void test_leave_and_crash(void)
{
    const char *leave = "topic t 6\n"
                        "step join C1 t; join C2 t; join C3 t\n"
                        "step leave C3";
    hist_new(&H, leave);
    hist_run(&H);
    is_str(H.settled[0][RANGE], "C1=[t-0 t-1] C2=[t-2 t-3] C3=[t-4 t-5]", "range in blocks of 2");
    is_str(H.settled[1][RANGE], "C1=[t-0 t-1 t-2] C2=[t-3 t-4 t-5]", "range in blocks of 3");
    is_str(metrics(&H, 1, RANGE), "3/3/0 moved=3 revoked=4 rounds=1",
           "range: t-2 moves from C2 to C1 besides C3's two; C3's own are not counted revoked");
    is_str(metrics(&H, 1, STICKY), "3/3/0 moved=2 revoked=4 rounds=1",
           "sticky (eager): only C3's partitions move, but all 4 are revoked");
    is_str(metrics(&H, 1, COOP), "3/3/0 moved=2 revoked=0 rounds=1",
           "cooperative-sticky: nothing to revoke, one round");
    char range_leave[512], coop_leave[512];
    snprintf(range_leave, sizeof range_leave, "%s", metrics(&H, 1, RANGE));
    snprintf(coop_leave, sizeof coop_leave, "%s", metrics(&H, 1, COOP));
    hist_new(&H, "topic t 6\n"
                 "step join C1 t; join C2 t; join C3 t\n"
                 "step crash C3");
    hist_run(&H);
    is_str(metrics(&H, 1, RANGE), range_leave, "a crash is a leave for range");
    is_str(metrics(&H, 1, COOP), coop_leave, "and for cooperative-sticky");
}

static void test_new_topic_one_subscriber(void)
{
    hist_new(&H, "topic a 0\n"
                 "topic t 4\n"
                 "step join C1 a,t; join C2 t\n"
                 "step grow a 1");
    hist_run(&H);
    ok(H.r.info[1].rebalance, "a subscribed topic that appears makes the group rebalance");
    is_str(H.settled[1][RR], "C1=[a-0 t-1 t-3] C2=[t-0 t-2]",
           "roundrobin: a-0 comes first and shifts the whole circle");
    is_str(metrics(&H, 1, RR), "2/3/1 moved=4 revoked=4 rounds=1",
           "roundrobin moves all four partitions of t");
    is_str(metrics(&H, 1, STICKY), "2/3/1 moved=0 revoked=4 rounds=1",
           "sticky moves nothing (though eager revokes everything)");
    is_str(metrics(&H, 1, COOP), "2/3/1 moved=0 revoked=0 rounds=1",
           "cooperative-sticky moves and revokes nothing");
    is_str(metrics(&H, 1, RANGE), "2/3/1 moved=0 revoked=4 rounds=1", "range moves nothing");
}

static void test_no_rebalance(void)
{
    hist_new(&H, "topic t 2\n"
                 "topic u 1\n"
                 "step join C1 t\n"
                 "step grow u 3\n"
                 "step subscribe C1 t");
    hist_run(&H);
    ok(!H.r.info[1].rebalance, "a topic nobody subscribes to grows: no rebalance");
    is_str(metrics(&H, 1, COOP), "2/2/0 moved=0 revoked=0 rounds=0", "and no rounds");
    ok(!H.r.info[2].rebalance, "the same subscription again: no rebalance");
    is_int(H.r.info[1].partitions, 2, "partitions count only subscribed topics");
    hist_new(&H, "topic t 2\n"
                 "step join C1 t\n"
                 "step leave C1");
    hist_run(&H);
    ok(!H.r.info[1].rebalance, "the last member leaves: an empty group does not rebalance");
    is_str(metrics(&H, 1, RANGE), "0/0/0 moved=0 revoked=0 rounds=0",
           "an empty group has no partitions per member");
    is_str(metrics(&H, -1, RANGE), "2/2/0 moved=0 revoked=0 rounds=1",
           "totals leave the empty step out of min and max");
}

static void test_subscription_change(void)
{
    hist_new(&H, "topic t 2\n"
                 "topic u 2\n"
                 "step join C1 t,u; join C2 t,u\n"
                 "step subscribe C1 t");
    hist_run(&H);
    is_str(H.settled[0][COOP], "C1=[t-0 u-0] C2=[t-1 u-1]",
           "cooperative-sticky, equal subscriptions");
    is_str(H.settled[1][COOP], "C1=[t-0 t-1] C2=[u-0 u-1]",
           "C2 takes all of u, and C1 takes t-1 to even the counts");
    is_str(metrics(&H, 1, COOP), "2/2/0 moved=2 revoked=2 rounds=2",
           "cooperative: u-0 and t-1 revoked, one each side, so a second round");
    is_str(H.rounds[1][COOP],
           "r1 gen=2: C1=[t-0] C2=[u-0 u-1] revoked: C1=[u-0] C2=[t-1] | "
           "r2 gen=3: C1=[t-0 t-1] C2=[u-0 u-1] revoked: C1=[] C2=[]",
           "C1 revokes u-0 before joining, C2 revokes t-1 after round 1; round 2 hands it over");
    is_str(H.settled[1][STICKY], H.settled[1][COOP], "sticky (eager) lands in the same place");
    is_str(metrics(&H, 1, STICKY), "2/2/0 moved=2 revoked=4 rounds=1", "revoking all four");
}

static void test_history_errors(void)
{
    static const struct {
        const char *spec, *msg;
        int32_t step, change;
    } cases[] = {
        { "topic t 1\nstep join C1 t\nstep join C1 t",
          "member 'C1' is already in the group", 1, 0 },
        { "topic t 1\nstep join C1 t; leave C2",
          "no member 'C2' in the group (members: C1)", 0, 1 },
        { "topic t 1\nstep crash C1", "no member 'C1' in the group (members: none)", 0, 0 },
        { "topic t 3\nstep join C1 t\nstep grow t 2",
          "topic 't' has 3 partitions already; partitions can only be added (Kafka refuses "
          "to go to 2)", 1, 0 },
        { "topic t 1\nstep join C1 t,t", "member 'C1' subscribes to 't' twice", 0, 0 },
        { "topic t 1\nstep join C1 t instance=i\nstep join C2 t instance=i",
          "group.instance.id 'i' is already used by member 'C1'", 1, 0 },
        { "topic t 1\nstep join C1 t\nstep", "a step needs at least one change", 1, -1 },
        { "topic t 1\ntopic t 2\nstep join C1 t", "topic 't' is listed twice", -1, -1 },
        { "topic t -1\nstep join C1 t", "topic 't' has a negative partition count (-1)", -1, -1 },
        { "topic t 1\nstep join C1 nope",
          "member 'C1' subscribes to topic number 99, but the history has 1 topic", 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hist_new(&H, cases[i].spec);
        compare_observer_t obs = { on_round, on_settled, &H };
        bool ran = compare_run(&H.h, all5, NSTRAT, &obs, &H.r, &H.err);
        ok(!ran && strcmp(H.err.msg, cases[i].msg) == 0 && H.err.step == cases[i].step &&
               H.err.change == cases[i].change && H.err.strategy == -1,
           "a bad history is refused before any strategy runs: %s", cases[i].msg);
        if (ran || strcmp(H.err.msg, cases[i].msg) != 0)
            tap_diag("got step %d change %d: %s", H.err.step, H.err.change, H.err.msg);
        ok(H.settled[0][0][0] == '\0' && H.rounds[0][0][0] == '\0', "and the observer saw nothing");
    }
}

static void test_strategies(void)
{
    compare_strategy_t s;
    char err[256], buf[64];
    ok(compare_strategy_parse("range", &s, err, sizeof err) && s.protocol == COMPARE_EAGER,
       "range runs eager");
    ok(compare_strategy_parse("cooperative-sticky", &s, err, sizeof err) &&
           s.protocol == COMPARE_COOPERATIVE,
       "cooperative-sticky alone runs cooperative");
    is_str(compare_strategy_name(&s, buf, sizeof buf), "cooperative-sticky",
           "its name needs no protocol");
    ok(compare_strategy_parse("cooperative-sticky/eager", &s, err, sizeof err) &&
           s.protocol == COMPARE_EAGER,
       "cooperative-sticky can run eager (as during the upgrade from eager)");
    is_str(compare_strategy_name(&s, buf, sizeof buf), "cooperative-sticky/eager",
           "then its name says so");
    ok(!compare_strategy_parse("range/cooperative", &s, err, sizeof err),
       "range cannot run cooperative");
    is_str(err, "range supports only the eager protocol (Kafka 3.9: its supportedProtocols() "
                "is [EAGER]; only cooperative-sticky supports COOPERATIVE)",
           "and the error says why");
    ok(!compare_strategy_parse("sticky/lazy", &s, err, sizeof err) &&
           strcmp(err, "unknown protocol 'lazy' in 'sticky/lazy' (eager or cooperative)") == 0,
       "an unknown protocol");
    ok(!compare_strategy_parse("rangee", &s, err, sizeof err) &&
           strstr(err, "unknown assignor 'rangee'") == err,
       "an unknown assignor");
}

static void test_describe(void)
{
    hist_new(&H, "topic orders 3\n"
                 "topic pay 1\n"
                 "step join C1 orders; join C2 orders,pay\n"
                 "step grow orders 6\n"
                 "step subscribe C1 orders,pay\n"
                 "step subscribe C1 -; crash C2");
    char buf[256];
    is_str(compare_describe_step(&H.h, 0, buf, sizeof buf), "C1, C2 join",
           "members that join together");
    is_str(compare_describe_step(&H.h, 1, buf, sizeof buf), "orders grows to 6 partitions",
           "growth");
    is_str(compare_describe_step(&H.h, 2, buf, sizeof buf), "C1 subscribes to orders, pay",
           "subscriptions");
    is_str(compare_describe_step(&H.h, 3, buf, sizeof buf),
           "C1 subscribes to nothing; C2 crashes", "an empty subscription and a crash");
    H.steps[1].label = "Black Friday";
    is_str(compare_describe_step(&H.h, 1, buf, sizeof buf), "Black Friday", "a label wins");
    is_str(compare_describe_step(&H.h, 3, buf, 12), "C1 subscrib", "a short buffer is cut");
    is_str(compare_describe_step(&H.h, 0, buf, 5), "C1, ", "also for members together");
}

static void test_assignor_error(void)
{
    hist_new(&H, "topic t 1\n"
                 "step join C1 t\n"
                 "step join C2 t");
    compare_strategy_t bogus[2] = { { "range", COMPARE_EAGER }, { "nope", COMPARE_EAGER } };
    ok(!compare_run(&H.h, bogus, 2, NULL, &H.r, &H.err) && H.err.strategy == 1 &&
           strstr(H.err.msg, "unknown assignor 'nope'"),
       "an unknown assignor fails with its strategy's index");
    ok(H.r.metrics == NULL, "and leaves no result to free");
    compare_strategy_t coop_range[1] = { { "range", COMPARE_COOPERATIVE } };
    ok(!compare_run(&H.h, coop_range, 1, NULL, &H.r, &H.err) && H.err.strategy == 0 &&
           strstr(H.err.msg, "range supports only the eager protocol") == H.err.msg,
       "range under the cooperative protocol is refused, as Kafka refuses it");
}

int main(void)
{
    test_seed_example();
    test_eager_revokes_everything();
    test_cooperative_two_rounds();
    test_leave_and_crash();
    test_new_topic_one_subscriber();
    test_no_rebalance();
    test_subscription_change();
    test_history_errors();
    test_strategies();
    test_describe();
    test_assignor_error();
    compare_result_free(&H.r);
    return tap_done();
}
