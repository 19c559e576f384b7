/* cli_ingest.c — exhaust ingest: read logs into the store. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exhaust/ingest.h"
#include "exhaust/space.h"

static const char HELP[] =
    "usage: exhaust ingest PATH... [--store PATH] [--format F] [--strict]\n"
    "                      [--space S] [--arch A] [--dataset D] [--run-key K]\n"
    "                      [--tag-map MAP] [--quiet]\n\n"
    "Read training logs into the store. A PATH that is a folder is walked for\n"
    "files in a known format (others are skipped). All files go in one\n"
    "transaction: if the ingest fails, the store is left exactly as before.\n"
    "Ingesting the same run again (same key) replaces it.\n\n"
    "  --store PATH    the store (default exhaust.db or $EXHAUST_STORE); created if missing\n"
    "  --format F      auto (default: from name and first line), jsonl, csv,\n"
    "                  keras-csv, tfevents, nb201, nb201-epochs, nlp (docs/formats.md)\n"
    "  --strict        stop at the first bad record (default: skip it, count it,\n"
    "                  and print its file:line and what is wrong)\n"
    "  --space S       space of the runs in files that do not say (keras-csv, tfevents)\n"
    "  --arch A        architecture of those runs, in the space's text form\n"
    "  --dataset D     dataset of those runs\n"
    "  --run-key K     key for a single-run file (default: from its path)\n"
    "  --tag-map MAP   TensorBoard tags to metrics, tried before the defaults:\n"
    "                  'val_accuracy=my_val_acc|val_top1,train_loss=loss_total'\n"
    "  --quiet         no progress on stderr\n\n"
    "example: exhaust ingest ../shared/data --store runs.db\n"
    "         exhaust ingest log.csv --format keras-csv --space nb201 --arch 302141\n";

typedef struct ingest_cli_options {
    exh_ingest_options ingest;
    const char *store_path;
    int quiet;
} ingest_cli_options;

/* After each file: the runs so far and the file (its name as it came:
 * control bytes escaped). */
static void show_progress(const char *path, int64_t runs, void *context)
{
    char shown[256];
    progress_update(context, "runs", runs, 0, cli_printable(path, shown, sizeof shown));
}

/* --space and --arch apply to every run of a keras-csv or tfevents file: a
 * wrong one is a usage error now, not one skipped record per run later. */
static int check_space_and_arch(const exh_ingest_options *o)
{
    if (!o->space)
        return CLI_OK; /* a sidecar may name the space of --arch */
    exh_space *s;
    exh_error err;
    if (exh_space_open(o->space, &s, &err) < 0)
        return cli_usage_error("ingest", "--space %s: %s", o->space, err.message);
    exh_arch a;
    int rc = o->arch && exh_space_parse(s, o->arch, &a, &err) < 0
                 ? cli_usage_error("ingest", "--arch is not an architecture of %s: %s", o->space,
                                   err.message)
                 : CLI_OK;
    exh_space_free(s);
    return rc;
}

static int parse_options(int argc, char **argv, ingest_cli_options *o)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},   {"format", required_argument, NULL, 'f'},
        {"strict", no_argument, NULL, 'x'},        {"space", required_argument, NULL, 'p'},
        {"arch", required_argument, NULL, 'a'},    {"dataset", required_argument, NULL, 'd'},
        {"run-key", required_argument, NULL, 'k'}, {"tag-map", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},         {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        exh_error err;
        switch (c) {
        case 's': o->store_path = optarg; break;
        case 'f':
            if (exh_ingest_format_parse(optarg, &o->ingest.format, &err) < 0)
                return cli_usage_error("ingest", "%s", err.message);
            break;
        case 'x': o->ingest.strict = 1; break;
        case 'p': o->ingest.space = optarg; break;
        case 'a': o->ingest.arch = optarg; break;
        case 'd': o->ingest.dataset = optarg; break;
        case 'k': o->ingest.run_key = optarg; break;
        case 't': o->ingest.tag_map = optarg; break;
        case 'q': o->quiet = 1; break;
        case ':': return cli_usage_error("ingest", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("ingest", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("ingest", "give at least one file or folder to ingest");
    return check_space_and_arch(&o->ingest);
}

static void print_report(const exh_ingest_stats *stats, double seconds)
{
    printf("ingested %lld runs (%lld epoch rows) from %lld files in %.2f s",
           (long long)stats->runs, (long long)stats->epochs, (long long)stats->files, seconds);
    if (stats->skipped)
        printf("; skipped %lld bad records:", (long long)stats->skipped);
    printf("\n");
    char shown[4 * EXH_ERROR_MESSAGE_SIZE];
    for (int i = 0; i < stats->message_count; i++) /* they quote the logs: escaped */
        printf("  skipped: %s\n", cli_printable(stats->messages[i], shown, sizeof shown));
    if (stats->skipped > stats->message_count)
        printf("  ... and %lld more\n", (long long)(stats->skipped - stats->message_count));
    if (stats->without_arch > 0) /* stored, but of no use to predict or search: say so */
        fprintf(stderr, "exhaust ingest: warning: %lld of the runs have no architecture (their "
                        "logs do not name one): give --space and --arch, or a sidecar "
                        "FILE.json beside each log, to predict from them\n",
                (long long)stats->without_arch);
}

static int ingest_main(int argc, char **argv)
{
    ingest_cli_options o = {.store_path = cli_default_store()};
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    progress_printer progress;
    cli_progress_start(&progress, "ingest", o.quiet);
    if (progress.stream) {
        o.ingest.progress = show_progress;
        o.ingest.progress_context = &progress;
    }
    exh_store *s;
    exh_error err;
    if (exh_store_open(o.store_path, &s, &err) < 0) {
        cli_error("ingest", "%s", err.message);
        return CLI_FAILED;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    exh_ingest_stats stats;
    memset(&stats, 0, sizeof stats);
    rc = exh_ingest_paths(s, (const char *const *)argv + optind, argc - optind, &o.ingest, &stats,
                          &err);
    clock_gettime(CLOCK_MONOTONIC, &end);
    exh_store_close(s);
    progress_finish(&progress);
    if (rc < 0) {
        cli_error("ingest", "%s", err.message);
        cli_error("ingest", "nothing was stored: %s is as it was before", o.store_path);
        return CLI_FAILED;
    }
    print_report(&stats, (double)(end.tv_sec - start.tv_sec) +
                             (double)(end.tv_nsec - start.tv_nsec) / 1e9);
    return CLI_OK;
}

const cli_command cli_ingest_command = {"ingest", "read training logs into the store", HELP,
                                        ingest_main};
