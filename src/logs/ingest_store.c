/* ingest_store.c — ingest_paths: walk the paths, parse each file, and store
 * what the parsers find, all in one transaction.
 *
 * The sink does two things the parsers should not each do again:
 *  - canonicalizes architectures through their space (so the same network
 *    written two ways is stored once, and arch_sequence is filled);
 *  - merges runs met twice in one ingest (TensorBoard's train/ and
 *    validation/ files of one run carry the same key).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exhaust/space.h"
#include "logs/epoch_index.h"
#include "logs/ingest_internal.h"
#include "util/file.h"
#include "util/hash.h"

#define SPACE_CACHE_SIZE 16

/* Keys stored during this ingest: an open-addressing hash set. */
typedef struct key_set {
    char **slots;
    size_t capacity, count;
} key_set;

typedef struct ingest_session {
    exh_store *store;
    const exh_ingest_options *options;
    exh_ingest_stats *stats;
    key_set stored;
    struct {
        char *name;
        exh_space *space;
    } spaces[SPACE_CACHE_SIZE];
    int space_count;
} ingest_session;

static char **key_set_slot(key_set *set, const char *key)
{
    size_t i = hash_text(key) & (set->capacity - 1);
    while (set->slots[i] && strcmp(set->slots[i], key) != 0)
        i = (i + 1) & (set->capacity - 1);
    return &set->slots[i];
}

/* Add key; returns 1 if it was already there, 0 if added, < 0 on no memory. */
static int key_set_add(key_set *set, const char *key)
{
    if (2 * (set->count + 1) > set->capacity) {
        key_set grown = {calloc(set->capacity ? set->capacity * 2 : 1024, sizeof(char *)),
                         set->capacity ? set->capacity * 2 : 1024, set->count};
        if (!grown.slots)
            return EXH_ERR_NOMEM;
        for (size_t i = 0; i < set->capacity; i++)
            if (set->slots[i])
                *key_set_slot(&grown, set->slots[i]) = set->slots[i];
        free(set->slots);
        *set = grown;
    }
    char **slot = key_set_slot(set, key);
    if (*slot)
        return 1;
    *slot = strdup(key);
    if (!*slot)
        return EXH_ERR_NOMEM;
    set->count++;
    return 0;
}

static void key_set_free(key_set *set)
{
    for (size_t i = 0; i < set->capacity; i++)
        free(set->slots[i]);
    free(set->slots);
}

static exh_space *session_space(ingest_session *session, const char *name, exh_error *err)
{
    for (int i = 0; i < session->space_count; i++)
        if (strcmp(session->spaces[i].name, name) == 0)
            return session->spaces[i].space;
    /* A space with a description file (dense:FILE) is read only when the
     * command line names it (--space): a record saying "dense:/dev/zero"
     * must not make the ingest open a file of its choosing. */
    const char *given = session->options->space;
    if (strchr(name, ':') && !(given && strcmp(given, name) == 0)) {
        exh_error_set(err, EXH_ERR_INVALID,
                      "space '%.200s' names a file; a record may not name a file to read (give it "
                      "with --space)",
                      name);
        return NULL;
    }
    exh_space *s;
    if (session->space_count == SPACE_CACHE_SIZE || exh_space_open(name, &s, err) < 0)
        return NULL;
    session->spaces[session->space_count].name = strdup(name);
    session->spaces[session->space_count++].space = s;
    return s;
}

/* Replace r->arch by the space's canonical text and fill arch_sequence. */
static int canonicalize_arch(ingest_session *session, exh_run *r, exh_error *err)
{
    if (!r->space || !r->arch)
        return EXH_OK;
    exh_space *s = session_space(session, r->space, err);
    if (!s)
        return err ? err->code : EXH_ERR_INVALID;
    exh_arch a;
    int rc = exh_space_parse(s, r->arch, &a, err);
    if (rc < 0)
        return rc;
    char text[EXH_SPACE_TEXT_MAX], sequence[EXH_ARCH_MAX_TOKENS * 12];
    if (exh_space_format(s, &a, text, sizeof text) < 0 ||
        exh_space_format_sequence(&a, sequence, sizeof sequence) < 0)
        return exh_error_set(err, EXH_ERR_INVALID, "architecture too long to print");
    if (exh_run_set(&r->arch, text) < 0 || exh_run_set(&r->arch_sequence, sequence) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    return EXH_OK;
}

/* Fill what `earlier` (stored before in this ingest) has and r lacks. */
static int merge_into(exh_run *r, const exh_run *earlier)
{
    int rc = 0;
    if (!r->space && earlier->space)
        rc |= exh_run_set(&r->space, earlier->space);
    if (!r->arch && earlier->arch)
        rc |= exh_run_set(&r->arch, earlier->arch);
    if (!r->dataset && earlier->dataset)
        rc |= exh_run_set(&r->dataset, earlier->dataset);
    if (!r->has_seed && earlier->has_seed) {
        r->has_seed = 1;
        r->seed = earlier->seed;
    }
    for (size_t i = 0; i < earlier->param_count; i++)
        if (!exh_run_param_value(r, earlier->params[i].key))
            rc |= exh_run_add_param(r, earlier->params[i].key, earlier->params[i].value);
    epoch_index rows = EPOCH_INDEX_INIT; /* run_epoch per row was quadratic */
    for (size_t i = 0; i < earlier->epoch_count; i++) {
        exh_epoch_record old = earlier->epochs[i];
        exh_epoch_record *row = epoch_index_row(&rows, r, old.epoch);
        if (!row) {
            epoch_index_reset(&rows);
            return EXH_ERR_NOMEM;
        }
        for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++) {
            double *value = exh_epoch_metric(row, exh_epoch_metric_names[m]);
            if (!exh_metric_present(*value))
                *value = *exh_epoch_metric(&old, exh_epoch_metric_names[m]);
        }
    }
    epoch_index_reset(&rows);
    return rc ? EXH_ERR_NOMEM : EXH_OK;
}

static int merge_with_stored(ingest_session *session, exh_run *r, exh_error *err)
{
    exh_run earlier;
    exh_run_init(&earlier);
    int rc = exh_store_get_run(session->store, r->key, &earlier, err);
    if (rc == 0) {
        rc = merge_into(r, &earlier);
        session->stats->epochs -= (int64_t)earlier.epoch_count;
        session->stats->runs--;
    }
    exh_run_clear(&earlier);
    return rc;
}

static int store_sink(exh_run *r, void *context, exh_error *err)
{
    ingest_session *session = context;
    if (!r->status && exh_run_set(&r->status, EXH_RUN_STATUS_OK) < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    exh_error arch_err;
    if (canonicalize_arch(session, r, &arch_err) < 0) {
        exh_ingest_parser_context bad = {session->options, r->source ? r->source : "?", NULL, NULL,
                                     session->stats};
        return exh_ingest_bad_record(&bad, err, arch_err.code, "run '%s': %s", r->key,
                                     arch_err.message);
    }
    int seen = key_set_add(&session->stored, r->key);
    if (seen < 0)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    if (seen && merge_with_stored(session, r, err) < 0)
        return err->code;
    int rc = exh_store_put_run(session->store, r, err);
    if (rc < 0)
        return rc;
    session->stats->runs++;
    session->stats->epochs += (int64_t)r->epoch_count;
    session->stats->without_arch += !r->arch || !*r->arch;
    return EXH_OK;
}

static int ingest_file(ingest_session *session, const char *path, int named, exh_error *err)
{
    char *data;
    size_t size;
    int rc = file_read_all(path, &data, &size, err);
    if (rc < 0)
        return rc;
    exh_ingest_format format = session->options->format;
    if (format == EXH_INGEST_AUTO) {
        rc = exh_ingest_detect(path, data, size, &format, err);
        if (rc < 0) {
            free(data);
            return named ? rc : EXH_OK; /* a folder walk skips what it does not know */
        }
    }
    exh_ingest_parser_context context = {session->options, path, store_sink, session,
                                     session->stats};
    rc = exh_ingest_parse(format, data, size, &context, err);
    free(data);
    if (rc < 0)
        return rc;
    session->stats->files++;
    if (session->options->progress)
        session->options->progress(path, session->stats->runs,
                                   session->options->progress_context);
    return EXH_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ingest_path(ingest_session *session, const char *path, int named, exh_error *err);

/* Walk a folder in sorted order, so the same tree always ingests the same way. */
static int ingest_folder(ingest_session *session, const char *path, exh_error *err)
{
    DIR *dir = opendir(path);
    if (!dir)
        return exh_error_set(err, EXH_ERR_IO, "%s: cannot open folder", path);
    char **names = NULL;
    size_t count = 0, capacity = 0;
    struct dirent *entry;
    int rc = EXH_OK;
    while ((entry = readdir(dir)) && rc == 0) {
        if (entry->d_name[0] == '.')
            continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 32;
            char **grown = realloc(names, sizeof *grown * capacity);
            if (!grown) {
                rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
                break;
            }
            names = grown;
        }
        names[count] = malloc(strlen(path) + strlen(entry->d_name) + 2);
        if (!names[count]) {
            rc = exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
            break;
        }
        sprintf(names[count++], "%s/%s", path, entry->d_name);
    }
    closedir(dir);
    if (names)
        qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        if (rc == 0)
            rc = ingest_path(session, names[i], 0, err);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int ingest_path(ingest_session *session, const char *path, int named, exh_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 && !named && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        /* A dangling link in a folder: one unreadable entry, not a failed ingest. */
        exh_ingest_parser_context context = {session->options, path, NULL, NULL, session->stats};
        return exh_ingest_bad_record(&context, err, EXH_ERR_NOT_FOUND,
                                     "a symbolic link to nothing (skipped)");
    }
    if (stat(path, &st) != 0)
        return exh_error_set(err, EXH_ERR_NOT_FOUND, "%s: no such file or folder", path);
    if (S_ISDIR(st.st_mode))
        return ingest_folder(session, path, err);
    if (!S_ISREG(st.st_mode))
        return named ? exh_error_set(err, EXH_ERR_INVALID, "%s: not a regular file", path) : EXH_OK;
    return ingest_file(session, path, named, err);
}

int exh_ingest_paths(exh_store *s, const char *const *paths, int path_count,
                     const exh_ingest_options *options, exh_ingest_stats *stats, exh_error *err)
{
    exh_ingest_options defaults = {0};
    ingest_session session = {.store = s, .options = options ? options : &defaults,
                              .stats = stats};
    memset(stats, 0, sizeof *stats);
    int rc = exh_store_begin(s, err);
    for (int i = 0; rc == 0 && i < path_count; i++)
        rc = ingest_path(&session, paths[i], 1, err);
    if (rc == 0)
        rc = exh_store_commit(s, err);
    if (rc < 0)
        exh_store_rollback(s);
    key_set_free(&session.stored);
    for (int i = 0; i < session.space_count; i++) {
        free(session.spaces[i].name);
        exh_space_free(session.spaces[i].space);
    }
    return rc;
}
