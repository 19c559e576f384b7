/* cli_fit.c — exhaust fit-penalties: learn edit-distance penalties from logs. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/eval.h"

static const char HELP[] =
    "usage: exhaust fit-penalties --out FILE [--store PATH] [--space S] [--dataset D]\n"
    "                             [--k K] [--rounds N] [--seed N] [--start FILE] [--quiet]\n\n"
    "Choose the edit-distance penalty table that makes k-NN predict the logged\n"
    "models best: coordinate descent over the table's finite entries, scored by\n"
    "the leave-one-out error of each model's best validation value. Prints the\n"
    "error before and after and writes the table as JSON, for\n"
    "'exhaust predict --penalties FILE'. (The published convchain table and the\n"
    "nb201 defaults are hand-made; measure what fitting gains with\n"
    "'exhaust eval --fit-penalties'.)\n\n"
    "  --out FILE       where to write the fitted table (JSON)\n"
    "  --store PATH     the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --space S        space of the runs (default nb201)\n"
    "  --dataset D      dataset of the runs (default cifar10-valid)\n"
    "  --k K            neighbours (default 5)\n"
    "  --rounds N       coordinate-descent rounds (default 4)\n"
    "  --seed N         seed for the visiting order and subsampling (default 1)\n"
    "  --start FILE     start from this table (default: the space's defaults)\n"
    "  --quiet          no progress line on stderr (entries tried, time left)\n\n"
    "example: exhaust fit-penalties --space graph --dataset wikitext-2 --out nlp.json\n";

static int fit_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},     {"store", required_argument, NULL, 's'},
        {"space", required_argument, NULL, 'p'},   {"dataset", required_argument, NULL, 'd'},
        {"k", required_argument, NULL, 'k'},       {"rounds", required_argument, NULL, 'r'},
        {"seed", required_argument, NULL, 'S'},    {"start", required_argument, NULL, 'b'},
        {"quiet", no_argument, NULL, 'q'},         {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *store_path = cli_default_store(), *space_name = "nb201",
               *dataset = "cifar10-valid", *start = NULL;
    int quiet = 0;
    exh_penalties_fit_options fit;
    exh_penalties_fit_options_default(&fit);
    int c;
    opterr = 0;
    int index = -1;
    char option_name[64];
    while ((c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        const char *name = cli_option_name(options, index, argv, option_name, sizeof option_name);
        index = -1;
        int rc = CLI_OK;
        switch (c) {
        case 'o': out = optarg; break;
        case 's': store_path = optarg; break;
        case 'p': space_name = optarg; break;
        case 'd': dataset = optarg; break;
        case 'b': start = optarg; break;
        case 'q': quiet = 1; break;
        case 'k': rc = cli_parse_int("fit-penalties", name, optarg, 1, 1000000, &fit.k); break;
        case 'r': rc = cli_parse_int("fit-penalties", name, optarg, 1, 1000000, &fit.rounds); break;
        case 'S': rc = cli_parse_seed("fit-penalties", name, optarg, &fit.seed); break;
        case ':': return cli_usage_error("fit-penalties", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("fit-penalties", "unknown option '%s'", argv[optind - 1]);
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (!out)
        return cli_usage_error("fit-penalties", "give --out FILE for the fitted table");
    if (fit.k < 1 || fit.rounds < 1)
        return cli_usage_error("fit-penalties", "--k and --rounds must be positive");
    exh_store *s;
    if (cli_open_existing_store("fit-penalties", store_path, &s) != CLI_OK)
        return CLI_FAILED;
    exh_error err;
    exh_eval_dataset *d = NULL;
    exh_knn_repository *r = NULL;
    exh_penalty_table table;
    exh_penalties_fit_result result;
    int rc = exh_eval_dataset_load(s, space_name, dataset, &d, &err);
    exh_store_close(s);
    if (rc == 0)
        rc = start ? exh_penalties_load(start, &table, &err)
                   : exh_penalties_for_space(d->space, &table, &err);
    if (rc == 0)
        rc = exh_eval_repository(d, &table, &r, &err);
    progress_printer progress;
    cli_progress_start(&progress, "fit-penalties", quiet);
    fit.progress = progress_callback(&progress);
    if (rc == 0)
        rc = exh_penalties_fit(r, &fit, &table, &result, &err);
    progress_finish(&progress);
    if (rc == 0)
        rc = exh_penalties_save(out, &table, &err);
    if (rc == 0)
        printf("%s\nleave-one-out %d-NN error of the best validation value over %d models: "
               "%.4f -> %.4f (%d tables scored)\nfitted table: %s\n",
               d->description, fit.k, result.models, result.initial_error, result.final_error,
               result.evaluations, out);
    else
        cli_error("fit-penalties", "%s", err.message);
    exh_knn_repository_free(r);
    exh_eval_dataset_free(d);
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

const cli_command cli_fit_penalties_command = {"fit-penalties",
                                               "fit edit-distance penalties to logged models",
                                               HELP, fit_main};
