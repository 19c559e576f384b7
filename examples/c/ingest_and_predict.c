/* ingest_and_predict.c — an exhaust library user: ingest a log into a
 * store, then predict an untrained NB201 cell from the logged ones by k-NN
 * over the edit distance, and print its neighbours.
 *
 *     cc ingest_and_predict.c $(pkg-config --cflags --libs exhaust) -o ingest_and_predict
 *     ./ingest_and_predict runs.jsonl store.db DATASET CELL
 */
#include <stdio.h>

#include <exhaust/eval.h>
#include <exhaust/ingest.h>
#include <exhaust/version.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s LOG STORE DATASET CELL\n", argv[0]);
        return 2;
    }
    exh_error err;
    exh_store *store;
    if (exh_store_open(argv[2], &store, &err) < 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    const char *paths[] = {argv[1]};
    exh_ingest_options options = {0};
    exh_ingest_stats stats;
    exh_eval_dataset *logged = NULL;
    exh_knn_repository *repository = NULL;
    exh_knn_prediction prediction;
    exh_knn_prediction_init(&prediction);
    exh_arch cell;
    int rc = exh_ingest_paths(store, paths, 1, &options, &stats, &err);
    if (rc == 0) {
        printf("exhaust %s: ingested %lld runs\n", exh_version(), (long long)stats.runs);
        rc = exh_eval_dataset_load(store, "nb201", argv[3], &logged, &err);
    }
    if (rc == 0)
        rc = exh_eval_repository(logged, NULL, &repository, &err);
    if (rc == 0)
        rc = exh_space_parse(logged->space, argv[4], &cell, &err);
    if (rc == 0)
        rc = exh_knn_predict_arch(repository, logged->space, &cell, 3, &prediction, &err);
    if (rc == 0) {
        printf("predicted best validation accuracy: %.3f\n",
               prediction.channel[EXH_KNN_VALIDATION][prediction.epochs - 1]);
        for (int i = 0; i < prediction.neighbour_count; i++)
            printf("  neighbour %s: distance %g, weight %.3f\n",
                   exh_knn_repository_name(repository, prediction.neighbours[i].index),
                   prediction.neighbours[i].distance, prediction.neighbours[i].weight);
    } else {
        fprintf(stderr, "%s\n", err.message);
    }
    exh_knn_prediction_clear(&prediction);
    exh_knn_repository_free(repository);
    exh_eval_dataset_free(logged);
    exh_store_close(store);
    return rc == 0 ? 0 : 1;
}
