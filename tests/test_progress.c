/* test_progress.c — the command's progress line (util/progress.h) on a fake
 * clock: what a line says (hand-worked), when one is written (rate
 * limiting, terminal or log) and that a quiet printer writes nothing. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/progress.h"

static double fake_clock(void *context)
{
    return *(const double *)context;
}

/* The lines: hand-worked from done, total and elapsed. */
static void test_format(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int64_t done, total;
        double elapsed;
        const char *extra, *want;
    } rows[] = {
        /* 3 of 20 in 42 s: 14 s each, 17 left -> 238 s = 3:58 */
        {"splits", 3, 20, 42, NULL,
         "exhaust eval: 3/20 splits (15%), 0:42 elapsed, about 3:58 left"},
        {"splits", 0, 20, 5, NULL, "exhaust eval: 0/20 splits (0%), 0:05 elapsed"},
        {"splits", 20, 20, 61, NULL, "exhaust eval: 20/20 splits (100%), 1:01 elapsed"},
        /* 1 of 4 in an hour: 3 hours left */
        {"parts", 1, 4, 3600, "best 91.6",
         "exhaust eval: 1/4 parts (25%), 1:00:00 elapsed, about 3:00:00 left, best 91.6"},
        {"runs", 1234, 0, 9.6, "logs/a.csv", "exhaust eval: 1234 runs, 0:10 elapsed, logs/a.csv"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char buf[256];
        progress_format(buf, sizeof buf, "eval", rows[i].what, rows[i].done, rows[i].total,
                        rows[i].elapsed, rows[i].extra);
        if (strcmp(buf, rows[i].want) != 0)
            fail_msg("row %zu: '%s', want '%s'", i, buf, rows[i].want);
    }
    char small[16]; /* cut short, still a string */
    progress_format(small, sizeof small, "eval", "splits", 3, 20, 42, "x");
    assert_int_equal(strlen(small), sizeof small - 1);
}

static char *read_back(FILE *f)
{
    long size = ftell(f);
    char *text = calloc((size_t)size + 1, 1);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    return text;
}

/* A log (not a terminal), a line every 5 s: updates at 0..12 s, one a
 * second, give lines at 5 and 10 only; the last (12/12) is not forced. */
static void test_log_rate(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    double now = 100;
    progress_printer p;
    progress_init(&p, f, "eval", 0, 5);
    progress_set_clock(&p, fake_clock, &now);
    int written = 0;
    for (int s = 0; s <= 12; s++) {
        now = 100 + s;
        written += progress_update(&p, "splits", s, 12, NULL);
    }
    progress_finish(&p);
    char *text = read_back(f);
    assert_int_equal(written, 2);
    assert_int_equal(test_count_of(text, "\n"), 2);
    assert_int_equal(test_count_of(text, "\r"), 0);
    assert_non_null(
        strstr(text, "exhaust eval: 5/12 splits (41%), 0:05 elapsed, about 0:07 left\n"));
    assert_non_null(strstr(text, "exhaust eval: 10/12 splits (83%), 0:10 elapsed"));
    free(text);
    fclose(f);
}

/* A terminal: redrawn in place (\r, erase line) at most every 0.1 s, the
 * finishing update always drawn, the line cleared at the end. */
static void test_terminal(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    double now = 0;
    progress_printer p;
    progress_init(&p, f, "search", 1, -1);
    assert_true(p.interval == PROGRESS_TERMINAL_INTERVAL);
    progress_set_clock(&p, fake_clock, &now);
    int written = 0;
    for (int i = 1; i <= 98; i++) { /* every 0.03 s: drawn at 0.12, 0.24, ... */
        now = 0.03 * i;
        written += progress_update(&p, "evaluations", i, 98, "best 1");
    }
    progress_finish(&p);
    char *text = read_back(f);
    assert_int_equal(written, 24 + 1); /* every 4th up to 96, and the last (98) */
    assert_int_equal(test_count_of(text, "\r\033[K"), written + 1);
    assert_int_equal(test_count_of(text, "\n"), 0);
    assert_non_null(strstr(text, "98/98 evaluations (100%), 0:03 elapsed, best 1\r\033[K"));
    free(text);
    fclose(f);
}

/* --quiet: no stream, nothing written, and the library callback is NULL
 * (the work does not even call it). */
static void test_quiet(void **state)
{
    (void)state;
    progress_printer p;
    progress_init(&p, NULL, "eval", 1, 0);
    assert_int_equal(progress_update(&p, "splits", 1, 1, NULL), 0);
    exh_progress cb = progress_callback(&p);
    assert_null(cb.report);
    exh_progress_report(&cb, "splits", 1, 2); /* a no-op */
    exh_progress_report(NULL, "splits", 1, 2);
    progress_finish(&p);
}

/* The callback the library calls reaches the printer (interval 0: every
 * update is a line). */
static void test_callback(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    progress_printer p;
    progress_init(&p, f, "fit-penalties", 0, 0);
    exh_progress cb = progress_callback(&p);
    exh_progress_report(&cb, "entries", 1, 3);
    exh_progress_report(&cb, "entries", 2, 3);
    progress_finish(&p);
    char *text = read_back(f);
    assert_int_equal(test_count_of(text, "exhaust fit-penalties: "), 2);
    assert_non_null(strstr(text, "2/3 entries (66%)"));
    free(text);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),   cmocka_unit_test(test_log_rate),
        cmocka_unit_test(test_terminal), cmocka_unit_test(test_quiet),
        cmocka_unit_test(test_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
