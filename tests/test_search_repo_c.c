/* test_search_repo_c.c — the C side of search --repo: the command template's
 * {repo} and {donor_id}, and a trace's m:repo_* columns written from a
 * manifest's "traffic" and read back by exh_trace_read (hand-written
 * manifests: the expected figures are the ones written in them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exhaust/evaluator.h"
#include "exhaust/search.h"
#include "exhaust/trace.h"
#include "testutil.h"

static void test_placeholders_expand(void **state)
{
    (void)state;
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_arch a = {6, {0, 1, 2, 3, 4, 0}};
    exh_evaluation_request request = {&a, 12, 7, 3};
    static const struct {
        const char *template, *repo, *expected;
    } cases[] = {
        {"t {donor_id} {parent_id}", "models", "t '7' '7'"},
        {"t --repo {repo}", "models", "t --repo 'models'"},
        {"t --repo {repo}", NULL, "t --repo ''"},
        {"t {repo}/x", "it's", "t 'it'\\''s'/x"},           /* a quote stays quoted */
        {"{job_id}:{prefix_len}:{repo}", "r", "'12':'3':'r'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[16384];
        assert_int_equal(exh_evaluator_command_expand_repo(cases[i].template, s, &request,
                                                           cases[i].repo, out, &err), 0);
        assert_string_equal(out, cases[i].expected);
    }
    exh_evaluator *e = NULL;
    assert_int_equal(exh_evaluator_command_open("t '{repo}'", 0, s, &e, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "{repo}"));
    assert_int_equal(exh_evaluator_command_open("echo {repo}", 0, s, &e, &err), 0);
    assert_int_equal(exh_evaluator_command_set_repo(e, "models", &err), 0);
    exh_evaluator_free(e);
    exh_evaluator not_command = {.name = "table"};
    assert_int_equal(exh_evaluator_command_set_repo(&not_command, "m", &err), EXH_ERR_INVALID);
    exh_space_free(s);
}

/* A fake evaluator "saving" job J's manifest with a known traffic. */
static int fake_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                         exh_evaluation *out, exh_error *err)
{
    (void)r;
    (void)err;
    const char *repo = state;
    char path[4096];
    snprintf(path, sizeof path, "%s/manifests/%lld.json", repo, (long long)request->job_id);
    FILE *f = fopen(path, "w");
    if (request->job_id % 3 != 2 && f) /* every third job saves nothing */
        fprintf(f, "{\"traffic\": {\"fast_hits\": %lld, \"store_reads\": 2, \"fast_bytes\": 10, "
                "\"store_bytes\": 20, \"write_bytes\": 30, \"seconds\": 0.5, \"error\": %d}}",
                (long long)request->job_id, request->job_id == 4 ? -7 : 0);
    if (f)
        fclose(f);
    if (request->job_id % 3 == 2)
        remove(path);
    out->quality = (double)request->job_id;
    out->cost_seconds = 1;
    out->status = EXH_EVALUATION_OK;
    return 0;
}

static const char *fake_describe(void *state)
{
    (void)state;
    return "fake";
}

static void test_trace_columns_from_manifests(void **state)
{
    (void)state;
    char repo[200], manifests[300];
    snprintf(repo, sizeof repo, "%s", test_temp_path("models"));
    snprintf(manifests, sizeof manifests, "%s/manifests", repo);
    assert_int_equal(mkdir(repo, 0755), 0);
    assert_int_equal(mkdir(manifests, 0755), 0);
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    exh_evaluator e = {"fake", repo, fake_evaluate, fake_describe, NULL};
    exh_search_options o;
    exh_search_options_default(&o);
    o.population = 3;
    o.sample = 2;
    o.candidates = 9;
    o.workers = 1;
    o.repo_path = repo;
    exh_trace_settings settings;
    exh_trace_settings_init(&settings);
    snprintf(settings.repo, sizeof settings.repo, "%s", repo);
    const char *path = test_temp_path("trace.csv");
    exh_trace_writer *t = NULL;
    assert_int_equal(exh_trace_open(path, &settings, &t, &err), 0);
    exh_search_result result;
    assert_int_equal(exh_search_run_simulated(s, &e, &o, t, &result, &err), 0);
    assert_int_equal(exh_trace_close(t, &err), 0);
    exh_trace_record *records = NULL;
    int64_t count = 0;
    assert_int_equal(exh_trace_read(path, s, 0, &records, &count, &err), 0);
    assert_int_equal(count, 9);
    for (int64_t i = 0; i < count; i++) {
        const exh_trace_record *r = &records[i];
        if (r->job_id % 3 == 2) { /* no manifest: empty columns read as none */
            assert_int_equal(r->repo_fast_hits, -1);
            continue;
        }
        assert_int_equal(r->repo_fast_hits, r->job_id);
        assert_int_equal(r->repo_store_reads, 2);
        assert_int_equal(r->repo_fast_bytes, 10);
        assert_int_equal(r->repo_store_bytes, 20);
        assert_int_equal(r->repo_write_bytes, 30);
        assert_true(r->repo_seconds == 0.5);
        assert_int_equal(r->repo_error, r->job_id == 4 ? -7 : 0);
    }
    free(records);
    exh_trace_settings back;
    assert_int_equal(exh_trace_settings_read(path, &back, &err), 0);
    assert_string_equal(back.repo, repo);
    exh_space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders_expand),
        cmocka_unit_test(test_trace_columns_from_manifests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
