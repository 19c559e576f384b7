/* cli_predict.c — exhaust predict and exhaust rank: performance of
 * untrained architectures, from the logged ones nearest to them. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/baseline.h"
#include "exhaust/eval.h"
#include "exhaust/targets.h"
#include "util/file.h"

static const char PREDICT_HELP[] =
    "usage: exhaust predict ARCH... [--store PATH] [--space S] [--dataset D]\n"
    "                       [--method knn|baseline1|baseline2] [--k K]\n"
    "                       [--target best|overfit|epoch-time|budget=SECONDS]\n"
    "                       [--penalties FILE] [--seed N] [--format table|csv|json]\n\n"
    "Predict how each untrained architecture ARCH (in the space's text form) would\n"
    "do, from the logged models of the store: k-NN averages the curves of the K\n"
    "nearest by edit distance (shown, with distances and weights, so you can see\n"
    "why); baseline1 takes a random logged model's, baseline2 a random one of the\n"
    "closest size.\n\n"
    "  --store PATH     the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --space S        space of the logged runs and of ARCH (default nb201)\n"
    "  --dataset D      dataset of the logged runs (default cifar10-valid)\n"
    "  --method M       knn (default), baseline1, baseline2\n"
    "  --k K            neighbours (default 5; at most the number of logged models)\n"
    "  --target T       best: best validation value (default); overfit: best train\n"
    "                   minus best validation (losses: the other way round);\n"
    "                   epoch-time: mean seconds per epoch; budget=S: best validation\n"
    "                   value reachable in S seconds of training\n"
    "  --penalties FILE edit-distance penalties as JSON (exhaust fit-penalties writes one)\n"
    "  --seed N         seed of the baselines' random choice (default 1)\n"
    "  --format F       table (default), csv or json\n\n"
    "example: exhaust predict 302140 '|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|...|' --k 3\n";

static const char RANK_HELP[] =
    "usage: exhaust rank CANDIDATES_FILE [--budget SECONDS] [--top N] [options of predict]\n\n"
    "Model search among untrained candidates: predict every architecture of\n"
    "CANDIDATES_FILE (one per line in the space's text form; blank lines and lines\n"
    "starting with # are skipped) and print the N best by predicted best\n"
    "validation value, within a training-time budget when one is given, with the\n"
    "neighbours each k-NN prediction rests on.\n\n"
    "  --budget SECONDS training time each candidate may take (default: no limit)\n"
    "  --top N          how many to print (default 10)\n"
    "  (and --store, --space, --dataset, --method, --k, --penalties, --seed, --format)\n\n"
    "example: exhaust rank candidates.txt --budget 3600 --top 5\n";

typedef struct predict_options {
    const char *command, *store, *space, *dataset, *method, *target, *penalties;
    int k, top, seed;
    double budget;
    output_format format;
} predict_options;

static int parse_options(int argc, char **argv, predict_options *o)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},    {"space", required_argument, NULL, 'p'},
        {"dataset", required_argument, NULL, 'd'},  {"method", required_argument, NULL, 'm'},
        {"k", required_argument, NULL, 'k'},        {"target", required_argument, NULL, 't'},
        {"penalties", required_argument, NULL, 'P'}, {"seed", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},   {"budget", required_argument, NULL, 'b'},
        {"top", required_argument, NULL, 'n'},      {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's': o->store = optarg; break;
        case 'p': o->space = optarg; break;
        case 'd': o->dataset = optarg; break;
        case 'm': o->method = optarg; break;
        case 't': o->target = optarg; break;
        case 'P': o->penalties = optarg; break;
        case 'k': o->k = (int)strtol(optarg, &end, 10); break;
        case 'S': o->seed = (int)strtol(optarg, &end, 10); break;
        case 'n': o->top = (int)strtol(optarg, &end, 10); break;
        case 'b': o->budget = strtod(optarg, &end); break;
        case 'f':
            if (cli_parse_format(o->command, optarg, &o->format) != CLI_OK)
                return CLI_USAGE;
            break;
        case ':': return cli_usage_error(o->command, "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error(o->command, "unknown option '%s'", argv[optind - 1]);
        }
        if (end && (*end || end == optarg))
            return cli_usage_error(o->command, "%s needs a number, not '%s'", argv[optind - 1],
                                   optarg);
    }
    if (strcmp(o->method, "knn") && strcmp(o->method, "baseline1") && strcmp(o->method, "baseline2"))
        return cli_usage_error(o->command, "--method is knn, baseline1 or baseline2");
    if (o->k < 1 || o->top < 1 || !(o->budget > 0) || o->seed < 0)
        return cli_usage_error(o->command, "--k, --top and --budget must be positive");
    return CLI_OK;
}

static int predict_one(const knn_repository *r, const eval_dataset *d, const predict_options *o,
                       const arch *a, rng *g, knn_prediction *p, exh_error *err)
{
    layer layers[ARCH_MAX_TOKENS];
    int count = space_layers(d->space, a, layers, ARCH_MAX_TOKENS);
    if (strcmp(o->method, "baseline1") == 0)
        return baseline_random(r, g, -1, p, err);
    if (strcmp(o->method, "baseline2") == 0)
        return baseline_size(r, g, layers, count, -1, p, err);
    return knn_predict(r, layers, count, o->k, p, err);
}

/* The requested target of a prediction. */
static int target_value(const predict_options *o, int higher, const knn_prediction *p,
                        double *value, exh_error *err)
{
    const double *val = p->channel[KNN_VALIDATION], *train = p->channel[KNN_TRAIN];
    const double *seconds = p->channel[KNN_EPOCH_SECONDS];
    if (strcmp(o->target, "best") == 0)
        return targets_best(val, p->epochs, higher, value, NULL, err);
    if (strcmp(o->target, "overfit") == 0)
        return targets_overfitting(train, p->epochs, val, p->epochs, higher, value, err);
    if (strcmp(o->target, "epoch-time") == 0)
        return targets_mean_epoch_time(seconds, p->epochs, value, err);
    if (strncmp(o->target, "budget=", 7) == 0) {
        char *end;
        double budget = strtod(o->target + 7, &end), per_epoch;
        if (*end || end == o->target + 7)
            return error_set(err, EXH_ERR_INVALID, "--target budget=SECONDS needs a number");
        int rc = targets_mean_epoch_time(seconds, p->epochs, &per_epoch, err);
        return rc < 0 ? error_prefix(err, "budget needs epoch times")
                      : targets_best_within_budget(val, p->epochs, per_epoch, budget, higher,
                                                   value, NULL, err);
    }
    return error_set(err, EXH_ERR_INVALID, "unknown --target '%s' (best, overfit, epoch-time, "
                     "budget=SECONDS)", o->target);
}

static void neighbours_text(const knn_repository *r, const knn_prediction *p, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < p->neighbour_count && used + 1 < size; i++) {
        const knn_neighbour *n = &p->neighbours[i];
        int written = snprintf(out + used, size - used, "%s%s (d=%.3g, w=%.2f)", i ? "; " : "",
                               knn_repository_name(r, n->index), n->distance, n->weight);
        if (written < 0)
            break;
        used += (size_t)written;
    }
}

typedef struct candidate {
    char text[SPACE_TEXT_MAX];
    double value;
    char why[2048];
} candidate;

/* Predict every architecture text; failures to parse stop with a message. */
static int predict_all(const predict_options *o, char **texts, int count, candidate *out,
                       int *higher_is_better, exh_error *err)
{
    store *s;
    if (cli_open_existing_store(o->command, o->store, &s) != CLI_OK)
        return error_set(err, EXH_ERR_NOT_FOUND, "(see above)");
    eval_dataset *d = NULL;
    knn_repository *r = NULL;
    penalty_table table;
    int rc = eval_dataset_load(s, o->space, o->dataset, &d, err);
    store_close(s);
    if (rc == 0 && o->penalties)
        rc = penalties_load(o->penalties, &table, err);
    if (rc == 0)
        rc = eval_repository(d, o->penalties ? &table : NULL, &r, err);
    if (rc == 0)
        *higher_is_better = d->metric == KNN_ACCURACY;
    rng *g = rng_new((uint64_t)o->seed);
    knn_prediction p;
    knn_prediction_init(&p);
    for (int i = 0; rc == 0 && i < count; i++) {
        arch a;
        rc = space_parse(d->space, texts[i], &a, err);
        if (rc == 0)
            rc = predict_one(r, d, o, &a, g, &p, err);
        if (rc == 0)
            rc = target_value(o, d->metric == KNN_ACCURACY, &p, &out[i].value, err);
        if (rc < 0) {
            error_prefix(err, "'%.60s'", texts[i]);
            break;
        }
        space_format(d->space, &a, out[i].text, sizeof out[i].text);
        neighbours_text(r, &p, out[i].why, sizeof out[i].why);
    }
    knn_prediction_clear(&p);
    rng_free(g);
    knn_repository_free(r);
    eval_dataset_free(d);
    return rc;
}

static void print_candidates(const predict_options *o, const candidate *c, int count)
{
    static const char *const columns[] = {"arch", "method", "target", "value", "neighbours"};
    output_table *t = output_begin(stdout, o->format, 5, columns);
    for (int i = 0; i < count; i++) {
        output_text(t, c[i].text);
        output_text(t, o->method);
        output_text(t, o->target);
        output_number(t, c[i].value);
        output_text(t, c[i].why);
        output_end_row(t);
    }
    output_end(t);
}

static int predict_main(int argc, char **argv)
{
    predict_options o = {"predict", cli_default_store(), "nb201", "cifar10-valid", "knn",
                         "best", NULL, 5, 10, 1, INFINITY, OUTPUT_TABLE};
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    if (optind >= argc)
        return cli_usage_error("predict", "give at least one architecture");
    int count = argc - optind;
    candidate *c = calloc((size_t)count, sizeof *c);
    exh_error err;
    int higher;
    rc = c ? predict_all(&o, argv + optind, count, c, &higher, &err) : EXH_ERR_NOMEM;
    if (rc == 0)
        print_candidates(&o, c, count);
    else if (c)
        cli_error("predict", "%s", err.message);
    free(c);
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

/* Lines of the candidates file, comments and blanks skipped. */
static int read_candidates(const char *path, char ***lines, int *count, char **data,
                           exh_error *err)
{
    size_t size;
    int rc = file_read_all(path, data, &size, err);
    *lines = NULL;
    *count = 0;
    for (char *p = rc == 0 ? strtok(*data, "\r\n") : NULL; p; p = strtok(NULL, "\r\n")) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        char **grown = realloc(*lines, sizeof *grown * (size_t)(*count + 1));
        if (!grown)
            return error_set(err, EXH_ERR_NOMEM, "out of memory");
        *lines = grown;
        (*lines)[(*count)++] = p;
    }
    if (rc == 0 && *count == 0)
        rc = error_set(err, EXH_ERR_INVALID, "%s: no candidate architectures", path);
    return rc;
}

static int compare_descending(const void *a, const void *b)
{
    double x = ((const candidate *)a)->value, y = ((const candidate *)b)->value;
    return (x < y) - (x > y);
}
static int compare_ascending(const void *a, const void *b)
{
    return -compare_descending(a, b);
}

static int rank_main(int argc, char **argv)
{
    predict_options o = {"rank", cli_default_store(), "nb201", "cifar10-valid", "knn",
                         "best", NULL, 5, 10, 1, INFINITY, OUTPUT_TABLE};
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error("rank", "give one CANDIDATES_FILE");
    char budget_target[64];
    if (isfinite(o.budget)) {
        snprintf(budget_target, sizeof budget_target, "budget=%.17g", o.budget);
        o.target = budget_target;
    }
    exh_error err;
    char **lines, *data = NULL;
    int count;
    candidate *c = NULL;
    rc = read_candidates(argv[optind], &lines, &count, &data, &err);
    if (rc == 0 && !(c = calloc((size_t)count, sizeof *c)))
        rc = error_set(&err, EXH_ERR_NOMEM, "out of memory");
    int higher = 1;
    if (rc == 0)
        rc = predict_all(&o, lines, count, c, &higher, &err);
    if (rc == 0) {
        /* Overfitting and epoch time are better low; so are losses. */
        int ascending = !higher || strcmp(o.target, "overfit") == 0 ||
                        strcmp(o.target, "epoch-time") == 0;
        qsort(c, (size_t)count, sizeof *c, ascending ? compare_ascending : compare_descending);
        print_candidates(&o, c, count < o.top ? count : o.top);
    } else {
        cli_error("rank", "%s", err.message);
    }
    free(c);
    free(lines);
    free(data);
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

const cli_command cli_predict_command = {"predict", "predict untrained architectures",
                                         PREDICT_HELP, predict_main};
const cli_command cli_rank_command = {"rank", "rank untrained candidates by prediction",
                                      RANK_HELP, rank_main};
