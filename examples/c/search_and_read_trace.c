/* search_and_read_trace.c — an exhaust library user: a short regularized
 * evolution over NB201 with the simulated clock, each architecture scored
 * by k-NN over a store's logged cells (the predictor evaluator), its trace
 * written to a CSV and read back.
 *
 *     cc search_and_read_trace.c $(pkg-config --cflags --libs exhaust) -o search
 *     ./search STORE DATASET TRACE.csv
 */
#include <stdio.h>
#include <stdlib.h>

#include <exhaust/eval.h>
#include <exhaust/evaluator.h>
#include <exhaust/search.h>
#include <exhaust/trace.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s STORE DATASET TRACE\n", argv[0]);
        return 2;
    }
    exh_error err;
    exh_store *store = NULL;
    exh_eval_dataset *logged = NULL;
    exh_knn_repository *repository = NULL;
    exh_evaluator *evaluator = NULL;
    exh_trace_writer *trace = NULL;
    exh_trace_record *records = NULL;
    int64_t count = 0;
    int rc = exh_store_open_readonly(argv[1], &store, &err);
    if (rc == 0)
        rc = exh_eval_dataset_load(store, "nb201", argv[2], &logged, &err);
    if (rc == 0)
        rc = exh_eval_repository(logged, NULL, &repository, &err);
    if (rc == 0)
        rc = exh_evaluator_predictor_open(repository, logged->space, 2, &evaluator, &err);
    exh_search_options options;
    exh_search_options_default(&options);
    options.population = 10;
    options.sample = 3;
    options.candidates = 40;
    options.workers = 4;
    options.seed = 7;
    exh_search_result result;
    if (rc == 0)
        rc = exh_trace_open(argv[3], NULL, &trace, &err);
    if (rc == 0)
        rc = exh_search_run_simulated(logged->space, evaluator, &options, trace, &result, &err);
    if (trace && exh_trace_close(trace, rc == 0 ? &err : NULL) < 0 && rc == 0)
        rc = err.code;
    if (rc == 0)
        rc = exh_trace_read(argv[3], logged->space, 0, &records, &count, &err);
    if (rc == 0) {
        printf("%lld evaluations, best %.3f (job %lld); the trace holds %lld records\n",
               (long long)result.evaluations, result.best_quality,
               (long long)result.best_job_id, (long long)count);
    } else {
        fprintf(stderr, "%s\n", err.message);
    }
    free(records);
    exh_evaluator_free(evaluator);
    exh_knn_repository_free(repository);
    exh_eval_dataset_free(logged);
    exh_store_close(store);
    return rc == 0 ? 0 : 1;
}
