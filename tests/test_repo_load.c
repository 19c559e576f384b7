/* test_repo_load.c — the repository's read path (repo.h): exh_repo_load_into
 * against exh_repo_load_prefix (same bytes, same traffic) from the store,
 * the in-memory fast tier and a fast directory under every verify mode; a
 * corrupt blob leaves the destinations untouched; and the manifests the
 * handle keeps never serve a removed model, nor an id gc freed and a later
 * save reused (from this handle or another one); the shape text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exhaust/repo.h"
#include "testutil.h"

/* Tensor sizes in float32s: one larger than the 64 KiB bounce buffer (read
 * in pieces), one of a single value, one empty. */
static const int64_t FLOATS[] = {100003, 1, 0, 600};
#define TENSORS 4

static exh_repo *open_with(const char *name, int verify, int64_t cache_bytes, const char *fast)
{
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.fsync = 0;
    o.verify = verify;
    o.cache_bytes = cache_bytes;
    o.fast_dir = fast;
    exh_repo *r;
    exh_error err;
    if (exh_repo_open(test_temp_path(name), &o, &r, &err) != EXH_OK)
        fail_msg("open %s: %s", name, err.message);
    return r;
}

/* Model `id`: tensor p at position p, float k = seed * 1000 + p * 7 + k. */
static void save_model(exh_repo *r, int64_t id, int seed)
{
    exh_repo_model m = {.id = id, .parent_id = -1, .donor_id = -1, .quality = 0.5};
    m.architecture.length = TENSORS;
    exh_repo_save *s;
    exh_error err;
    if (exh_repo_save_begin(r, &m, &s, &err) != EXH_OK)
        fail_msg("save_begin %lld: %s", (long long)id, err.message);
    for (int p = 0; p < TENSORS; p++) {
        float *data = malloc(sizeof *data * (size_t)(FLOATS[p] + 1));
        for (int64_t k = 0; k < FLOATS[p]; k++)
            data[k] = (float)(seed * 1000 + p * 7 + k);
        char name[16];
        snprintf(name, sizeof name, "t%d", p);
        int rc = exh_repo_save_add_tensor(s, p, name, EXH_DTYPE_F32, 1, &FLOATS[p], data,
                                          FLOATS[p] * 4, &err);
        free(data);
        if (rc != EXH_OK)
            fail_msg("add %lld/%d: %s", (long long)id, p, err.message);
    }
    if (exh_repo_save_commit(s, &err) != EXH_OK)
        fail_msg("commit %lld: %s", (long long)id, err.message);
}

/* Destinations for info's tensors, filled with 0x5a (to see what a load wrote). */
static void **destinations_for(const exh_repo_tensors *info)
{
    void **d = calloc((size_t)info->count + 1, sizeof *d);
    for (int i = 0; i < info->count; i++) {
        d[i] = malloc((size_t)info->tensors[i].bytes + 1);
        memset(d[i], 0x5a, (size_t)info->tensors[i].bytes + 1);
    }
    return d;
}

static void free_destinations(void **d, int count)
{
    for (int i = 0; i < count; i++)
        free(d[i]);
    free(d);
}

/* load_into gives load_prefix's bytes and counts the same traffic. */
static void assert_loads_agree(exh_repo *r, int64_t model, int prefix)
{
    exh_repo_tensors mapped, info;
    exh_repo_traffic by_map, by_read;
    exh_error err;
    assert_int_equal(exh_repo_load_prefix(r, model, prefix, &mapped, &err), EXH_OK);
    exh_repo_traffic_get(r, &by_map, NULL);
    assert_int_equal(exh_repo_prefix_info(r, model, prefix, &info, &err), EXH_OK);
    assert_int_equal(info.count, mapped.count);
    void **d = destinations_for(&info);
    if (exh_repo_load_into(r, model, prefix, &info, d, &err) != EXH_OK)
        fail_msg("load_into %lld: %s", (long long)model, err.message);
    exh_repo_traffic_get(r, &by_read, NULL);
    for (int i = 0; i < info.count; i++) {
        assert_string_equal(info.tensors[i].name, mapped.tensors[i].name);
        assert_null(info.tensors[i].data);
        assert_memory_equal(d[i], mapped.tensors[i].data, (size_t)mapped.tensors[i].bytes);
        assert_int_equal(((unsigned char *)d[i])[info.tensors[i].bytes], 0x5a); /* no overrun */
    }
    assert_int_equal(by_read.loads, 1);
    assert_int_equal(by_read.tensors, by_map.tensors);
    assert_int_equal(by_read.fast_hits, by_map.fast_hits);
    assert_int_equal(by_read.fast_bytes, by_map.fast_bytes);
    assert_int_equal(by_read.store_bytes, by_map.store_bytes);
    free_destinations(d, info.count);
    exh_repo_tensors_release(&info);
    exh_repo_tensors_release(&mapped);
}

/* Copy model's blobs into `fast` as the coordinator does (16 hex digits). */
static void fill_fast_dir(exh_repo *r, int64_t model, const char *fast)
{
    exh_repo_tensors t;
    exh_error err;
    mkdir(fast, 0777);
    assert_int_equal(exh_repo_load_prefix(r, model, TENSORS, &t, &err), EXH_OK);
    for (int i = 0; i < t.count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%.16s", fast, t.tensors[i].sha256);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        if (t.tensors[i].bytes)
            fwrite(t.tensors[i].data, 1, (size_t)t.tensors[i].bytes, f);
        fclose(f);
    }
    exh_repo_tensors_release(&t);
}

static void test_load_into_matches_load_prefix(void **state)
{
    static const struct {
        int verify;
        int64_t cache_bytes;
        int fast_dir;
        int64_t expect_fast_hits; /* of the three non-empty tensors of prefix 4 */
    } cases[] = {
        {EXH_REPO_VERIFY_FAST, 0, 0, 0},  {EXH_REPO_VERIFY_FULL, 0, 0, 0},
        {EXH_REPO_VERIFY_NONE, 0, 0, 0},  {EXH_REPO_VERIFY_FAST, 1 << 20, 0, 3},
        {EXH_REPO_VERIFY_FAST, 0, 1, 3},  {EXH_REPO_VERIFY_FULL, 0, 1, 3},
    };
    const char *fast = test_temp_path("agree-fast");
    exh_repo *writer = open_with("agree", EXH_REPO_VERIFY_FAST, 0, NULL);
    save_model(writer, 3, 1);
    fill_fast_dir(writer, 3, fast);
    exh_repo_close(writer);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        exh_repo *r = open_with("agree", cases[c].verify, cases[c].cache_bytes,
                                cases[c].fast_dir ? fast : "");
        if (cases[c].cache_bytes)
            save_model(r, 100 + (int64_t)c, 1); /* same bytes: fills the in-memory tier */
        for (int prefix = 0; prefix <= TENSORS; prefix++)
            assert_loads_agree(r, 3, prefix);
        exh_repo_traffic total;
        exh_repo_traffic_get(r, NULL, &total);
        /* each prefix's load twice: 2 * (0 + 1 + 2 + 2 + 3) non-empty tensors */
        assert_int_equal(total.fast_hits, cases[c].expect_fast_hits ? 2 * 8 : 0);
        exh_repo_close(r);
    }
}

/* A corrupt blob: an error naming it, and no destination written (not even
 * the tensors before it). */
static void test_corrupt_blob_writes_nothing(void **state)
{
    exh_repo *r = open_with("corrupt-into", EXH_REPO_VERIFY_FAST, 0, NULL);
    save_model(r, 1, 2);
    exh_repo_tensors info;
    exh_error err;
    assert_int_equal(exh_repo_prefix_info(r, 1, TENSORS, &info, &err), EXH_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/blobs/%.2s/%s", exh_repo_path(r), info.tensors[3].sha256,
             info.tensors[3].sha256 + 2);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 2000, SEEK_SET);
    fputc(0x77, f); /* one byte of the last tensor */
    fclose(f);
    static const int modes[] = {EXH_REPO_VERIFY_FAST, EXH_REPO_VERIFY_FULL};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        exh_repo *reader = open_with("corrupt-into", modes[m], 0, NULL);
        void **d = destinations_for(&info);
        assert_int_equal(exh_repo_load_into(reader, 1, TENSORS, &info, d, &err),
                         EXH_ERR_CORRUPT);
        assert_non_null(strstr(err.message, path));
        assert_non_null(strstr(err.message, "model 1"));
        for (int i = 0; i < info.count; i++)
            for (int64_t k = 0; k < info.tensors[i].bytes; k++)
                if (((unsigned char *)d[i])[k] != 0x5a)
                    fail_msg("tensor %d byte %lld was written", i, (long long)k);
        free_destinations(d, info.count);
        exh_repo_close(reader);
    }
    exh_repo_tensors_release(&info);
    exh_repo_close(r);
}

/* The first float of each tensor of a load (seed * 1000 + p * 7). */
static float first_float(exh_repo *r, int64_t model, int p, int *rc)
{
    exh_repo_tensors t;
    exh_error err;
    float value = -1;
    *rc = exh_repo_load_prefix(r, model, TENSORS, &t, &err);
    if (*rc == EXH_OK)
        memcpy(&value, t.tensors[p].data, sizeof value);
    exh_repo_tensors_release(&t);
    return value;
}

/* Kept manifests: gc of a loaded model, then a new model under its id, by
 * the same handle and by another one; never the old bytes. */
static void test_kept_manifests_follow_gc(void **state)
{
    static const int by_other_handle[] = {0, 1};
    for (size_t c = 0; c < 2; c++) {
        char name[32];
        snprintf(name, sizeof name, "kept%zu", c);
        exh_repo *r = open_with(name, EXH_REPO_VERIFY_FAST, 0, NULL);
        exh_repo *other = by_other_handle[c] ? open_with(name, EXH_REPO_VERIFY_FAST, 0, NULL) : r;
        save_model(r, 7, 1);
        save_model(r, 8, 2);
        int rc;
        exh_repo_tensors info;
        exh_error err;
        assert_true(first_float(r, 7, 0, &rc) == 1000.0f); /* 7's manifest is kept now */
        assert_int_equal(exh_repo_prefix_info(r, 7, TENSORS, &info, &err), EXH_OK);
        int64_t keep = 8;
        assert_int_equal(exh_repo_gc(other, &keep, 1, NULL, &err), EXH_OK);
        first_float(r, 7, 0, &rc);
        assert_int_equal(rc, EXH_ERR_NOT_FOUND);
        exh_repo_model m;
        assert_int_equal(exh_repo_model_get(r, 7, &m, &err), EXH_ERR_NOT_FOUND);
        void **d = destinations_for(&info);
        assert_int_equal(exh_repo_load_into(r, 7, TENSORS, &info, d, &err), EXH_ERR_NOT_FOUND);
        save_model(other, 7, 3); /* the id again, other bytes */
        assert_true(first_float(r, 7, 0, &rc) == 3000.0f);
        assert_true(first_float(r, 7, 3, &rc) == 3021.0f);
        /* the old description no longer fits: refused, nothing written */
        assert_int_equal(exh_repo_load_into(r, 7, TENSORS, &info, d, &err), EXH_ERR_INVALID);
        assert_non_null(strstr(err.message, "model 7"));
        assert_int_equal(((unsigned char *)d[0])[0], 0x5a);
        free_destinations(d, info.count);
        exh_repo_tensors_release(&info);
        if (other != r)
            exh_repo_close(other);
        exh_repo_close(r);
    }
}

/* More models than the handle keeps: every load still serves its own. */
static void test_many_models(void **state)
{
    exh_repo *r = open_with("many", EXH_REPO_VERIFY_NONE, 0, NULL);
    for (int id = 0; id < 40; id++)
        save_model(r, id, id);
    for (int round = 0; round < 2; round++)
        for (int id = 39; id >= 0; id--) {
            int rc;
            assert_true(first_float(r, id, 1, &rc) == (float)(id * 1000 + 7));
            assert_int_equal(rc, EXH_OK);
        }
    exh_repo_close(r);
}

/* No donor, an empty prefix, skipped destinations. */
static void test_edges(void **state)
{
    exh_repo *r = open_with("edges", EXH_REPO_VERIFY_FAST, 0, NULL);
    save_model(r, 2, 4);
    exh_repo_tensors info;
    exh_repo_traffic last;
    exh_error err;
    assert_int_equal(exh_repo_prefix_info(r, -1, 3, &info, &err), EXH_OK);
    assert_int_equal(info.count, 0);
    assert_int_equal(exh_repo_load_into(r, -1, 3, &info, NULL, &err), EXH_OK);
    exh_repo_traffic_get(r, &last, NULL);
    assert_int_equal(last.loads, 1); /* a child without a donor still counts */
    assert_int_equal(exh_repo_prefix_info(r, 2, 0, &info, &err), EXH_OK);
    assert_int_equal(info.count, 0);
    assert_int_equal(exh_repo_load_into(r, 2, 0, &info, NULL, &err), EXH_OK);
    exh_repo_tensors_release(&info);
    assert_int_equal(exh_repo_prefix_info(r, 2, TENSORS, &info, &err), EXH_OK);
    assert_int_equal(exh_repo_load_into(r, 2, TENSORS, &info, NULL, &err), EXH_ERR_INVALID);
    void **d = destinations_for(&info);
    free(d[0]);
    d[0] = NULL; /* skipped: neither read nor counted */
    assert_int_equal(exh_repo_load_into(r, 2, TENSORS, &info, d, &err), EXH_OK);
    exh_repo_traffic_get(r, &last, NULL);
    assert_int_equal(last.tensors, TENSORS - 1);
    assert_int_equal(last.store_bytes, (FLOATS[1] + FLOATS[2] + FLOATS[3]) * 4);
    float first;
    memcpy(&first, d[3], sizeof first);
    assert_true(first == 4021.0f);
    exh_repo_tensors_release(&info);
    assert_int_equal(exh_repo_prefix_info(r, 9, TENSORS, &info, &err), EXH_ERR_NOT_FOUND);
    assert_null(info.tensors);
    free_destinations(d, TENSORS);
    exh_repo_close(r);
}

/* The shape text the index stores and `exhaust repo show` prints. */
static void test_format_shape(void **state)
{
    static const int64_t dims[] = {2, 3, 40};
    static const struct {
        int ndim;
        size_t size;
        const char *text;
        int needed;
    } cases[] = {
        {0, 16, "", 0}, {1, 16, "2", 1}, {2, 16, "2,3", 3}, {3, 16, "2,3,40", 6},
        {3, 4, "2,3", 6}, /* truncated, as snprintf */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[16];
        memset(out, '#', sizeof out);
        assert_int_equal(exh_repo_format_shape(cases[i].ndim, dims, out, cases[i].size),
                         cases[i].needed);
        assert_string_equal(out, cases[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_into_matches_load_prefix),
        cmocka_unit_test(test_corrupt_blob_writes_nothing),
        cmocka_unit_test(test_kept_manifests_follow_gc),
        cmocka_unit_test(test_many_models),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_format_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
