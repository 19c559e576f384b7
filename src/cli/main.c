/* main.c — the exhaust command: dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/version.h"


static const cli_command *const commands[] = {
    &cli_ingest_command,
    &cli_runs_command,
    &cli_show_command,
    &cli_summary_command,
    &cli_search_command,
    &cli_predict_command,
    &cli_rank_command,
    &cli_eval_command,
    &cli_fit_penalties_command,
    &cli_analyze_command,
    &cli_repo_command,
};
#define COMMAND_COUNT (int)(sizeof commands / sizeof commands[0])

static void print_overview(FILE *stream)
{
    fprintf(stream,
            "exhaust — turn training logs into architecture-search decisions\n\n"
            "usage: exhaust COMMAND [OPTIONS]\n"
            "       exhaust COMMAND --help     (or: exhaust help COMMAND)\n"
            "       exhaust --version\n\n"
            "commands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++)
        fprintf(stream, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(stream, "\nEvery command takes --store PATH (default exhaust.db or $EXHAUST_STORE).\n"
                    "Exit status: 0 ok, 1 failed, 2 bad usage.\n");
}

static const cli_command *find_command(const char *name)
{
    for (int i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("exhaust %s\n", exh_version());
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            print_overview(stdout);
            return CLI_OK;
        }
        const cli_command *command = find_command(argv[2]);
        if (!command)
            return cli_usage_error("help", "unknown command '%s'", argv[2]);
        fputs(command->help, stdout);
        return CLI_OK;
    }
    const cli_command *command = find_command(name);
    if (!command) {
        fprintf(stderr, "exhaust: unknown command '%s'\n\n", name);
        print_overview(stderr);
        return CLI_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(command->help, stdout);
            return CLI_OK;
        }
    return command->main(argc - 1, argv + 1);
}
