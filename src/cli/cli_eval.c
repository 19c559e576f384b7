/* cli_eval.c — exhaust eval: how good the predictions are, on logged data. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/eval.h"
#include "exhaust/lstm.h"
#include "exhaust/report_eval.h"

static const char HELP[] =
    "usage: exhaust eval [--store PATH] [--space S] [--dataset D] [--models M]\n"
    "                    [--repeats R] [--top3-repeats R] [--seed N]\n"
    "                    [--budgets B1,B2] [--no-partial] [--no-lstm] [--fit-penalties]\n"
    "                    [--lstm-variant default|paper]\n"
    "                    [--partial-epochs E] [--csv PATH]\n"
    "                    [--train-sizes N1,N2,...] [--sizes-csv PATH] [--out DIR]\n"
    "                    [--penalties FILE] [--same-stride-indel X] [--threads N]\n"
    "                    [--quiet]\n\n"
    "Evaluate the predictors on logged models: R times, sample M models, split\n"
    "them 3:1:1, predict the test models from the others (baselines, 1/3/5-NN),\n"
    "and report the mean absolute error of the best validation value and of the\n"
    "degree of overfitting, Kendall's tau and Spearman's rho, a noise floor (one\n"
    "seed predicted by another), and top-3 selection under two training-time\n"
    "budgets. The LSTM is trained on each split's train models and tuned on its\n"
    "validation models. Prints markdown; --csv also writes the numbers as CSV.\n\n"
    "  --store PATH       the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --space S          space of the runs (default nb201; graph for NAS-Bench-NLP)\n"
    "  --dataset D        dataset of the runs (default cifar10-valid; wikitext-2)\n"
    "  --models M         models a split (default 122)\n"
    "  --repeats R        splits for the error table (default 10)\n"
    "  --top3-repeats R   splits for top-3 selection (default 50; 0: none)\n"
    "  --seed N           random seed (default 1); same seed, same tables\n"
    "  --budgets B1,B2    budgets in seconds (default: the 30th and 60th percentile\n"
    "                     of the models' total training time)\n"
    "  --no-partial       leave out the 5-NN+partial method (12-epoch logs)\n"
    "  --no-lstm          leave out the LSTM (trained and tuned anew for each split)\n"
    "  --lstm-variant V   default (a token a step, head H-10-1), or paper: the\n"
    "                     prediction paper's LSTM, one embedding a layer and a\n"
    "                     100-10-1 head with a ReLU after each dense layer (rows\n"
    "                     \"LSTM paper\"; include/exhaust/lstm.h)\n"
    "  --partial-epochs E the partial log of each model is its best validation value\n"
    "                     over its first E epochs (for whole curves, e.g. NAS-Bench-NLP;\n"
    "                     default: NB201's 12-epoch runs where they exist)\n"
    "  --penalties FILE   edit-distance penalties as JSON (exhaust fit-penalties)\n"
    "  --same-stride-indel X  convchain: cost of inserting or deleting a layer of the\n"
    "                     stride around it (default inf)\n"
    "  --fit-penalties    fit the edit-distance penalties to each split's\n"
    "                     train+validation models (leave-one-out k-NN error)\n"
    "  --csv PATH         also write the table as CSV\n"
    "  --train-sizes LIST also rank a held-out test set from growing numbers of\n"
    "                     logged models (e.g. 10,20,40,73,150,300): Kendall's tau,\n"
    "                     Spearman, precision@10 and error per method, with the GP\n"
    "                     and an ensemble of 5-NN, GP and LSTM (R repeats)\n"
    "  --sizes-csv PATH   write that table as CSV (method, train_models, ...)\n"
    "  --out DIR          write DIR/predictions.csv (every test model's predicted and\n"
    "                     true values per method and split), DIR/eval.csv and\n"
    "                     DIR/index.html (the table, predicted-vs-true scatter per\n"
    "                     method, a few predicted and logged curves)\n"
    "  --threads N        threads for the LSTM trainings (default: one per core);\n"
    "                     the same tables for any number\n"
    "  --quiet            no progress line on stderr (splits done, time left)\n\n"
    "example: exhaust eval --store out/exhaust.db --space graph --dataset wikitext-2\n";

typedef struct eval_cli_options {
    exh_eval_options eval;
    const char *store, *space, *dataset, *csv, *sizes_csv, *out_dir, *penalties;
    double same_stride_indel; /* NaN: not given */
    exh_penalty_table table;      /* what --penalties and --same-stride-indel make */
    int partial_epochs, quiet;
    exh_eval_size_options sizes; /* size_count 0: no training-size table */
} eval_cli_options;

static int parse_count(const char *option, const char *text, int smallest, int *out)
{
    return cli_parse_int("eval", option, text, smallest, 1000000, out);
}

static int parse_budgets(const char *text, double *budgets)
{
    char *end;
    budgets[0] = strtod(text, &end);
    if (*end == ',')
        budgets[1] = strtod(end + 1, &end);
    if (*end || !(budgets[0] > 0) || !(budgets[1] > 0))
        return cli_usage_error("eval", "--budgets needs two positive numbers, e.g. 3600,7200");
    return CLI_OK;
}

static int parse_sizes(const char *text, exh_eval_size_options *o)
{
    o->size_count = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 2 || n > 1000000 || o->size_count == EXH_EVAL_MAX_SIZES ||
            (o->size_count > 0 && n <= o->sizes[o->size_count - 1]) || (*end && *end != ','))
            return cli_usage_error("eval", "--train-sizes needs up to %d increasing integers "
                                           ">= 2 separated by commas, not '%s'",
                                   EXH_EVAL_MAX_SIZES, text);
        o->sizes[o->size_count++] = (int)n;
        p = *end ? end + 1 : end;
    }
    return o->size_count ? CLI_OK : cli_usage_error("eval", "--train-sizes needs a list");
}

static int parse_options(int argc, char **argv, eval_cli_options *o)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},   {"space", required_argument, NULL, 'p'},
        {"dataset", required_argument, NULL, 'd'}, {"models", required_argument, NULL, 'm'},
        {"repeats", required_argument, NULL, 'r'}, {"top3-repeats", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 'S'},    {"budgets", required_argument, NULL, 'b'},
        {"no-partial", no_argument, NULL, 'n'},    {"csv", required_argument, NULL, 'c'},
        {"fit-penalties", no_argument, NULL, 'f'}, {"no-lstm", no_argument, NULL, 'L'},
        {"partial-epochs", required_argument, NULL, 'E'},
        {"train-sizes", required_argument, NULL, 'z'}, {"sizes-csv", required_argument, NULL, 'Z'},
        {"out", required_argument, NULL, 'o'},
        {"penalties", required_argument, NULL, 'P'},
        {"same-stride-indel", required_argument, NULL, 'I'},
        {"lstm-variant", required_argument, NULL, 'V'},
        {"quiet", no_argument, NULL, 'q'},
        {"threads", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    int c, rc = CLI_OK, seed;
    opterr = 0;
    int index = -1;
    char option_name[64];
    while (rc == CLI_OK && (c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        const char *name = cli_option_name(options, index, argv, option_name, sizeof option_name);
        index = -1;
        switch (c) {
        case 's': o->store = optarg; break;
        case 'p': o->space = optarg; break;
        case 'd': o->dataset = optarg; break;
        case 'c': o->csv = optarg; break;
        case 'n': o->eval.use_partial = 0; break;
        case 'f': o->eval.fit_penalties = 1; break;
        case 'L': o->eval.use_lstm = 0; break;
        case 'q': o->quiet = 1; break;
        case 'm': rc = parse_count(name, optarg, 1, &o->eval.models); break;
        case 'r': rc = parse_count(name, optarg, 1, &o->eval.repeats); break;
        case 't': rc = parse_count(name, optarg, 0, &o->eval.top3_repeats); break;
        case 'S':
            rc = parse_count(name, optarg, 1, &seed);
            o->eval.seed = (uint64_t)seed;
            break;
        case 'b': rc = parse_budgets(optarg, o->eval.budgets); break;
        case 'E': rc = parse_count(name, optarg, 1, &o->partial_epochs); break;
        case 'z': rc = parse_sizes(optarg, &o->sizes); break;
        case 'Z': o->sizes_csv = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case 'P': o->penalties = optarg; break;
        case 'I': rc = cli_parse_indel("eval", optarg, &o->same_stride_indel); break;
        case 'V': rc = cli_parse_lstm_variant("eval", optarg, &o->eval.lstm_variant); break;
        case 'T': rc = cli_parse_int("eval", name, optarg, 1, 64, &o->eval.threads); break;
        case ':': return cli_usage_error("eval", "%s needs a value", name);
        default: return cli_usage_error("eval", "unknown option '%s'", name);
        }
    }
    if (rc == CLI_OK && optind < argc)
        return cli_usage_error("eval", "unexpected argument '%s'", argv[optind]);
    if (rc == CLI_OK && o->sizes_csv && o->sizes.size_count == 0)
        return cli_usage_error("eval", "--sizes-csv goes with --train-sizes");
    return rc;
}

/* Write a table as CSV to path; 0 or EXH_ERR_IO (said). */
static int write_csv_file(const char *path, void (*write)(const void *, FILE *),
                          const void *result)
{
    FILE *csv = fopen(path, "w");
    if (!csv) {
        cli_error("eval", "%s: cannot write", path);
        return EXH_ERR_IO;
    }
    write(result, csv);
    return fclose(csv) == 0 ? 0 : (cli_error("eval", "%s: write failed", path), EXH_ERR_IO);
}

static void write_table_csv(const void *r, FILE *out)
{
    exh_eval_write_csv(r, out);
}

static void write_sizes_csv(const void *r, FILE *out)
{
    exh_eval_write_sizes_csv(r, out);
}

/* The training-size table, when asked for. */
static int run_sizes(const eval_cli_options *o, const exh_eval_dataset *d)
{
    exh_eval_size_options sizes = o->sizes;
    sizes.repeats = o->eval.repeats;
    sizes.seed = o->eval.seed;
    sizes.use_lstm = o->eval.use_lstm;
    sizes.lstm_variant = o->eval.lstm_variant;
    sizes.penalties = o->eval.penalties;
    progress_printer progress; /* its own line: the error table came out in between */
    cli_progress_start(&progress, "eval", o->quiet);
    sizes.progress = progress_callback(&progress);
    exh_eval_size_result *result = malloc(sizeof *result);
    exh_error err;
    int rc = result ? exh_eval_train_sizes(d, &sizes, result, &err)
                    : exh_error_set(&err, EXH_ERR_NOMEM, "out of memory");
    progress_finish(&progress);
    if (rc == 0) {
        exh_eval_write_sizes_markdown(d, result, stdout);
        printf("(%.1f s)\n", result->seconds);
        if (o->sizes_csv)
            rc = write_csv_file(o->sizes_csv, write_sizes_csv, result);
    } else {
        cli_error("eval", "%s", err.message);
    }
    free(result);
    return rc;
}

static int eval_main(int argc, char **argv)
{
    eval_cli_options o = {.store = cli_default_store(), .space = "nb201",
                          .dataset = "cifar10-valid", .same_stride_indel = NAN};
    exh_eval_options_default(&o.eval);
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    if (o.penalties || !isnan(o.same_stride_indel)) {
        rc = cli_penalties("eval", o.space, o.penalties, o.same_stride_indel, &o.table);
        if (rc != CLI_OK)
            return rc;
        o.eval.penalties = &o.table;
    }
    exh_store *s;
    if (cli_open_existing_store("eval", o.store, &s) != CLI_OK)
        return CLI_FAILED;
    exh_error err;
    exh_eval_dataset *d = NULL;
    exh_eval_result result = {0};
    rc = exh_eval_dataset_load(s, o.space, o.dataset, &d, &err);
    exh_store_close(s);
    if (rc == 0 && o.partial_epochs > 0)
        rc = exh_eval_dataset_partial_from_epochs(d, o.partial_epochs, &err);
    o.eval.keep_predictions = o.out_dir != NULL;
    if (rc == 0 && o.out_dir && cli_make_directory("eval", o.out_dir) != CLI_OK)
        rc = exh_error_set(&err, EXH_ERR_IO, "(see above)");
    progress_printer progress;
    cli_progress_start(&progress, "eval", o.quiet);
    o.eval.progress = progress_callback(&progress);
    if (rc == 0)
        rc = exh_eval_run(d, &o.eval, &result, &err);
    progress_finish(&progress);
    if (rc == 0 && o.out_dir)
        rc = exh_report_eval_write(d, &o.eval, &result, o.out_dir, &err);
    if (rc == 0) {
        exh_eval_write_markdown(d, &o.eval, &result, stdout);
        printf("(%.1f s)\n", result.seconds);
        if (o.csv)
            rc = write_csv_file(o.csv, write_table_csv, &result);
        if (rc == 0 && o.sizes.size_count > 0)
            rc = run_sizes(&o, d);
    } else {
        cli_error("eval", "%s", err.message);
    }
    exh_eval_result_clear(&result);
    exh_eval_dataset_free(d);
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

const cli_command cli_eval_command = {"eval", "evaluate the predictors on logged models", HELP,
                                      eval_main};
