/* bench_lstm.c — one training epoch of the LSTM regressor over 1,000
 * NAS-Bench-201 cells, against the same model in PyTorch on the CPU.
 *
 * Data: the first 1,000 cells of ../shared/data/nb201/archs.csv with their
 * cifar10-valid 200-epoch accuracy (seed 777), or, without the data, 1,000
 * cells drawn from the space (seeded) with random targets. Targets are
 * normalized; the model is the default one (E 40, H 100, D 10, nb201 layout:
 * period 6, 5 choices), initialized from a seed; Adam, learning rate 1e-3,
 * weight decay 1e-5, no dropout, batches in a fixed order (no shuffling), so
 * that both implementations see exactly the same computation.
 *
 * The weights, data and settings go to a temporary file that
 * bench/bench_lstm.py (PyTorch, float32, same batch size, same thread count:
 * torch.set_num_threads(N) here, openblas_set_num_threads(N) for exhaust)
 * reads; both train EPOCHS epochs. Printed: each side's epoch times, their
 * medians and the speed ratio, and the largest relative difference between
 * the two per-batch loss curves (the check: within 1%).
 *
 * With DROPOUT > 0 both sides also apply dropout (on the embedding outputs
 * and on h_T): a timing of the training configuration; the loss curves are
 * then not compared (the masks come from different generators), and
 * exhaust cannot use its grouped input projection (lstm.h, "Speed").
 *
 * usage: bench_lstm [EPOCHS [THREADS [BATCH [DROPOUT]]]]   (from the
 *        repository root; defaults 7, 1, 32, 0)
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exhaust/lstm.h"
#include "exhaust/space_nb201.h"
#include "util/csv.h"
#include "util/file.h"

#define CELLS 1000
#define SEED 42
#define MAX_EPOCHS 100
#define DATA "../shared/data/nb201/archs.csv"

typedef struct bench {
    int epochs, threads, batch_size, from_data;
    float dropout;
    exh_arch archs[CELLS];
    float targets[CELLS];
    exh_lstm_model *model;
    exh_lstm_train_options options;
    double seconds[MAX_EPOCHS], torch_seconds[MAX_EPOCHS];
    float *losses;
    double *torch_losses;
    int batches, torch_epochs, torch_loss_count;
} bench;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *values, int n)
{
    double sorted[MAX_EPOCHS];
    memcpy(sorted, values, (size_t)n * sizeof *values);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_doubles);
    return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

static int read_cells(bench *b, const exh_space *s, double *raw)
{
    char *data;
    size_t size;
    exh_error err;
    if (file_read_all(DATA, &data, &size, &err) < 0)
        return -1;
    csv_reader reader;
    csv_open(&reader, data, size);
    int count = 0, arch_column = -1, value_column = -1;
    while (count < CELLS && csv_next(&reader, &err) > 0) {
        if (arch_column < 0) {
            arch_column = csv_column(&reader, "arch_str");
            value_column = csv_column(&reader, "c10valid_val200_s777");
            if (arch_column < 0 || value_column < 0)
                break;
            continue;
        }
        if (reader.field_count <= value_column ||
            exh_space_parse(s, reader.fields[arch_column], &b->archs[count], &err) < 0 ||
            csv_parse_double(reader.fields[value_column], &raw[count]) < 0 || isnan(raw[count]))
            continue;
        count++;
    }
    csv_close(&reader);
    free(data);
    return count == CELLS ? 0 : -1;
}

static void load_cells(bench *b)
{
    exh_space *s;
    exh_error err;
    if (exh_space_open("nb201", &s, &err) < 0) {
        fprintf(stderr, "bench_lstm: %s\n", err.message);
        exit(1);
    }
    double raw[CELLS], sum = 0, squares = 0;
    b->from_data = read_cells(b, s, raw) == 0;
    if (!b->from_data) {
        exh_rng *r = exh_rng_new(SEED);
        for (int i = 0; i < CELLS; i++) {
            exh_space_sample(s, r, &b->archs[i], &err);
            raw[i] = exh_rng_gaussian(r);
        }
        exh_rng_free(r);
    }
    exh_space_free(s);
    for (int i = 0; i < CELLS; i++)
        sum += raw[i];
    for (int i = 0; i < CELLS; i++)
        squares += (raw[i] - sum / CELLS) * (raw[i] - sum / CELLS);
    for (int i = 0; i < CELLS; i++)
        b->targets[i] = (float)((raw[i] - sum / CELLS) / sqrt(squares / CELLS));
}

static void make_model(bench *b)
{
    exh_lstm_config c;
    exh_lstm_config_default(&c);
    c.period = EXH_NB201_EDGES;
    for (int p = 0; p < EXH_NB201_EDGES; p++)
        c.choices[p] = EXH_NB201_OPERATIONS;
    exh_error err;
    if (exh_lstm_new(&c, &b->model, &err) < 0) {
        fprintf(stderr, "bench_lstm: %s\n", err.message);
        exit(1);
    }
    exh_rng *r = exh_rng_new(SEED);
    exh_lstm_init(b->model, r);
    exh_rng_free(r);
    exh_lstm_train_options_default(&b->options);
    b->options.dropout = b->dropout;
    b->options.batch_size = b->batch_size;
}

static void write_block(FILE *f, const char *name, int count)
{
    fprintf(f, "%s %d\n", name, count);
}

static void write_problem(const bench *b, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    const exh_lstm_config *c = exh_lstm_model_config(b->model);
    write_block(f, "config", 4 + c->period);
    fprintf(f, "%d %d %d %d", c->embedding_size, c->hidden_size, c->dense_size, c->period);
    for (int p = 0; p < c->period; p++)
        fprintf(f, " %d", c->choices[p]);
    fprintf(f, "\nbatch_size 1 %d\nepochs 1 %d\n", b->batch_size, b->epochs);
    fprintf(f, "learning_rate 1 %.9g\nweight_decay 1 %.9g\ndropout 1 %.9g\n",
            b->options.adam.learning_rate, b->options.adam.weight_decay, b->dropout);
    int tokens = 0;
    write_block(f, "lengths", CELLS);
    for (int i = 0; i < CELLS; i++) {
        fprintf(f, "%d\n", b->archs[i].length);
        tokens += b->archs[i].length;
    }
    write_block(f, "tokens", tokens);
    for (int i = 0; i < CELLS; i++)
        for (int k = 0; k < b->archs[i].length; k++)
            fprintf(f, "%d ", b->archs[i].token[k]);
    write_block(f, "\ntargets", CELLS);
    for (int i = 0; i < CELLS; i++)
        fprintf(f, "%.9g\n", b->targets[i]);
    const float *p = exh_lstm_parameters(b->model);
    for (int t = 0; t < EXH_LSTM_TENSOR_COUNT; t++) {
        exh_lstm_tensor_info info;
        exh_lstm_tensor_describe(b->model, (enum exh_lstm_tensor)t, &info);
        size_t n = (size_t)info.rows * info.columns;
        write_block(f, info.name, (int)n);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.9g\n", p[info.offset + i]);
    }
    fclose(f);
}

static double *parse_list(const char *text, int *count)
{
    int capacity = 1;
    for (const char *c = text; *c; c++)
        capacity += *c == ',';
    double *values = malloc((size_t)capacity * sizeof *values);
    char *end;
    *count = 0;
    for (const char *at = text; *at && *at != '\n'; at = *end == ',' ? end + 1 : end) {
        values[(*count)++] = strtod(at, &end);
        if (end == at)
            break;
    }
    return values;
}

static void run_torch(bench *b, const char *path)
{
    char command[512], line[1 << 16];
    snprintf(command, sizeof command, "/usr/bin/python3 bench/bench_lstm.py %s --threads %d",
             path, b->threads);
    FILE *p = popen(command, "r");
    static char losses[1 << 20];
    losses[0] = '\0';
    while (p && fgets(line, sizeof line, p)) {
        if (strncmp(line, "epoch_seconds=", 14) == 0) {
            double *s = parse_list(line + 14, &b->torch_epochs);
            memcpy(b->torch_seconds, s, (size_t)b->torch_epochs * sizeof *s);
            free(s);
        } else if (strncmp(line, "losses=", 7) == 0) {
            snprintf(losses, sizeof losses, "%s", line + 7);
        } else {
            fputs(line, stdout);
        }
    }
    if (!p || pclose(p) != 0 || b->torch_epochs != b->epochs) {
        fprintf(stderr, "bench_lstm: the PyTorch reference failed (%s)\n", command);
        exit(1);
    }
    b->torch_losses = parse_list(losses, &b->torch_loss_count);
}

static void run_exhaust(bench *b)
{
    const exh_arch *batch[CELLS];
    exh_error err;
    exh_rng *r = exh_rng_new(SEED);
    b->batches = (CELLS + b->batch_size - 1) / b->batch_size;
    b->losses = malloc((size_t)b->batches * b->epochs * sizeof *b->losses);
    int at = 0;
    for (int e = 0; e < b->epochs; e++) {
        double start = now_seconds();
        for (int first = 0; first < CELLS; first += b->batch_size) {
            int n = CELLS - first < b->batch_size ? CELLS - first : b->batch_size;
            for (int i = 0; i < n; i++)
                batch[i] = &b->archs[first + i];
            if (exh_lstm_train_batch(b->model, batch, n, b->targets + first, &b->options, r,
                                     &b->losses[at++], &err) < 0) {
                fprintf(stderr, "bench_lstm: %s\n", err.message);
                exit(1);
            }
        }
        b->seconds[e] = now_seconds() - start;
    }
    exh_rng_free(r);
}

static void report(const bench *b)
{
    double worst = 0;
    int worst_at = 0, count = b->batches * b->epochs;
    if (b->torch_loss_count != count) {
        fprintf(stderr, "bench_lstm: PyTorch reported %d losses, expected %d\n",
                b->torch_loss_count, count);
        exit(1);
    }
    for (int i = 0; i < count; i++) {
        double gap = fabs(b->losses[i] - b->torch_losses[i]) / fabs(b->torch_losses[i]);
        if (gap > worst) {
            worst = gap;
            worst_at = i;
        }
    }
    printf("data: %s, %d cells, batch %d, %d epochs, %d thread(s), dropout %g\n",
           b->from_data ? DATA : "random cells and targets", CELLS, b->batch_size, b->epochs,
           b->threads, b->dropout);
    printf("exhaust epoch seconds:");
    for (int e = 0; e < b->epochs; e++)
        printf(" %.4f", b->seconds[e]);
    printf("\npytorch epoch seconds:");
    for (int e = 0; e < b->epochs; e++)
        printf(" %.4f", b->torch_seconds[e]);
    double ours = median(b->seconds, b->epochs), theirs = median(b->torch_seconds, b->epochs);
    printf("\nmedian epoch: exhaust %.4f s, pytorch %.4f s, speedup %.2fx\n", ours, theirs,
           theirs / ours);
    printf("loss: first batch %.6f (pytorch %.6f), last %.6f (pytorch %.6f)\n", b->losses[0],
           b->torch_losses[0], b->losses[count - 1], b->torch_losses[count - 1]);
    if (b->dropout > 0)
        printf("loss curves: not compared (different dropout masks)\n");
    else
        printf("loss curves: largest relative gap %.2e at batch %d (%s 1%%)\n", worst, worst_at,
               worst <= 0.01 ? "within" : "NOT within");
}

int main(int argc, char **argv)
{
    static bench b;
    b.epochs = argc > 1 ? atoi(argv[1]) : 7;
    b.threads = argc > 2 ? atoi(argv[2]) : 1;
    b.batch_size = argc > 3 ? atoi(argv[3]) : 32;
    b.dropout = argc > 4 ? (float)atof(argv[4]) : 0.0f;
    if (b.epochs < 1 || b.epochs > MAX_EPOCHS || b.threads < 1 || b.batch_size < 1 ||
        !(b.dropout >= 0 && b.dropout < 1)) {
        fprintf(stderr, "usage: bench_lstm [EPOCHS (1..%d) [THREADS [BATCH [DROPOUT]]]]\n",
                MAX_EPOCHS);
        return 2;
    }
    openblas_set_num_threads(b.threads);
    load_cells(&b);
    make_model(&b);
    char path[] = "/tmp/bench_lstm_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    write_problem(&b, path);
    run_torch(&b, path);
    remove(path);
    run_exhaust(&b);
    report(&b);
    free(b.losses);
    free(b.torch_losses);
    exh_lstm_free(b.model);
    return 0;
}
