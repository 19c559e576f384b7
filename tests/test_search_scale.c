/* test_search_scale.c — a search against the size of its space: --candidates
 * past NB201's 15,625 cells refused unless duplicates are allowed, and a
 * search that runs out of new children stops with the count it reached
 * (after finishing the jobs already running) instead of repeating. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/search.h"
#include "testutil.h"

#define NB201_SIZE 15625

/* quality = sum of tokens, so the population piles up around all-4s and
 * its neighbourhoods are used up long before the space; it also counts
 * how often each cell was evaluated, to check every child was new. */
typedef struct counter {
    const exh_space *space;
    int *times;      /* per cell index */
    int64_t calls;
} counter;

static int count_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                          exh_evaluation *out, exh_error *err)
{
    (void)r;
    (void)err;
    counter *c = state;
    c->times[exh_space_index(c->space, request->architecture)]++;
    c->calls++;
    double sum = 0;
    for (int i = 0; i < request->architecture->length; i++)
        sum += request->architecture->token[i];
    out->quality = sum;
    out->cost_seconds = 10.0 + (double)(request->job_id % 7); /* finish out of order */
    out->status = EXH_EVALUATION_OK;
    return 0;
}

static void test_candidates_against_space(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int64_t candidates;
        int workers, allow_duplicates, retry_failures;
        int expect_rc;          /* 0, or EXH_ERR_INVALID: refused or stopped early */
        int refused;            /* 1: before evaluating anything */
        const char *expect_message; /* a part of err.message when it fails */
    } cases[] = {
        {"one past the space: refused", NB201_SIZE + 1, 1, 0, 0, EXH_ERR_INVALID, 1,
         "exceed the 15625 distinct architectures of space nb201: pass --allow-duplicates"},
        {"far past it: refused", 1000000, 64, 0, 0, EXH_ERR_INVALID, 1, "--allow-duplicates"},
        {"past it with duplicates allowed: runs", 16000, 8, 1, 0, 0, 0, NULL},
        {"retries make room: not refused, stops when used up", 20000, 4, 0, 1, EXH_ERR_INVALID, 0,
         "were never proposed"},
        {"the whole space, one worker: stops when used up", NB201_SIZE, 1, 0, 0,
         EXH_ERR_INVALID, 0, "in space nb201 were never proposed"},
        {"the whole space, 64 workers: stops when used up", NB201_SIZE, 64, 0, 0,
         EXH_ERR_INVALID, 0, "no new architecture in 100 draws"},
        {"well inside the space: runs", 2000, 16, 0, 0, 0, 0, NULL},
    };
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        counter count = {s, calloc(NB201_SIZE, sizeof(int)), 0};
        exh_evaluator e = {"count", &count, count_evaluate, NULL, NULL};
        exh_search_options o;
        exh_search_options_default(&o);
        o.population = 10;
        o.sample = 3;
        o.candidates = cases[c].candidates;
        o.workers = cases[c].workers;
        o.allow_duplicates = cases[c].allow_duplicates;
        o.retry_failures = cases[c].retry_failures;
        exh_search_result r;
        memset(&err, 0, sizeof err);
        int rc = exh_search_run_simulated(s, &e, &o, NULL, &r, &err);
        if (rc != cases[c].expect_rc)
            fail_msg("%s: rc %d, expected %d (%s)", cases[c].name, rc, cases[c].expect_rc,
                     err.message);
        int repeats = 0;
        for (int i = 0; i < NB201_SIZE; i++)
            repeats += count.times[i] > 1;
        if (rc == 0) {
            assert_int_equal(r.evaluations, cases[c].candidates);
            if (!cases[c].allow_duplicates)
                assert_int_equal(repeats, 0);
        } else if (cases[c].refused) {
            assert_int_equal(count.calls, 0); /* refused before evaluating anything */
        } else {
            /* stopped early: every job it started finished, none repeated, and
             * the message counts them */
            char said[96];
            snprintf(said, sizeof said, "stopped after %lld of %lld candidates",
                     (long long)count.calls, (long long)cases[c].candidates);
            if (!strstr(err.message, said))
                fail_msg("%s: '%s' lacks '%s'", cases[c].name, err.message, said);
            assert_int_equal(r.evaluations, count.calls);
            assert_true(count.calls < cases[c].candidates);
            assert_int_equal(repeats, 0);
        }
        if (rc < 0 && !strstr(err.message, cases[c].expect_message))
            fail_msg("%s: '%s' lacks '%s'", cases[c].name, err.message, cases[c].expect_message);
        free(count.times);
    }
    exh_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_candidates_against_space)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
