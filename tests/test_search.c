/* test_search.c — regularized evolution on the simulated clock, with a toy
 * evaluator whose answers the test can reason about. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/search.h"
#include "exhaust/transfer.h"
#include "testutil.h"
#include "trace_record_make.h"

/* quality = sum of tokens (best: all 4s); cost = 10 + job_id % 7 seconds, so
 * evaluations overlap and finish out of order with several workers. */
static int toy_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                        exh_evaluation *out, exh_error *err)
{
    (void)state;
    (void)r;
    (void)err;
    double sum = 0;
    for (int i = 0; i < request->architecture->length; i++)
        sum += request->architecture->token[i];
    out->quality = sum;
    out->cost_seconds = 10.0 + (double)(request->job_id % 7);
    out->status = EXH_EVALUATION_OK;
    return 0;
}

static exh_evaluator toy = {"toy", NULL, toy_evaluate, NULL, NULL};

/* Like toy, but every job whose id is a multiple of 5 fails. */
static int flaky_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                          exh_evaluation *out, exh_error *err)
{
    toy_evaluate(state, request, r, out, err);
    if (request->job_id % 5 == 0) {
        out->status = EXH_EVALUATION_FAILED;
        out->quality = NAN;
    }
    return 0;
}

static exh_evaluator flaky = {"flaky", NULL, flaky_evaluate, NULL, NULL};

typedef struct collected {
    exh_trace_record records[4096];
    int32_t tokens[4096][6];   /* records[i].arch_token */
    int count;
} collected;

/* Run a search, reading its trace back from a CSV file. */
static exh_search_result run_toy(const exh_search_options *o, const char *trace_name)
{
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_trace_writer *trace = NULL;
    if (trace_name) {
        const char *lines[] = {"toy search"};
        exh_trace_settings settings;
        exh_trace_settings_init(&settings);
        settings.population = o->population;
        settings.sample = o->sample;
        settings.lines = lines;
        settings.line_count = 1;
        assert_int_equal(exh_trace_open(test_temp_path(trace_name), &settings, &trace, &err), 0);
        exh_trace_set_durable(trace, 0);
    }
    exh_search_result r;
    int rc = exh_search_run_simulated(s, &toy, o, trace, &r, &err);
    if (rc < 0)
        fail_msg("%s", err.message);
    assert_int_equal(exh_trace_close(trace, &err), 0);
    exh_space_free(s);
    return r;
}

/* Parse the trace CSV into records (only the numeric columns the tests need). */
static void read_trace(const char *name, collected *c)
{
    FILE *f = fopen(test_temp_path(name), "r");
    assert_non_null(f);
    char line[1024];
    c->count = 0;
    /* The CSV is pure: the header row first; the settings are in the sidecar. */
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(strncmp(line, "job_id,p:arch_seq,objective,", 28) == 0);
    char sidecar[1024];
    snprintf(sidecar, sizeof sidecar, "%s.json", test_temp_path(name));
    FILE *json = fopen(sidecar, "r");
    if (json) { /* run_toy writes one; the flaky test does not */
        char text[4096];
        size_t n = fread(text, 1, sizeof text - 1, json);
        text[n] = 0;
        fclose(json);
        assert_non_null(strstr(text, "\"format\": \"exhaust-trace\""));
        assert_non_null(strstr(text, "\"toy search\""));
    }
    while (fgets(line, sizeof line, f) && c->count < 4096) {
        char *failed = strstr(line, "\",F,"); /* DeepHyper's failed objective */
        if (failed) {
            memmove(failed + 5, failed + 3, strlen(failed + 3) + 1);
            memcpy(failed + 2, "nan", 3);
        }
        exh_trace_record *r = &c->records[c->count++];
        long long job, parent, donor, donor_run;
        int a[6];
        char status[16];
        int n = sscanf(line, "%lld,\"[%d, %d, %d, %d, %d, %d]\",%lf,%lf,%lf,%lf,%d,%lld,%lld,%d,%d,%15[a-z],%*f,%lld",
                       &job, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &r->quality,
                       &r->submit_time, &r->start_time, &r->end_time, &r->worker, &parent,
                       &donor, &r->prefix_length, &r->mutated_position, status, &donor_run);
        assert_int_equal(n, 18);
        r->donor_run_id = donor_run;
        r->donor_id = donor;
        r->job_id = job;
        r->parent_id = parent;
        r->arch_length = 6;
        for (int i = 0; i < 6; i++)
            c->tokens[r - c->records][i] = a[i];
        r->arch_token = c->tokens[r - c->records];
    }
    fclose(f);
}

static const exh_trace_record *find_job(const collected *c, int64_t job)
{
    for (int i = 0; i < c->count; i++)
        if (c->records[i].job_id == job)
            return &c->records[i];
    return NULL;
}

/* Evaluations finished before `time` (or at it, with at_time). */
static int finished_by(const collected *c, double time, int at_time)
{
    int n = 0;
    for (int i = 0; i < c->count; i++)
        n += c->records[i].end_time < time || (at_time && c->records[i].end_time == time);
    return n;
}

static void test_stages_and_mutations(void **state)
{
    (void)state;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 20;
    o.sample = 5;
    o.candidates = 300;
    o.workers = 4;
    exh_search_result r = run_toy(&o, "stages.csv");
    assert_int_equal(r.evaluations, 300);
    collected *c = malloc(sizeof *c);
    read_trace("stages.csv", c);
    assert_int_equal(c->count, 300);
    int late_random = 0;
    for (int i = 0; i < c->count; i++) {
        const exh_trace_record *t = &c->records[i];
        if (t->job_id < o.population) {
            assert_int_equal(t->parent_id, -1); /* stage 1: random */
            continue;
        }
        /* Stage 2 begins only once P evaluations have finished (Real et al.,
         * DeepHyper): with 4 workers, a few jobs past P are still random. */
        if (t->parent_id < 0) {
            assert_true(finished_by(c, t->submit_time, 0) < o.population);
            late_random++;
            continue;
        }
        assert_true(finished_by(c, t->submit_time, 1) >= o.population);
        const exh_trace_record *parent = find_job(c, t->parent_id);
        assert_non_null(parent);
        assert_true(parent->end_time <= t->submit_time); /* parents have finished */
        int differences = 0;
        for (int k = 0; k < 6; k++)
            differences += parent->arch_token[k] != t->arch_token[k];
        assert_int_equal(differences, 1);
        assert_int_equal(t->donor_id, t->parent_id);
        assert_int_equal(t->prefix_length, t->mutated_position);
    }
    assert_true(late_random >= 1 && late_random < o.workers);
    /* The toy optimum is all 4s (quality 24): evolution should get close. */
    assert_true(r.best_quality >= 22);
    free(c);

    /* --mutate-after submitted: the first child comes right after job P-1. */
    o.mutate_after_submitted = 1;
    run_toy(&o, "stages_submitted.csv");
    c = malloc(sizeof *c);
    read_trace("stages_submitted.csv", c);
    for (int i = 0; i < c->count; i++)
        if (c->records[i].job_id >= o.population)
            assert_true(c->records[i].parent_id >= 0);
    free(c);
}

static void test_transfer_from_any_finds_longest_prefix(void **state)
{
    (void)state;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 20;
    o.candidates = 300;
    o.workers = 5;
    o.transfer_from_any = 1;
    /* Two logged models may donate too: all 4s but the last, and 3,3,3,3,3,3. */
    exh_arch logged[2] = {{.length = 6, .token = {4, 4, 4, 4, 4, 0}},
                      {.length = 6, .token = {3, 3, 3, 3, 3, 3}}};
    int64_t logged_ids[2] = {101, 202};
    o.logged_archs = logged;
    o.logged_run_ids = logged_ids;
    o.logged_count = 2;
    run_toy(&o, "any.csv");
    collected *c = malloc(sizeof *c);
    read_trace("any.csv", c);
    int longer_than_parent = 0, logged_donations = 0;
    for (int i = 0; i < c->count; i++) {
        const exh_trace_record *t = &c->records[i];
        /* Brute force: the longest prefix among the logged models and the models
         * finished before t started. */
        int best = 0, logged_best = 0;
        for (int k = 0; k < 2; k++) {
            int n = exh_arch_common_prefix(&logged[k], RECORD_ARCH(t));
            logged_best = n > logged_best ? n : logged_best;
        }
        best = logged_best;
        for (int j = 0; j < c->count; j++)
            if (c->records[j].end_time <= t->submit_time && c->records[j].job_id != t->job_id) {
                int n = exh_arch_common_prefix(RECORD_ARCH(&c->records[j]), RECORD_ARCH(t));
                if (n > best)
                    best = n;
            }
        assert_int_equal(t->prefix_length, best);
        if (t->donor_run_id >= 0) { /* a logged donor: it has the prefix */
            const exh_arch *donor = t->donor_run_id == 101 ? &logged[0] : &logged[1];
            assert_true(t->donor_run_id == 101 || t->donor_run_id == 202);
            assert_int_equal(exh_arch_common_prefix(donor, RECORD_ARCH(t)), best);
            assert_int_equal(t->donor_id, -1);
            logged_donations++;
        }
        if (t->donor_id >= 0) {
            const exh_trace_record *donor = find_job(c, t->donor_id);
            assert_non_null(donor);
            assert_true(donor->end_time <= t->submit_time);
            assert_int_equal(exh_arch_common_prefix(RECORD_ARCH(donor), RECORD_ARCH(t)), best);
        }
        if (t->parent_id >= 0) {
            const exh_trace_record *parent = find_job(c, t->parent_id);
            longer_than_parent +=
                best > exh_arch_common_prefix(RECORD_ARCH(parent), RECORD_ARCH(t));
        }
    }
    assert_true(longer_than_parent > 0); /* "any" does find longer prefixes */
    assert_true(logged_donations > 0);    /* and logged models do donate */
    free(c);
}

/* --transfer-from none (the baseline), also over transfer_from_any: children
 * still have parents, but no record names a donor or a prefix. */
static void test_transfer_none_names_no_donor(void **state)
{
    (void)state;
    for (int any = 0; any <= 1; any++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.population = 10;
        o.candidates = 60;
        o.workers = 3;
        o.transfer_from_any = any;
        o.transfer_none = 1;
        run_toy(&o, "none.csv");
        collected *c = malloc(sizeof *c);
        read_trace("none.csv", c);
        int children = 0;
        for (int i = 0; i < c->count; i++) {
            assert_int_equal(c->records[i].donor_id, -1);
            assert_int_equal(c->records[i].donor_run_id, -1);
            assert_int_equal(c->records[i].prefix_length, 0);
            children += c->records[i].parent_id >= 0;
        }
        assert_true(children > 0);
        free(c);
    }
}

static void test_workers_never_overlap(void **state)
{
    (void)state;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 10;
    o.candidates = 200;
    o.workers = 7;
    run_toy(&o, "workers.csv");
    collected *c = malloc(sizeof *c);
    read_trace("workers.csv", c);
    /* Each worker runs one job at a time, and at most 7 jobs run at once. */
    for (int i = 0; i < c->count; i++)
        for (int j = 0; j < c->count; j++) {
            const exh_trace_record *a = &c->records[i], *b = &c->records[j];
            if (i != j && a->worker == b->worker)
                assert_true(a->end_time <= b->start_time || b->end_time <= a->start_time);
        }
    for (int i = 0; i < c->count; i++) {
        assert_true(c->records[i].worker >= 0 && c->records[i].worker < 7);
        if (i > 0) /* records are written in the order evaluations end */
            assert_true(c->records[i].end_time >= c->records[i - 1].end_time);
    }
    free(c);
}

static void test_same_seed_same_search(void **state)
{
    (void)state;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 15;
    o.candidates = 150;
    o.workers = 3;
    o.seed = 42;
    run_toy(&o, "a.csv");
    run_toy(&o, "b.csv");
    o.seed = 43;
    run_toy(&o, "c.csv");
    collected *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    read_trace("a.csv", a);
    read_trace("b.csv", b);
    read_trace("c.csv", c);
    int same_ab = 1, same_ac = 1;
    for (int i = 0; i < a->count; i++) {
        same_ab &= exh_arch_equal(RECORD_ARCH(&a->records[i]), RECORD_ARCH(&b->records[i]));
        same_ac &= exh_arch_equal(RECORD_ARCH(&a->records[i]), RECORD_ARCH(&c->records[i]));
    }
    assert_true(same_ab);
    assert_false(same_ac);
    free(a);
    free(b);
    free(c);
}

static void test_no_duplicates_unless_allowed(void **state)
{
    (void)state;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 10;
    o.candidates = 400;
    run_toy(&o, "unique.csv");
    collected *c = malloc(sizeof *c);
    read_trace("unique.csv", c);
    for (int i = 0; i < c->count; i++)
        for (int j = i + 1; j < c->count; j++)
            assert_false(exh_arch_equal(RECORD_ARCH(&c->records[i]), RECORD_ARCH(&c->records[j])));
    free(c);
}

static void test_time_budget_and_bad_options(void **state)
{
    (void)state;
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 10;
    o.candidates = 1000;
    o.time_budget_seconds = 100; /* each evaluation takes 10..16 s on one worker */
    exh_search_result r = run_toy(&o, NULL);
    assert_true(r.evaluations >= 7 && r.evaluations <= 11);

    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    o.sample = 11; /* larger than the population */
    assert_int_equal(exh_search_run_simulated(s, &toy, &o, NULL, &r, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "sample"));
    o.sample = 5;
    o.workers = 0;
    assert_int_equal(exh_search_run_simulated(s, &toy, &o, NULL, &r, &err), EXH_ERR_INVALID);
    exh_space_free(s);
}

static void test_nb201_flops_match_the_benchmark(void **state)
{
    (void)state;
    /* flops_M logged by NATS-Bench for CIFAR-10 (nats-3cells-epochs.csv). */
    struct { const char *cell; double flops; } logged[] = {
        {"|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|", 15.64737},
        {"|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|", 113.95137},
        {"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|", 11.71521},
    };
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    for (int i = 0; i < 3; i++) {
        exh_arch a;
        assert_int_equal(exh_space_parse(s, logged[i].cell, &a, &err), 0);
        /* The benchmark also counts a few thousand BN/pool operations. */
        assert_true(fabs(exh_nb201_flops(&a) - logged[i].flops) < 0.01);
    }
    exh_space_free(s);
}

/* The real NB201 table's path; the test is skipped without ../shared/data. */
static void real_table_path(char *path, size_t size)
{
    const char *data = test_data_dir();
    if (!data)
        skip();
    snprintf(path, size, "%s/nb201/archs.csv", data);
}

static void test_real_table_search(void **state)
{
    (void)state;
    char path[1024];
    real_table_path(path, sizeof path);
    exh_evaluator *e;
    exh_error err;
    if (exh_evaluator_nb201_open(path, "cifar10-valid", &e, &err) < 0)
        fail_msg("%s", err.message);
    assert_true(fabs(exh_evaluator_nb201_best_mean_quality(e) - 91.61) < 0.01);
    exh_space *s;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_search_options o;
    exh_search_options_default(&o);
    o.workers = 64;
    exh_search_result r;
    assert_int_equal(exh_search_run_simulated(s, e, &o, NULL, &r, &err), 0);
    assert_int_equal(r.evaluations, 1000);
    /* A 1000-evaluation search lands far above the table's median (~83%). */
    assert_true(exh_evaluator_nb201_mean_quality(e, &r.best_architecture) > 90.0);
    exh_space_free(s);
    exh_evaluator_free(e);
}

/* Every cell of both datasets keeps >= 2 logged seeds (an empty field is a
 * seed that was not logged): the table never draws an unlogged one, so no
 * evaluation fails and no cell's mean is NaN. */
static void test_real_table_draws_logged_seeds_only(void **state)
{
    (void)state;
    char path[1024];
    real_table_path(path, sizeof path);
    const char *datasets[] = {"cifar10-valid", "cifar100"};
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_rng *r = exh_rng_new(7);
    for (int d = 0; d < 2; d++) {
        exh_evaluator *e;
        if (exh_evaluator_nb201_open(path, datasets[d], &e, &err) < 0)
            fail_msg("%s", err.message);
        for (int code = 0; code < 15625; code++) {
            char digits[7];
            for (int i = 5, c = code; i >= 0; i--, c /= 5)
                digits[i] = (char)('0' + c % 5);
            digits[6] = '\0';
            exh_arch a;
            assert_int_equal(exh_space_parse(s, digits, &a, &err), 0);
            for (int draw = 0; draw < 4; draw++) {
                exh_evaluation_request request = {&a, code, -1, 0};
                exh_evaluation out;
                assert_int_equal(e->evaluate(e->state, &request, r, &out, &err), 0);
                if (out.status != EXH_EVALUATION_OK || isnan(out.quality))
                    fail_msg("%s cell %s: draw %d failed", datasets[d], digits, draw);
            }
            assert_false(isnan(exh_evaluator_nb201_mean_quality(e, &a)));
        }
        exh_evaluator_free(e);
    }
    exh_rng_free(r);
    exh_space_free(s);
}

static void test_failures_recorded_or_retried(void **state)
{
    (void)state;
    exh_space *s;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    for (int retry = 0; retry <= 1; retry++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.population = 10;
        o.candidates = 100;
        o.retry_failures = retry;
        exh_trace_writer *trace;
        assert_int_equal(exh_trace_open(test_temp_path("flaky.csv"), NULL, &trace, &err), 0);
        exh_search_result r;
        assert_int_equal(exh_search_run_simulated(s, &flaky, &o, trace, &r, &err), 0);
        exh_trace_close(trace, &err);
        assert_int_equal(r.evaluations, 100);
        assert_int_equal(r.failures, 20);
        collected *c = malloc(sizeof *c);
        read_trace("flaky.csv", c);
        for (int i = 0; i < c->count; i++) {
            if (!isnan(c->records[i].quality))
                continue;
            int again = 0; /* the same architecture and parent later in the trace */
            for (int j = 0; j < c->count; j++)
                again += j != i && c->records[j].job_id > c->records[i].job_id &&
                         exh_arch_equal(RECORD_ARCH(&c->records[j]), RECORD_ARCH(&c->records[i])) &&
                         c->records[j].parent_id == c->records[i].parent_id;
            if (retry)
                assert_true(again == 1 || c->records[i].job_id >= 95);
            else
                assert_int_equal(again, 0);
        }
        free(c);
    }
    exh_space_free(s);
}

static void test_transferred_tensor_keys(void **state)
{
    (void)state;
    exh_arch parent = {.length = 6, .token = {3, 0, 2, 1, 4, 0}};
    exh_arch child = parent, other = parent;
    child.token[3] = 2; /* mutated at position 3: positions 0..2 transfer */
    other.token[0] = 1;
    int prefix = exh_arch_common_prefix(&parent, &child);
    assert_int_equal(prefix, 3);
    uint64_t keys[6];
    assert_int_equal(exh_transfer_received_keys(&child, prefix, keys, 6), 3);
    for (int i = 0; i < 3; i++) /* the child gets exactly the parent's tensors there */
        assert_true(keys[i] == exh_transfer_tensor_key(&parent, i));
    /* Same choice at a position, different prefix: a different tensor. */
    assert_true(exh_transfer_tensor_key(&child, 4) != exh_transfer_tensor_key(&parent, 4));
    assert_true(exh_transfer_tensor_key(&other, 1) != exh_transfer_tensor_key(&parent, 1));
    /* Same prefix, different position: different tensors too. */
    exh_arch zeros = {.length = 6};
    assert_true(exh_transfer_tensor_key(&zeros, 0) != exh_transfer_tensor_key(&zeros, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_and_mutations),
        cmocka_unit_test(test_transfer_from_any_finds_longest_prefix),
        cmocka_unit_test(test_transfer_none_names_no_donor),
        cmocka_unit_test(test_workers_never_overlap),
        cmocka_unit_test(test_same_seed_same_search),
        cmocka_unit_test(test_no_duplicates_unless_allowed),
        cmocka_unit_test(test_time_budget_and_bad_options),
        cmocka_unit_test(test_failures_recorded_or_retried),
        cmocka_unit_test(test_transferred_tensor_keys),
        cmocka_unit_test(test_nb201_flops_match_the_benchmark),
        cmocka_unit_test(test_real_table_search),
        cmocka_unit_test(test_real_table_draws_logged_seeds_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
