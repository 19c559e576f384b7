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

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A timed span: wall seconds returned, CPU seconds (user + sys of this
 * process: on a loaded machine the figure that does not count waiting) in
 * span_cpu. */
static double span_cpu, span_cpu_start;

static double span_begin(void)
{
    span_cpu_start = cpu_now();
    return bench_now();
}

static double span_end(double start)
{
    double wall = bench_now() - start;
    span_cpu = cpu_now() - span_cpu_start;
    return wall;
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
    /* fresh content in every tensor (its first bytes), so nothing dedups:
     * marking only the first tensor let the other five dedup after run 0 */
    for (int64_t p = 0, offset = 0; p < POSITIONS; offset += tensor_bytes(c, a, (int)p++))
        if (tensor_bytes(c, a, (int)p) >= (int64_t)sizeof id)
            memcpy(data + offset, &id, sizeof id);
    exh_error err;
    double start = span_begin();
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
    return span_end(start);
}

static double time_load(exh_repo *r, int64_t id)
{
    exh_repo_tensors t;
    exh_error err;
    double start = span_begin();
    if (exh_repo_load_prefix(r, id, POSITIONS, &t, &err) < 0)
        fail("load", &err);
    touch(&t);
    double seconds = span_end(start);
    exh_repo_tensors_release(&t);
    return seconds;
}

/* prefix_info + load_into `into` (the tensors one after another). */
static double time_load_into(exh_repo *r, int64_t id, unsigned char *into)
{
    exh_repo_tensors info;
    exh_error err;
    void *destinations[POSITIONS + 1];
    double start = span_begin();
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
    return span_end(start);
}

static double time_file(const char *path, unsigned char *data, int64_t bytes, int write_it)
{
    double start = span_begin();
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
    return span_end(start);
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
    enum { SAVE, WRITE, LOAD, LOAD_NONE, READ, FAST, MEMCPY, LOAD_FULL, INTO, INTO_NONE,
           FAST_INTO, ROWS };
    double t[ROWS][MAX_REPEATS], cpu[ROWS][MAX_REPEATS];
    char file[4096];
    snprintf(file, sizeof file, "%s/%s.plain", dir, c->name);
#define TIMED(row, call) (t[row][i] = (call), cpu[row][i] = span_cpu)
    for (int i = 0; i < repeats; i++) {
        int64_t id = (int64_t)i * 2;
        TIMED(SAVE, time_save(store, id, &a, c, data));
        TIMED(WRITE, time_file(file, data, total, 1));
        TIMED(LOAD, time_load(store, id));
        TIMED(LOAD_NONE, time_load(unverified, id));
        TIMED(READ, time_file(file, copy, total, 0));
        time_save(fast, id + 1, &a, c, data); /* fills the fast tier */
        TIMED(FAST, time_load(fast, id + 1));
        double start = span_begin();
        memcpy(copy, data, (size_t)total);
        sink = copy[total / 2];
        TIMED(MEMCPY, span_end(start));
        TIMED(LOAD_FULL, time_load(full, id));
        TIMED(INTO, time_load_into(store, id, copy));
        TIMED(INTO_NONE, time_load_into(unverified, id, copy));
        TIMED(FAST_INTO, time_load_into(fast, id + 1, copy));
    }
#undef TIMED
    static const struct {
        const char *name;
        int reference;
    } rows[ROWS] = {
        [SAVE] = {"save (SHA-256 + XXH3 + temp file)", WRITE},
        [WRITE] = {"write one plain file", -1},
        [LOAD] = {"store load, mapped, XXH3 check", READ},
        [LOAD_FULL] = {"store load, mapped, SHA-256 check", READ},
        [LOAD_NONE] = {"store load, mapped, no check", READ},
        [INTO] = {"store load into buffer, XXH3 check", READ},
        [INTO_NONE] = {"store load into buffer, no check", READ},
        [READ] = {"read one plain file into buffer", -1},
        [FAST] = {"fast tier load, mapped (no copy)", MEMCPY},
        [FAST_INTO] = {"fast tier load into buffer", MEMCPY},
        [MEMCPY] = {"memcpy", -1},
    };
    static const int order[ROWS] = {SAVE, WRITE, LOAD, LOAD_FULL, LOAD_NONE, INTO, INTO_NONE,
                                    READ, FAST, FAST_INTO, MEMCPY};
    double wall[ROWS], cpu_median[ROWS];
    for (int k = 0; k < ROWS; k++) {
        wall[k] = bench_median(t[k], repeats);
        cpu_median[k] = bench_median(cpu[k], repeats);
    }
    printf("\n%s: %.2f MB in 6 tensors   %9s %9s   ratio to the reference (wall, CPU)\n",
           c->name, (double)total / 1e6, "wall ms", "CPU ms");
    for (int j = 0; j < ROWS; j++) {
        int k = order[j], ref = rows[k].reference;
        printf("  %-36s %9.3f %9.3f", rows[k].name, wall[k] * 1e3, cpu_median[k] * 1e3);
        if (ref >= 0)
            printf("   %6.2fx %6.2fx of %s", wall[k] / wall[ref],
                   cpu_median[k] / (cpu_median[ref] > 0 ? cpu_median[ref] : 1e-9),
                   rows[ref].name);
        printf("\n");
    }
    printf("  peak RSS %.0f MB\n", peak_mb());
    exh_repo_close(store);
    exh_repo_close(fast);
    exh_repo_close(unverified);
    exh_repo_close(full);
    unlink(file);
    free(data);
    free(copy);
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
