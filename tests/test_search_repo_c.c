/* test_search_repo_c.c — the C side of search --repo: the command template's
 * {repo} and {donor_id}, and a trace's m:repo_* columns written from a
 * manifest's "traffic" and read back by exh_trace_read (hand-written
 * manifests: the expected figures are the ones written in them). */
#define _GNU_SOURCE /* nanosleep */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exhaust/analyze.h"
#include "exhaust/cachesim.h"
#include "exhaust/evaluator.h"
#include "exhaust/repo.h"
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

/* A 1-worker simulated search of `candidates` evaluations writing to repo
 * `repo`, its trace at `path` read back (*count records, malloc'd). */
static exh_trace_record *search_and_read(const exh_space *s, exh_evaluator *e,
                                         exh_search_options *o, int64_t candidates,
                                         const char *repo, const char *path,
                                         exh_search_result *result, int64_t *count)
{
    exh_error err;
    o->population = 4;
    o->sample = 2;
    o->candidates = candidates;
    o->workers = 1;
    o->repo_path = repo;
    exh_trace_settings settings;
    exh_trace_settings_init(&settings);
    snprintf(settings.repo, sizeof settings.repo, "%s", repo);
    exh_trace_writer *t = NULL;
    assert_int_equal(exh_trace_open(path, &settings, &t, &err), 0);
    assert_int_equal(exh_search_run_simulated(s, e, o, t, result, &err), 0);
    assert_int_equal(exh_trace_close(t, &err), 0);
    exh_trace_record *records = NULL;
    assert_int_equal(exh_trace_read(path, s, 0, &records, count, &err), 0);
    assert_int_equal(*count, candidates);
    return records;
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
    exh_search_result result;
    int64_t count = 0;
    const char *path = test_temp_path("trace.csv");
    exh_trace_record *records = search_and_read(s, &e, &o, 9, repo, path, &result, &count);
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

/* A trainer in C: load the donor's prefix through the fast directory, save
 * one 64-byte tensor per position whose bytes depend on the tokens up to it
 * (a shared prefix is the same bytes, as a frozen one). */
typedef struct fake_trainer {
    char repo[200], fast[200];
} fake_trainer;

static int train_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                          exh_evaluation *out, exh_error *err)
{
    (void)r;
    fake_trainer *t = state;
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.fsync = 0;
    o.fast_dir = t->fast;
    exh_repo *repo = NULL;
    exh_repo_tensors got;
    exh_repo_model m = {.id = request->job_id, .parent_id = -1, .donor_id = request->parent_id,
                        .prefix_length = request->prefix_length, .quality = 1,
                        .architecture = *request->architecture};
    exh_repo_save *save = NULL;
    int rc = exh_repo_open(t->repo, &o, &repo, err);
    if (rc == 0 && (rc = exh_repo_load_prefix(repo, request->parent_id,
                                              request->prefix_length, &got, err)) == 0)
        exh_repo_tensors_release(&got);
    if (rc == 0)
        rc = exh_repo_save_begin(repo, &m, &save, err);
    for (int p = 0; rc == 0 && p < request->architecture->length; p++) {
        float data[16];
        for (int i = 0; i < 16; i++) {
            data[i] = (float)i;
            for (int q = 0; q <= p; q++)
                data[i] = data[i] * 7 + (float)request->architecture->token[q];
        }
        char name[16];
        snprintf(name, sizeof name, "p%d", p);
        int64_t shape[1] = {16};
        rc = exh_repo_save_add_tensor(save, p, name, EXH_DTYPE_F32, 1, shape, data, sizeof data,
                                      err);
    }
    if (rc == 0)
        rc = exh_repo_save_commit(save, err);
    else
        exh_repo_save_abort(save);
    exh_repo_close(repo);
    out->quality = (double)request->architecture->token[0];
    out->cost_seconds = 1;
    out->status = rc == 0 ? EXH_EVALUATION_OK : EXH_EVALUATION_FAILED;
    return 0;
}

/* The replay (exhaust analyze's code path: exh_cachesim_run, the threshold's
 * skips from exh_analyze_parents_build) of a search's trace under the
 * search's fast-tier settings: every position a 64-byte tensor, as the fake
 * trainer saves, keyed by its prefix, as the trainer's bytes are. */
static exh_cachesim_result replay_trace(const exh_trace_record *records, int64_t count,
                                        const exh_search_options *o)
{
    exh_error err;
    exh_analyze_parents parents;
    assert_int_equal(exh_analyze_parents_build(records, count, o->population, o->sample,
                                               o->repo_cache_epsilon, &parents, &err), 0);
    unsigned char *skip = calloc((size_t)count + 1, 1);
    assert_non_null(skip);
    for (int64_t i = 0; i < count; i++)
        skip[i] = parents.join_rank[i] >= parents.threshold_rank;
    exh_analyze_parents_free(&parents);
    static const int64_t bytes = 64;
    exh_cachesim_options c;
    exh_cachesim_options_default(&c);
    c.policy = (exh_cachesim_policy)o->repo_cache_policy;
    c.capacity_bytes = o->repo_cache_bytes;
    c.window = o->repo_cache_window;
    c.tier_donations = o->repo_cache_donations;
    c.skip_store = skip;
    c.tensor_bytes = exh_cachesim_uniform_tensor_bytes;
    c.tensor_context = (void *)&bytes;
    exh_cachesim_result r;
    assert_int_equal(exh_cachesim_run(records, count, &c, &r, &err), 0);
    free(skip);
    return r;
}

/* A search with the fake trainer and a fast tier under `policy`, its trace
 * read back; threads: the real clock with `workers` threads, else the
 * simulated clock. Returns the records (*count). */
static exh_trace_record *fast_search(fake_trainer *t, const exh_space *s, exh_search_options *o,
                                     int policy, int workers, exh_search_result *result,
                                     int64_t *count)
{
    exh_error err;
    static int run = 0;
    snprintf(t->repo, sizeof t->repo, "%s%d", test_temp_path("fast-models"), run);
    snprintf(t->fast, sizeof t->fast, "%s%d", test_temp_path("fast"), run++);
    exh_repo *r = NULL;
    assert_int_equal(exh_repo_open(t->repo, NULL, &r, &err), 0); /* create it */
    exh_repo_close(r);
    o->repo_fast_dir = t->fast;
    o->repo_cache_policy = policy;
    o->repo_cache_bytes = 64 * 8; /* 8 tensors: evictions happen */
    o->repo_cache_window = 6;     /* tier: small enough that tensors get admitted */
    o->repo_cache_donations = 1;
    o->seed = (uint64_t)policy + 1;
    if (workers == 1)
        return search_and_read(s, &(exh_evaluator){"fake", t, train_evaluate, fake_describe,
                                                   NULL},
                               o, 24, t->repo, test_temp_path("fast.csv"), result, count);
    exh_evaluator e = {"fake", t, train_evaluate, fake_describe, NULL};
    o->population = 4;
    o->sample = 2;
    o->candidates = 24;
    o->workers = workers;
    o->repo_path = t->repo;
    const char *path = test_temp_path("fast-threads.csv");
    exh_trace_settings settings; /* a repo in the settings: the m:repo_* columns */
    exh_trace_settings_init(&settings);
    snprintf(settings.repo, sizeof settings.repo, "%s", t->repo);
    exh_trace_writer *w = NULL;
    assert_int_equal(exh_trace_open(path, &settings, &w, &err), 0);
    assert_int_equal(exh_search_run_threads(s, &e, o, w, result, &err), 0);
    assert_int_equal(exh_trace_close(w, &err), 0);
    exh_trace_record *records = NULL;
    assert_int_equal(exh_trace_read(path, s, 0, &records, count, &err), 0);
    assert_int_equal(*count, 24);
    return records;
}

/* Every policy live: the coordinator's cache (search_fast_tier.c) and the
 * replay of its trace (analyze) count the same hits and evictions; with one
 * worker the hits the trainers measured (files found in the fast folder)
 * are the coordinator's too. */
static void test_fast_tier_every_policy_live_equals_the_replay(void **state)
{
    (void)state;
    fake_trainer t;
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    int64_t evicted = 0, hit = 0;
    for (int policy = 0; policy < EXH_CACHESIM_POLICY_COUNT; policy++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.transfer_from_any = 1;
        exh_search_result result;
        int64_t count = 0, hits = 0, reads = 0;
        exh_trace_record *records = fast_search(&t, s, &o, policy, 1, &result, &count);
        for (int64_t i = 0; i < count; i++) {
            assert_int_equal(records[i].status, 0);
            hits += records[i].repo_fast_hits;
            reads += records[i].repo_store_reads;
            assert_int_equal(records[i].repo_fast_bytes, 64 * records[i].repo_fast_hits);
        }
        exh_cachesim_result replay = replay_trace(records, count, &o);
        free(records);
        print_message("%s: live %lld hits %lld evictions, replay %lld %lld\n",
                      exh_cachesim_policy_name((exh_cachesim_policy)policy),
                      (long long)result.fast_hits, (long long)result.fast_evictions,
                      (long long)replay.hits, (long long)replay.evictions);
        assert_int_equal(result.fast_hits, replay.hits);
        assert_int_equal(result.fast_misses, replay.accesses - replay.hits);
        assert_int_equal(result.fast_evictions, replay.evictions);
        assert_int_equal(hits, result.fast_hits); /* what readers found == the cache's hits */
        assert_int_equal(reads, result.fast_misses);
        evicted += result.fast_evictions;
        hit += result.fast_hits;
    }
    assert_true(hit > 0 && evicted > 0); /* the comparison had something to compare */
    exh_space_free(s);
}

/* Two worker threads: READs at dispatch and WRITEs at gather, both under the
 * search's lock in the trace's time order, so the coordinator's cache still
 * equals the replay of the trace; the trainers' measured hits may differ by
 * true races (an eviction or admission between a dispatch and its load),
 * but every read is a hit or a miss. */
static void test_fast_tier_two_workers_equals_the_replay(void **state)
{
    (void)state;
    fake_trainer t;
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    for (int policy = 0; policy < EXH_CACHESIM_POLICY_COUNT; policy += 2) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.transfer_from_any = 1;
        exh_search_result result;
        int64_t count = 0, measured = 0, measured_hits = 0;
        exh_trace_record *records = fast_search(&t, s, &o, policy, 2, &result, &count);
        for (int64_t i = 0; i < count; i++) {
            measured += records[i].repo_fast_hits + records[i].repo_store_reads;
            measured_hits += records[i].repo_fast_hits;
        }
        exh_cachesim_result replay = replay_trace(records, count, &o);
        free(records);
        print_message("2 workers, %s: live %lld hits, trainers %lld, replay %lld\n",
                      exh_cachesim_policy_name((exh_cachesim_policy)policy),
                      (long long)result.fast_hits, (long long)measured_hits,
                      (long long)replay.hits);
        assert_int_equal(result.fast_hits, replay.hits);
        assert_int_equal(result.fast_evictions, replay.evictions);
        assert_int_equal(measured, replay.accesses);
    }
    exh_space_free(s);
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The model ids in repository `repo`, sorted (at most `most`). */
static int64_t stored_ids(const char *repo, int64_t *ids, int64_t most)
{
    exh_repo *r = NULL;
    exh_error err;
    exh_repo_options options;
    exh_repo_options_default(&options);
    options.read_only = 1;
    assert_int_equal(exh_repo_open(repo, &options, &r, &err), 0);
    exh_repo_check_result check;
    assert_int_equal(exh_repo_check(r, 0, &check, &err), 0); /* every blob still there */
    exh_repo_close(r);
    int64_t count = 0;
    for (int64_t id = 0; id < 1000 && count < most; id++) {
        char path[400];
        snprintf(path, sizeof path, "%s/manifests/%lld.json", repo, (long long)id);
        FILE *f = fopen(path, "r");
        if (f) {
            fclose(f);
            ids[count++] = id;
        }
    }
    return count;
}

/* --repo-keep population during the search, with transfer from the parent:
 * models go as they leave the population, never while a running job
 * receives from them (every load succeeds, with 1 and 3 workers), and what
 * stays is the final population (the last 4 successes to finish). */
static void test_keep_population_removes_as_models_leave(void **state)
{
    (void)state;
    fake_trainer t;
    exh_space *s = NULL;
    exh_error err;
    assert_int_equal(exh_space_open("nb201", &s, &err), 0);
    for (int workers = 1; workers <= 3; workers += 2) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.repo_keep_population = 1;
        o.mutation_exponent = 2; /* long prefixes: the parents' tensors are read */
        exh_search_result result;
        int64_t count = 0;
        exh_trace_record *records = fast_search(&t, s, &o, EXH_CACHESIM_LRU, workers, &result,
                                                &count);
        int64_t transfers = 0, last[4], kept[8];
        for (int64_t i = 0; i < count; i++) {
            assert_int_equal(records[i].status, 0); /* no donor vanished under a load */
            assert_int_equal(records[i].repo_error, 0);
            transfers += records[i].prefix_length > 0;
        }
        for (int k = 0; k < 4; k++)
            last[k] = records[count - 4 + k].job_id;
        free(records);
        qsort(last, 4, sizeof last[0], compare_int64);
        assert_true(transfers >= 10);
        assert_int_equal(result.repo_models_removed, count - 4);
        assert_true(result.repo_bytes_removed > 0);
        assert_int_equal(stored_ids(t.repo, kept, 8), 4);
        assert_memory_equal(kept, last, sizeof last);
    }
    exh_space_free(s);
}

/* A save holds blobs no manifest names yet: a removal's sweep in another
 * process waits for it (the lock), so a blob the save deduplicated against
 * survives the removal of the only model that held it. */
/* The coordinator's side: when told (a byte on `signal`), remove model 0. */
static int remove_when_told(const char *repo, int signal)
{
    char byte;
    exh_error err = {0};
    exh_repo *r = NULL;
    exh_repo_gc_result removed = {0};
    int64_t zero = 0;
    int ok = read(signal, &byte, 1) == 1 && exh_repo_open(repo, NULL, &r, &err) == 0 &&
             exh_repo_remove(r, &zero, 1, &removed, &err) == 0 && removed.models_removed == 1 &&
             removed.blobs_removed == 0;
    if (!ok)
        fprintf(stderr, "remover: %s (%lld models, %lld blobs removed)\n", err.message,
                (long long)removed.models_removed, (long long)removed.blobs_removed);
    exh_repo_close(r);
    return ok ? 0 : 1;
}

/* A save holds blobs no manifest names yet: a removal's sweep in another
 * process waits for it (the lock), so a blob the save deduplicated against
 * survives the removal of the only model that held it. */
static void test_remove_waits_for_a_save_in_progress(void **state)
{
    (void)state;
    char repo[200];
    snprintf(repo, sizeof repo, "%s", test_temp_path("lock-models"));
    int signal[2];
    assert_int_equal(pipe(signal), 0);
    pid_t child = fork(); /* before any handle is open: the child shares none */
    if (child == 0)
        _exit(remove_when_told(repo, signal[0]));
    exh_repo *r = NULL;
    exh_error err;
    assert_int_equal(exh_repo_open(repo, NULL, &r, &err), 0);
    float data[16] = {1, 2, 3};
    int64_t shape[1] = {16};
    exh_repo_save *save = NULL;
    for (int64_t id = 0; id < 2; id++) {
        exh_repo_model m = {.id = id, .parent_id = -1, .donor_id = -1, .quality = 1,
                            .architecture = {1, {0}}};
        assert_int_equal(exh_repo_save_begin(r, &m, &save, &err), 0);
        assert_int_equal(exh_repo_save_add_tensor(save, 0, "w", EXH_DTYPE_F32, 1, shape, data,
                                                  sizeof data, &err), 0);
        if (id == 0) /* model 1 dedups against model 0's blob, then waits */
            assert_int_equal(exh_repo_save_commit(save, &err), 0);
    }
    assert_int_equal(write(signal[1], "x", 1), 1);
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL); /* the remover waits */
    assert_int_equal(exh_repo_save_commit(save, &err), 0);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    exh_repo_close(r);
    close(signal[0]);
    close(signal[1]);
    int64_t ids[4];
    assert_int_equal(stored_ids(repo, ids, 4), 1); /* model 1, whole: its blob is there */
    assert_int_equal(ids[0], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders_expand),
        cmocka_unit_test(test_trace_columns_from_manifests),
        cmocka_unit_test(test_fast_tier_every_policy_live_equals_the_replay),
        cmocka_unit_test(test_fast_tier_two_workers_equals_the_replay),
        cmocka_unit_test(test_keep_population_removes_as_models_leave),
        cmocka_unit_test(test_remove_waits_for_a_save_in_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
