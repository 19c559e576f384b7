/* test_store.c — the SQLite log store: round trips, replace by key,
 * filters, transactions, schema versions, files that are not stores. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/store.h"
#include "testutil.h"

static store *open_fresh(const char *name)
{
    char *path = test_temp_path(name);
    remove(path);
    store *s;
    exh_error err;
    if (store_open(path, &s, &err) < 0)
        fail_msg("%s", err.message);
    return s;
}

static void make_run(run *r, const char *key, const char *dataset, int epochs)
{
    run_init(r);
    run_set(&r->key, key);
    run_set(&r->space, "nb201");
    run_set(&r->arch, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    run_set(&r->dataset, dataset);
    r->has_seed = 1;
    r->seed = 777;
    run_add_param(r, "lr", "0.1");
    run_add_param(r, "batch", "64");
    for (int e = 1; e <= epochs; e++) {
        epoch_record row = epoch_record_empty(e);
        row.val_accuracy = 10.0 * e + 0.1;
        row.train_loss = e == 2 ? NAN : 1.0 / e; /* a missing value in the middle */
        run_add_epoch(r, &row);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    store *s = open_fresh("round.db");
    run r, back;
    exh_error err;
    make_run(&r, "run-a", "cifar10", 3);
    assert_int_equal(store_put_run(s, &r, &err), 0);
    assert_true(r.id > 0);
    run_init(&back);
    assert_int_equal(store_get_run(s, "run-a", &back, &err), 0);
    assert_string_equal(back.key, "run-a");
    assert_string_equal(back.dataset, "cifar10");
    assert_string_equal(back.status, "ok");
    assert_int_equal(back.seed, 777);
    assert_int_equal(back.param_count, 2);
    assert_string_equal(run_param_value(&back, "batch"), "64");
    assert_int_equal(back.epoch_count, 3);
    assert_true(back.epochs[2].val_accuracy == 30.1);
    assert_true(isnan(back.epochs[1].train_loss));
    assert_true(isnan(back.epochs[0].test_accuracy));
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)r.id);
    run_clear(&back);
    assert_int_equal(store_get_run(s, id, &back, &err), 0); /* by numeric id too */
    assert_string_equal(back.key, "run-a");
    run_clear(&back);
    assert_int_equal(store_get_run(s, "nope", &back, &err), EXH_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "nope"));
    run_clear(&r);
    store_close(s);
}

static void test_replace_by_key(void **state)
{
    (void)state;
    store *s = open_fresh("replace.db");
    run r;
    exh_error err;
    make_run(&r, "same", "cifar10", 5);
    assert_int_equal(store_put_run(s, &r, &err), 0);
    run_clear(&r);
    make_run(&r, "same", "cifar100", 2);
    assert_int_equal(store_put_run(s, &r, &err), 0);
    run_clear(&r);
    int64_t count;
    assert_int_equal(store_count_runs(s, NULL, &count, &err), 0);
    assert_int_equal(count, 1);
    run back;
    run_init(&back);
    assert_int_equal(store_get_run(s, "same", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar100");
    assert_int_equal(back.epoch_count, 2); /* the old five rows are gone */
    run_clear(&back);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(store_database(s), "SELECT count(*) FROM epochs", -1, &st, NULL);
    sqlite3_step(st);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    store_close(s);
}

static int count_visit(const run *r, void *context)
{
    (void)r;
    (*(int *)context)++;
    return 0;
}

static void test_filters_and_summary(void **state)
{
    (void)state;
    store *s = open_fresh("filters.db");
    exh_error err;
    const char *datasets[] = {"cifar10", "cifar10", "cifar100"};
    for (int i = 0; i < 3; i++) {
        run r;
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        make_run(&r, key, datasets[i], i + 1);
        assert_int_equal(store_put_run(s, &r, &err), 0);
        run_clear(&r);
    }
    run_filter filter = {.dataset = "cifar10"};
    int visited = 0;
    assert_int_equal(store_each_run(s, &filter, count_visit, &visited, &err), 0);
    assert_int_equal(visited, 2);
    filter.limit = 1;
    visited = 0;
    assert_int_equal(store_each_run(s, &filter, count_visit, &visited, &err), 0);
    assert_int_equal(visited, 1);
    store_group_count *groups;
    int group_count;
    assert_int_equal(store_summary(s, &groups, &group_count, &err), 0);
    assert_int_equal(group_count, 2);
    assert_string_equal(groups[0].dataset, "cifar10");
    assert_int_equal(groups[0].runs, 2);
    assert_int_equal(groups[0].epochs, 3);
    assert_int_equal(groups[1].epochs, 3);
    free(groups);
    store_close(s);
}

static void test_rollback_leaves_store_as_before(void **state)
{
    (void)state;
    store *s = open_fresh("rollback.db");
    run r;
    exh_error err;
    make_run(&r, "kept", "cifar10", 2);
    assert_int_equal(store_put_run(s, &r, &err), 0);
    run_clear(&r);
    assert_int_equal(store_begin(s, &err), 0);
    make_run(&r, "kept", "imagenet", 9); /* would replace */
    assert_int_equal(store_put_run(s, &r, &err), 0);
    run_clear(&r);
    make_run(&r, "new", "cifar10", 1);
    assert_int_equal(store_put_run(s, &r, &err), 0);
    run_clear(&r);
    assert_int_equal(store_rollback(s), 0);
    int64_t count;
    store_count_runs(s, NULL, &count, &err);
    assert_int_equal(count, 1);
    run back;
    run_init(&back);
    assert_int_equal(store_get_run(s, "kept", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar10");
    assert_int_equal(back.epoch_count, 2);
    run_clear(&back);
    store_close(s);
}

static void test_newer_schema_is_refused(void **state)
{
    (void)state;
    char *path = test_temp_path("newer.db");
    remove(path);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    store *s;
    exh_error err;
    assert_int_equal(store_open(path, &s, &err), EXH_ERR_STORE);
    assert_non_null(strstr(err.message, "99"));
    assert_non_null(strstr(err.message, path));
}

static void test_not_a_store(void **state)
{
    (void)state;
    char *path = test_write_file("text.db", "this is not an SQLite database, just some text\n");
    store *s;
    exh_error err;
    assert_int_equal(store_open(path, &s, &err), EXH_ERR_STORE);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(store_open("/nonexistent-folder/x.db", &s, &err), EXH_ERR_STORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_replace_by_key),
        cmocka_unit_test(test_filters_and_summary),
        cmocka_unit_test(test_rollback_leaves_store_as_before),
        cmocka_unit_test(test_newer_schema_is_refused),
        cmocka_unit_test(test_not_a_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
