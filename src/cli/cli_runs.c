/* cli_runs.c — exhaust runs: list the runs in a store. */
#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"

static const char HELP[] =
    "usage: exhaust runs [--store PATH] [--space S] [--dataset D] [--status ST]\n"
    "                    [--arch A] [--limit N] [--format csv|json|table]\n\n"
    "List the runs in a store, one row each: id, key, space, dataset, seed,\n"
    "status, epoch rows, architecture.\n\n"
    "  --store PATH    the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --space S       only runs of space S (nb201, convchain, graph, dense:FILE)\n"
    "  --dataset D     only runs on dataset D (e.g. cifar10-valid)\n"
    "  --status ST     only runs with this status (ok, or a failure text)\n"
    "  --arch A        only runs of this architecture (canonical text form)\n"
    "  --limit N       at most N rows\n"
    "  --format F      table (default), csv or json\n\n"
    "example: exhaust runs --space nb201 --dataset cifar10-valid --limit 5 --format csv\n";

typedef struct runs_listing {
    output_table *table;
    exh_store *store;
} runs_listing;


static int list_one(const exh_run *r, void *context)
{
    runs_listing *listing = context;
    output_table *t = listing->table;
    output_integer(t, r->id);
    output_text(t, r->key);
    output_text(t, r->space);
    output_text(t, r->dataset);
    if (r->has_seed)
        output_integer(t, r->seed);
    else
        output_text(t, NULL);
    output_text(t, r->status);
    output_integer(t, (long long)r->epoch_count);
    output_text(t, r->arch);
    output_end_row(t);
    return 0;
}

static int parse_options(int argc, char **argv, exh_run_filter *filter, const char **store_path,
                         output_format *format)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},   {"space", required_argument, NULL, 'p'},
        {"dataset", required_argument, NULL, 'd'}, {"status", required_argument, NULL, 't'},
        {"arch", required_argument, NULL, 'a'},    {"limit", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},  {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        long long limit;
        switch (c) {
        case 's': *store_path = optarg; break;
        case 'p': filter->space = optarg; break;
        case 'd': filter->dataset = optarg; break;
        case 't': filter->status = optarg; break;
        case 'a': filter->arch = optarg; break;
        case 'l':
            if (cli_parse_integer("runs", "--limit", optarg, 1, INT64_MAX, &limit) != CLI_OK)
                return CLI_USAGE;
            filter->limit = limit;
            break;
        case 'f':
            if (cli_parse_format("runs", optarg, format) != CLI_OK)
                return CLI_USAGE;
            break;
        case ':': return cli_usage_error("runs", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("runs", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("runs", "unexpected argument '%s'", argv[optind]);
    return CLI_OK;
}

static int runs_main(int argc, char **argv)
{
    exh_run_filter filter = {0};
    filter.with_epochs = 1; /* for the epoch count column */
    const char *store_path = cli_default_store();
    output_format format = OUTPUT_TABLE;
    int rc = parse_options(argc, argv, &filter, &store_path, &format);
    if (rc != CLI_OK)
        return rc;
    exh_store *s;
    if (cli_open_existing_store("runs", store_path, &s) != CLI_OK)
        return CLI_FAILED;
    static const char *const columns[] = {"id",     "key",    "space",  "dataset",
                                          "seed",   "status", "epochs", "arch"};
    runs_listing listing = {output_begin(stdout, format, 8, columns), s};
    exh_error err;
    rc = exh_store_each_run(s, &filter, list_one, &listing, &err);
    output_end(listing.table);
    exh_store_close(s);
    if (rc < 0) {
        cli_error("runs", "%s", err.message);
        return CLI_FAILED;
    }
    return CLI_OK;
}

const cli_command cli_runs_command = {"runs", "list the runs in a store", HELP, runs_main};
