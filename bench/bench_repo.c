/* bench_repo.c — the model repository (repo.h): saving a model and loading
 * its prefix, next to what a user would otherwise do with the same bytes:
 * write or read one plain file, and memcpy.
 *
 * Cases: an NB201 cell (6 positions, exh_cachesim_nb201_tensor_bytes of
 * |nor_conv_3x3|nor_conv_1x1|nor_conv_3x3|skip|nor_conv_3x3|nor_conv_1x1|:
 * 3.2 MB) and state dicts of 1, 10 and 100 MB (6 equal tensors). For each,
 * the median of REPEATS runs of:
 *   save          begin/add/commit of fresh tensors (new content each run,
 *                 so nothing dedups; fsync off, as the plain file)
 *   write file    fwrite of the same bytes to one file
 *   store load    exh_repo_load_prefix of all 6 positions (each blob mapped,
 *                 no copy), then one read per page, verified by XXH3-64 (the
 *                 default), by SHA-256 (EXH_REPO_VERIFY_FULL), or not
 *   store into    exh_repo_prefix_info + exh_repo_load_into the same buffer
 *                 the plain read fills (what a trainer does: copy into its
 *                 model), XXH3-checked before the copy, or not checked
 *   read file     read() of the same bytes from one file into a buffer
 *   fast tier     the load served by the in-memory tier (mapped, then one
 *                 read per page; and into the buffer: a copy)
 *   memcpy        the same bytes copied between two buffers
 * Files are in the page cache (written just before), as in a search that
 * reads recent donors. Peak memory is the process's (getrusage) after each
 * case.
 *
 * usage (from the repository root): build/bench_repo [REPEATS] [DIR]
 *        (default 5, a new folder under /tmp, removed at the end)
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_common.h"
#include "exhaust/cachesim.h"
#include "exhaust/repo.h"
#include "util/digest.h"

#define POSITIONS 6
#define MAX_REPEATS 64

typedef struct bench_case {
    const char *name;
    int64_t total_bytes; /* 0: NB201 sizes */
} bench_case;

static double peak_mb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_maxrss / 1024.0;
}

static int64_t tensor_bytes(const bench_case *c, const exh_arch *a, int p)
{
    return c->total_bytes ? c->total_bytes / POSITIONS / 4 * 4 /* whole float32s */
                          : exh_cachesim_nb201_tensor_bytes(a, p, NULL);
}

static volatile unsigned char sink;

/* One read per 4 KiB page: what makes a mapped blob's bytes arrive. */
static void touch(const exh_repo_tensors *t)
{
    unsigned char s = 0;
    for (int i = 0; i < t->count; i++)
        for (int64_t k = 0; k < t->tensors[i].bytes; k += 4096)
            s ^= ((const unsigned char *)t->tensors[i].data)[k];
    sink = s;
}

static void fail(const char *what, const exh_error *err)
{
    fprintf(stderr, "bench_repo: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

static double time_save(exh_repo *r, int64_t id, const exh_arch *a, const bench_case *c,
                        unsigned char *data)
{
    exh_repo_model m = {.id = id, .parent_id = -1, .donor_id = -1, .quality = 0.5};
    m.architecture = *a;
    memcpy(data, &id, sizeof id); /* fresh content: nothing dedups */
    exh_error err;
    double start = bench_now();
    exh_repo_save *s;
    if (exh_repo_save_begin(r, &m, &s, &err) < 0)
        fail("save", &err);
    int64_t offset = 0;
    for (int p = 0; p < POSITIONS; p++) {
        int64_t bytes = tensor_bytes(c, a, p), floats = bytes / 4;
        char name[16];
        snprintf(name, sizeof name, "edge%d", p);
        if (exh_repo_save_add_tensor(s, p, name, EXH_DTYPE_F32, 1, &floats, data + offset, bytes,
                                     &err) < 0)
            fail("add", &err);
        offset += bytes;
    }
    if (exh_repo_save_commit(s, &err) < 0)
        fail("commit", &err);
    return bench_now() - start;
}

static double time_load(exh_repo *r, int64_t id)
{
    exh_repo_tensors t;
    exh_error err;
    double start = bench_now();
    if (exh_repo_load_prefix(r, id, POSITIONS, &t, &err) < 0)
        fail("load", &err);
    touch(&t);
    double seconds = bench_now() - start;
    exh_repo_tensors_release(&t);
    return seconds;
}

/* prefix_info + load_into `into` (the tensors one after another). */
static double time_load_into(exh_repo *r, int64_t id, unsigned char *into)
{
    exh_repo_tensors info;
    exh_error err;
    void *destinations[POSITIONS + 1];
    double start = bench_now();
    if (exh_repo_prefix_info(r, id, POSITIONS, &info, &err) < 0)
        fail("info", &err);
    int64_t offset = 0;
    for (int i = 0; i < info.count && i <= POSITIONS; i++) {
        destinations[i] = into + offset;
        offset += info.tensors[i].bytes;
    }
    if (exh_repo_load_into(r, id, POSITIONS, &info, destinations, &err) < 0)
        fail("load_into", &err);
    exh_repo_tensors_release(&info);
    return bench_now() - start;
}

static double time_file(const char *path, unsigned char *data, int64_t bytes, int write_it)
{
    double start = bench_now();
    int fd = write_it ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open(path, O_RDONLY);
    if (fd < 0)
        fail(path, NULL);
    for (int64_t done = 0; done < bytes;) {
        ssize_t n = write_it ? write(fd, data + done, (size_t)(bytes - done))
                             : read(fd, data + done, (size_t)(bytes - done));
        if (n <= 0)
            fail(path, NULL);
        done += n;
    }
    close(fd);
    return bench_now() - start;
}

static exh_repo *open_repo(const char *dir, const char *name, int verify, int64_t cache)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    exh_repo_options o;
    exh_repo_options_default(&o);
    o.fsync = 0;
    o.verify = verify;
    o.cache_bytes = cache;
    exh_repo *r;
    exh_error err;
    if (exh_repo_open(path, &o, &r, &err) < 0)
        fail("open", &err);
    return r;
}

static void run_case(const bench_case *c, const char *dir, int repeats)
{
    exh_arch a = {.length = POSITIONS, .token = {3, 2, 3, 1, 3, 2}};
    int64_t total = 0;
    for (int p = 0; p < POSITIONS; p++)
        total += tensor_bytes(c, &a, p);
    unsigned char *data = malloc((size_t)total), *copy = malloc((size_t)total);
    if (!data || !copy)
        fail("out of memory", NULL);
    for (int64_t k = 0; k < total; k++)
        data[k] = (unsigned char)(k * 131 + 7);
    exh_repo *store = open_repo(dir, c->name, EXH_REPO_VERIFY_FAST, 0);
    exh_repo *fast = open_repo(dir, c->name, EXH_REPO_VERIFY_FAST, 2 * total);
    exh_repo *unverified = open_repo(dir, c->name, EXH_REPO_VERIFY_NONE, 0);
    exh_repo *full = open_repo(dir, c->name, EXH_REPO_VERIFY_FULL, 0);
    double t[11][MAX_REPEATS];
    char file[4096];
    snprintf(file, sizeof file, "%s/%s.plain", dir, c->name);
    for (int i = 0; i < repeats; i++) {
        int64_t id = (int64_t)i * 2;
        t[0][i] = time_save(store, id, &a, c, data);
        t[1][i] = time_file(file, data, total, 1);
        t[2][i] = time_load(store, id);
        t[3][i] = time_load(unverified, id);
        t[4][i] = time_file(file, copy, total, 0);
        time_save(fast, id + 1, &a, c, data); /* fills the fast tier */
        t[5][i] = time_load(fast, id + 1);
        double start = bench_now();
        memcpy(copy, data, (size_t)total);
        sink = copy[total / 2];
        t[6][i] = bench_now() - start;
        t[7][i] = time_load(full, id);
        t[8][i] = time_load_into(store, id, copy);
        t[9][i] = time_load_into(unverified, id, copy);
        t[10][i] = time_load_into(fast, id + 1, copy);
    }
    double m[11];
    for (int k = 0; k < 11; k++)
        m[k] = bench_median(t[k], repeats);
    double mb = (double)total / 1e6;
    printf("%-8s %8.2f MB | save %8.2f ms (%6.0f MB/s) vs write file %7.2f ms: %5.2fx\n", c->name,
           mb, m[0] * 1e3, mb / m[0], m[1] * 1e3, m[0] / m[1]);
    printf("%-8s %11s | store load %7.2f ms (XXH3 check), %7.2f ms (SHA-256), %7.2f ms (none)"
           " vs read file %7.2f ms: %5.2fx, %5.2fx, %5.2fx\n", "", "", m[2] * 1e3, m[7] * 1e3,
           m[3] * 1e3, m[4] * 1e3, m[2] / m[4], m[7] / m[4], m[3] / m[4]);
    printf("%-8s %11s | store into %7.2f ms (XXH3 check), %7.2f ms (none) vs read file: %5.2fx,"
           " %5.2fx\n", "", "", m[8] * 1e3, m[9] * 1e3, m[8] / m[4], m[9] / m[4]);
    printf("%-8s %11s | fast tier %8.3f ms (mapped), %7.3f ms (into) vs memcpy %7.3f ms: %5.2fx,"
           " %5.2fx | peak RSS %.0f MB\n", "", "", m[5] * 1e3, m[10] * 1e3, m[6] * 1e3,
           m[5] / m[6], m[10] / m[6], peak_mb());
    exh_repo_close(store);
    exh_repo_close(fast);
    exh_repo_close(unverified);
    exh_repo_close(full);
    unlink(file);
    free(data);
    free(copy);
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* What verification costs: SHA-256 and XXH3-64 of 64 MB, wall and CPU time
 * (on a shared machine the CPU figure is the one that does not depend on the
 * load). */
static void hash_speed(void)
{
    size_t bytes = 64u << 20;
    unsigned char *data = calloc(bytes, 1);
    char hex[SHA256_HEX_SIZE];
    if (!data)
        fail("out of memory", NULL);
    memset(data, 0x5a, bytes); /* touched: the hash is timed, not the first page faults */
    for (int fast = 0; fast < 2; fast++) {
        double wall = bench_now(), cpu = cpu_now();
        if (fast)
            xxh3_hex(data, bytes, hex);
        else
            sha256_hex(data, bytes, hex);
        wall = bench_now() - wall;
        cpu = cpu_now() - cpu;
        printf("%s: %.0f MB/s wall, %.0f MB/s of CPU time\n",
               fast ? "XXH3-64 (libxxhash)" : "SHA-256 (libcrypto)", bytes / 1e6 / wall,
               bytes / 1e6 / cpu);
    }
    free(data);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
    return remove(path);
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1 || repeats > MAX_REPEATS)
        repeats = 5;
    char dir[4096];
    if (argc > 2)
        snprintf(dir, sizeof dir, "%s", argv[2]);
    else if (!mkdtemp(strcpy(dir, "/tmp/bench_repo.XXXXXX")))
        fail("mkdtemp", NULL);
    static const bench_case cases[] = {
        {"nb201", 0}, {"1MB", 1000000}, {"10MB", 10000000}, {"100MB", 100000000},
    };
    printf("bench_repo: medians of %d runs in %s (page cache warm, fsync off)\n", repeats, dir);
    hash_speed();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], dir, repeats);
    printf("(ratio > 1: the repository is slower)\n");
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
