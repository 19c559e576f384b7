/* test_tfevents.c — TensorBoard event files written here with protobuf-c:
 * CRC-32C, simple_value and TF2 tensor scalars, the validation folder, a
 * custom tag map, and every kind of damage (never a crash; the records
 * before the damage are kept unless --strict). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "exhaust/ingest.h"
#include "tensorboard.pb-c.h"
#include "testutil.h"
#include "util/crc32c.h"

typedef struct buffer {
    unsigned char data[1 << 16];
    size_t size;
} buffer;

static void put_u32(buffer *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->data[b->size++] = (unsigned char)(v >> (8 * i));
}

/* Frame one packed Event as a TFRecord. */
static void append_event(buffer *b, const Tensorboard__Event *event)
{
    size_t n = tensorboard__event__get_packed_size(event);
    unsigned char *length = b->data + b->size;
    for (int i = 0; i < 8; i++)
        b->data[b->size++] = (unsigned char)((uint64_t)n >> (8 * i));
    put_u32(b, crc32c_masked(length, 8));
    unsigned char *body = b->data + b->size;
    tensorboard__event__pack(event, body);
    b->size += n;
    put_u32(b, crc32c_masked(body, n));
}

typedef enum { SIMPLE, TENSOR_FLOAT_VAL, TENSOR_CONTENT, TENSOR_DOUBLE } scalar_kind;

static void append_scalar(buffer *b, int64_t step, const char *tag, double value, scalar_kind kind)
{
    Tensorboard__Event event = TENSORBOARD__EVENT__INIT;
    Tensorboard__Summary summary = TENSORBOARD__SUMMARY__INIT;
    Tensorboard__Summary__Value v = TENSORBOARD__SUMMARY__VALUE__INIT;
    Tensorboard__Summary__Value *values[1] = {&v};
    Tensorboard__TensorProto tensor = TENSORBOARD__TENSOR_PROTO__INIT;
    float f = (float)value;
    double d = value;
    event.step = step;
    event.wall_time = 1000.0 + (double)step;
    event.what_case = TENSORBOARD__EVENT__WHAT_SUMMARY;
    event.summary = &summary;
    summary.n_value = 1;
    summary.value = values;
    v.tag = (char *)tag;
    if (kind == SIMPLE) {
        v.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
        v.simple_value = f;
    } else {
        v.value_case = TENSORBOARD__SUMMARY__VALUE__VALUE_TENSOR;
        v.tensor = &tensor;
        tensor.dtype = kind == TENSOR_DOUBLE ? 2 : 1;
        if (kind == TENSOR_FLOAT_VAL) {
            tensor.n_float_val = 1;
            tensor.float_val = &f;
        } else if (kind == TENSOR_CONTENT) {
            tensor.tensor_content.len = 4;
            tensor.tensor_content.data = (uint8_t *)&f;
        } else {
            tensor.n_double_val = 1;
            tensor.double_val = &d;
        }
    }
    append_event(b, &event);
}

static void append_file_version(buffer *b)
{
    Tensorboard__Event event = TENSORBOARD__EVENT__INIT;
    event.what_case = TENSORBOARD__EVENT__WHAT_FILE_VERSION;
    event.file_version = "brain.Event:2";
    append_event(b, &event);
}

typedef struct collected {
    exh_run runs[4];
    int count;
} collected;

static int collect(exh_run *r, void *context, exh_error *err)
{
    (void)err;
    collected *c = context;
    if (c->count == 4)
        return EXH_ERR_INVALID;
    exh_run *copy = &c->runs[c->count++];
    exh_run_init(copy);
    exh_run_set(&copy->key, r->key);
    for (size_t i = 0; i < r->epoch_count; i++)
        exh_run_add_epoch(copy, &r->epochs[i]);
    return 0;
}

static void clear(collected *c)
{
    for (int i = 0; i < c->count; i++)
        exh_run_clear(&c->runs[i]);
    c->count = 0;
}

static int parse(const char *path, const buffer *b, const exh_ingest_options *o, collected *c,
                 exh_ingest_stats *stats, exh_error *err)
{
    memset(stats, 0, sizeof *stats);
    exh_ingest_parser_context context = {o, path, collect, c, stats};
    return exh_ingest_parse(EXH_INGEST_TFEVENTS, (const char *)b->data, b->size, &context, err);
}

static void test_crc32c_vectors(void **state)
{
    (void)state;
    unsigned char zeros[32] = {0};
    assert_int_equal(crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c(zeros, 32), 0x8A9136AAu);
    assert_int_equal(crc32c("", 0), 0);
}

static void test_scalar_kinds(void **state)
{
    (void)state;
    static buffer b;
    b.size = 0;
    append_file_version(&b);
    scalar_kind kinds[] = {SIMPLE, TENSOR_FLOAT_VAL, TENSOR_CONTENT, TENSOR_DOUBLE};
    for (int step = 0; step < 4; step++) {
        append_scalar(&b, step, "loss", 2.0 - 0.5 * step, kinds[step]);
        append_scalar(&b, step, "accuracy", 0.25 * (step + 1), kinds[3 - step]);
        append_scalar(&b, step, "batch_loss", 9.0, SIMPLE); /* not a known tag */
    }
    exh_ingest_options o = {0};
    collected c = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(parse("runs/exp1/events.out.tfevents.1", &b, &o, &c, &stats, &err), 0);
    assert_int_equal(c.count, 1);
    assert_string_equal(c.runs[0].key, "runs/exp1");
    assert_int_equal(c.runs[0].epoch_count, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(c.runs[0].epochs[i].epoch, i + 1);
        assert_true(fabs(c.runs[0].epochs[i].train_loss - (2.0 - 0.5 * i)) < 1e-6);
        /* accuracies were fractions: stored in percent */
        assert_true(fabs(c.runs[0].epochs[i].train_accuracy - 25.0 * (i + 1)) < 1e-4);
    }
    clear(&c);
}

static void test_validation_folder_and_tag_map(void **state)
{
    (void)state;
    static buffer b;
    b.size = 0;
    append_scalar(&b, 0, "epoch_loss", 0.5, TENSOR_CONTENT);
    append_scalar(&b, 0, "epoch_accuracy", 80.0, TENSOR_CONTENT); /* already percent */
    append_scalar(&b, 0, "my_top1", 0.7, SIMPLE);
    exh_ingest_options o = {.tag_map = "test_accuracy=my_top1|other"};
    collected c = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(parse("logs/run7/validation/events.out.tfevents.2", &b, &o, &c, &stats, &err),
                     0);
    assert_string_equal(c.runs[0].key, "logs/run7");
    exh_epoch_record row = c.runs[0].epochs[0];
    assert_true(fabs(row.val_loss - 0.5) < 1e-6);
    assert_true(fabs(row.val_accuracy - 80.0) < 1e-4);
    assert_true(isnan(row.train_loss));
    assert_true(fabs(row.test_accuracy - 70.0) < 1e-4);
    clear(&c);
    o.tag_map = "bogus=my_top1";
    assert_int_equal(parse("x/events.out.tfevents.3", &b, &o, &c, &stats, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "bogus"));
}

/* Damage a good three-epoch file and check what survives. */
static void check_damage(const char *what, void (*damage)(buffer *), int epochs_kept,
                         const char *message)
{
    static buffer b;
    b.size = 0;
    for (int step = 0; step < 3; step++)
        append_scalar(&b, step, "loss", 1.0 + step, SIMPLE);
    damage(&b);
    exh_ingest_options o = {0};
    collected c = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(parse("r/events.out.tfevents.9", &b, &o, &c, &stats, &err), 0);
    if (epochs_kept == 0)
        assert_int_equal(c.count, 0);
    else
        assert_int_equal(c.runs[0].epoch_count, epochs_kept);
    if (message) {
        assert_int_equal(stats.skipped, 1);
        if (!strstr(stats.messages[0], message) || !strstr(stats.messages[0], "byte "))
            fail_msg("%s: message '%s' lacks '%s'", what, stats.messages[0], message);
    }
    clear(&c);
    if (message) { /* strict: the same damage is an error */
        o.strict = 1;
        assert_int_equal(parse("r/events.out.tfevents.9", &b, &o, &c, &stats, &err),
                         EXH_ERR_CORRUPT);
        clear(&c);
    }
}

static size_t record_size(void)
{
    static buffer one;
    one.size = 0;
    append_scalar(&one, 0, "loss", 1.0, SIMPLE);
    return one.size;
}

static void truncate_header(buffer *b) { b->size = 2 * record_size() + 5; }
static void truncate_data(buffer *b) { b->size -= 6; }
static void flip_data_bit(buffer *b) { b->data[2 * record_size() + 14] ^= 0x10; }
static void flip_length_bit(buffer *b) { b->data[record_size() + 1] ^= 0x01; }
static void empty(buffer *b) { b->size = 0; }
static void garbage(buffer *b)
{
    for (size_t i = 0; i < b->size; i++)
        b->data[i] = (unsigned char)(i * 37 + 11);
}

static void test_damaged_files(void **state)
{
    (void)state;
    check_damage("truncated header", truncate_header, 2, "truncated header");
    check_damage("truncated data", truncate_data, 2, "truncated data");
    check_damage("flipped data bit", flip_data_bit, 2, "data CRC mismatch");
    check_damage("flipped length bit", flip_length_bit, 1, "length CRC mismatch");
    check_damage("empty file", empty, 0, NULL);
    check_damage("garbage", garbage, 0, "CRC mismatch");
}

static void test_real_files_parse(void **state)
{
    (void)state;
    const char *data = test_data_dir();
    if (!data)
        skip();
    char folder[1024];
    snprintf(folder, sizeof folder, "%s/tfevents", data);
    exh_store *s;
    exh_error err;
    char *path = test_temp_path("tf.db");
    remove(path);
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    exh_ingest_options o = {.strict = 1};
    exh_ingest_stats stats;
    const char *paths[] = {folder};
    if (exh_ingest_paths(s, paths, 1, &o, &stats, &err) < 0)
        fail_msg("%s", err.message);
    assert_int_equal(stats.files, 6);
    assert_int_equal(stats.runs, 3); /* train + validation merged per run */
    assert_int_equal(stats.epochs, 30);
    exh_store_close(s);
}

/* A run folder path too long for run_identity's buffer: the key was read
 * from an unset buffer (valgrind/MSan); now it is the path's own bytes. */
static void test_path_too_long_for_the_key(void **state)
{
    (void)state;
    static buffer b;
    b.size = 0;
    append_scalar(&b, 0, "loss", 1.5, SIMPLE);
    char path[3200];
    memset(path, 'd', sizeof path);
    memcpy(path + 3100, "/events.out.tfevents.1", 23);
    collected c = {0};
    exh_ingest_stats stats;
    exh_error err;
    exh_ingest_options o = {0};
    assert_int_equal(parse(path, &b, &o, &c, &stats, &err), 0);
    assert_int_equal(c.count, 1);
    assert_true(strlen(c.runs[0].key) > 0);
    assert_int_equal(strncmp(c.runs[0].key, path, strlen(c.runs[0].key)), 0);
    clear(&c);
}

/* An infinite scalar is refused as in every other format, and counted. */
static void test_infinite_value_skipped(void **state)
{
    (void)state;
    static buffer b;
    b.size = 0;
    append_scalar(&b, 0, "loss", 1.5, SIMPLE);
    append_scalar(&b, 1, "loss", INFINITY, TENSOR_DOUBLE);
    append_scalar(&b, 2, "loss", 0.5, SIMPLE);
    collected c = {0};
    exh_ingest_stats stats;
    exh_error err;
    exh_ingest_options o = {0};
    assert_int_equal(parse("r/events.out.tfevents.1", &b, &o, &c, &stats, &err), 0);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.runs[0].epoch_count, 2);
    assert_int_equal(stats.skipped, 1);
    assert_non_null(strstr(stats.messages[0], "infinite"));
    for (size_t i = 0; i < c.runs[0].epoch_count; i++)
        assert_true(isfinite(c.runs[0].epochs[i].train_loss));
    clear(&c);
}

/* CPU seconds of this process: the limit is about the parser's own work,
 * which a loaded machine does not change (wall time does). */
static double cpu_seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 200,000 steps: every new step scanned all earlier epochs (quadratic, half
 * a minute); now a hash finds the row. Steps out of order on purpose. */
static void test_many_steps_are_linear(void **state)
{
    (void)state;
    enum { STEPS = 200000 };
    static buffer b;
    size_t capacity = (size_t)STEPS * 96, used = 0;
    char *big = malloc(capacity);
    assert_non_null(big);
    b.size = 0;
    for (int i = 0; i < STEPS; i++) {
        if (b.size > sizeof b.data - 256) {
            memcpy(big + used, b.data, b.size);
            used += b.size;
            b.size = 0;
        }
        int step = i % 2 ? STEPS - i : i;
        append_scalar(&b, step, "loss", 1.0, SIMPLE);
        append_scalar(&b, step, "accuracy", 0.5, SIMPLE);
    }
    memcpy(big + used, b.data, b.size);
    used += b.size;
    collected c = {0};
    exh_ingest_stats stats;
    exh_error err;
    exh_ingest_options o = {0};
    exh_ingest_parser_context context = {&o, "big/events.out.tfevents.1", collect, &c, &stats};
    memset(&stats, 0, sizeof stats);
    double start = cpu_seconds_now();
    assert_int_equal(exh_ingest_parse(EXH_INGEST_TFEVENTS, big, used, &context, &err), 0);
    double took = cpu_seconds_now() - start;
    free(big);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.runs[0].epoch_count, STEPS);
    double limit = getenv("EXHAUST_SANITIZED") ? 30.0 : 4.0;
    if (took > limit)
        fail_msg("200,000 steps took %.1f s of CPU (limit %.0f s)", took, limit);
    clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_scalar_kinds),
        cmocka_unit_test(test_validation_folder_and_tag_map),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_real_files_parse),
        cmocka_unit_test(test_path_too_long_for_the_key),
        cmocka_unit_test(test_infinite_value_skipped),
        cmocka_unit_test(test_many_steps_are_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
