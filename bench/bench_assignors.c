/* bench_assignors: each assignor on Kafka's own large cases (AbstractStickyAssignorTest's
 * testLargeAssignmentAndGroupWith{Uniform,NonEqual}Subscription): 2,000 members and
 * 500 topics × 2,000 partitions, every member subscribed to every topic (uniform), or
 * one member to the first topic only (non-uniform). Each runs twice: a new group, then
 * every member rejoining with what it got (generation 1). Each case runs in its own
 * process so that its peak memory (ru_maxrss) is its own. Wall-clock timing is allowed
 * here, never in sim/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "sim/client/assignors/assignor.h"

#define TOPICS 500
#define PARTITIONS 2000
#define MEMBERS 2000

typedef struct bench_group {
    assign_topic_t topics[TOPICS];
    char topic_names[TOPICS][8];
    int32_t all_topics[TOPICS];
    assign_member_t members[MEMBERS];
    char member_names[MEMBERS][8];
    assign_group_t g;
} bench_group_t;

static void build(bench_group_t *b, int uniform)
{
    for (int32_t t = 0; t < TOPICS; t++) {
        snprintf(b->topic_names[t], sizeof b->topic_names[t], "t%03d", t);
        b->topics[t] = (assign_topic_t){ b->topic_names[t], PARTITIONS, NULL };
        b->all_topics[t] = t;
    }
    for (int32_t m = 0; m < MEMBERS; m++) {
        snprintf(b->member_names[m], sizeof b->member_names[m], "c%04d", m);
        int one = !uniform && m == MEMBERS - 1;
        b->members[m] = (assign_member_t){ .id = b->member_names[m], .topics = b->all_topics,
                                           .ntopics = one ? 1 : TOPICS,
                                           .generation = ASSIGN_NO_GENERATION };
    }
    b->g = (assign_group_t){ b->topics, TOPICS, b->members, MEMBERS, 0, false };
}

static double run(const char *assignor, const assign_group_t *g, assign_result_t *r)
{
    char err[256];
    double t0 = bench_wall();
    if (!assign_run(assignor, g, r, err, sizeof err)) {
        fprintf(stderr, "bench_assignors: %s: %s\n", assignor, err);
        exit(1);
    }
    return (bench_wall() - t0) * 1e3;
}

/* One case in a child process: prints its line and exits. */
static void bench_case(const char *assignor, int uniform)
{
    bench_group_t *b = calloc(1, sizeof *b);
    build(b, uniform);
    assign_result_t first, second;
    double fresh = run(assignor, &b->g, &first);
    for (int32_t m = 0; m < MEMBERS; m++) {
        b->members[m].owned = first.tps + first.first[m];
        b->members[m].nowned = (int32_t)(first.first[m + 1] - first.first[m]);
        b->members[m].generation = 1;
    }
    double again = run(assignor, &b->g, &second);
    printf("assignors: %-18s %-11s fresh %7.1f ms, rejoin %7.1f ms, %lld partitions assigned, "
           "peak memory %.0f MiB\n",
           assignor, uniform ? "uniform" : "non-uniform", fresh, again,
           (long long)second.first[MEMBERS], bench_peak_mib());
    fflush(stdout);
    assign_result_free(&first);
    assign_result_free(&second);
    free(b);
    exit(0);
}

int main(void)
{
    static const char *const assignors[] = { "range", "roundrobin", "sticky",
                                             "cooperative-sticky" };
    printf("assignors: %d members, %d topics x %d partitions (Kafka's Java on machines like "
           "ours: sticky rejoin ~1.7 s uniform, ~5.7 s non-uniform, ~650 MiB)\n",
           MEMBERS, TOPICS, PARTITIONS);
    fflush(stdout);
    for (int uniform = 1; uniform >= 0; uniform--)
        for (size_t i = 0; i < sizeof assignors / sizeof assignors[0]; i++) {
            pid_t pid = fork();
            if (pid == 0)
                bench_case(assignors[i], uniform);
            int status = 0;
            if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
                WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench_assignors: %s failed\n", assignors[i]);
                return 1;
            }
        }
    return 0;
}
