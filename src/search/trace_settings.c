/* trace_settings.c — a trace's sidecar `<trace>.json`: the settings of the
 * search that wrote it (keys in trace.h). The CSV stays pure for pandas;
 * analyze and --resume read the settings here. Older traces kept them in
 * leading "# key=value ..." lines, which are still understood. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exhaust/trace.h"
#include "util/file.h"

/* A count from untrusted text as an int: past INT_MAX is INT_MAX (analyze
 * then refuses a population larger than the trace), below -1 is -1. */
static int count_of(long long v)
{
    return v > INT_MAX ? INT_MAX : v < -1 ? -1 : (int)v;
}

void exh_trace_settings_init(exh_trace_settings *s)
{
    memset(s, 0, sizeof *s);
    s->population = s->sample = s->workers = s->screen = s->k = -1;
    s->seed = s->candidates = -1;
    s->mutation_exponent = NAN;
    s->repo_cache_bytes = s->repo_cache_window = s->repo_cache_donations = -1;
    s->repo_cache_epsilon = NAN;
}

static char *sidecar_path(const char *trace_path)
{
    size_t n = strlen(trace_path);
    char *path = malloc(n + sizeof EXH_TRACE_SIDECAR_SUFFIX);
    if (path) {
        memcpy(path, trace_path, n);
        memcpy(path + n, EXH_TRACE_SIDECAR_SUFFIX, sizeof EXH_TRACE_SIDECAR_SUFFIX);
    }
    return path;
}

static json_t *settings_json(const exh_trace_settings *s)
{
    json_t *lines = json_array();
    for (int i = 0; lines && i < s->line_count; i++)
        json_array_append_new(lines, json_string(s->lines[i] ? s->lines[i] : ""));
    /* -1 / NAN (unknown) become null: a reader sees "not recorded", not a value. */
    json_t *o = json_pack(
        "{s:s, s:i, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:o}",
        "format", EXH_TRACE_SIDECAR_FORMAT, "version", EXH_TRACE_SIDECAR_VERSION, "space", s->space,
        "dataset", s->dataset, "evaluator", s->evaluator,
        "population", s->population >= 0 ? json_integer(s->population) : json_null(),
        "sample", s->sample >= 0 ? json_integer(s->sample) : json_null(),
        "seed", s->seed >= 0 ? json_integer(s->seed) : json_null(),
        "workers", s->workers >= 0 ? json_integer(s->workers) : json_null(),
        "candidates", s->candidates >= 0 ? json_integer(s->candidates) : json_null(),
        "clock", s->clock, "transfer_from", s->transfer_from,
        "mutation_exponent",
        isnan(s->mutation_exponent) ? json_null() : json_real(s->mutation_exponent),
        "mutate_after", s->mutate_after,
        "screen", s->screen >= 0 ? json_integer(s->screen) : json_null(),
        "k", s->k >= 0 ? json_integer(s->k) : json_null(), "repo", s->repo,
        "settings_lines", lines ? lines : json_array());
    json_t *cache = !s->repo_cache_policy[0] ? json_null()
                    : json_pack("{s:s, s:I, s:i, s:i, s:f}", "policy", s->repo_cache_policy,
                                "bytes", (json_int_t)s->repo_cache_bytes,
                                "window", s->repo_cache_window,
                                "donations", s->repo_cache_donations,
                                "epsilon", s->repo_cache_epsilon);
    if (o)
        json_object_set_new(o, "repo_cache", cache ? cache : json_null());
    else
        json_decref(cache);
    return o;
}

/* Write all of text to fd; 0 or -1 with errno. */
static int write_all(int fd, const char *text, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, text, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        text += n;
        size -= (size_t)n;
    }
    return 0;
}

/* The directory entry of a rename is durable only once the directory is. */
static void sync_directory(const char *path)
{
    char dir[4096];
    if (file_directory(path, dir, sizeof dir) != 0)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: some file systems refuse it on a directory */
        close(fd);
    }
}

int exh_trace_settings_write(const char *trace_path, const exh_trace_settings *s, exh_error *err)
{
    char *path = sidecar_path(trace_path);
    json_t *o = path ? settings_json(s) : NULL;
    char *text = NULL;
    /* jansson prints reals with a fixed precision: take the first of 15, 16,
     * 17 digits that reads back exactly (0.1, not 0.10000000000000001). */
    for (int digits = 15; o && digits <= 17; digits++) {
        free(text);
        text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(digits));
        json_t *back = text ? json_loads(text, 0, NULL) : NULL;
        json_t *x = json_object_get(back, "mutation_exponent");
        int exact = !json_is_real(x) || json_real_value(x) == s->mutation_exponent;
        json_decref(back);
        if (exact)
            break;
    }
    char *temporary = text ? malloc(strlen(path) + 32) : NULL;
    json_decref(o);
    if (!temporary) {
        free(path);
        free(text);
        return exh_error_set(err, EXH_ERR_NOMEM, "%s: out of memory for its sidecar", trace_path);
    }
    /* temp + fsync + rename: a reader sees the old sidecar or the new one,
     * never half of one, even when the disk fills or the process dies. */
    snprintf(temporary, strlen(path) + 32, "%s.tmp%ld", path, (long)getpid());
    int rc = EXH_OK;
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0 ||
        fsync(fd) != 0)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot write: %s", temporary, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot write: %s", temporary, strerror(errno));
    if (rc == 0 && rename(temporary, path) != 0)
        rc = exh_error_set(err, EXH_ERR_IO, "%s: cannot rename to %s: %s", temporary, path,
                           strerror(errno));
    if (rc < 0)
        unlink(temporary);
    else
        sync_directory(path);
    free(temporary);
    free(text);
    free(path);
    return rc;
}

static void copy_text(json_t *o, const char *key, char *out, size_t size)
{
    const char *text = json_string_value(json_object_get(o, key));
    if (text)
        snprintf(out, size, "%s", text);
}

static long long integer_or(json_t *o, const char *key, long long fallback)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : fallback;
}

/* The "repo_cache" object (settings of the live fast tier), if any. */
static void read_repo_cache(json_t *cache, exh_trace_settings *s)
{
    if (!json_is_object(cache))
        return;
    copy_text(cache, "policy", s->repo_cache_policy, sizeof s->repo_cache_policy);
    s->repo_cache_bytes = integer_or(cache, "bytes", -1);
    s->repo_cache_window = count_of(integer_or(cache, "window", -1));
    s->repo_cache_donations = count_of(integer_or(cache, "donations", -1));
    json_t *e = json_object_get(cache, "epsilon");
    s->repo_cache_epsilon = json_is_number(e) ? json_number_value(e) : NAN;
}

static int read_sidecar(const char *path, exh_trace_settings *s, exh_error *err)
{
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (!o)
        return exh_error_set(err, EXH_ERR_PARSE, "%s:%d: %s", path, jerr.line, jerr.text);
    const char *format = json_string_value(json_object_get(o, "format"));
    int rc = EXH_OK;
    if (!json_is_object(o) || !format || strcmp(format, EXH_TRACE_SIDECAR_FORMAT) != 0)
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: not an exhaust trace sidecar (no \"format\": "
                           "\"%s\")", path, EXH_TRACE_SIDECAR_FORMAT);
    else if (integer_or(o, "version", 0) != EXH_TRACE_SIDECAR_VERSION)
        rc = exh_error_set(err, EXH_ERR_PARSE, "%s: sidecar version %lld, this exhaust reads %d",
                           path, integer_or(o, "version", 0), EXH_TRACE_SIDECAR_VERSION);
    if (rc == 0) {
        copy_text(o, "space", s->space, sizeof s->space);
        copy_text(o, "dataset", s->dataset, sizeof s->dataset);
        copy_text(o, "evaluator", s->evaluator, sizeof s->evaluator);
        copy_text(o, "clock", s->clock, sizeof s->clock);
        copy_text(o, "transfer_from", s->transfer_from, sizeof s->transfer_from);
        copy_text(o, "mutate_after", s->mutate_after, sizeof s->mutate_after);
        copy_text(o, "repo", s->repo, sizeof s->repo);
        s->population = count_of(integer_or(o, "population", -1));
        s->sample = count_of(integer_or(o, "sample", -1));
        s->workers = count_of(integer_or(o, "workers", -1));
        s->screen = count_of(integer_or(o, "screen", -1));
        s->k = count_of(integer_or(o, "k", -1));
        s->seed = integer_or(o, "seed", -1);
        s->candidates = integer_or(o, "candidates", -1);
        json_t *x = json_object_get(o, "mutation_exponent");
        s->mutation_exponent = json_is_number(x) ? json_number_value(x) : NAN;
        read_repo_cache(json_object_get(o, "repo_cache"), s);
    }
    json_decref(o);
    return rc;
}

/* "key=value" after a space or the line's start, up to the next space. */
static void word_value(const char *line, const char *key, char *out, size_t size)
{
    size_t n = strlen(key);
    for (const char *p = strstr(line, key); p; p = strstr(p + 1, key)) {
        if ((p == line || p[-1] == ' ') && p[n] == '=') {
            size_t length = strcspn(p + n + 1, " \r\n");
            snprintf(out, size, "%.*s", (int)length, p + n + 1);
            return;
        }
    }
}

static long long word_integer(const char *line, const char *key, long long fallback)
{
    char text[32] = "";
    word_value(line, key, text, sizeof text);
    char *end;
    long long v = strtoll(text, &end, 10);
    return *text && !*end ? v : fallback;
}

/* An older trace: "# exhaust search: space=nb201 ... population=100 ..." */
static int read_comment_lines(const char *path, exh_trace_settings *s, exh_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return exh_error_set(err, EXH_ERR_IO, "%s: %s", path, strerror(errno));
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        if (!strstr(line, "population=") && !strstr(line, "sample="))
            continue;
        found = 1;
        word_value(line, "space", s->space, sizeof s->space);
        word_value(line, "evaluator", s->evaluator, sizeof s->evaluator);
        word_value(line, "dataset", s->dataset, sizeof s->dataset);
        word_value(line, "clock", s->clock, sizeof s->clock);
        word_value(line, "transfer_from", s->transfer_from, sizeof s->transfer_from);
        s->population = count_of(word_integer(line, "population", s->population));
        s->sample = count_of(word_integer(line, "sample", s->sample));
        s->workers = count_of(word_integer(line, "workers", s->workers));
        s->candidates = word_integer(line, "candidates", s->candidates);
        char text[32] = "";
        word_value(line, "seed", text, sizeof text);
        if (*text)
            s->seed = strtoll(text, NULL, 10);
        word_value(line, "mutation_exponent", text, sizeof text);
        if (*text)
            s->mutation_exponent = strtod(text, NULL);
    }
    fclose(f);
    return found ? EXH_OK
                 : exh_error_set(err, EXH_ERR_NOT_FOUND, "%s: no settings (no sidecar %s%s and no "
                                 "'#' settings line)", path, path, EXH_TRACE_SIDECAR_SUFFIX);
}

int exh_trace_settings_read(const char *trace_path, exh_trace_settings *s, exh_error *err)
{
    exh_trace_settings_init(s);
    char *path = sidecar_path(trace_path);
    if (!path)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = access(path, F_OK) == 0 ? read_sidecar(path, s, err)
                                     : read_comment_lines(trace_path, s, err);
    free(path);
    return rc;
}
