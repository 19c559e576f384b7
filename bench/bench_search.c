/* bench_search.c — regularized evolution on the real NAS-Bench-201 table.
 *
 * Prints:
 *  1. quality: over 20 seeds, the mean (and spread) of the true (3-seed mean)
 *     validation accuracy of the best architecture found with P=100, S=5,
 *     N=1000, next to random search with the same budget;
 *  2. speed: one 1000-candidate search with 64 simulated workers (median of
 *     repeats), and the ratio to a straightforward Python RE over the same
 *     table (bench/bench_search.py, run in this same benchmark);
 *  3. scale: 4096 simulated workers x 100,000 candidates;
 *  4. when mutation starts with 64 simulated workers: once P evaluations
 *     have finished (the paper, DeepHyper) or once P were submitted (exhaust
 *     before --mutate-after), the same 20 seeds each way.
 *
 * usage: bench_search [DATA_DIR]   (default ../shared/data)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "exhaust/search.h"

static void mean_and_sd(const double *values, int n, double *mean, double *sd)
{
    double sum = 0, squares = 0;
    for (int i = 0; i < n; i++)
        sum += values[i];
    *mean = sum / n;
    for (int i = 0; i < n; i++)
        squares += (values[i] - *mean) * (values[i] - *mean);
    *sd = n > 1 ? sqrt(squares / (n - 1)) : 0.0;
}

static int run_search(const exh_space *s, exh_evaluator *e, exh_search_options *o, exh_search_result *r)
{
    exh_error err;
    if (exh_search_run_simulated(s, e, o, NULL, r, &err) < 0) {
        fprintf(stderr, "bench_search: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int report_quality(const exh_space *s, exh_evaluator *e)
{
    enum { SEEDS = 20 };
    double evolution[SEEDS], random_search[SEEDS];
    for (int seed = 0; seed < SEEDS; seed++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.seed = (uint64_t)seed + 1;
        exh_search_result r;
        if (run_search(s, e, &o, &r) < 0)
            return -1;
        evolution[seed] = exh_evaluator_nb201_mean_quality(e, &r.best_architecture);
        o.population = (int)o.candidates; /* stage 1 only: random search */
        o.sample = 1;
        if (run_search(s, e, &o, &r) < 0)
            return -1;
        random_search[seed] = exh_evaluator_nb201_mean_quality(e, &r.best_architecture);
    }
    double mean, sd;
    printf("quality (NB201 cifar10-valid, P=100 S=5 N=1000, %d seeds; table best %.3f):\n",
           SEEDS, exh_evaluator_nb201_best_mean_quality(e));
    mean_and_sd(evolution, SEEDS, &mean, &sd);
    printf("  regularized evolution: mean true accuracy of best found %.3f +- %.3f\n", mean, sd);
    mean_and_sd(random_search, SEEDS, &mean, &sd);
    printf("  random search:         mean true accuracy of best found %.3f +- %.3f\n", mean, sd);
    return 0;
}

/* With W workers, "mutate once P were submitted" draws its first parents
 * from the few models finished by then; the paper waits for P. */
static int report_mutate_after(const exh_space *s, exh_evaluator *e)
{
    enum { SEEDS = 20 };
    printf("mutation start (P=100 S=5 N=1000, 64 simulated workers, %d seeds):\n", SEEDS);
    for (int submitted = 0; submitted <= 1; submitted++) {
        double best[SEEDS];
        for (int seed = 0; seed < SEEDS; seed++) {
            exh_search_options o;
            exh_search_options_default(&o);
            o.seed = (uint64_t)seed + 1;
            o.workers = 64;
            o.mutate_after_submitted = submitted;
            exh_search_result r;
            if (run_search(s, e, &o, &r) < 0)
                return -1;
            best[seed] = exh_evaluator_nb201_mean_quality(e, &r.best_architecture);
        }
        double mean, sd;
        mean_and_sd(best, SEEDS, &mean, &sd);
        printf("  after P %-9s mean true accuracy of best found %.3f +- %.3f\n",
               submitted ? "submitted:" : "finished:", mean, sd);
    }
    return 0;
}

static double time_searches(const exh_space *s, exh_evaluator *e, int workers, int64_t candidates,
                            int repeats)
{
    double times[64];
    for (int i = 0; i < repeats && i < 64; i++) {
        exh_search_options o;
        exh_search_options_default(&o);
        o.seed = (uint64_t)i + 1;
        o.workers = workers;
        o.candidates = candidates;
        /* past the space's 15,625 cells repeats are unavoidable (search.h) */
        o.allow_duplicates = candidates > exh_space_size(s);
        exh_search_result r;
        double start = bench_now();
        if (run_search(s, e, &o, &r) < 0)
            return NAN;
        times[i] = bench_now() - start;
    }
    return bench_median(times, repeats < 64 ? repeats : 64);
}

static double python_milliseconds(const char *archs_csv)
{
    char command[4200];
    snprintf(command, sizeof command,
             "/usr/bin/python3 bench/bench_search.py '%s' --repeats 20 --workers 64 "
             "--candidates 1000",
             archs_csv);
    FILE *p = popen(command, "r");
    if (!p)
        return NAN;
    double ms = NAN, best = NAN;
    if (fscanf(p, "python_ms_median=%lf best_mean=%lf", &ms, &best) != 2)
        ms = NAN;
    pclose(p);
    if (!isnan(best))
        printf("  python RE (same algorithm, 20 seeds): mean true accuracy %.3f\n", best);
    return ms;
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : "../shared/data";
    char archs_csv[4096];
    snprintf(archs_csv, sizeof archs_csv, "%s/nb201/archs.csv", data);
    exh_error err;
    exh_space *s;
    exh_evaluator *e;
    if (exh_space_open("nb201", &s, &err) < 0 ||
        exh_evaluator_nb201_open(archs_csv, "cifar10-valid", &e, &err) < 0) {
        fprintf(stderr, "bench_search: %s\n", err.message);
        return 1;
    }
    printf("%s\n", e->describe(e->state));
    if (report_quality(s, e) < 0 || report_mutate_after(s, e) < 0)
        return 1;
    double c_seconds = time_searches(s, e, 64, 1000, 51);
    printf("speed: 1000-candidate search, 64 simulated workers: median %.3f ms (51 runs)\n",
           c_seconds * 1e3);
    double python_ms = python_milliseconds(archs_csv);
    if (isnan(python_ms))
        printf("  python reference unavailable (needs /usr/bin/python3)\n");
    else
        printf("  python RE: median %.3f ms -> exhaust is %.1fx faster\n", python_ms,
               python_ms / (c_seconds * 1e3));
    double big = time_searches(s, e, 4096, 100000, 3);
    printf("scale: 4096 simulated workers x 100,000 candidates: median %.3f s (3 runs)\n", big);
    exh_evaluator_free(e);
    exh_space_free(s);
    return 0;
}
