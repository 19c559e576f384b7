/* cli_search_settings.c — exhaust search's settings: the description and the
 * trace sidecar written from the options, and --resume's check of the options
 * against a trace's recorded settings. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_search.h"

int cli_search_set_transfer(search_cli_options *o, const char *word)
{
    if (strcmp(word, "any") != 0 && strcmp(word, "parent") != 0 && strcmp(word, "none") != 0)
        return -1;
    o->search.transfer_from_any = strcmp(word, "any") == 0;
    o->search.transfer_none = strcmp(word, "none") == 0;
    return 0;
}

/* --transfer-from's word, as the trace's settings record it. */
static const char *transfer_name(const search_cli_options *o)
{
    return o->search.transfer_none ? "none" : o->search.transfer_from_any ? "any" : "parent";
}

void cli_search_describe(const search_cli_options *o, char *parameters, size_t size)
{
    snprintf(parameters, size,
             "exhaust search: space=%s evaluator=%s dataset=%s population=%d sample=%d "
             "candidates=%lld workers=%d seed=%llu clock=%s mutation_exponent=%g "
             "transfer_from=%s mutate_after=%s",
             o->space, o->evaluator, o->dataset, o->search.population, o->search.sample,
             (long long)o->search.candidates, o->search.workers,
             (unsigned long long)o->search.seed, o->simulated ? "simulated" : "real",
             o->search.mutation_exponent,
             transfer_name(o), o->search.mutate_after_submitted ? "submitted" : "finished");
    size_t used = strlen(parameters);
    if (o->search.screen > 1) /* only then: other searches describe themselves as before */
        snprintf(parameters + used, size - used, " screen=%d k=%d", o->search.screen, o->k);
}

void cli_search_fill_settings(const search_cli_options *o, exh_trace_settings *t)
{
    exh_trace_settings_init(t);
    snprintf(t->space, sizeof t->space, "%s", o->space);
    snprintf(t->dataset, sizeof t->dataset, "%s", o->dataset);
    snprintf(t->evaluator, sizeof t->evaluator, "%s", o->evaluator);
    snprintf(t->clock, sizeof t->clock, "%s", o->simulated ? "simulated" : "real");
    snprintf(t->transfer_from, sizeof t->transfer_from, "%s", transfer_name(o));
    snprintf(t->mutate_after, sizeof t->mutate_after, "%s",
             o->search.mutate_after_submitted ? "submitted" : "finished");
    t->population = o->search.population;
    t->sample = o->search.sample;
    t->seed = (long long)o->search.seed;
    t->workers = o->search.workers;
    t->candidates = (long long)o->search.candidates;
    t->mutation_exponent = o->search.mutation_exponent;
    t->screen = o->search.screen > 1 ? o->search.screen : 1;
    t->k = o->k;
    snprintf(t->repo, sizeof t->repo, "%s", o->search.repo_path ? o->search.repo_path : "");
    cli_search_repo_settings(&o->search, t);
}

/* One difference between the options given and the trace's settings. */
static void differs(char *message, size_t size, const char *option, const char *given,
                    const char *recorded)
{
    size_t used = strlen(message);
    snprintf(message + used, size - used, "%s%s %s (the trace has %s)", used ? "; " : "",
             option, given, recorded);
}

/*
 * --resume: the settings of the search that wrote the trace (its sidecar,
 * or an older trace's '#' line). Options the user gave must match them
 * (issue 11: a resume with another population or seed would silently mix
 * two searches); options not given are taken from them. `recorded` keeps
 * the strings o points into.
 */
int cli_search_adopt_settings(search_cli_options *o, exh_trace_settings *recorded, int *found)
{
    exh_error err;
    *found = 0;
    int rc = exh_trace_settings_read(o->resume, recorded, &err);
    if (rc == EXH_ERR_NOT_FOUND) {
        fprintf(stderr, "exhaust search: %s has no settings sidecar: the options given are "
                        "used unchecked\n", o->resume);
        return CLI_OK;
    }
    if (rc < 0) {
        cli_error("search", "%s", err.message);
        return CLI_FAILED;
    }
    *found = 1;
    char message[1024] = "", given[64], had[64];
    const exh_trace_settings *r = recorded;
    struct { unsigned flag; const char *option, *value, *recorded; } texts[] = {
        {GIVEN_SPACE, "--space", o->space, r->space},
        {GIVEN_EVALUATOR, "--evaluator", o->evaluator, r->evaluator},
        {GIVEN_DATASET, "--dataset", o->dataset, r->dataset},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (*texts[i].recorded && (o->given & texts[i].flag) &&
            strcmp(texts[i].value, texts[i].recorded) != 0)
            differs(message, sizeof message, texts[i].option, texts[i].value, texts[i].recorded);
    struct { unsigned flag; const char *option; long long value, recorded; } numbers[] = {
        {GIVEN_POPULATION, "--population", o->search.population, r->population},
        {GIVEN_SAMPLE, "--sample", o->search.sample, r->sample},
        {GIVEN_SEED, "--seed", (long long)o->search.seed, r->seed},
        {GIVEN_SCREEN, "--screen", o->search.screen > 1 ? o->search.screen : 1, r->screen},
        {GIVEN_K, "--k", o->k, r->k},
    };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        if (numbers[i].recorded >= 0 && (o->given & numbers[i].flag) &&
            numbers[i].value != numbers[i].recorded) {
            snprintf(given, sizeof given, "%lld", numbers[i].value);
            snprintf(had, sizeof had, "%lld", numbers[i].recorded);
            differs(message, sizeof message, numbers[i].option, given, had);
        }
    if (*message)
        return cli_usage_error("search", "--resume %s: options differ from the trace's settings "
                               "(%s%s): %s", o->resume, o->resume, EXH_TRACE_SIDECAR_SUFFIX,
                               message);
    /* Not given: the recorded value. */
    if (!(o->given & GIVEN_SPACE) && *r->space)
        o->space = r->space;
    if (!(o->given & GIVEN_EVALUATOR) && *r->evaluator)
        o->evaluator = r->evaluator;
    if (!(o->given & GIVEN_DATASET) && *r->dataset)
        o->dataset = r->dataset;
    if (!(o->given & GIVEN_POPULATION) && r->population > 0)
        o->search.population = r->population;
    if (!(o->given & GIVEN_SAMPLE) && r->sample > 0)
        o->search.sample = r->sample;
    if (!(o->given & GIVEN_SEED) && r->seed >= 0)
        o->search.seed = (uint64_t)r->seed;
    if (!(o->given & GIVEN_SCREEN) && r->screen > 0)
        o->search.screen = r->screen;
    if (!(o->given & GIVEN_K) && r->k > 0)
        o->k = r->k;
    if (!(o->given & GIVEN_CANDIDATES) && r->candidates > 0)
        o->search.candidates = r->candidates;
    if (!(o->given & GIVEN_WORKERS) && r->workers > 0)
        o->search.workers = r->workers;
    if (!(o->given & GIVEN_CLOCK) && *r->clock)
        o->simulated = strcmp(r->clock, "simulated") == 0;
    if (!(o->given & GIVEN_TRANSFER) && *r->transfer_from)
        cli_search_set_transfer(o, r->transfer_from);
    if (!(o->given & GIVEN_EXPONENT) && !isnan(r->mutation_exponent))
        o->search.mutation_exponent = r->mutation_exponent;
    if (!(o->given & GIVEN_MUTATE_AFTER) && *r->mutate_after)
        o->search.mutate_after_submitted = strcmp(r->mutate_after, "submitted") == 0;
    return CLI_OK;
}

