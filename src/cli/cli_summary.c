/* cli_summary.c — exhaust summary: what a store holds. */
#include <getopt.h>
#include <stdlib.h>

#include "cli/cli.h"

static const char HELP[] =
    "usage: exhaust summary [--store PATH] [--format table|csv|json]\n\n"
    "Count the runs and epoch rows in a store by space, dataset and status,\n"
    "with a total row.\n\n"
    "  --store PATH    the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --format F      table (default), csv or json\n\n"
    "example: exhaust summary --store out/exhaust.db\n";

static int summary_main(int argc, char **argv)
{
    const char *store_path;
    output_format format;
    int status = cli_parse_store_and_format("summary", argc, argv, &store_path, &format);
    if (status != CLI_OK)
        return status;
    if (optind < argc)
        return cli_usage_error("summary", "unexpected argument '%s'", argv[optind]);
    exh_store *s;
    if (cli_open_existing_store("summary", store_path, &s) != CLI_OK)
        return CLI_FAILED;
    exh_store_group_count *groups;
    int group_count;
    exh_error err;
    int rc = exh_store_summary(s, &groups, &group_count, &err);
    exh_store_close(s);
    if (rc < 0) {
        cli_error("summary", "%s", err.message);
        return CLI_FAILED;
    }
    static const char *const columns[] = {"space", "dataset", "status", "runs", "epoch_rows"};
    output_table *t = output_begin(stdout, format, 5, columns);
    long long runs = 0, epochs = 0;
    for (int i = 0; i < group_count; i++) {
        output_text(t, groups[i].space);
        output_text(t, groups[i].dataset);
        output_text(t, groups[i].status);
        output_integer(t, groups[i].runs);
        output_integer(t, groups[i].epochs);
        output_end_row(t);
        runs += groups[i].runs;
        epochs += groups[i].epochs;
    }
    output_text(t, "total");
    output_text(t, NULL);
    output_text(t, NULL);
    output_integer(t, runs);
    output_integer(t, epochs);
    output_end_row(t);
    output_end(t);
    exh_store_summary_free(groups, group_count);
    return CLI_OK;
}

const cli_command cli_summary_command = {"summary", "count what a store holds", HELP,
                                         summary_main};
