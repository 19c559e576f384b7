/* bench_knn.c — k-NN over the whole NAS-Bench-201 space, and the generic
 * edit-distance path on the graph and convchain spaces.
 *
 * Predicts all 15,625 cells from a repository of 1,000 random cells (seeded)
 * with the default nb201 penalties and K = 5, and prints:
 *  1. the edit-distance programme alone (all 15,625 x 1,000 distances) for
 *     each distance path — the exact integer kernel that applies (8-bit for
 *     the defaults; AVX-512 or AVX2), also with its output converted to
 *     doubles and with the degenerate shortcut turned off (the whole
 *     programme, also in AVX2 only), the double lanes kernel, the generic
 *     table kernel and the plain per-model programme — in DP cells per CPU
 *     second (36 cells per pair, also for the shortcut that adds 6), median
 *     of several runs of at least 0.2 s each;
 *  2. whole predictions (distances, the K nearest, the averaged curve);
 *  3. the same figures for NumPy (bench/bench_knn.py), run from this program
 *     on the same repository and penalties: the programme looped over
 *     queries and vectorized over the repository, batched over queries and
 *     models, and (infinite indel) the degenerate sum of six costs; the
 *     speed ratio against the fastest; whether both chose the same
 *     neighbours at the same distances; and peak memory (getrusage).
 * `bench_knn full [REPEATS]` times the whole programme on NB201 with a
 * finite indel (no shortcut applies): the int8 gain form against the D
 * form it replaced, AVX-512 and AVX2, against the SIMD peak, one and two
 * threads over queries, and NumPy's programme.
 * `bench_knn generic [REPEATS]` instead times the generic path on 1,000
 * sampled graph and convchain architectures (100 queries): the per-model
 * programme as it was against the table kernels at each SIMD width, and on
 * graph a NumPy programme batched over queries and models.
 *
 * usage: bench_knn [REPEATS] [PYTHON_REPEATS]   (run from the repository root;
 *        defaults 7 and 3)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>
#include <sys/resource.h>

#include "bench_common.h"
#include "exhaust/editdist.h"
#include "exhaust/knn.h"
#include "exhaust/rng.h"
#include "exhaust/space_nb201.h"
#include "predict/knn_internal.h"

#define REPOSITORY 1000
#define SEED 42
#define CELLS_PER_PAIR (EXH_NB201_EDGES * EXH_NB201_EDGES)

typedef struct bench {
    exh_space *space;
    exh_knn_repository *repository;
    exh_layer queries[EXH_NB201_SIZE][EXH_NB201_EDGES];
    char repository_path[64], penalties_path[80];
} bench;

static void fail(const char *what, const exh_error *err)
{
    fprintf(stderr, "bench_knn: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

/* The repository (random cells, a made-up one-epoch curve) and the queries
 * (every cell, in index order); the repository also goes to a text file for
 * the NumPy side, one cell's six digits a line. */
static void build(bench *b, double indel)
{
    exh_error err;
    exh_penalty_table t;
    if (exh_space_open("nb201", &b->space, &err) < 0 ||
        exh_penalties_default("nb201", &t, &err) < 0)
        fail("setup", &err);
    if (!isnan(indel)) /* bench_knn full: a finite indel, every cell of the programme live */
        t.nb201.indel = indel;
    if (exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &b->repository, &err) < 0)
        fail("setup", &err);
    snprintf(b->repository_path, sizeof b->repository_path, "/tmp/bench_knn_XXXXXX");
    int fd = mkstemp(b->repository_path);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out)
        fail("temporary file", NULL);
    exh_rng *g = exh_rng_new(SEED);
    for (int m = 0; m < REPOSITORY; m++) {
        exh_arch a;
        exh_layer cell[EXH_NB201_EDGES];
        exh_space_sample(b->space, g, &a, &err);
        exh_space_layers(b->space, &a, cell, EXH_NB201_EDGES);
        double accuracy = 50.0 + 40.0 * exh_rng_uniform(g);
        exh_knn_curve curve = {.epochs = 1, .channel = {&accuracy}};
        if (exh_knn_repository_add(b->repository, NULL, cell, EXH_NB201_EDGES, &curve, &err) < 0)
            fail("repository", &err);
        for (int e = 0; e < EXH_NB201_EDGES; e++)
            fputc('0' + cell[e].op, out);
        fprintf(out, " %.17g\n", accuracy);
    }
    fclose(out);
    exh_rng_free(g);
    snprintf(b->penalties_path, sizeof b->penalties_path, "%s.json", b->repository_path);
    if (exh_penalties_save(b->penalties_path, &t, &err) < 0)
        fail("penalties", &err);
    for (int q = 0; q < EXH_NB201_SIZE; q++) {
        exh_arch a;
        exh_space_enumerate(b->space, q, &a, &err);
        exh_space_layers(b->space, &a, b->queries[q], EXH_NB201_EDGES);
    }
}

/* CPU seconds of this thread: on a shared machine a fairer clock than the
 * wall for a single-threaded kernel. */
static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double load_average(void)
{
    double load = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &load) != 1)
        load = NAN;
    if (f)
        fclose(f);
    return load;
}

static double peak_megabytes(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}

/* The distances from every query by one path: as doubles (knn_distances),
 * or, for the exact kernels with `scaled`, in the kernel's own integers. */
static double time_distances(bench *b, knn_kernel kernel, int scaled, int queries, int repeats)
{
    static double distances[REPOSITORY];
    static uint16_t integers[REPOSITORY + KNN_BLOCK];
    double times[64];
    knn_repository_force_kernel(b->repository, kernel);
    knn_kernel used = knn_kernel_for(b->repository, b->queries[0], EXH_NB201_EDGES);
    for (int r = 0; r < repeats && r < 64; r++) {
        /* whole passes until at least 0.2 CPU seconds: a fast kernel's single
         * pass is a few milliseconds, too short to time on a loaded machine */
        int passes = 0;
        double start = cpu_now(), elapsed;
        do {
            for (int q = 0; q < queries; q++) {
                if (scaled)
                    knn_nb201_scaled_distances(b->repository, used, b->queries[q], integers);
                else
                    exh_knn_distances(b->repository, b->queries[q], EXH_NB201_EDGES, distances, NULL);
            }
            passes++;
        } while ((elapsed = cpu_now() - start) < 0.2);
        times[r] = elapsed / passes;
    }
    knn_repository_force_kernel(b->repository, KNN_KERNEL_AUTO);
    return bench_median(times, repeats < 64 ? repeats : 64) * EXH_NB201_SIZE / queries;
}

/* Whole predictions; the checksums let the NumPy side be compared: the sum
 * of the neighbours' distances, and of (index + 1) * (rank + 1). */
static double time_predictions(bench *b, int repeats, double *distance_sum, double *index_sum,
                               double *value_sum)
{
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    double times[64];
    exh_error err;
    for (int r = 0; r < repeats && r < 64; r++) {
        *distance_sum = *index_sum = *value_sum = 0;
        double start = cpu_now();
        for (int q = 0; q < EXH_NB201_SIZE; q++) {
            if (exh_knn_predict(b->repository, b->queries[q], EXH_NB201_EDGES, EXH_KNN_DEFAULT_K, &p, &err) <
                0)
                fail("predict", &err);
            for (int i = 0; i < p.neighbour_count; i++) {
                *distance_sum += p.neighbours[i].distance;
                *index_sum += (double)(p.neighbours[i].index + 1) * (i + 1);
            }
            *value_sum += p.channel[EXH_KNN_VALIDATION][0];
        }
        times[r] = cpu_now() - start;
    }
    exh_knn_prediction_clear(&p);
    return bench_median(times, repeats < 64 ? repeats : 64);
}

static void write_graph_layers(FILE *out, const char *kind, const exh_layer *layers, int count)
{
    fputs(kind, out);
    for (int k = 0; k < count; k++) {
        const exh_layer *l = &layers[k];
        fprintf(out, " %d", l->op);
        for (int slot = 0; slot < 3; slot++)
            fprintf(out, ",%d", slot < l->input_count ? l->inputs[slot] : -1);
    }
    fputc('\n', out);
}

/* The graph programme in NumPy (bench_knn.py --graph), batched over queries
 * and models, on the same repository and queries. */
static void numpy_graph(const exh_knn_repository *r, const exh_layer *query_layers,
                        const int *query_counts, int queries, double checksum, double before,
                        double tables, double cells, int repeats)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/bench_knn_graph_XXXXXX");
    int fd = mkstemp(path);
    FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!out)
        return;
    fprintf(out, "%.17g %.17g %.17g\n", r->penalties.graph.op, r->penalties.graph.input,
            r->penalties.graph.indel);
    for (int m = 0; m < r->count; m++)
        write_graph_layers(out, "R", r->layers + r->layer_start[m], r->layer_count[m]);
    for (int q = 0; q < queries; q++)
        write_graph_layers(out, "Q", query_layers + (size_t)q * EXH_EDITDIST_MAX_LAYERS,
                           query_counts[q]);
    fclose(out);
    char command[160];
    snprintf(command, sizeof command, "/usr/bin/python3 bench/bench_knn.py --graph %s %d", path,
             repeats);
    FILE *p = popen(command, "r");
    double seconds = 0, numpy_checksum = 0;
    int ok = p && fscanf(p, "numpy_graph_seconds_median=%lf checksum=%lf", &seconds,
                         &numpy_checksum) == 2;
    if (p)
        ok &= pclose(p) == 0;
    unlink(path);
    if (!ok) {
        printf("  NumPy reference unavailable\n");
        return;
    }
    printf("  NumPy, batched over queries and models  %8.3f s  %7.3f G cells/s  -> tables "
           "%.0fx faster, per model (before) %.1fx\n"
           "    (same distances: checksums %.17g and %.17g)\n",
           seconds, cells / seconds / 1e9, seconds / tables, seconds / before, checksum,
           numpy_checksum);
}

/* The generic path on another space: `models` sampled architectures as the
 * repository, `queries` more as queries, distances only. The programme as
 * it was (editdist per model, every cell, penalty calls per cell) against
 * the token-table kernel at each SIMD width; DP cells per CPU-second. */
static void bench_generic(const char *space_name, int models, int queries, int repeats)
{
    exh_error err;
    exh_space *s;
    exh_penalty_table t;
    exh_knn_repository *r;
    if (exh_space_open(space_name, &s, &err) < 0 || exh_penalties_for_space(s, &t, &err) < 0 ||
        exh_knn_repository_new(&t, EXH_KNN_ACCURACY, &r, &err) < 0)
        fail(space_name, &err);
    exh_rng *g = exh_rng_new(SEED);
    exh_layer *query_layers = malloc((size_t)queries * EXH_EDITDIST_MAX_LAYERS * sizeof(exh_layer));
    int *query_counts = malloc((size_t)queries * sizeof(int));
    double *out = malloc((size_t)models * sizeof(double));
    double *reference = malloc((size_t)models * sizeof(double));
    double model_layers = 0, query_total = 0;
    exh_layer layers[EXH_EDITDIST_MAX_LAYERS];
    for (int m = 0; m < models + queries; m++) {
        exh_arch a;
        if (exh_space_sample(s, g, &a, &err) < 0)
            fail("sample", &err);
        int count = exh_space_layers(s, &a, layers, EXH_EDITDIST_MAX_LAYERS);
        if (m < models) {
            double value = 1.0;
            exh_knn_curve curve = {.epochs = 1, .channel = {&value}};
            if (exh_knn_repository_add(r, NULL, layers, count, &curve, &err) < 0)
                fail("repository", &err);
            model_layers += count;
        } else {
            memcpy(query_layers + (size_t)(m - models) * EXH_EDITDIST_MAX_LAYERS, layers,
                   (size_t)count * sizeof(exh_layer));
            query_counts[m - models] = count;
            query_total += count;
        }
    }
    double cells = model_layers * query_total;
    printf("%s: %d queries x %d sampled models, %.1f layers a model, %d distinct layers, "
           "%.3g DP cells, CPU seconds (median of %d):\n",
           space_name, queries, models, model_layers / models, r->token_count, cells, repeats);
    knn_repository_force_kernel(r, KNN_KERNEL_GENERIC);
    const struct {
        int full, simd;
        const char *name;
    } paths[] = {{1, 512, "per model, every cell (before)"},
                 {0, 512, "tables, AVX-512"},
                 {0, 256, "tables, AVX2"},
                 {0, 0, "tables, plain C lanes"}};
    double before = 0, tables_seconds = 0;
    int all_same = 1;
    for (int i = 0; i < 4; i++) {
        knn_repository_force_full_programme(r, paths[i].full);
        knn_generic_force_simd(paths[i].simd);
        if (!paths[i].full && knn_generic_simd() != paths[i].simd)
            continue; /* this CPU lacks that width */
        int runs = paths[i].full ? (repeats + 1) / 2 : repeats;
        double times[64], checksum = 0;
        for (int rep = 0; rep < runs && rep < 64; rep++) {
            double start = cpu_now();
            checksum = 0;
            for (int q = 0; q < queries; q++) {
                exh_knn_distances(r, query_layers + (size_t)q * EXH_EDITDIST_MAX_LAYERS, query_counts[q],
                                  out, NULL);
                for (int m = 0; m < models; m++)
                    checksum += isinf(out[m]) ? 1e6 : out[m];
            }
            times[rep] = cpu_now() - start;
        }
        double seconds = bench_median(times, runs < 64 ? runs : 64);
        if (i == 1)
            tables_seconds = seconds; /* the widest SIMD there is */
        if (i == 0) {
            before = seconds;
            reference[0] = checksum;
        } else {
            all_same &= checksum == reference[0];
        }
        printf("  %-32s %8.3f s  %7.3f G cells/s  %5.2f ns/cell  %6.1fx\n", paths[i].name,
               seconds, cells / seconds / 1e9, seconds / cells * 1e9, before / seconds);
    }
    printf("  same distances on every path: %s; peak memory %.0f MB\n", all_same ? "yes" : "NO",
           peak_megabytes());
    if (t.kind == EXH_PENALTY_GRAPH)
        numpy_graph(r, query_layers, query_counts, queries, reference[0], before,
                    tables_seconds, cells, repeats);
    knn_generic_force_simd(512);
    knn_repository_force_full_programme(r, 0);
    free(query_layers);
    free(query_counts);
    free(out);
    free(reference);
    exh_rng_free(g);
    exh_knn_repository_free(r);
    exh_space_free(s);
}

typedef struct numpy_figures {
    double dp_seconds, predict_seconds, distance_sum, index_sum, value_sum;
    double batched_seconds, diagonal_seconds; /* diagonal < 0: not measured */
    int ok;
} numpy_figures;

static numpy_figures run_numpy(const bench *b, int repeats)
{
    numpy_figures f = {0};
    char command[512];
    snprintf(command, sizeof command,
             "/usr/bin/python3 bench/bench_knn.py %s %s --k %d --repeats %d", b->repository_path,
             b->penalties_path, EXH_KNN_DEFAULT_K, repeats);
    FILE *p = popen(command, "r");
    if (!p)
        return f;
    f.ok = fscanf(p,
                  "numpy_dp_seconds_median=%lf numpy_predict_seconds_median=%lf "
                  "distance_sum=%lf index_sum=%lf value_sum=%lf "
                  "numpy_batched_seconds_median=%lf numpy_diagonal_seconds_median=%lf",
                  &f.dp_seconds, &f.predict_seconds, &f.distance_sum, &f.index_sum,
                  &f.value_sum, &f.batched_seconds, &f.diagonal_seconds) == 7;
    f.ok &= pclose(p) == 0;
    return f;
}

/* The SIMD peak the issue measures against: 2 cores x 64 int8 lanes x
 * 4.25 GHz, one DP cell a lane a cycle. */
#define CORES 2
#define LANES_512 64
#define CLOCK_HZ 4.25e9
#define PEAK_CELLS (CORES * LANES_512 * CLOCK_HZ)

#define PASSES 20 /* whole passes a timing: one pass is milliseconds */

typedef struct query_slice {
    const bench *b;
    knn_kernel kernel;
    int from, to;
} query_slice;

static void *distances_slice(void *argument)
{
    const query_slice *q = argument;
    uint16_t *out = malloc((REPOSITORY + KNN_BLOCK) * sizeof *out);
    for (int pass = 0; out && pass < PASSES; pass++)
        for (int i = q->from; i < q->to; i++)
            knn_nb201_scaled_distances(q->b->repository, q->kernel, q->b->queries[i], out);
    free(out);
    return NULL;
}

/* Every query's distances, PASSES times, on `threads` threads (queries
 * split evenly); wall and process CPU seconds of one pass, medians of
 * `repeats`. */
static void time_threads(bench *b, knn_kernel kernel, int threads, int repeats, double *wall,
                         double *cpu)
{
    double walls[64], cpus[64];
    for (int r = 0; r < repeats && r < 64; r++) {
        struct timespec c0, c1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        double start = bench_now();
        pthread_t ids[8];
        query_slice slices[8];
        for (int t = 0; t < threads; t++) {
            slices[t] = (query_slice){b, kernel, EXH_NB201_SIZE * t / threads,
                                      EXH_NB201_SIZE * (t + 1) / threads};
            if (t > 0)
                pthread_create(&ids[t], NULL, distances_slice, &slices[t]);
        }
        distances_slice(&slices[0]);
        for (int t = 1; t < threads; t++)
            pthread_join(ids[t], NULL);
        walls[r] = (bench_now() - start) / PASSES;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        cpus[r] = ((double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9) /
                  PASSES;
    }
    *wall = bench_median(walls, repeats < 64 ? repeats : 64);
    *cpu = bench_median(cpus, repeats < 64 ? repeats : 64);
}

/* bench_knn full: the whole programme on NB201 with a finite indel (1; the
 * default replace costs and disconnect term), where no shortcut applies. */
static void bench_full(int repeats)
{
    static bench b;
    build(&b, 1.0);
    double cells = (double)EXH_NB201_SIZE * REPOSITORY * CELLS_PER_PAIR;
    knn_kernel fast = knn_kernel_for(b.repository, b.queries[0], EXH_NB201_EDGES);
    printf("NB201 whole programme, indel 1 (not degenerate): %d queries x %d cells, %.0f DP "
           "cells;\nCPU seconds of one thread, median of %d (SIMD peak %.0f G cells/s = %d cores x "
           "%d int8 lanes x %.2f GHz; per core %.0f G):\n",
           EXH_NB201_SIZE, REPOSITORY, cells, repeats, PEAK_CELLS / 1e9, CORES, LANES_512,
           CLOCK_HZ / 1e9, PEAK_CELLS / CORES / 1e9);
    const struct {
        knn_kernel kernel;
        int scaled, queries, avx512, gain;
        const char *name;
    } paths[] = {
        {fast, 1, EXH_NB201_SIZE, 1, 1, "int8 gain form, AVX-512"},
        {fast, 1, EXH_NB201_SIZE, 0, 1, "int8 gain form, AVX2"},
        {fast, 1, EXH_NB201_SIZE, 1, 0, "int8 D form, AVX-512 (before)"},
        {fast, 1, EXH_NB201_SIZE, 0, 0, "int8 D form, AVX2 (before)"},
        {KNN_KERNEL_LANES, 0, 2000, 1, 1, "double lanes"},
        {KNN_KERNEL_GENERIC, 0, 300, 1, 1, "generic, per model"},
    };
    double best = 0;
    for (int i = 0; i < 6; i++) {
        knn_nb201_allow_avx512(1);
        if (paths[i].avx512 && i < 4 && !knn_nb201_has_avx512())
            continue;
        knn_nb201_allow_avx512(paths[i].avx512);
        knn_nb201_allow_gain(paths[i].gain);
        double seconds = time_distances(&b, paths[i].kernel, paths[i].scaled, paths[i].queries,
                                        repeats);
        double rate = cells / seconds;
        if (i == 0)
            best = seconds;
        printf("  %-32s %8.3f s  %7.2f G cells/s  %5.1f%% of a core's peak  %6.2fx%s\n",
               paths[i].name, seconds, rate / 1e9, 100 * rate / (PEAK_CELLS / CORES),
               seconds / best,
               paths[i].queries < EXH_NB201_SIZE ? "  (fewer queries, scaled)" : "");
    }
    knn_nb201_allow_avx512(1);
    knn_nb201_allow_gain(1);
    for (int threads = 1; threads <= CORES; threads++) {
        double wall, cpu;
        time_threads(&b, fast, threads, repeats, &wall, &cpu);
        printf("  %d thread%s over queries, gain AVX-512: wall %.3f s (%.2f G cells/s, %.1f%% of "
               "the 2-core peak), CPU %.3f s (%.2f G cells per CPU-second)\n",
               threads, threads > 1 ? "s" : " ", wall, cells / wall / 1e9,
               100 * cells / wall / PEAK_CELLS, cpu, cells / cpu / 1e9);
    }
    printf("  (load average %.1f: the wall figures share the cores; CPU seconds do not)\n",
           load_average());
    numpy_figures f = run_numpy(&b, 1);
    if (f.ok)
        printf("NumPy, same programme: looped %.3f s, batched %.3f s -> exhaust (one thread) %.0fx "
               "the faster\n",
               f.dp_seconds, f.batched_seconds,
               (f.batched_seconds < f.dp_seconds ? f.batched_seconds : f.dp_seconds) / best);
    printf("peak memory (getrusage, this process): %.0f MB\n", peak_megabytes());
    unlink(b.repository_path);
    unlink(b.penalties_path);
    exh_knn_repository_free(b.repository);
    exh_space_free(b.space);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "full") == 0) { /* the whole programme, finite indel */
        bench_full(argc > 2 ? atoi(argv[2]) : 5);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "generic") == 0) { /* the other spaces alone */
        int repeats = argc > 2 ? atoi(argv[2]) : 3;
        bench_generic("graph", 1000, 100, repeats);
        bench_generic("convchain", 1000, 100, repeats);
        return 0;
    }
    int repeats = argc > 1 ? atoi(argv[1]) : 7, python_repeats = argc > 2 ? atoi(argv[2]) : 3;
    if (repeats < 1 || python_repeats < 1) {
        fprintf(stderr, "usage: bench_knn [REPEATS] [PYTHON_REPEATS]\n");
        return 2;
    }
    static bench b;
    build(&b, NAN);
    double cells = (double)EXH_NB201_SIZE * REPOSITORY * CELLS_PER_PAIR;
    printf("k-NN over NAS-Bench-201: %d queries x %d logged cells, K = %d, default penalties\n",
           EXH_NB201_SIZE, REPOSITORY, EXH_KNN_DEFAULT_K);
    printf("edit-distance programme alone (%.0f DP cells), median of %d runs:\n", cells, repeats);
    knn_kernel fast = knn_kernel_for(b.repository, b.queries[0], EXH_NB201_EDGES);
    int exact = fast == KNN_KERNEL_EXACT8 || fast == KNN_KERNEL_EXACT16;
    const struct {
        knn_kernel kernel;
        int scaled, queries, full;
        const char *name;
    } paths[] = {
        {fast, exact, EXH_NB201_SIZE, 0, exh_knn_repository_kernel(b.repository)},
        {fast, 0, EXH_NB201_SIZE, 0, "  the same, as doubles"},
        {fast, exact, EXH_NB201_SIZE, 1, "  the same, whole programme"},
        {fast, exact, EXH_NB201_SIZE, 3, "  whole programme, AVX2 only"},
        {KNN_KERNEL_LANES, 0, EXH_NB201_SIZE, 0, "nb201 double lanes"},
        {KNN_KERNEL_GENERIC, 0, 2000, 0, "generic (tables, side by side)"},
        {KNN_KERNEL_GENERIC, 0, 500, 1, "generic, per model (before)"},
    };
    double fastest = 0, fastest_full = 0;
    for (int i = 0; i < 7; i++) {
        if ((i == 1 && !exact) || (i == 3 && !knn_nb201_has_avx512()) ||
            (i == 4 && fast == KNN_KERNEL_LANES))
            continue;
        knn_nb201_allow_avx512(paths[i].full != 3);
        knn_repository_force_full_programme(b.repository, paths[i].full & 1);
        double seconds = time_distances(&b, paths[i].kernel, paths[i].scaled, paths[i].queries,
                                        repeats);
        knn_repository_force_full_programme(b.repository, 0);
        knn_nb201_allow_avx512(1);
        if (i == 0)
            fastest = seconds;
        if (i == 2)
            fastest_full = seconds;
        printf("  %-30s %8.3f s  %7.2f G cells/s%s\n", paths[i].name, seconds,
               cells / seconds / 1e9,
               paths[i].queries < EXH_NB201_SIZE ? "  (timed on fewer queries, scaled)" : "");
    }
    printf("  (int8 kernel in %s; CPU seconds; a DP cell is one of the 36 cells of a pair's programme, so the\n"
           "   degenerate kernels count 36 cells for their 6 additions)\n",
           knn_nb201_has_avx512() ? "AVX-512" : "AVX2");
    double distance_sum, index_sum, value_sum;
    double predict_seconds = time_predictions(&b, repeats, &distance_sum, &index_sum, &value_sum);
    printf("whole predictions (distances, K nearest, averaged curve): %.3f s, %.1f us per "
           "architecture\n",
           predict_seconds, predict_seconds / EXH_NB201_SIZE * 1e6);

    numpy_figures f = run_numpy(&b, python_repeats);
    if (!f.ok) {
        printf("NumPy reference unavailable (needs /usr/bin/python3 with numpy, run from the "
               "repository root)\n");
    } else {
        printf("NumPy, same programme, CPU seconds, median of %d runs:\n", python_repeats);
        printf("  looped over queries, vectorized over the repository\n"
               "                    %8.3f s  %7.3f G cells/s\n",
               f.dp_seconds, cells / f.dp_seconds / 1e9);
        printf("  batched over queries and models (every DP step one array operation)\n"
               "                    %8.3f s  %7.3f G cells/s\n",
               f.batched_seconds, cells / f.batched_seconds / 1e9);
        double numpy_best = f.batched_seconds < f.dp_seconds ? f.batched_seconds : f.dp_seconds;
        printf("  -> exhaust %.0fx faster than the faster of the two; whole programme against "
               "whole programme %.0fx\n",
               numpy_best / fastest, numpy_best / fastest_full);
        if (f.diagonal_seconds > 0)
            printf("  batched, the degenerate form (sum of the 6 diagonal costs, infinite "
                   "indel)\n"
                   "                    %8.3f s               -> exhaust %.0fx faster\n",
                   f.diagonal_seconds, f.diagonal_seconds / fastest);
        printf("  whole predictions %8.3f s                     -> exhaust %.0fx faster\n",
               f.predict_seconds, f.predict_seconds / predict_seconds);
        int same = f.distance_sum == distance_sum && f.index_sum == index_sum;
        printf("  same neighbours and distances as exhaust: %s (predicted values differ by "
               "%.2g in total)\n",
               same ? "yes" : "NO", fabs(f.value_sum - value_sum));
    }
    printf("peak memory (getrusage, this process): %.0f MB\n", peak_megabytes());
    unlink(b.repository_path);
    unlink(b.penalties_path);
    exh_knn_repository_free(b.repository);
    exh_space_free(b.space);
    return 0;
}
