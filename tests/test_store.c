/* test_store.c — the SQLite log store: round trips, replace by key,
 * filters, transactions, schema versions, files that are not stores. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/store.h"
#include "testutil.h"

static exh_store *open_fresh(const char *name)
{
    char *path = test_temp_path(name);
    remove(path);
    exh_store *s;
    exh_error err;
    if (exh_store_open(path, &s, &err) < 0)
        fail_msg("%s", err.message);
    return s;
}

static void make_run(exh_run *r, const char *key, const char *dataset, int epochs)
{
    exh_run_init(r);
    exh_run_set(&r->key, key);
    exh_run_set(&r->space, "nb201");
    exh_run_set(&r->arch, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    exh_run_set(&r->dataset, dataset);
    r->has_seed = 1;
    r->seed = 777;
    exh_run_add_param(r, "lr", "0.1");
    exh_run_add_param(r, "batch", "64");
    for (int e = 1; e <= epochs; e++) {
        exh_epoch_record row = exh_epoch_record_empty(e);
        row.val_accuracy = 10.0 * e + 0.1;
        row.train_loss = e == 2 ? NAN : 1.0 / e; /* a missing value in the middle */
        exh_run_add_epoch(r, &row);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    exh_store *s = open_fresh("round.db");
    exh_run r, back;
    exh_error err;
    make_run(&r, "run-a", "cifar10", 3);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    assert_true(r.id > 0);
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "run-a", &back, &err), 0);
    assert_string_equal(back.key, "run-a");
    assert_string_equal(back.dataset, "cifar10");
    assert_string_equal(back.status, "ok");
    assert_int_equal(back.seed, 777);
    assert_int_equal(back.param_count, 2);
    assert_string_equal(exh_run_param_value(&back, "batch"), "64");
    assert_int_equal(back.epoch_count, 3);
    assert_true(back.epochs[2].val_accuracy == 30.1);
    assert_true(isnan(back.epochs[1].train_loss));
    assert_true(isnan(back.epochs[0].test_accuracy));
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)r.id);
    exh_run_clear(&back);
    assert_int_equal(exh_store_get_run(s, id, &back, &err), 0); /* by numeric id too */
    assert_string_equal(back.key, "run-a");
    exh_run_clear(&back);
    assert_int_equal(exh_store_get_run(s, "nope", &back, &err), EXH_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "nope"));
    exh_run_clear(&r);
    exh_store_close(s);
}

static void test_replace_by_key(void **state)
{
    (void)state;
    exh_store *s = open_fresh("replace.db");
    exh_run r;
    exh_error err;
    make_run(&r, "same", "cifar10", 5);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    make_run(&r, "same", "cifar100", 2);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    int64_t count;
    assert_int_equal(exh_store_count_runs(s, NULL, &count, &err), 0);
    assert_int_equal(count, 1);
    exh_run back;
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "same", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar100");
    assert_int_equal(back.epoch_count, 2); /* the old five rows are gone */
    exh_run_clear(&back);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(exh_store_database(s), "SELECT count(*) FROM epochs", -1, &st, NULL);
    sqlite3_step(st);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    exh_store_close(s);
}

static int count_visit(const exh_run *r, void *context)
{
    (void)r;
    (*(int *)context)++;
    return 0;
}

static void test_filters_and_summary(void **state)
{
    (void)state;
    exh_store *s = open_fresh("filters.db");
    exh_error err;
    const char *datasets[] = {"cifar10", "cifar10", "cifar100"};
    for (int i = 0; i < 3; i++) {
        exh_run r;
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        make_run(&r, key, datasets[i], i + 1);
        assert_int_equal(exh_store_put_run(s, &r, &err), 0);
        exh_run_clear(&r);
    }
    exh_run_filter filter = {.dataset = "cifar10"};
    int visited = 0;
    assert_int_equal(exh_store_each_run(s, &filter, count_visit, &visited, &err), 0);
    assert_int_equal(visited, 2);
    filter.limit = 1;
    visited = 0;
    assert_int_equal(exh_store_each_run(s, &filter, count_visit, &visited, &err), 0);
    assert_int_equal(visited, 1);
    exh_store_group_count *groups;
    int group_count;
    assert_int_equal(exh_store_summary(s, &groups, &group_count, &err), 0);
    assert_int_equal(group_count, 2);
    assert_string_equal(groups[0].dataset, "cifar10");
    assert_int_equal(groups[0].runs, 2);
    assert_int_equal(groups[0].epochs, 3);
    assert_int_equal(groups[1].epochs, 3);
    exh_store_summary_free(groups, group_count);
    exh_store_close(s);
}

static int64_t count_rows(exh_store *s, const char *table)
{
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *statement;
    assert_int_equal(sqlite3_prepare_v2(exh_store_database(s), sql, -1, &statement, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    int64_t count = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return count;
}

static void test_rollback_leaves_store_as_before(void **state)
{
    (void)state;
    exh_store *s = open_fresh("rollback.db");
    exh_run r;
    exh_error err;
    make_run(&r, "kept", "cifar10", 2);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    assert_int_equal(exh_store_begin(s, &err), 0);
    make_run(&r, "kept", "imagenet", 9); /* would replace */
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    make_run(&r, "new", "cifar10", 1);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    assert_int_equal(exh_store_rollback(s), 0);
    int64_t count;
    exh_store_count_runs(s, NULL, &count, &err);
    assert_int_equal(count, 1);
    exh_run back;
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "kept", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar10");
    assert_int_equal(back.epoch_count, 2);
    assert_true(back.epochs[1].val_accuracy == 20.1);
    exh_run_clear(&back);
    assert_int_equal(exh_store_get_run(s, "new", &back, &err), EXH_ERR_NOT_FOUND);
    assert_int_equal(count_rows(s, "epochs"), 2);
    exh_store_close(s);
}

static void test_every_field_round_trips(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s", test_temp_path("fields.db"));
    remove(path);
    exh_store *s;
    exh_error err;
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    exh_run r;
    exh_run_init(&r);
    exh_run_set(&r.key, "graph/wikitext-2/17");
    exh_run_set(&r.space, "graph");
    exh_run_set(&r.arch, "{\"h_new_0\": {\"op\": \"linear\", \"input\": [\"x\"]}}");
    exh_run_set(&r.arch_sequence, "4,0,1");
    exh_run_set(&r.dataset, "wikitext-2");
    exh_run_set(&r.status, "failed: loss is nan!");
    exh_run_set(&r.source, "runs.csv:18");
    r.has_seed = 0;
    exh_run_add_param(&r, "z_last_alphabetically", "1");
    exh_run_add_param(&r, "a_first", "text, with \"quotes\"");
    exh_run_add_param(&r, "empty", "");
    const double awkward[] = {0.1 + 0.2, 1e-300, -0.0, 91.61, 123456789.123456789, 0.0, 5e-324};
    for (int e = 0; e < 7; e++) {
        exh_epoch_record row = exh_epoch_record_empty(e + 1);
        for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
            if ((m + e) % 3 != 0) /* a different pattern of gaps in each row */
                *exh_epoch_metric(&row, exh_epoch_metric_names[m]) = awkward[(m + e) % 7] * (m + 1);
        exh_run_add_epoch(&r, &row);
    }
    exh_epoch_record all_missing = exh_epoch_record_empty(50);
    exh_run_add_epoch(&r, &all_missing);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_store_close(s); /* and read it back through a fresh connection */
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    exh_run back;
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "graph/wikitext-2/17", &back, &err), 0);
    assert_int_equal(back.id, r.id);
    assert_string_equal(back.space, r.space);
    assert_string_equal(back.arch, r.arch);
    assert_string_equal(back.arch_sequence, r.arch_sequence);
    assert_string_equal(back.dataset, r.dataset);
    assert_string_equal(back.status, r.status);
    assert_string_equal(back.source, r.source);
    assert_int_equal(back.has_seed, 0);
    assert_int_equal(back.param_count, 3);
    for (size_t i = 0; i < 3; i++) { /* insertion order, not sorted */
        assert_string_equal(back.params[i].key, r.params[i].key);
        assert_string_equal(back.params[i].value, r.params[i].value);
    }
    assert_int_equal(back.epoch_count, r.epoch_count);
    for (size_t e = 0; e < r.epoch_count; e++) {
        assert_int_equal(back.epochs[e].epoch, r.epochs[e].epoch);
        for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++) {
            double want = *exh_epoch_metric(&r.epochs[e], exh_epoch_metric_names[m]);
            double got = *exh_epoch_metric(&back.epochs[e], exh_epoch_metric_names[m]);
            if (isnan(want))
                assert_true(isnan(got));
            else if (want == 0.0) /* SQLite keeps no sign of zero: -0.0 reads back 0.0 */
                assert_true(got == 0.0);
            else
                assert_memory_equal(&got, &want, sizeof got); /* bit for bit */
        }
    }
    exh_run_clear(&back);
    exh_run_clear(&r);
    exh_store_close(s);
}

static void test_epochs_come_back_sorted(void **state)
{
    (void)state;
    exh_store *s = open_fresh("sorted.db");
    exh_error err;
    exh_run r;
    exh_run_init(&r);
    exh_run_set(&r.key, "unsorted");
    const int epochs[] = {200, 3, 1, 12};
    for (int i = 0; i < 4; i++) {
        exh_epoch_record row = exh_epoch_record_empty(epochs[i]);
        row.val_accuracy = epochs[i];
        exh_run_add_epoch(&r, &row);
    }
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    assert_int_equal(exh_store_get_run(s, "unsorted", &r, &err), 0);
    assert_int_equal(r.epoch_count, 4);
    for (size_t i = 1; i < r.epoch_count; i++)
        assert_true(r.epochs[i - 1].epoch < r.epochs[i].epoch);
    assert_true(r.epochs[3].val_accuracy == 200.0);
    assert_string_equal(r.status, EXH_RUN_STATUS_OK); /* the default status */
    exh_run_clear(&r);
    exh_store_close(s);
}

static void test_a_numeric_key_wins_over_an_id(void **state)
{
    (void)state;
    exh_store *s = open_fresh("numeric.db");
    exh_error err;
    exh_run first, second, back;
    make_run(&first, "alpha", "cifar10", 1);
    make_run(&second, "1", "cifar100", 1); /* its id is 2, its key is "1" */
    assert_int_equal(exh_store_put_run(s, &first, &err), 0);
    assert_int_equal(exh_store_put_run(s, &second, &err), 0);
    assert_int_equal(first.id, 1);
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "1", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar100");
    exh_run_clear(&back);
    assert_int_equal(exh_store_get_run(s, "2", &back, &err), 0); /* no key "2": by id */
    assert_string_equal(back.key, "1");
    exh_run_clear(&back);
    assert_int_equal(exh_store_get_run(s, "99", &back, &err), EXH_ERR_NOT_FOUND);
    assert_int_equal(exh_store_get_run(s, "", &back, &err), EXH_ERR_NOT_FOUND);
    assert_int_equal(exh_store_get_run(s, "-1", &back, &err), EXH_ERR_NOT_FOUND);
    exh_run_clear(&first);
    exh_run_clear(&second);
    exh_store_close(s);
}

static void test_a_run_needs_a_key(void **state)
{
    (void)state;
    exh_store *s = open_fresh("nokey.db");
    exh_error err;
    exh_run r;
    exh_run_init(&r);
    exh_run_set(&r.source, "log.jsonl:4");
    assert_int_equal(exh_store_put_run(s, &r, &err), EXH_ERR_INVALID);
    assert_non_null(strstr(err.message, "log.jsonl:4"));
    exh_run_set(&r.key, "");
    assert_int_equal(exh_store_put_run(s, &r, &err), EXH_ERR_INVALID);
    int64_t count = -1;
    assert_int_equal(exh_store_count_runs(s, NULL, &count, &err), 0);
    assert_int_equal(count, 0);
    exh_run_clear(&r);
    exh_store_close(s);
}

typedef struct collected {
    int count;
    char keys[8][16];
    size_t epochs[8];
    size_t params[8];
} collected;

static int collect_visit(const exh_run *r, void *context)
{
    collected *c = context;
    if (c->count < 8) {
        snprintf(c->keys[c->count], sizeof c->keys[0], "%s", r->key);
        c->epochs[c->count] = r->epoch_count;
        c->params[c->count] = r->param_count;
    }
    c->count++;
    return 0;
}

static int stop_at_second(const exh_run *r, void *context)
{
    (void)r;
    return ++*(int *)context == 2 ? 42 : 0;
}

static void test_every_filter(void **state)
{
    (void)state;
    exh_store *s = open_fresh("every_filter.db");
    exh_error err;
    /* four runs that differ in one field each from k0 */
    for (int i = 0; i < 4; i++) {
        exh_run r;
        char key[8];
        snprintf(key, sizeof key, "k%d", i);
        make_run(&r, key, i == 1 ? "cifar100" : "cifar10", i + 1);
        if (i == 2)
            exh_run_set(&r.space, "graph");
        if (i == 3)
            exh_run_set(&r.status, "failed: timeout");
        if (i == 0)
            exh_run_set(&r.arch, "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|");
        assert_int_equal(exh_store_put_run(s, &r, &err), 0);
        exh_run_clear(&r);
    }
    struct {
        exh_run_filter filter;
        const char *want;
    } cases[] = {
        {{.space = "graph"}, "k2"},
        {{.dataset = "cifar100"}, "k1"},
        {{.status = "failed: timeout"}, "k3"},
        {{.arch = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"}, "k0"},
        {{.space = "nb201", .dataset = "cifar10", .status = "ok"}, "k0 k3"},
        {{.space = "nb201", .dataset = "cifar100", .status = "failed: timeout"}, ""},
        {{.space = "nothing"}, ""},
        {{0}, "k0 k1 k2 k3"},
    };
    cases[4].want = "k0"; /* k3 is not ok */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        collected c = {0};
        assert_int_equal(exh_store_each_run(s, &cases[i].filter, collect_visit, &c, &err), 0);
        char got[64] = "";
        for (int k = 0; k < c.count; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "", c.keys[k]);
        assert_string_equal(got, cases[i].want);
        int64_t count = -1;
        assert_int_equal(exh_store_count_runs(s, &cases[i].filter, &count, &err), 0);
        assert_int_equal(count, c.count);
    }
    /* without with_epochs the walk is cheap: no params or epochs */
    collected light = {0}, full = {0};
    exh_run_filter everything = {0};
    assert_int_equal(exh_store_each_run(s, &everything, collect_visit, &light, &err), 0);
    everything.with_epochs = 1;
    assert_int_equal(exh_store_each_run(s, &everything, collect_visit, &full, &err), 0);
    assert_int_equal(light.epochs[2] + light.params[2], 0);
    assert_int_equal(full.epochs[2], 3);
    assert_int_equal(full.params[2], 2);
    int visited = 0;
    assert_int_equal(exh_store_each_run(s, NULL, stop_at_second, &visited, &err), 42);
    assert_int_equal(visited, 2);
    exh_store_close(s);
}

static void test_summary_keeps_missing_and_long_names(void **state)
{
    (void)state;
    exh_store *s = open_fresh("summary.db");
    exh_error err;
    char long_status[300];
    memset(long_status, 'x', sizeof long_status - 1);
    long_status[sizeof long_status - 1] = '\0';
    memcpy(long_status, "failed: ", 8);
    exh_run r;
    make_run(&r, "long", "cifar10", 2);
    exh_run_set(&r.status, long_status);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    exh_run_init(&r); /* nothing known but the key, and no epochs */
    exh_run_set(&r.key, "bare");
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    exh_store_group_count *groups;
    int group_count;
    assert_int_equal(exh_store_summary(s, &groups, &group_count, &err), 0);
    assert_int_equal(group_count, 2);
    assert_null(groups[0].space); /* NULL sorts first */
    assert_null(groups[0].dataset);
    assert_string_equal(groups[0].status, "ok");
    assert_int_equal(groups[0].runs, 1);
    assert_int_equal(groups[0].epochs, 0);
    assert_string_equal(groups[1].status, long_status); /* not cut short */
    assert_int_equal(groups[1].epochs, 2);
    exh_store_summary_free(groups, group_count);
    exh_store_close(s);
    s = open_fresh("summary_empty.db");
    assert_int_equal(exh_store_summary(s, &groups, &group_count, &err), 0);
    assert_int_equal(group_count, 0);
    exh_store_summary_free(groups, group_count);
    exh_store_close(s);
}

/* Make SQLite refuse epoch 13 so that a put fails half-way, after the old
 * run was deleted and the new run row inserted. */
static void refuse_epoch_13(exh_store *s)
{
    assert_int_equal(sqlite3_exec(exh_store_database(s),
                                  "CREATE TEMP TRIGGER refuse BEFORE INSERT ON epochs "
                                  "WHEN NEW.epoch = 13 BEGIN SELECT RAISE(ABORT, 'epoch 13 "
                                  "refused'); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}


static void test_a_failed_put_alone_changes_nothing(void **state)
{
    (void)state;
    exh_store *s = open_fresh("failed_put.db");
    exh_error err;
    exh_run r;
    make_run(&r, "kept", "cifar10", 3);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    refuse_epoch_13(s);
    make_run(&r, "kept", "imagenet", 20);
    assert_int_equal(exh_store_put_run(s, &r, &err), EXH_ERR_STORE);
    assert_non_null(strstr(err.message, "epoch 13 refused"));
    exh_run_clear(&r);
    exh_run back;
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "kept", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar10");
    assert_int_equal(back.epoch_count, 3);
    exh_run_clear(&back);
    assert_int_equal(count_rows(s, "runs"), 1);
    assert_int_equal(count_rows(s, "epochs"), 3);
    assert_int_equal(count_rows(s, "run_params"), 2);
    make_run(&r, "next", "cifar10", 2); /* the store still takes runs */
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    assert_int_equal(count_rows(s, "runs"), 2);
    exh_store_close(s);
}

static void test_a_failed_put_in_a_transaction_rolls_back(void **state)
{
    (void)state;
    exh_store *s = open_fresh("failed_transaction.db");
    exh_error err;
    exh_run r;
    make_run(&r, "kept", "cifar10", 3);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    refuse_epoch_13(s);
    assert_int_equal(exh_store_begin(s, &err), 0);
    make_run(&r, "other", "cifar10", 2);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    make_run(&r, "kept", "imagenet", 20);
    assert_int_equal(exh_store_put_run(s, &r, &err), EXH_ERR_STORE);
    exh_run_clear(&r);
    assert_int_equal(exh_store_rollback(s), 0);
    assert_int_equal(count_rows(s, "runs"), 1);
    assert_int_equal(count_rows(s, "epochs"), 3);
    exh_run back;
    exh_run_init(&back);
    assert_int_equal(exh_store_get_run(s, "kept", &back, &err), 0);
    assert_string_equal(back.dataset, "cifar10");
    exh_run_clear(&back);
    assert_int_equal(exh_store_get_run(s, "other", &back, &err), EXH_ERR_NOT_FOUND);
    assert_int_equal(exh_store_rollback(s), EXH_ERR_STORE); /* nothing left to roll back */
    exh_store_close(s);
}

static void test_transactions_do_not_nest(void **state)
{
    (void)state;
    exh_store *s = open_fresh("nest.db");
    exh_error err;
    assert_int_equal(exh_store_begin(s, &err), 0);
    assert_int_equal(exh_store_begin(s, &err), EXH_ERR_STORE);
    assert_non_null(strstr(err.message, "nest.db"));
    assert_int_equal(exh_store_commit(s, &err), 0);
    assert_int_equal(exh_store_commit(s, &err), EXH_ERR_STORE);
    exh_store_close(s);
}

static void test_reopening_keeps_the_schema(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s", test_temp_path("reopen.db"));
    remove(path);
    exh_store *s;
    exh_error err;
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    exh_run r;
    make_run(&r, "one", "cifar10", 1);
    assert_int_equal(exh_store_put_run(s, &r, &err), 0);
    exh_run_clear(&r);
    exh_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *statement;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, NULL);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(statement, 0), EXH_STORE_SCHEMA_VERSION);
    sqlite3_finalize(statement);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, NULL);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(statement, 0), "wal");
    sqlite3_finalize(statement);
    sqlite3_close(db);
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    int64_t count;
    assert_int_equal(exh_store_count_runs(s, NULL, &count, &err), 0);
    assert_int_equal(count, 1);
    exh_store_close(s);
}

static void test_an_empty_file_becomes_a_store(void **state)
{
    (void)state;
    /* SQLite treats a zero-length file as an empty database. */
    char *path = test_write_file("empty.db", "");
    exh_store *s;
    exh_error err;
    assert_int_equal(exh_store_open(path, &s, &err), 0);
    int64_t count = -1;
    assert_int_equal(exh_store_count_runs(s, NULL, &count, &err), 0);
    assert_int_equal(count, 0);
    exh_store_close(s);
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
    exh_store *s;
    exh_error err;
    assert_int_equal(exh_store_open(path, &s, &err), EXH_ERR_STORE);
    assert_non_null(strstr(err.message, "99"));
    assert_non_null(strstr(err.message, path));
}

static void test_not_a_store(void **state)
{
    (void)state;
    char *path = test_write_file("text.db", "this is not an SQLite database, just some text\n");
    exh_store *s;
    exh_error err;
    assert_int_equal(exh_store_open(path, &s, &err), EXH_ERR_STORE);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(exh_store_open("/nonexistent-folder/x.db", &s, &err), EXH_ERR_STORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_replace_by_key),
        cmocka_unit_test(test_filters_and_summary),
        cmocka_unit_test(test_rollback_leaves_store_as_before),
        cmocka_unit_test(test_every_field_round_trips),
        cmocka_unit_test(test_epochs_come_back_sorted),
        cmocka_unit_test(test_a_numeric_key_wins_over_an_id),
        cmocka_unit_test(test_a_run_needs_a_key),
        cmocka_unit_test(test_every_filter),
        cmocka_unit_test(test_summary_keeps_missing_and_long_names),
        cmocka_unit_test(test_a_failed_put_alone_changes_nothing),
        cmocka_unit_test(test_a_failed_put_in_a_transaction_rolls_back),
        cmocka_unit_test(test_transactions_do_not_nest),
        cmocka_unit_test(test_reopening_keeps_the_schema),
        cmocka_unit_test(test_an_empty_file_becomes_a_store),
        cmocka_unit_test(test_newer_schema_is_refused),
        cmocka_unit_test(test_not_a_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
