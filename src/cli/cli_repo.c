/* cli_repo.c — exhaust repo: look after a model repository (repo.h):
 * ls, show, lineage, check, gc, stats. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exhaust/repo.h"

static const char HELP[] =
    "usage: exhaust repo ls DIR [--format F]\n"
    "       exhaust repo show DIR MODEL [--format F]\n"
    "       exhaust repo lineage DIR MODEL [--format F]\n"
    "       exhaust repo check DIR [--repair] [--read-only]\n"
    "       exhaust repo gc DIR --keep IDS\n"
    "       exhaust repo stats DIR [--format F]\n\n"
    "A model repository (a folder: blobs/, manifests/, index.db, tmp/) holds\n"
    "the trained tensors of evaluated models, each distinct tensor once.\n\n"
    "  ls        one row per model: id, parent, donor, prefix_len, quality,\n"
    "            tensors, bytes, arch\n"
    "  show      one model's fields and its tensors (position, name, dtype,\n"
    "            shape, bytes, sha256)\n"
    "  lineage   the chain of parents back from MODEL, with the donor of each\n"
    "            and the positions it passed on (prefix_len)\n"
    "  check     verify every blob's SHA-256, that every manifest's blobs exist\n"
    "            and that the index equals the manifests (a read-write open\n"
    "            first brings the index up to the manifests, as after a killed\n"
    "            writer); leftover temp files are reported, not errors.\n"
    "            Exit 1 naming the first problem.\n"
    "  gc        delete the models not in IDS (comma-separated ids, or 'none'),\n"
    "            then the blobs no model holds and leftover temp files.\n"
    "            Do not run while another process saves models.\n"
    "  stats     models, tensors, blobs, bytes stored, the bytes one file per\n"
    "            model would take, and their ratio (the dedup)\n\n"
    "  --format F    table (default), csv or json\n"
    "  --repair      check: remove leftover temp files\n"
    "  --read-only   check: change nothing (not even the index)\n\n"
    "example: exhaust repo gc models --keep 12,40,41 && exhaust repo stats models\n";

#define NAME "repo"

typedef struct repo_args {
    const char *action, *dir, *model, *keep;
    output_format format;
    int repair, read_only;
} repo_args;

static int parse_args(int argc, char **argv, repo_args *a)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'}, {"keep", required_argument, NULL, 'k'},
        {"repair", no_argument, NULL, 'r'},       {"read-only", no_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_parse_format(NAME, optarg, &a->format) != CLI_OK)
                return CLI_USAGE;
            break;
        case 'k': a->keep = optarg; break;
        case 'r': a->repair = 1; break;
        case 'o': a->read_only = 1; break;
        case ':': return cli_usage_error(NAME, "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error(NAME, "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char **positional[] = {&a->action, &a->dir, &a->model};
    for (int i = 0; optind < argc; i++, optind++) {
        if (i == 3)
            return cli_usage_error(NAME, "unexpected argument '%s'", argv[optind]);
        *positional[i] = argv[optind];
    }
    if (!a->action)
        return cli_usage_error(NAME, "which action? ls, show, lineage, check, gc or stats");
    if (!a->dir)
        return cli_usage_error(NAME, "%s needs the repository folder", a->action);
    return CLI_OK;
}

static int parse_id(const char *text, int64_t *out)
{
    char *end;
    long long id = text ? strtoll(text, &end, 10) : -1;
    if (!text || end == text || *end || id < 0)
        return cli_usage_error(NAME, "a model id is a non-negative integer, not '%s'",
                               text ? text : "(missing)");
    *out = id;
    return CLI_OK;
}

static int failed(const exh_error *err)
{
    cli_error(NAME, "%s", err->message);
    return CLI_FAILED;
}

static int repo_ls(exh_repo *r, const repo_args *a)
{
    exh_error err;
    int64_t count = exh_repo_list(r, NULL, 0, &err);
    int64_t *ids = count >= 0 ? calloc((size_t)count + 1, sizeof *ids) : NULL;
    if (count < 0 || !ids || (count = exh_repo_list(r, ids, count, &err)) < 0) {
        free(ids);
        return count < 0 ? failed(&err) : CLI_FAILED;
    }
    static const char *const columns[] = {"id", "parent", "donor", "prefix_len", "quality",
                                          "tensors", "bytes", "arch"};
    output_table *t = output_begin(stdout, a->format, 8, columns);
    exh_repo_model *m = malloc(sizeof *m);
    int rc = m ? CLI_OK : CLI_FAILED;
    for (int64_t i = 0; rc == CLI_OK && i < count; i++) {
        int got = exh_repo_model_get(r, ids[i], m, &err);
        if (got == EXH_ERR_NOT_FOUND)
            continue; /* removed since the listing */
        if (got < 0) {
            rc = failed(&err);
            break;
        }
        output_integer(t, m->id);
        output_integer(t, m->parent_id);
        output_integer(t, m->donor_id);
        output_integer(t, m->prefix_length);
        output_number(t, m->quality);
        output_integer(t, m->tensor_count);
        output_integer(t, m->tensor_bytes);
        output_text(t, m->arch_text);
        output_end_row(t);
    }
    output_end(t);
    free(m);
    free(ids);
    return rc;
}

static int repo_show(exh_repo *r, const repo_args *a)
{
    int64_t id;
    if (parse_id(a->model, &id) != CLI_OK)
        return CLI_USAGE;
    exh_error err;
    exh_repo_model *m = malloc(sizeof *m);
    if (!m || exh_repo_model_get(r, id, m, &err) < 0) {
        free(m);
        return m ? failed(&err) : CLI_FAILED;
    }
    if (a->format == OUTPUT_TABLE)
        printf("model %lld  space %s  quality %.17g\narch %s\nparent %lld  donor %lld  "
               "prefix_len %d  tensors %d  bytes %lld\n\n",
               (long long)m->id, m->space[0] ? m->space : "-", m->quality, m->arch_text,
               (long long)m->parent_id, (long long)m->donor_id, m->prefix_length,
               m->tensor_count, (long long)m->tensor_bytes);
    exh_repo_tensors ts;
    int length = m->architecture.length;
    free(m);
    /* the manifest's description: show reads no blob (check verifies them) */
    if (exh_repo_prefix_info(r, id, length, &ts, &err) < 0)
        return failed(&err);
    static const char *const columns[] = {"position", "name", "dtype", "shape", "bytes", "sha256"};
    output_table *t = output_begin(stdout, a->format, 6, columns);
    for (int i = 0; i < ts.count; i++) {
        const exh_repo_tensor *x = &ts.tensors[i];
        char shape[EXH_REPO_MAX_DIMS * 24];
        exh_repo_format_shape(x->ndim, x->shape, shape, sizeof shape);
        output_integer(t, x->position);
        output_text(t, x->name);
        output_text(t, exh_repo_dtype_name(x->dtype));
        output_text(t, shape);
        output_integer(t, x->bytes);
        output_text(t, x->sha256);
        output_end_row(t);
    }
    output_end(t);
    exh_repo_tensors_release(&ts);
    return CLI_OK;
}

static int repo_lineage(exh_repo *r, const repo_args *a)
{
    int64_t id;
    if (parse_id(a->model, &id) != CLI_OK)
        return CLI_USAGE;
    enum { MAX_STEPS = 100000 };
    exh_repo_lineage_step *steps = malloc(sizeof *steps * MAX_STEPS);
    exh_error err;
    int count = steps ? exh_repo_lineage(r, id, steps, MAX_STEPS, &err) : -1;
    if (count < 0) {
        free(steps);
        return steps ? failed(&err) : CLI_FAILED;
    }
    static const char *const columns[] = {"model", "quality", "parent", "donor", "prefix_len"};
    output_table *t = output_begin(stdout, a->format, 5, columns);
    for (int i = 0; i < count; i++) {
        output_integer(t, steps[i].model);
        output_number(t, steps[i].quality);
        output_integer(t, steps[i].parent_id);
        output_integer(t, steps[i].donor_id);
        output_integer(t, steps[i].prefix_length);
        output_end_row(t);
    }
    output_end(t);
    free(steps);
    return CLI_OK;
}

static int repo_check(exh_repo *r, const repo_args *a)
{
    exh_repo_check_result c;
    exh_error err;
    int rc = exh_repo_check(r, a->repair, &c, &err);
    printf("%s: %lld manifests, %lld blobs checked; %lld problems; %lld temp files%s; "
           "%lld index rows brought up to the manifests\n",
           exh_repo_path(r), (long long)c.manifests, (long long)c.blobs, (long long)c.problems,
           (long long)c.temp_files, a->repair && c.temp_files ? " (removed)" : "",
           (long long)c.reconciled);
    return rc < 0 ? failed(&err) : CLI_OK;
}

static int repo_gc(exh_repo *r, const repo_args *a)
{
    if (!a->keep)
        return cli_usage_error(NAME, "gc needs --keep IDS (or --keep none to delete every model)");
    size_t n = strlen(a->keep) / 2 + 2;
    int64_t *keep = calloc(n, sizeof *keep), count = 0;
    if (!keep)
        return CLI_FAILED;
    if (strcmp(a->keep, "none") != 0) {
        for (const char *p = a->keep; *p; count++) {
            char *end;
            long long id = strtoll(p, &end, 10);
            if (end == p || id < 0 || (*end && *end != ',') || (size_t)count >= n) {
                free(keep);
                return cli_usage_error(NAME, "--keep takes ids like 3,17,42, not '%s'", a->keep);
            }
            keep[count] = id;
            p = *end ? end + 1 : end;
        }
    }
    exh_repo_gc_result g;
    exh_error err;
    int rc = exh_repo_gc(r, keep, count, &g, &err);
    free(keep);
    if (rc < 0)
        return failed(&err);
    printf("%s: removed %lld models, %lld blobs (%lld bytes), %lld temp files\n", exh_repo_path(r),
           (long long)g.models_removed, (long long)g.blobs_removed, (long long)g.bytes_removed,
           (long long)g.temp_files_removed);
    return CLI_OK;
}

static int repo_stats(exh_repo *r, const repo_args *a)
{
    exh_repo_stats s;
    exh_error err;
    if (exh_repo_stats_get(r, &s, &err) < 0)
        return failed(&err);
    static const char *const columns[] = {"models", "tensors", "blobs", "bytes_stored",
                                          "bytes_one_file_per_model", "dedup_ratio", "temp_files"};
    output_table *t = output_begin(stdout, a->format, 7, columns);
    output_integer(t, s.models);
    output_integer(t, s.tensors);
    output_integer(t, s.blobs);
    output_integer(t, s.bytes_stored);
    output_integer(t, s.bytes_per_model);
    output_number(t, s.bytes_stored > 0 ? (double)s.bytes_per_model / (double)s.bytes_stored : NAN);
    output_integer(t, s.temp_files);
    output_end_row(t);
    output_end(t);
    return CLI_OK;
}

static const struct {
    const char *name;
    int (*run)(exh_repo *r, const repo_args *a);
    int writes; /* opens read-write (reconciling the index) */
} ACTIONS[] = {
    {"ls", repo_ls, 0},       {"show", repo_show, 0},  {"lineage", repo_lineage, 0},
    {"check", repo_check, 1}, {"gc", repo_gc, 1},      {"stats", repo_stats, 0},
};

static int repo_main(int argc, char **argv)
{
    repo_args a = {.format = OUTPUT_TABLE};
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc;
    for (size_t i = 0; i < sizeof ACTIONS / sizeof ACTIONS[0]; i++) {
        if (strcmp(a.action, ACTIONS[i].name) != 0)
            continue;
        exh_repo_options o;
        exh_repo_options_default(&o);
        o.read_only = !ACTIONS[i].writes || a.read_only;
        exh_repo *r;
        exh_error err;
        if (exh_repo_open(a.dir, &o, &r, &err) < 0)
            return failed(&err);
        rc = ACTIONS[i].run(r, &a);
        exh_repo_close(r);
        return rc;
    }
    return cli_usage_error(NAME, "unknown action '%s' (ls, show, lineage, check, gc, stats)",
                           a.action);
}

const cli_command cli_repo_command = {"repo", "list, check and clean a model repository", HELP,
                                      repo_main};
