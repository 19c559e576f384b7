/* test_repo.c — the model repository (repo.h): SHA-256 against the FIPS
 * vectors, save/load round trips, dedup, donor lookup against the search's
 * trie and a brute-force longest common prefix on hand-worked architectures,
 * prefix serving, corrupt and missing blobs, gc, lineage, the index following
 * the manifests, bad input, and the live fast tier against the trace replay
 * (cachesim.h) on one access sequence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exhaust/cachesim.h"
#include "exhaust/repo.h"
#include "exhaust/rng.h"
#include "exhaust/transfer.h"
#include "exhaust/trie.h"
#include "testutil.h"
#include "trace_record_make.h"
#include "util/digest.h"

#define TENSOR_FLOATS 6 /* each test tensor: float32 [2, 3] */

static exh_arch arch_of(const char *tokens)
{
    exh_arch a = {.length = (int)strlen(tokens)};
    for (int i = 0; tokens[i]; i++)
        a.token[i] = tokens[i] - '0';
    return a;
}

#define TIER_WINDOW 10    /* the tier policy's, live and replayed */
#define TIER_DONATIONS 2

static exh_repo *open_repo(const char *name, int64_t cache_bytes, exh_repo_cache_policy policy)
{
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.fsync = 0; /* the tests need atomic renames, not durability */
    o.cache_bytes = cache_bytes;
    o.cache_policy = policy;
    o.tier_window = TIER_WINDOW;
    o.tier_donations = TIER_DONATIONS;
    exh_repo *r;
    exh_error err;
    if (exh_repo_open(test_temp_path(name), &o, &r, &err) != EXH_OK)
        fail_msg("open %s: %s", name, err.message);
    return r;
}

/* A model with one float32 [2, 3] tensor "pN.weight" per position, every
 * byte of position N's tensor fills[N]: equal fills are equal tensors. */
static void save_model(exh_repo *r, int64_t id, const char *tokens, double quality,
                       int64_t parent, int64_t donor, int prefix, const char *fills)
{
    exh_repo_model m = {.id = id, .parent_id = parent, .donor_id = donor,
                        .prefix_length = prefix, .quality = quality};
    m.architecture = arch_of(tokens);
    snprintf(m.space, sizeof m.space, "test");
    exh_repo_save *s;
    exh_error err;
    if (exh_repo_save_begin(r, &m, &s, &err) != EXH_OK)
        fail_msg("save_begin %lld: %s", (long long)id, err.message);
    for (int p = 0; p < m.architecture.length; p++) {
        unsigned char data[TENSOR_FLOATS * 4];
        memset(data, fills[p], sizeof data);
        char name[32];
        snprintf(name, sizeof name, "p%d.weight", p);
        int64_t shape[2] = {2, 3};
        if (exh_repo_save_add_tensor(s, p, name, EXH_DTYPE_F32, 2, shape, data, sizeof data,
                                     &err) != EXH_OK)
            fail_msg("add_tensor %lld/%d: %s", (long long)id, p, err.message);
    }
    if (exh_repo_save_commit(s, &err) != EXH_OK)
        fail_msg("commit %lld: %s", (long long)id, err.message);
}

static void assert_check_passes(exh_repo *r)
{
    exh_repo_check_result c;
    exh_error err;
    if (exh_repo_check(r, 0, &c, &err) != EXH_OK)
        fail_msg("check: %s", err.message);
    assert_int_equal(c.problems, 0);
}

/* ---- SHA-256 ---- */

static void test_sha256_vectors(void **state)
{
    static const struct {
        const char *text;
        int repeat;
        const char *digest;
    } cases[] = {
        {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
        /* 64 bytes: a whole block, padding in a second one. */
        {"0123456701234567012345670123456701234567012345670123456701234567", 1,
         "8182cadb21af0e37c06414ece08e19c65bdb22c396d48ba7341012eea9ffdfdd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t length = strlen(cases[i].text);
        char *text = malloc(length * (size_t)cases[i].repeat + 1);
        assert_non_null(text);
        for (int k = 0; k < cases[i].repeat; k++)
            memcpy(text + length * (size_t)k, cases[i].text, length);
        char hex[SHA256_HEX_SIZE];
        assert_int_equal(sha256_hex(text, length * (size_t)cases[i].repeat, hex), 0);
        assert_string_equal(hex, cases[i].digest);
        free(text);
    }
    /* XXH3-64 with seed 0 of no bytes (xxhash's own sanity vector). */
    char fast[XXH3_HEX_SIZE];
    xxh3_hex("", 0, fast);
    assert_string_equal(fast, "2d06800538d394c2");
}

/* ---- save and load ---- */

static void test_round_trip(void **state)
{
    exh_repo *r = open_repo("round", 0, EXH_REPO_CACHE_LRU);
    exh_repo_model m = {.id = 7, .parent_id = 3, .donor_id = 2, .prefix_length = 1,
                        .quality = NAN};
    m.architecture = arch_of("012");
    snprintf(m.arch_text, sizeof m.arch_text, "conv|pool|dense");
    exh_repo_save *s;
    exh_error err;
    assert_int_equal(exh_repo_save_begin(r, &m, &s, &err), EXH_OK);
    static const struct {
        int position;
        const char *name;
        exh_repo_dtype dtype;
        int ndim;
        int64_t shape[3];
    } tensors[] = {
        {2, "head.bias", EXH_DTYPE_F64, 1, {5}},
        {0, "conv.weight", EXH_DTYPE_F32, 3, {2, 3, 4}},
        {0, "conv.bias", EXH_DTYPE_BF16, 1, {2}},
        {1, "scalar", EXH_DTYPE_I64, 0, {0}},
        {1, "empty", EXH_DTYPE_U8, 1, {0}},
    };
    int n = (int)(sizeof tensors / sizeof tensors[0]);
    unsigned char data[5][256];
    int64_t bytes[5];
    for (int i = 0; i < n; i++) {
        bytes[i] = exh_repo_dtype_size(tensors[i].dtype);
        for (int k = 0; k < tensors[i].ndim; k++)
            bytes[i] *= tensors[i].shape[k];
        for (int b = 0; b < 256; b++)
            data[i][b] = (unsigned char)(b * 7 + i);
        assert_int_equal(exh_repo_save_add_tensor(s, tensors[i].position, tensors[i].name,
                                                  tensors[i].dtype, tensors[i].ndim,
                                                  tensors[i].shape, data[i], bytes[i], &err),
                         EXH_OK);
    }
    assert_int_equal(exh_repo_save_commit(s, &err), EXH_OK);

    exh_repo_model got;
    assert_int_equal(exh_repo_model_get(r, 7, &got, &err), EXH_OK);
    assert_true(exh_arch_equal(&got.architecture, &m.architecture));
    assert_string_equal(got.arch_text, "conv|pool|dense");
    assert_true(isnan(got.quality));
    assert_int_equal(got.parent_id, 3);
    assert_int_equal(got.donor_id, 2);
    assert_int_equal(got.prefix_length, 1);
    assert_int_equal(got.tensor_count, n);

    /* prefix 2: positions 0 and 1, by position then name. */
    static const char *const expected[] = {"conv.bias", "conv.weight", "empty", "scalar"};
    static const int source[] = {2, 1, 4, 3};
    exh_repo_tensors t;
    assert_int_equal(exh_repo_load_prefix(r, 7, 2, &t, &err), EXH_OK);
    assert_int_equal(t.count, 4);
    for (int i = 0; i < 4; i++) {
        const exh_repo_tensor *x = &t.tensors[i];
        int k = source[i];
        assert_string_equal(x->name, expected[i]);
        assert_int_equal(x->position, tensors[k].position);
        assert_int_equal(x->dtype, tensors[k].dtype);
        assert_int_equal(x->ndim, tensors[k].ndim);
        assert_int_equal(x->bytes, bytes[k]);
        assert_non_null(x->data); /* even for 0 bytes: NumPy wants an address */
        if (bytes[k] > 0)
            assert_memory_equal(x->data, data[k], (size_t)bytes[k]);
        assert_int_equal(x->from_fast_tier, 0);
    }
    assert_int_equal(t.tensors[1].shape[2], 4);
    exh_repo_tensors_release(&t);
    assert_null(t.tensors);
    exh_repo_tensors_release(&t); /* twice is harmless */

    static const struct { int prefix, count; } prefixes[] = {{0, 0}, {-3, 0}, {1, 2}, {99, 5}};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        assert_int_equal(exh_repo_load_prefix(r, 7, prefixes[i].prefix, &t, &err), EXH_OK);
        assert_int_equal(t.count, prefixes[i].count);
        exh_repo_tensors_release(&t);
    }
    assert_check_passes(r);
    exh_repo_close(r);
}

static void test_dedup(void **state)
{
    exh_repo *r = open_repo("dedup", 0, EXH_REPO_CACHE_LRU);
    /* Model 1 receives model 0's first two positions frozen; model 2 is
     * model 0 again (same tensors); model 3 shares nothing. */
    save_model(r, 0, "012", 0.5, -1, -1, 0, "ABC");
    int64_t tensor = TENSOR_FLOATS * 4;
    static const struct {
        int64_t id;
        const char *tokens, *fills;
        int64_t written, dedup; /* tensors */
    } saves[] = {
        {1, "013", "ABD", 1, 2}, {2, "012", "ABC", 0, 3}, {3, "222", "EFG", 3, 0},
    };
    exh_repo_traffic last, total;
    for (size_t i = 0; i < sizeof saves / sizeof saves[0]; i++) {
        save_model(r, saves[i].id, saves[i].tokens, 0.5, 0, 0, 0, saves[i].fills);
        exh_repo_traffic_get(r, &last, &total);
        assert_int_equal(last.saves, 1);
        assert_int_equal(last.tensors, 3);
        assert_int_equal(last.written_bytes, saves[i].written * tensor);
        assert_int_equal(last.dedup_bytes, saves[i].dedup * tensor);
    }
    assert_int_equal(total.saves, 4);
    assert_int_equal(total.written_bytes, 7 * tensor);
    exh_repo_stats st;
    exh_error err;
    assert_int_equal(exh_repo_stats_get(r, &st, &err), EXH_OK);
    assert_int_equal(st.models, 4);
    assert_int_equal(st.tensors, 12);
    assert_int_equal(st.blobs, 7); /* A B C D E F G */
    assert_int_equal(st.bytes_stored, 7 * tensor);
    assert_int_equal(st.bytes_per_model, 12 * tensor);
    int64_t ids[8];
    assert_int_equal(exh_repo_list(r, ids, 8, &err), 4);
    assert_int_equal(ids[3], 3);
    exh_repo_close(r);
}

/* ---- donor lookup ---- */

static void test_donor(void **state)
{
    exh_repo *r = open_repo("donor", 0, EXH_REPO_CACHE_LRU);
    exh_arch empty_child = arch_of("000");
    int64_t model;
    int prefix;
    exh_error err;
    assert_int_equal(exh_repo_donor(r, &empty_child, &model, &prefix, &err), EXH_OK);
    assert_int_equal(model, -1);
    assert_int_equal(prefix, 0);

    static const struct { int64_t id; const char *tokens; double quality; } stored[] = {
        {0, "012", 0.5}, {1, "013", 0.7}, {2, "044", 0.9}, {3, "111", NAN}, {4, "0133", 0.7},
    };
    int n = (int)(sizeof stored / sizeof stored[0]);
    exh_trie *trie = exh_trie_new();
    for (int i = 0; i < n; i++) {
        save_model(r, stored[i].id, stored[i].tokens, stored[i].quality, -1, -1, 0, "ABCD");
        exh_arch a = arch_of(stored[i].tokens);
        assert_int_equal(exh_trie_insert(trie, &a, stored[i].id, &err), EXH_OK);
    }
    /* Worked by hand: the longest prefix, then the best quality (NAN worst),
     * then the later id. */
    static const struct { const char *child; int64_t donor; int prefix; } cases[] = {
        {"014", 4, 2},  /* 012, 013, 0133 share "01": 0.7 beats 0.5; then 4 beats 1 */
        {"040", 2, 2},  /* only 044 */
        {"222", 2, 0},  /* nothing shared: the best of all */
        {"111", 3, 3},  /* itself, quality unknown */
        {"110", 3, 2},
        {"0133", 4, 4},
        {"013", 4, 3},  /* 013 and 0133 share all 3; equal quality: the later id */
        {"", 2, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exh_arch child = arch_of(cases[i].child);
        assert_int_equal(exh_repo_donor(r, &child, &model, &prefix, &err), EXH_OK);
        int64_t unused;
        int brute = 0;
        for (int k = 0; k < n; k++) {
            exh_arch a = arch_of(stored[k].tokens);
            int common = exh_arch_common_prefix(&a, &child);
            brute = common > brute ? common : brute;
        }
        if (model != cases[i].donor || prefix != cases[i].prefix)
            fail_msg("child %s: donor %lld prefix %d, expected %lld %d", cases[i].child,
                     (long long)model, prefix, (long long)cases[i].donor, cases[i].prefix);
        /* The search's rule gives the same prefix length. */
        assert_int_equal(prefix, exh_trie_longest_prefix(trie, &child, &unused));
        assert_int_equal(prefix, brute);
    }
    exh_trie_free(trie);
    exh_repo_close(r);
}

/* ---- damage ---- */

/* The blob path of model `id`'s first tensor. */
static void first_blob(exh_repo *r, int64_t id, char *path, size_t size)
{
    exh_repo_tensors t;
    exh_error err;
    assert_int_equal(exh_repo_load_prefix(r, id, 1, &t, &err), EXH_OK);
    snprintf(path, size, "%s/blobs/%.2s/%s", exh_repo_path(r), t.tensors[0].sha256,
             t.tensors[0].sha256 + 2);
    exh_repo_tensors_release(&t);
}

static void test_corrupt_blob(void **state)
{
    exh_repo *r = open_repo("corrupt", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 5, "01", 0.5, -1, -1, 0, "AB");
    char path[4096];
    first_blob(r, 5, path, sizeof path);
    static const struct {
        const char *content;
        int verify, code;
        const char *says;
    } damage[] = {
        /* one byte flipped: the fast check and the full one both see it */
        {"AAAAAAAAAAAAAAAAAAAAAAAB", EXH_REPO_VERIFY_FAST, EXH_ERR_CORRUPT, "XXH3-64"},
        {"AAAAAAAAAAAAAAAAAAAAAAAB", EXH_REPO_VERIFY_FULL, EXH_ERR_CORRUPT, "SHA-256"},
        {"AAAA", EXH_REPO_VERIFY_FAST, EXH_ERR_CORRUPT, "bytes"}, /* truncated */
        {NULL, EXH_REPO_VERIFY_FAST, EXH_ERR_NOT_FOUND, "missing"}, /* deleted */
    };
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        exh_repo_close(r);
        exh_repo_options o;
        exh_repo_options_default(&o);
        o.verify = damage[i].verify;
        exh_error open_err;
        assert_int_equal(exh_repo_open(test_temp_path("corrupt"), &o, &r, &open_err), EXH_OK);
        unlink(path);
        if (damage[i].content) {
            FILE *f = fopen(path, "wb");
            assert_non_null(f);
            fputs(damage[i].content, f);
            fclose(f);
        }
        exh_repo_tensors t;
        exh_error err;
        assert_int_equal(exh_repo_load_prefix(r, 5, 2, &t, &err), damage[i].code);
        assert_int_equal(t.count, 0);
        assert_non_null(strstr(err.message, path));
        assert_non_null(strstr(err.message, "model 5"));
        assert_non_null(strstr(err.message, damage[i].says));
        exh_repo_check_result c;
        assert_int_not_equal(exh_repo_check(r, 0, &c, &err), EXH_OK);
        assert_true(c.problems >= 1);
        assert_non_null(strstr(err.message, exh_repo_path(r)));
    }
    exh_repo_close(r);
}

/* A damaged blob is replaced by the next save of the same bytes (it is not
 * taken for the tensor because its name and size match). */
static void test_save_heals_damaged_blob(void **state)
{
    exh_repo *r = open_repo("heal", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 5, "01", 0.5, -1, -1, 0, "AB");
    char path[4096];
    first_blob(r, 5, path, sizeof path);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputc('Z', f); /* same size, one byte changed */
    fclose(f);
    exh_repo_tensors t;
    exh_error err;
    assert_int_equal(exh_repo_load_prefix(r, 5, 1, &t, &err), EXH_ERR_CORRUPT);
    save_model(r, 6, "01", 0.6, 5, 5, 2, "AB"); /* the same tensors again */
    assert_int_equal(exh_repo_load_prefix(r, 5, 2, &t, &err), EXH_OK);
    assert_int_equal(((const unsigned char *)t.tensors[0].data)[0], 'A');
    exh_repo_tensors_release(&t);
    assert_check_passes(r);
    exh_repo_close(r);
}

static void test_bad_input(void **state)
{
    exh_repo *r = open_repo("bad", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 1, "01", 0.5, -1, -1, 0, "AB");
    exh_repo_model m = {.id = 2, .parent_id = -1, .donor_id = -1};
    m.architecture = arch_of("01");
    exh_repo_save *s;
    exh_error err;
    unsigned char data[16] = {0};
    int64_t shape[2] = {2, 2};
    assert_int_equal(exh_repo_save_begin(r, &m, &s, &err), EXH_OK);
    static const struct {
        int position;
        const char *name;
        int dtype, ndim;
        int64_t bytes;
    } bad[] = {
        {0, "w", EXH_DTYPE_F32, 2, 15},  /* bytes do not fit the shape */
        {2, "w", EXH_DTYPE_F32, 2, 16},  /* position past the architecture */
        {-1, "w", EXH_DTYPE_F32, 2, 16},
        {0, "w", 99, 2, 16},             /* no such dtype */
        {0, "", EXH_DTYPE_F32, 2, 16},
        {0, "w", EXH_DTYPE_F32, 9, 16},  /* too many dimensions */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(exh_repo_save_add_tensor(s, bad[i].position, bad[i].name, bad[i].dtype,
                                                  bad[i].ndim, shape, data, bad[i].bytes, &err),
                         EXH_ERR_INVALID);
    assert_int_equal(exh_repo_save_add_tensor(s, 0, "w", EXH_DTYPE_F32, 2, shape, data, 16, &err),
                     EXH_OK);
    assert_int_equal(exh_repo_save_add_tensor(s, 1, "w", EXH_DTYPE_F32, 2, shape, data, 16, &err),
                     EXH_ERR_INVALID); /* the same name twice */
    exh_repo_save_abort(s);
    m.id = 1;
    assert_int_equal(exh_repo_save_begin(r, &m, &s, &err), EXH_ERR_INVALID); /* stored already */
    exh_repo_tensors t;
    assert_int_equal(exh_repo_load_prefix(r, 42, 1, &t, &err), EXH_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "42"));
    /* A garbage manifest: loads fail naming it, check reports it. */
    char path[4200];
    snprintf(path, sizeof path, "%s/manifests/9.json", exh_repo_path(r));
    FILE *f = fopen(path, "w");
    fputs("{\"id\": 9, \"tensors\": [", f);
    fclose(f);
    assert_int_equal(exh_repo_load_prefix(r, 9, 1, &t, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "9.json"));
    assert_int_not_equal(exh_repo_check(r, 0, NULL, &err), EXH_OK);
    assert_non_null(strstr(err.message, "9.json"));
    exh_repo_close(r);
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.read_only = 1;
    assert_int_equal(exh_repo_open(test_temp_path("nowhere"), &o, &r, &err), EXH_ERR_NOT_FOUND);
}

/* A write that fails (a file-size limit stands in for a full disk): a clear
 * error naming the blob, no temp file left, the repository still sound. */
static void test_write_failure(void **state)
{
    exh_repo *r = open_repo("full", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 0, "01", 0.5, -1, -1, 0, "AB");
    exh_repo_model m = {.id = 1, .parent_id = -1, .donor_id = -1};
    m.architecture = arch_of("01");
    exh_repo_save *s;
    exh_error err;
    assert_int_equal(exh_repo_save_begin(r, &m, &s, &err), EXH_OK);
    enum { BYTES = 1 << 20 };
    unsigned char *data = calloc(BYTES, 1);
    int64_t shape = BYTES;
    struct rlimit old, limit;
    getrlimit(RLIMIT_FSIZE, &old);
    limit = old;
    limit.rlim_cur = 64 << 10;
    signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG instead of killing us */
    setrlimit(RLIMIT_FSIZE, &limit);
    int rc = exh_repo_save_add_tensor(s, 0, "big", EXH_DTYPE_U8, 1, &shape, data, BYTES, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    free(data);
    assert_int_equal(rc, EXH_ERR_IO);
    assert_non_null(strstr(err.message, "/blobs/"));
    assert_non_null(strstr(err.message, "cannot write 1048576 bytes"));
    exh_repo_save_abort(s);
    exh_repo_check_result c;
    assert_int_equal(exh_repo_check(r, 0, &c, &err), EXH_OK);
    assert_int_equal(c.temp_files, 0);
    assert_int_equal(c.manifests, 1);
    exh_repo_close(r);
}

/* ---- gc, lineage, the index ---- */

static void test_gc(void **state)
{
    exh_repo *r = open_repo("gc", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 0, "012", 0.5, -1, -1, 0, "ABC");
    save_model(r, 1, "013", 0.6, 0, 0, 2, "ABD");
    save_model(r, 2, "222", 0.7, -1, -1, 0, "EFG");
    save_model(r, 3, "014", 0.8, 1, 1, 2, "ABH");
    char temp[4200];
    snprintf(temp, sizeof temp, "%s/tmp/99-1.tmp", exh_repo_path(r));
    FILE *f = fopen(temp, "w"); /* a killed writer's leftover */
    fputs("partial", f);
    fclose(f);
    exh_repo_check_result c;
    exh_error err;
    assert_int_equal(exh_repo_check(r, 0, &c, &err), EXH_OK);
    assert_int_equal(c.temp_files, 1);
    int64_t keep[] = {3, 1};
    exh_repo_gc_result g;
    assert_int_equal(exh_repo_gc(r, keep, 2, &g, &err), EXH_OK);
    assert_int_equal(g.models_removed, 2);
    assert_int_equal(g.blobs_removed, 4); /* C, E, F, G; A B D H stay */
    assert_int_equal(g.bytes_removed, 4 * TENSOR_FLOATS * 4);
    assert_int_equal(g.temp_files_removed, 1);
    exh_repo_stats st;
    assert_int_equal(exh_repo_stats_get(r, &st, &err), EXH_OK);
    assert_int_equal(st.models, 2);
    assert_int_equal(st.blobs, 4);
    assert_int_equal(st.temp_files, 0);
    exh_repo_tensors t;
    assert_int_equal(exh_repo_load_prefix(r, 3, 3, &t, &err), EXH_OK);
    assert_int_equal(t.count, 3);
    exh_repo_tensors_release(&t);
    assert_int_equal(exh_repo_load_prefix(r, 0, 3, &t, &err), EXH_ERR_NOT_FOUND);
    int64_t donor;
    int prefix;
    exh_arch child = arch_of("222");
    assert_int_equal(exh_repo_donor(r, &child, &donor, &prefix, &err), EXH_OK);
    assert_int_equal(donor, 3); /* 222 is gone: best of the rest */
    assert_check_passes(r);
    /* remove: the listed ids only (a repeat, an absent and a negative one
     * skipped); 1's blob D goes, A and B stay with 3 */
    int64_t listed[] = {1, 7, 1, -4};
    assert_int_equal(exh_repo_remove(r, listed, 4, &g, &err), EXH_OK);
    assert_int_equal(g.models_removed, 1);
    assert_int_equal(g.blobs_removed, 1);
    assert_int_equal(exh_repo_stats_get(r, &st, &err), EXH_OK);
    assert_int_equal(st.models, 1);
    assert_int_equal(st.blobs, 3);
    assert_check_passes(r);
    assert_int_equal(exh_repo_gc(r, NULL, 0, &g, &err), EXH_OK); /* keep nothing */
    assert_int_equal(exh_repo_stats_get(r, &st, &err), EXH_OK);
    assert_int_equal(st.models + st.blobs, 0);
    exh_repo_close(r);
}

static void test_lineage(void **state)
{
    exh_repo *r = open_repo("lineage", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 0, "012", 0.5, -1, -1, 0, "ABC");
    save_model(r, 1, "013", 0.6, 0, 0, 2, "ABD");
    save_model(r, 2, "222", 0.7, -1, 1, 0, "EFG");
    save_model(r, 3, "213", 0.8, 2, 1, 0, "IJK");
    save_model(r, 4, "013", 0.9, 1, 1, 3, "ABD");
    static const struct { int64_t model; int steps; int64_t chain[4]; int prefix[4]; } cases[] = {
        {4, 3, {4, 1, 0}, {3, 2, 0}},
        {3, 2, {3, 2}, {0, 0}},
        {0, 1, {0}, {0}},
    };
    exh_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exh_repo_lineage_step steps[8];
        assert_int_equal(exh_repo_lineage(r, cases[i].model, steps, 8, &err), cases[i].steps);
        for (int k = 0; k < cases[i].steps; k++) {
            assert_int_equal(steps[k].model, cases[i].chain[k]);
            assert_int_equal(steps[k].prefix_length, cases[i].prefix[k]);
        }
    }
    exh_repo_lineage_step one;
    assert_int_equal(exh_repo_lineage(r, 4, &one, 1, &err), 1);
    assert_int_equal(exh_repo_lineage(r, 77, &one, 1, &err), EXH_ERR_NOT_FOUND);
    exh_repo_close(r);
}

/* A writer killed between its manifest and the index: the next read-write
 * open indexes the manifest (a no_index save leaves exactly that state). */
static void test_index_follows_manifests(void **state)
{
    exh_repo *r = open_repo("follow", 0, EXH_REPO_CACHE_LRU);
    save_model(r, 0, "012", 0.5, -1, -1, 0, "ABC");
    exh_repo_close(r);
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.no_index = 1;
    exh_error err;
    assert_int_equal(exh_repo_open(test_temp_path("follow"), &o, &r, &err), EXH_OK);
    save_model(r, 1, "013", 0.9, 0, 0, 2, "ABD");
    int64_t donor;
    int prefix;
    exh_arch child = arch_of("010");
    assert_int_equal(exh_repo_donor(r, &child, &donor, &prefix, &err), EXH_OK);
    assert_int_equal(donor, 1); /* found by manifests alone */
    exh_repo_close(r);
    o.no_index = 0;
    o.read_only = 1;
    assert_int_equal(exh_repo_open(test_temp_path("follow"), &o, &r, &err), EXH_OK);
    assert_int_not_equal(exh_repo_check(r, 0, NULL, &err), EXH_OK); /* read-only: not fixed */
    assert_non_null(strstr(err.message, "1.json"));
    exh_repo_close(r);
    r = open_repo("follow", 0, EXH_REPO_CACHE_LRU);
    exh_repo_check_result c;
    assert_int_equal(exh_repo_check(r, 0, &c, &err), EXH_OK);
    assert_int_equal(c.reconciled, 1);
    assert_int_equal(c.manifests, 2);
    int64_t ids[4];
    assert_int_equal(exh_repo_list(r, ids, 4, &err), 2);
    exh_repo_close(r);
}

/* ---- the fast tier against the replay ---- */

/* Records over 4 positions of 3 choices, seeded; each model's tensor at
 * position p holds its transfer key, so equal keys are equal blobs and the
 * live tier (keyed by content) and the replay (keyed by transfer key) see
 * the same access sequence. */
static void live_versus_replay(exh_repo_cache_policy live_policy,
                               exh_cachesim_policy replay_policy, int64_t capacity)
{
    unsigned char skip[64]; /* threshold: every third model is not cached */
    enum { N = 60, L = 4, TENSOR = 16 };
    char name[32];
    snprintf(name, sizeof name, "live-%d-%lld", replay_policy, (long long)capacity);
    exh_repo *r = open_repo(name, capacity, live_policy);
    exh_rng *rng = exh_rng_new(1234);
    exh_trace_record records[N];
    exh_error err;
    int64_t live_hits = 0, live_accesses = 0;
    for (int i = 0; i < N; i++) {
        char tokens[L + 1] = {0};
        for (int p = 0; p < L; p++)
            tokens[p] = (char)('0' + exh_rng_below(rng, 3));
        records[i] = make_record(0, i, i + 0.5, tokens, exh_rng_uniform(rng), 0);
        skip[i] = replay_policy == EXH_CACHESIM_THRESHOLD && i % 3 == 2;
        int64_t donor;
        int prefix;
        assert_int_equal(exh_repo_donor(r, RECORD_ARCH(&records[i]), &donor, &prefix, &err),
                         EXH_OK);
        records[i].prefix_length = prefix;
        {   /* donor -1 (the first): nothing served, a record for the tier's window */
            exh_repo_tensors t;
            assert_int_equal(exh_repo_load_prefix(r, donor, prefix, &t, &err), EXH_OK);
            exh_repo_traffic last;
            exh_repo_traffic_get(r, &last, NULL);
            live_hits += last.fast_hits;
            live_accesses += last.fast_hits + last.fast_misses;
            for (int k = 0; k < t.count; k++) /* served from the tier or the store: same bytes */
                assert_int_equal(*(const uint64_t *)t.tensors[k].data,
                                 exh_transfer_tensor_key(RECORD_ARCH(&records[i]), k));
            exh_repo_tensors_release(&t);
        }
        exh_repo_model m = {.id = i, .parent_id = -1, .donor_id = donor, .prefix_length = prefix,
                            .quality = records[i].quality,
                            .architecture = *RECORD_ARCH(&records[i]),
                            .skip_fast_tier = skip[i]};
        exh_repo_save *s;
        assert_int_equal(exh_repo_save_begin(r, &m, &s, &err), EXH_OK);
        for (int p = 0; p < L; p++) {
            uint64_t data[TENSOR / 8];
            data[0] = data[1] = exh_transfer_tensor_key(&m.architecture, p);
            int64_t shape = TENSOR;
            snprintf(name, sizeof name, "p%d", p);
            assert_int_equal(exh_repo_save_add_tensor(s, p, name, EXH_DTYPE_U8, 1, &shape, data,
                                                      TENSOR, &err), EXH_OK);
        }
        assert_int_equal(exh_repo_save_commit(s, &err), EXH_OK);
    }
    exh_rng_free(rng);
    exh_cachesim_options o;
    exh_cachesim_options_default(&o);
    o.policy = replay_policy;
    o.capacity_bytes = capacity;
    o.skip_store = skip;
    o.window = TIER_WINDOW;
    o.tier_donations = TIER_DONATIONS;
    int64_t tensor_bytes = TENSOR;
    o.tensor_bytes = exh_cachesim_uniform_tensor_bytes;
    o.tensor_context = &tensor_bytes;
    exh_cachesim_result replay;
    assert_int_equal(exh_cachesim_run(records, N, &o, &replay, &err), EXH_OK);
    assert_int_equal(live_accesses, replay.accesses);
    assert_int_equal(live_hits, replay.hits);
    exh_repo_traffic total;
    exh_repo_traffic_get(r, NULL, &total);
    assert_int_equal(total.evictions, replay.evictions);
    assert_true(replay.accesses > 50); /* the sequence exercises the cache */
    exh_repo_close(r);
}

static void test_fast_tier_matches_replay(void **state)
{
    static const struct {
        exh_repo_cache_policy live;
        exh_cachesim_policy replay;
        int64_t capacity;
    } cases[] = {
        {EXH_REPO_CACHE_LRU, EXH_CACHESIM_LRU, 5 * 16},
        {EXH_REPO_CACHE_LFU, EXH_CACHESIM_LFU, 5 * 16},
        {EXH_REPO_CACHE_LRU, EXH_CACHESIM_LRU, 40 * 16},
        {EXH_REPO_CACHE_LFU, EXH_CACHESIM_LFU, 12 * 16},
        {EXH_REPO_CACHE_LRU, EXH_CACHESIM_THRESHOLD, 8 * 16},
        {EXH_REPO_CACHE_LRU, EXH_CACHESIM_PREFETCH, 8 * 16}, /* one shared tier: as lru */
        {EXH_REPO_CACHE_TIER, EXH_CACHESIM_TIER, 8 * 16},
        {EXH_REPO_CACHE_TIER, EXH_CACHESIM_TIER, 3 * 16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        live_versus_replay(cases[i].live, cases[i].replay, cases[i].capacity);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_save_heals_damaged_blob),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_dedup),
        cmocka_unit_test(test_donor),
        cmocka_unit_test(test_corrupt_blob),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_gc),
        cmocka_unit_test(test_lineage),
        cmocka_unit_test(test_index_follows_manifests),
        cmocka_unit_test(test_fast_tier_matches_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
