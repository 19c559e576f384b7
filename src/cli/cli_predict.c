/* cli_predict.c — exhaust predict and exhaust rank: performance of
 * untrained architectures, from the logged ones nearest to them. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/baseline.h"
#include "exhaust/eval.h"
#include "exhaust/lstm_fit.h"
#include "exhaust/targets.h"
#include "util/file.h"

static const char PREDICT_HELP[] =
    "usage: exhaust predict ARCH... [--store PATH] [--space S] [--dataset D]\n"
    "                       [--method knn|lstm|baseline1|baseline2] [--k K]\n"
    "                       [--target best|overfit|epoch-time|budget=SECONDS]\n"
    "                       [--penalties FILE] [--seed N] [--format table|csv|json]\n"
    "                       [--model FILE | --save-model FILE] [--train-models N] [--quick]\n"
    "                       [--curve] [--out DIR] [--same-stride-indel X] [--quiet]\n"
    "                       [--lstm-variant default|paper]\n\n"
    "Predict how each untrained architecture ARCH (in the space's text form) would\n"
    "do, from the logged models of the store: k-NN averages the curves of the K\n"
    "nearest by edit distance (shown, with distances and weights, so you can see\n"
    "why); the LSTM learns the target from the architecture (trained here on the\n"
    "logged models, 3:1 train:validation, dropout, L2 and learning rate chosen on\n"
    "validation; or loaded with --model); baseline1 takes a random logged model's\n"
    "curve, baseline2 a random one of the closest size.\n\n"
    "  --store PATH     the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --space S        space of the logged runs and of ARCH (default nb201)\n"
    "  --dataset D      dataset of the logged runs (default cifar10-valid)\n"
    "  --method M       knn (default), lstm, baseline1, baseline2\n"
    "  --k K            neighbours (default 5; at most the number of logged models)\n"
    "  --target T       best: best validation value (default); overfit: best train\n"
    "                   minus best validation (losses: the other way round);\n"
    "                   epoch-time: mean seconds per epoch; budget=S: best validation\n"
    "                   value reachable in S seconds of training\n"
    "  --penalties FILE edit-distance penalties as JSON (exhaust fit-penalties writes one)\n"
    "  --same-stride-indel X  convchain: the cost of inserting or deleting a layer of\n"
    "                   the stride around it (default inf: chains of different\n"
    "                   depths are then often infinitely far apart)\n"
    "  --seed N         seed of the baselines' random choice and of the LSTM's\n"
    "                   sample, split and weights (default 1)\n"
    "  --model FILE     lstm: use this trained model (and FILE.json, its description)\n"
    "                   instead of training one; no store needed\n"
    "  --save-model FILE  lstm: keep the model trained here (FILE and FILE.json)\n"
    "  --train-models N lstm: train on at most N logged models (default 1000)\n"
    "  --quick          lstm: the default hyperparameters instead of a grid of 18\n"
    "  --lstm-variant V lstm: default (a token a step, head H-10-1), or paper: the\n"
    "                   prediction paper's LSTM, one embedding a layer and a 100-10-1\n"
    "                   head with a ReLU after each dense layer (a --model file\n"
    "                   keeps the variant it was trained with)\n"
    "  --quiet          lstm: no progress line on stderr while it trains\n"
    "  --format F       table (default), csv or json\n"
    "  --curve          print the predicted validation (and train) curve per epoch\n"
    "                   with each neighbour's curve, distance and weight, one row\n"
    "                   per architecture, series and epoch (knn and baselines)\n"
    "  --out DIR        also write DIR/index.html (a chart of each prediction with\n"
    "                   its neighbours' curves, and their distances and weights)\n"
    "                   and DIR/curves.csv (the rows of --curve)\n\n"
    "examples: exhaust predict 302140 '|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|...|' --k 3\n"
    "          exhaust predict 302140 --method lstm --save-model best.lstm\n"
    "          exhaust predict 102200 444444 --method lstm --model best.lstm\n";

static const char RANK_HELP[] =
    "usage: exhaust rank CANDIDATES_FILE [--budget SECONDS] [--top N] [options of predict]\n\n"
    "Model search among untrained candidates: predict every architecture of\n"
    "CANDIDATES_FILE (one per line in the space's text form; blank lines and lines\n"
    "starting with # are skipped) and print the N best by predicted best\n"
    "validation value, within a training-time budget when one is given, with the\n"
    "neighbours each k-NN prediction rests on.\n\n"
    "  --budget SECONDS training time each candidate may take (default: no limit)\n"
    "  --top N          how many to print (default 10)\n"
    "  (and --store, --space, --dataset, --method, --k, --penalties, --seed, --format,\n"
    "   --model, --save-model, --train-models, --quick, --lstm-variant, --quiet)\n\n"
    "example: exhaust rank candidates.txt --budget 3600 --top 5\n";

typedef struct predict_options {
    const char *command, *store, *space, *dataset, *method, *target, *penalties;
    int k, top, seed;
    double budget;
    output_format format;
    const char *model, *save_model, *out_dir;
    int train_models, quick, curve, quiet;
    int lstm_variant, lstm_variant_given;
    double same_stride_indel; /* NaN: not given */
    exh_targets_spec parsed_target;
} predict_options;

static void predict_options_default(const char *command, predict_options *o)
{
    memset(o, 0, sizeof *o);
    o->command = command;
    o->store = cli_default_store();
    o->space = "nb201";
    o->dataset = "cifar10-valid";
    o->method = "knn";
    o->target = "best";
    o->k = 5;
    o->top = 10;
    o->seed = 1;
    o->budget = INFINITY;
    o->format = OUTPUT_TABLE;
    o->train_models = EXH_LSTM_FIT_DEFAULT_MODELS;
    o->same_stride_indel = NAN;
}

static int check_options(predict_options *o)
{
    static const char *const methods[] = {"knn", "lstm", "baseline1", "baseline2"};
    int known = 0;
    for (int i = 0; i < 4; i++)
        known |= strcmp(o->method, methods[i]) == 0;
    if (!known)
        return cli_usage_error(o->command, "--method is knn, lstm, baseline1 or baseline2");
    if (o->k < 1 || o->top < 1 || !(o->budget > 0) || o->seed < 0 || o->train_models < 4)
        return cli_usage_error(o->command, "--k, --top and --budget must be positive, "
                               "--train-models at least 4");
    int lstm = strcmp(o->method, "lstm") == 0;
    if (!lstm && (o->model || o->save_model || o->quick || o->lstm_variant_given))
        return cli_usage_error(o->command, "--model, --save-model, --quick and --lstm-variant "
                               "go with --method lstm");
    if (o->model && o->lstm_variant_given)
        return cli_usage_error(o->command, "--lstm-variant trains a new model; the --model file "
                               "keeps the variant it was trained with");
    if (lstm && (o->curve || o->out_dir))
        return cli_usage_error(o->command, "--curve and --out go with knn, baseline1 and "
                               "baseline2: the LSTM predicts one value, not a curve");
    if (o->model && o->save_model)
        return cli_usage_error(o->command, "--model uses a trained LSTM, --save-model keeps "
                               "a new one: give one of them");
    exh_error err;
    if (exh_targets_parse(o->target, &o->parsed_target, &err) < 0)
        return cli_usage_error(o->command, "--target: %s", err.message);
    return CLI_OK;
}

static int parse_options(int argc, char **argv, predict_options *o)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},    {"space", required_argument, NULL, 'p'},
        {"dataset", required_argument, NULL, 'd'},  {"method", required_argument, NULL, 'm'},
        {"k", required_argument, NULL, 'k'},        {"target", required_argument, NULL, 't'},
        {"penalties", required_argument, NULL, 'P'}, {"seed", required_argument, NULL, 'S'},
        {"format", required_argument, NULL, 'f'},   {"budget", required_argument, NULL, 'b'},
        {"top", required_argument, NULL, 'n'},      {"model", required_argument, NULL, 'M'},
        {"save-model", required_argument, NULL, 'W'},
        {"train-models", required_argument, NULL, 'T'},
        {"quick", no_argument, NULL, 'q'},          {"curve", no_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},      {"quiet", no_argument, NULL, 'Q'},
        {"same-stride-indel", required_argument, NULL, 'I'},
        {"lstm-variant", required_argument, NULL, 'V'},               {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    int index = -1;
    char option_name[64];
    while ((c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        const char *name = cli_option_name(options, index, argv, option_name, sizeof option_name);
        index = -1;
        char *end = NULL;
        int rc = CLI_OK;
        switch (c) {
        case 's': o->store = optarg; break;
        case 'p': o->space = optarg; break;
        case 'd': o->dataset = optarg; break;
        case 'm': o->method = optarg; break;
        case 't': o->target = optarg; break;
        case 'P': o->penalties = optarg; break;
        case 'M': o->model = optarg; break;
        case 'W': o->save_model = optarg; break;
        case 'q': o->quick = 1; break;
        case 'Q': o->quiet = 1; break;
        case 'c': o->curve = 1; break;
        case 'V':
            if (cli_parse_lstm_variant(o->command, optarg, &o->lstm_variant) != CLI_OK)
                return CLI_USAGE;
            o->lstm_variant_given = 1;
            break;
        case 'o': o->out_dir = optarg; break;
        case 'I':
            if (cli_parse_indel(o->command, optarg, &o->same_stride_indel) != CLI_OK)
                return CLI_USAGE;
            break;
        case 'k': rc = cli_parse_int(o->command, name, optarg, 1, 1000000, &o->k); break;
        case 'S': rc = cli_parse_int(o->command, name, optarg, 0, INT_MAX, &o->seed); break;
        case 'n': rc = cli_parse_int(o->command, name, optarg, 1, INT_MAX, &o->top); break;
        case 'T': rc = cli_parse_int(o->command, name, optarg, 4, 1000000, &o->train_models); break;
        case 'b': o->budget = strtod(optarg, &end); break;
        case 'f':
            if (cli_parse_format(o->command, optarg, &o->format) != CLI_OK)
                return CLI_USAGE;
            break;
        case ':': return cli_usage_error(o->command, "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error(o->command, "unknown option '%s'", argv[optind - 1]);
        }
        if (end && (*end || end == optarg))
            return cli_usage_error(o->command, "%s needs a number, not '%s'", name, optarg);
        if (rc != CLI_OK)
            return rc;
    }
    return check_options(o);
}

static int predict_one(const exh_knn_repository *r, const exh_eval_dataset *d,
                       const predict_options *o, const exh_arch *a, exh_rng *g,
                       exh_knn_prediction *p, exh_error *err)
{
    exh_layer layers[EXH_ARCH_MAX_TOKENS];
    int count = exh_space_layers(d->space, a, layers, EXH_ARCH_MAX_TOKENS);
    if (strcmp(o->method, "baseline1") == 0)
        return exh_baseline_random(r, g, -1, p, err);
    if (strcmp(o->method, "baseline2") == 0)
        return exh_baseline_size(r, g, layers, count, -1, p, err);
    return exh_knn_predict(r, layers, count, o->k, p, err);
}

/* The requested target of a predicted curve. */
static int target_value(const predict_options *o, int higher, const exh_knn_prediction *p,
                        double *value, exh_error *err)
{
    return exh_targets_compute(&o->parsed_target, p->channel[EXH_KNN_VALIDATION],
                               p->channel[EXH_KNN_TRAIN], p->channel[EXH_KNN_EPOCH_SECONDS],
                               p->epochs, higher, value, err);
}

static void neighbours_text(const exh_knn_repository *r, const exh_knn_prediction *p, char *out,
                            size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < p->neighbour_count && used + 1 < size; i++) {
        const exh_knn_neighbour *n = &p->neighbours[i];
        int written = snprintf(out + used, size - used, "%s%s (d=%.3g, w=%.2f)", i ? "; " : "",
                               exh_knn_repository_name(r, n->index), n->distance, n->weight);
        if (written < 0)
            break;
        used += (size_t)written;
    }
}

typedef struct candidate {
    char text[EXH_SPACE_TEXT_MAX];
    double value;
    char why[2048];
} candidate;

/* k-NN and the baselines: predict each architecture's curve, then take the
 * target from it. Failures to parse stop with a message. */
static int predict_by_curves(const predict_options *o, char **texts, int count, candidate *out,
                             int *lower_is_better, curve_output *curves, exh_error *err)
{
    exh_store *s;
    if (cli_open_existing_store(o->command, o->store, &s) != CLI_OK)
        return exh_error_set(err, EXH_ERR_NOT_FOUND, "(see above)");
    exh_eval_dataset *d = NULL;
    exh_knn_repository *r = NULL;
    exh_penalty_table table;
    int rc = exh_eval_dataset_load(s, o->space, o->dataset, &d, err);
    exh_store_close(s);
    if (rc == 0 && cli_penalties(o->command, o->space, o->penalties, o->same_stride_indel,
                                 &table) != CLI_OK)
        rc = exh_error_set(err, EXH_ERR_INVALID, "(see above)");
    if (rc == 0)
        rc = exh_eval_repository(d, &table, &r, err);
    if (rc == 0)
        *lower_is_better =
            exh_targets_lower_is_better(&o->parsed_target, d->metric == EXH_KNN_ACCURACY);
    exh_rng *g = exh_rng_new((uint64_t)o->seed);
    exh_knn_prediction p;
    exh_knn_prediction_init(&p);
    for (int i = 0; rc == 0 && i < count; i++) {
        exh_arch a;
        rc = exh_space_parse(d->space, texts[i], &a, err);
        if (rc == 0)
            rc = predict_one(r, d, o, &a, g, &p, err);
        if (rc == 0)
            rc = target_value(o, d->metric == EXH_KNN_ACCURACY, &p, &out[i].value, err);
        if (rc < 0) {
            exh_error_prefix(err, "'%.60s'", texts[i]);
            break;
        }
        exh_space_format(d->space, &a, out[i].text, sizeof out[i].text);
        neighbours_text(r, &p, out[i].why, sizeof out[i].why);
        if (curves)
            rc = curve_output_add(curves, out[i].text, r, &p, d->metric == EXH_KNN_ACCURACY, err);
    }
    exh_knn_prediction_clear(&p);
    exh_rng_free(g);
    exh_knn_repository_free(r);
    exh_eval_dataset_free(d);
    return rc;
}

/* The LSTM: loaded from --model, or trained on the store's logged models
 * (and kept with --save-model). */
static int lstm_obtain(const predict_options *o, exh_lstm_model **model, exh_lstm_fit_info *info,
                       exh_error *err)
{
    if (o->model) {
        int rc = exh_lstm_fit_load(o->model, model, info, err);
        return rc < 0 ? rc : exh_lstm_fit_check(info, o->model, o->space, &o->parsed_target, err);
    }
    exh_store *s;
    if (cli_open_existing_store(o->command, o->store, &s) != CLI_OK)
        return exh_error_set(err, EXH_ERR_NOT_FOUND, "(see above)");
    exh_eval_dataset *d = NULL;
    int rc = exh_eval_dataset_load(s, o->space, o->dataset, &d, err);
    exh_store_close(s);
    exh_lstm_fit_options options;
    exh_lstm_fit_options_default(&options);
    options.target = o->parsed_target;
    options.max_models = o->train_models;
    options.seed = (uint64_t)o->seed;
    options.grid = !o->quick;
    options.variant = o->lstm_variant;
    if (rc == 0) {
        fprintf(stderr, "exhaust %s: training the LSTM for %s on %d of %d logged models "
                "(%s)...\n", o->command, o->target,
                o->train_models < d->count ? o->train_models : d->count, d->count,
                o->quick ? "default hyperparameters" : "a grid of 18 settings; --quick for one");
        progress_printer progress;
        cli_progress_start(&progress, o->command, o->quiet);
        options.progress = progress_callback(&progress);
        rc = exh_lstm_fit(d, o->dataset, &options, model, info, err);
        progress_finish(&progress);
    }
    exh_eval_dataset_free(d);
    if (rc == 0 && o->save_model)
        rc = exh_lstm_fit_save(*model, info, o->save_model, err);
    return rc;
}

static int predict_by_lstm(const predict_options *o, char **texts, int count, candidate *out,
                           int *lower_is_better, exh_error *err)
{
    exh_lstm_model *model = NULL;
    exh_lstm_fit_info info;
    exh_space *sp = NULL;
    exh_arch *archs = malloc(sizeof *archs * (size_t)count);
    double *values = malloc(sizeof *values * (size_t)count);
    int rc = archs && values ? exh_space_open(o->space, &sp, err)
                             : exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    for (int i = 0; rc == 0 && i < count; i++) /* bad input first, before any training */
        if ((rc = exh_space_parse(sp, texts[i], &archs[i], err)) < 0)
            exh_error_prefix(err, "'%.60s'", texts[i]);
    if (rc == 0)
        rc = lstm_obtain(o, &model, &info, err);
    if (rc == 0 && (rc = exh_lstm_predict(model, archs, count, values, err)) < 0)
        exh_error_prefix(err, "the LSTM cannot read these architectures");
    for (int i = 0; rc == 0 && i < count; i++) {
        out[i].value = values[i];
        exh_space_format(sp, &archs[i], out[i].text, sizeof out[i].text);
        exh_lstm_fit_describe(&info, out[i].why, sizeof out[i].why);
    }
    if (rc == 0)
        *lower_is_better = info.lower_is_better;
    exh_lstm_free(model);
    exh_space_free(sp);
    free(archs);
    free(values);
    return rc;
}

static int predict_all(const predict_options *o, char **texts, int count, candidate *out,
                       int *lower_is_better, curve_output *curves, exh_error *err)
{
    if (strcmp(o->method, "lstm") == 0)
        return predict_by_lstm(o, texts, count, out, lower_is_better, err);
    return predict_by_curves(o, texts, count, out, lower_is_better, curves, err);
}

/* One row per architecture; `ranked` (exhaust rank) puts its place first. */
static void print_candidates(const predict_options *o, const candidate *c, int count,
                             int ranked)
{
    static const char *const columns[] = {"rank", "arch", "method", "target", "value",
                                          "neighbours"};
    output_table *t = output_begin(stdout, o->format, ranked ? 6 : 5, columns + !ranked);
    for (int i = 0; i < count; i++) {
        if (ranked)
            output_integer(t, i + 1);
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
    predict_options o;
    predict_options_default("predict", &o);
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    if (optind >= argc)
        return cli_usage_error("predict", "give at least one architecture");
    int count = argc - optind;
    candidate *c = calloc((size_t)count, sizeof *c);
    exh_error err;
    int lower_is_better;
    curve_output *curves = NULL;
    if (o.curve || o.out_dir) {
        if (curve_output_open("predict", o.format, o.curve, o.out_dir, &curves) != CLI_OK) {
            free(c);
            return CLI_FAILED;
        }
    }
    rc = c ? predict_all(&o, argv + optind, count, c, &lower_is_better, curves, &err)
           : EXH_ERR_NOMEM;
    if (rc == 0 && !o.curve)
        print_candidates(&o, c, count, 0);
    else if (rc < 0 && c)
        cli_error("predict", "%s", err.message);
    if (curve_output_close("predict", curves, rc < 0) != CLI_OK)
        rc = EXH_ERR_IO;
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
            return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
        *lines = grown;
        (*lines)[(*count)++] = p;
    }
    if (rc == 0 && *count == 0)
        rc = exh_error_set(err, EXH_ERR_INVALID, "%s: no candidate architectures", path);
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
    predict_options o;
    predict_options_default("rank", &o);
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    if (optind != argc - 1)
        return cli_usage_error("rank", "give one CANDIDATES_FILE");
    char budget_target[64];
    if (isfinite(o.budget)) {
        snprintf(budget_target, sizeof budget_target, "budget=%.17g", o.budget);
        o.target = budget_target;
        o.parsed_target.kind = EXH_TARGETS_BUDGET;
        o.parsed_target.budget_seconds = o.budget;
    }
    exh_error err;
    char **lines, *data = NULL;
    int count;
    candidate *c = NULL;
    rc = read_candidates(argv[optind], &lines, &count, &data, &err);
    if (rc == 0 && !(c = calloc((size_t)count, sizeof *c)))
        rc = exh_error_set(&err, EXH_ERR_NOMEM, "out of memory");
    int lower_is_better = 0;
    if (rc == 0)
        rc = predict_all(&o, lines, count, c, &lower_is_better, NULL, &err);
    if (rc == 0) {
        qsort(c, (size_t)count, sizeof *c,
              lower_is_better ? compare_ascending : compare_descending);
        print_candidates(&o, c, count < o.top ? count : o.top, 1);
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
