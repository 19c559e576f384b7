/* test_run.c — the run data model: strings, parameters, epoch rows,
 * missing metrics and metric access by name. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exhaust/error.h"
#include "exhaust/run.h"
#include "testutil.h"

static void test_init_is_empty(void **state)
{
    (void)state;
    exh_run r;
    memset(&r, 0x5a, sizeof r);
    exh_run_init(&r);
    assert_null(r.key);
    assert_null(r.status);
    assert_int_equal(r.param_count, 0);
    assert_int_equal(r.epoch_count, 0);
    assert_int_equal(r.has_seed, 0);
    assert_int_equal(r.id, 0);
    exh_run_clear(&r); /* clearing an empty run is fine, twice too */
    exh_run_clear(&r);
}

static void test_set_copies_and_replaces(void **state)
{
    (void)state;
    exh_run r;
    exh_run_init(&r);
    char text[16];
    snprintf(text, sizeof text, "first");
    assert_int_equal(exh_run_set(&r.key, text), EXH_OK);
    text[0] = 'X'; /* the run keeps its own copy */
    assert_string_equal(r.key, "first");
    assert_int_equal(exh_run_set(&r.key, "second"), EXH_OK);
    assert_string_equal(r.key, "second");
    assert_int_equal(exh_run_set(&r.key, NULL), EXH_OK);
    assert_null(r.key);
    assert_int_equal(exh_run_set(&r.space, "nb201"), EXH_OK);
    exh_run_clear(&r);
    assert_null(r.space);
}

static void test_params_keep_order_and_replace_by_key(void **state)
{
    (void)state;
    exh_run r;
    exh_run_init(&r);
    char key[16], value[16];
    for (int i = 0; i < 20; i++) { /* past the first allocation */
        snprintf(key, sizeof key, "p%d", i);
        snprintf(value, sizeof value, "%d", i * i);
        assert_int_equal(exh_run_add_param(&r, key, value), EXH_OK);
    }
    assert_int_equal(r.param_count, 20);
    assert_string_equal(r.params[0].key, "p0");
    assert_string_equal(r.params[19].key, "p19");
    assert_string_equal(exh_run_param_value(&r, "p7"), "49");
    assert_int_equal(exh_run_add_param(&r, "p7", "seven"), EXH_OK);
    assert_int_equal(r.param_count, 20); /* replaced, not added */
    assert_string_equal(exh_run_param_value(&r, "p7"), "seven");
    assert_string_equal(r.params[7].key, "p7");
    assert_int_equal(exh_run_add_param(&r, "empty", NULL), EXH_OK);
    assert_string_equal(exh_run_param_value(&r, "empty"), "");
    assert_null(exh_run_param_value(&r, "absent"));
    exh_run_clear(&r);
    assert_int_equal(r.param_count, 0);
    assert_null(exh_run_param_value(&r, "p0"));
}

static void test_empty_row_has_every_metric_missing(void **state)
{
    (void)state;
    exh_epoch_record row = exh_epoch_record_empty(12);
    assert_int_equal(row.epoch, 12);
    for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++) {
        double *value = exh_epoch_metric(&row, exh_epoch_metric_names[m]);
        assert_non_null(value);
        assert_false(exh_metric_present(*value));
    }
    assert_true(exh_metric_present(0.0)); /* zero is a value, not a gap */
    assert_true(exh_metric_present(-1.5));
    assert_true(exh_metric_present(INFINITY));
    assert_false(exh_metric_present(NAN));
}

static void test_metric_by_name_points_into_the_row(void **state)
{
    (void)state;
    exh_epoch_record row = exh_epoch_record_empty(1);
    /* Each name reaches a different field, and the one its name says. */
    for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
        *exh_epoch_metric(&row, exh_epoch_metric_names[m]) = 100.0 + m;
    assert_true(row.train_accuracy == 100.0);
    assert_true(row.train_loss == 101.0);
    assert_true(row.val_accuracy == 102.0);
    assert_true(row.val_loss == 103.0);
    assert_true(row.test_accuracy == 104.0);
    assert_true(row.test_loss == 105.0);
    assert_true(row.epoch_seconds == 106.0);
    assert_null(exh_epoch_metric(&row, "accuracy"));
    assert_null(exh_epoch_metric(&row, ""));
    assert_null(exh_epoch_metric(&row, NULL));
    assert_null(exh_epoch_metric(&row, "val_accuracy "));
}

static void test_epochs_append_and_find(void **state)
{
    (void)state;
    exh_run r;
    exh_run_init(&r);
    for (int e = 1; e <= 40; e++) {
        exh_epoch_record row = exh_epoch_record_empty(e);
        row.val_accuracy = e * 2.0;
        assert_int_equal(exh_run_add_epoch(&r, &row), EXH_OK);
    }
    assert_int_equal(r.epoch_count, 40);
    exh_epoch_record *found = exh_run_epoch(&r, 17);
    assert_non_null(found);
    assert_int_equal(found->epoch, 17);
    assert_true(found->val_accuracy == 34.0);
    assert_int_equal(r.epoch_count, 40); /* found, not created */
    exh_epoch_record *created = exh_run_epoch(&r, 200);
    assert_non_null(created);
    assert_int_equal(r.epoch_count, 41);
    assert_int_equal(created->epoch, 200);
    assert_false(exh_metric_present(created->val_accuracy));
    created->test_accuracy = 93.5;
    assert_true(exh_run_epoch(&r, 200)->test_accuracy == 93.5);
    assert_int_equal(r.epoch_count, 41);
    exh_run_clear(&r);
    assert_int_equal(r.epoch_count, 0);
    assert_null(r.epochs);
}

static void test_rows_arriving_out_of_order(void **state)
{
    (void)state;
    /* Parsers that see one metric per line (long CSV, TensorBoard) fill rows
     * through run_epoch in whatever order the lines come. */
    exh_run r;
    exh_run_init(&r);
    const int epochs[] = {3, 1, 3, 2, 1, 3};
    for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
        exh_epoch_record *row = exh_run_epoch(&r, epochs[i]);
        assert_non_null(row);
        row->train_loss = (double)i;
    }
    assert_int_equal(r.epoch_count, 3);
    assert_int_equal(r.epochs[0].epoch, 3);
    assert_true(r.epochs[0].train_loss == 5.0); /* the last write wins */
    assert_true(exh_run_epoch(&r, 1)->train_loss == 4.0);
    assert_true(exh_run_epoch(&r, 2)->train_loss == 3.0);
    exh_run_clear(&r);
}

static void test_metric_names_are_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < EXH_EPOCH_METRIC_COUNT; a++) {
        assert_non_null(exh_epoch_metric_names[a]);
        for (int b = a + 1; b < EXH_EPOCH_METRIC_COUNT; b++)
            assert_string_not_equal(exh_epoch_metric_names[a], exh_epoch_metric_names[b]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_set_copies_and_replaces),
        cmocka_unit_test(test_params_keep_order_and_replace_by_key),
        cmocka_unit_test(test_empty_row_has_every_metric_missing),
        cmocka_unit_test(test_metric_by_name_points_into_the_row),
        cmocka_unit_test(test_epochs_append_and_find),
        cmocka_unit_test(test_rows_arriving_out_of_order),
        cmocka_unit_test(test_metric_names_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
