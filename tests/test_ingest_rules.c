/* test_ingest_rules.c — the rules every log format shares (issue 11): no
 * record is lost in silence (every skip is counted and its message names
 * the run or line), a NUL byte never truncates a field, an infinite metric
 * is refused by every format, and reading is linear in the rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exhaust/ingest.h"
#include "logs/ingest_internal.h"
#include "testutil.h"
#include "util/csv.h"

typedef struct kept {
    int runs;
    int epochs;
    double first_val_accuracy; /* of the first run's first epoch */
} kept;

static int keep(exh_run *r, void *context, exh_error *err)
{
    (void)err;
    kept *k = context;
    if (k->runs++ == 0 && r->epoch_count > 0)
        k->first_val_accuracy = r->epochs[0].val_accuracy;
    k->epochs += (int)r->epoch_count;
    return 0;
}

/* Parse size bytes of data (which may hold NULs) as file `path`. */
static int parse(exh_ingest_format format, const char *path, const char *data, size_t size,
                 kept *k, exh_ingest_stats *stats, exh_error *err)
{
    memset(k, 0, sizeof *k);
    memset(stats, 0, sizeof *stats);
    k->first_val_accuracy = NAN;
    /* Parsers get what file_read_all gives them: the bytes and a NUL. */
    char *copy = malloc(size + 1);
    assert_non_null(copy);
    memcpy(copy, data, size);
    copy[size] = '\0';
    exh_ingest_options options = {0};
    options.space = "nb201";
    options.arch = "302141";
    exh_ingest_parser_context context = {&options, path, keep, k, stats};
    int rc = exh_ingest_parse(format, copy, size, &context, err);
    free(copy);
    return rc;
}

static int any_message(const exh_ingest_stats *stats, const char *needle)
{
    for (int i = 0; i < stats->message_count; i++)
        if (strstr(stats->messages[i], needle))
            return 1;
    return 0;
}

#define TEXT(s) s, sizeof s - 1 /* a literal with its NULs, not up to the first */

static void test_every_skip_counted_and_named(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        exh_ingest_format format;
        const char *data;
        size_t size;
        int runs, skipped;
        const char *message; /* a skip message holds this */
    } cases[] = {
        /* r1 was complete when an unclosed quote swallowed the rest: it was dropped
         * and not counted; now it is skipped, counted and named. */
        {"long CSV, unclosed quote after a run", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,50\nr1,2,60\nr2,1,\"7\n"), 0, 2, "run 'r1' skipped"},
        {"long CSV, unclosed quote alone", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,\"50\n"), 0, 1, "never closed"},
        /* "63\0.364" read as 63: now the row is skipped and counted. */
        {"long CSV, NUL in a field", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,63\0.364\nr2,1,70\n"), 1, 1, "line 2: field 3 holds a NUL"},
        {"long CSV, inf accuracy", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,inf\nr2,1,70\n"), 1, 1, "'inf' is not a number"},
        {"long CSV, -Infinity accuracy", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,-Infinity\n"), 0, 1, "is not a number"},
        {"long CSV, 1e999 accuracy", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,1e999\n"), 0, 1, "is not a number"},
        {"long CSV, NaN and empty are missing values", EXH_INGEST_CSV,
         TEXT("key,epoch,val_accuracy\nr1,1,nan\nr1,2,\n"), 1, 0, NULL},
        {"Keras CSV, NUL in a field", EXH_INGEST_KERAS_CSV,
         TEXT("epoch,val_accuracy\n0,0.63\0.364\n"), 0, 1, "NUL"},
        {"Keras CSV, inf accuracy", EXH_INGEST_KERAS_CSV,
         TEXT("epoch,val_accuracy\n0,0.5\n1,inf\n"), 0, 1, "'inf' is not a number"},
        {"Keras CSV, unclosed quote", EXH_INGEST_KERAS_CSV,
         TEXT("epoch,val_accuracy\n0,0.5\n1,\"0.6\n"), 0, 1, "run skipped"},
        {"JSONL, inf accuracy (JSON has no inf)", EXH_INGEST_JSONL,
         TEXT("{\"key\":\"r1\",\"epochs\":[{\"epoch\":1,\"val_accuracy\":inf}]}\n"), 0, 1, "line 1"},
        {"NB201, NUL row skipped, the next row read (9 runs a row)", EXH_INGEST_NB201,
         TEXT("arch_index,arch_str,c10valid_val200_s777,c10valid_val200_s888,c10valid_val200_s999,"
              "c100_val200_s777,c100_val200_s888,c100_val200_s999,c10valid_val12,c10_test12,"
              "c100_val12,c100_test12\n"
              "0,|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|,"
              "5\0.5,1,1,1,1,1,1,1,1,1\n"
              "1,|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|none~2|,"
              "50,1,1,1,1,1,1,1,1,1\n"),
         9, 1, "line 2: field 3 holds a NUL byte (row skipped)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kept k;
        exh_ingest_stats stats;
        exh_error err;
        int rc = parse(cases[i].format, "f.csv", cases[i].data, cases[i].size, &k, &stats, &err);
        if (rc < 0)
            fail_msg("%s: %s", cases[i].what, err.message);
        if (k.runs != cases[i].runs || stats.skipped != cases[i].skipped)
            fail_msg("%s: %d runs, %lld skipped (want %d, %d); last message: %s", cases[i].what,
                     k.runs, (long long)stats.skipped, cases[i].runs, cases[i].skipped,
                     stats.message_count ? stats.messages[stats.message_count - 1] : "-");
        if (cases[i].message && !any_message(&stats, cases[i].message))
            fail_msg("%s: no message holds \"%s\"; first: %s", cases[i].what, cases[i].message,
                     stats.message_count ? stats.messages[0] : "-");
    }
}

static void test_nul_never_truncates(void **state)
{
    (void)state;
    /* The CSV reader itself: a NUL fails that record, the next one reads. */
    static const char data[] = "a,b\n63\0.364,1\n7,8\n";
    csv_reader reader;
    csv_open(&reader, data, sizeof data - 1);
    exh_error err;
    assert_int_equal(csv_next(&reader, &err), 1);
    assert_true(csv_next(&reader, &err) < 0);
    assert_int_equal(reader.resumable, 1);
    assert_non_null(strstr(err.message, "line 2"));
    assert_int_equal(csv_next(&reader, &err), 1);
    assert_string_equal(reader.fields[0], "7");
    assert_int_equal(reader.field_lengths[1], 1);
    assert_int_equal(csv_next(&reader, &err), 0);
    csv_close(&reader);
    double x;
    assert_int_equal(csv_parse_double(" 63.364 ", &x), 0);
    assert_true(x == 63.364);
    assert_int_equal(csv_parse_double("inf", &x), EXH_ERR_PARSE);
    assert_int_equal(csv_parse_double("nan(0x1)", &x), EXH_ERR_PARSE);
    assert_int_equal(csv_parse_double("1e999", &x), EXH_ERR_PARSE); /* overflow */
    assert_int_equal(csv_parse_double("4.9406564584124654e-324", &x), 0); /* subnormal */
    assert_true(x == 4.9406564584124654e-324);
    assert_int_equal(csv_parse_double("-1e-400", &x), 0); /* below every subnormal: -0 */
    assert_true(x == 0.0 && signbit(x));
}

/* NAS-Bench-NLP's epochs.csv with its header only: qsort(NULL, 0) was UB
 * (clang's UBSan in make asan-test reports it). */
static void test_nlp_epochs_header_only(void **state)
{
    (void)state;
    static const char runs[] = "recipe_id,experiment_id,status,recipe_json\n";
    static const char epochs[] = "recipe_id,experiment_id,epoch,train_loss,val_loss,test_loss\n";
    kept k = {0};
    exh_ingest_stats stats = {0};
    exh_ingest_options options = {0};
    exh_ingest_parser_context context = {&options, "runs.csv", keep, &k, &stats};
    exh_error err;
    int rc = ingest_nlp_parse_buffers(runs, sizeof runs - 1, epochs, sizeof epochs - 1,
                                      "epochs.csv", &context, &err);
    if (rc < 0 && !strstr(err.message, "column"))
        fail_msg("%s", err.message);
    assert_int_equal(k.runs, 0);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 200,000 epochs in one Keras CSV took 31 s (each row scanned the earlier
 * ones for a duplicate); linear, it is well under a second. Out of order
 * and with one duplicate at the very end, so the index must be right too. */
static void test_keras_csv_is_linear(void **state)
{
    (void)state;
    enum { ROWS = 200000 };
    size_t capacity = (size_t)ROWS * 24 + 64, used = 0;
    char *data = malloc(capacity);
    assert_non_null(data);
    used += (size_t)snprintf(data, capacity, "epoch,val_accuracy,loss\n");
    for (int i = 0; i < ROWS; i++) {
        int epoch = i % 2 ? ROWS - i : i; /* both ends towards the middle */
        used += (size_t)snprintf(data + used, capacity - used, "%d,0.5,1.0\n", epoch);
    }
    kept k;
    exh_ingest_stats stats;
    exh_error err;
    double start = seconds_now();
    assert_int_equal(parse(EXH_INGEST_KERAS_CSV, "big.csv", data, used, &k, &stats, &err), 0);
    double took = seconds_now() - start;
    assert_int_equal(k.runs, 1);
    assert_int_equal(k.epochs, ROWS);
    assert_int_equal(stats.skipped, 0);
    double limit = getenv("EXHAUST_SANITIZED") ? 20.0 : 3.0;
    if (took > limit)
        fail_msg("200,000 Keras rows took %.1f s (limit %.0f s)", took, limit);
    /* The same with epoch 7 again at the end: the run is refused, named. */
    used += (size_t)snprintf(data + used, capacity - used, "7,0.5,1.0\n");
    assert_int_equal(parse(EXH_INGEST_KERAS_CSV, "big.csv", data, used, &k, &stats, &err), 0);
    assert_int_equal(k.runs, 0);
    assert_true(any_message(&stats, "epoch 7 appears twice"));
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_skip_counted_and_named),
        cmocka_unit_test(test_nul_never_truncates),
        cmocka_unit_test(test_nlp_epochs_header_only),
        cmocka_unit_test(test_keras_csv_is_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
