/* test_ingest.c — ingestion: detection, exhaust's JSONL and long CSV, Keras
 * CSVLogger with sidecars, the real-data formats on small fixtures, bad
 * records (file:line, strict vs lenient), one transaction, merging. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exhaust/ingest.h"
#include "testutil.h"

static const char *NB201_ARCH = "|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|"
                                "avg_pool_3x3~1|none~2|";

static exh_store *fresh_store(const char *name)
{
    char *path = test_temp_path(name);
    remove(path);
    exh_store *s;
    exh_error err;
    if (exh_store_open(path, &s, &err) < 0)
        fail_msg("%s", err.message);
    return s;
}

static int ingest_one(exh_store *s, const char *path, const exh_ingest_options *o, exh_ingest_stats *stats,
                      exh_error *err)
{
    const char *paths[] = {path};
    return exh_ingest_paths(s, paths, 1, o, stats, err);
}

static void get_run(exh_store *s, const char *key, exh_run *r)
{
    exh_error err;
    exh_run_init(r);
    if (exh_store_get_run(s, key, r, &err) < 0)
        fail_msg("%s", err.message);
}

static void test_detection(void **state)
{
    (void)state;
    struct { const char *name, *head; exh_ingest_format format; } cases[] = {
        {"events.out.tfevents.123.host", "", EXH_INGEST_TFEVENTS},
        {"runs.jsonl", "", EXH_INGEST_JSONL},
        {"x.txt", "{\"key\": 1}", EXH_INGEST_JSONL},
        {"archs.csv", "arch_index,arch_str,c10valid_val12,c10valid_val200_s777\n", EXH_INGEST_NB201},
        {"n.csv", "arch_index,arch_str,hp,dataset,seed,epoch,train_acc\n", EXH_INGEST_NB201_EPOCHS},
        {"runs.csv", "recipe_id,experiment_id,status,recipe_json\n", EXH_INGEST_NLP},
        {"long.csv", "key,space,arch,epoch,val_accuracy\n", EXH_INGEST_CSV},
        {"log.csv", "epoch,accuracy,loss,val_accuracy,val_loss\n", EXH_INGEST_KERAS_CSV},
        {"log.csv", "\xEF\xBB\xBF" "epoch,acc,loss\r\n", EXH_INGEST_KERAS_CSV},
    };
    exh_error err;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exh_ingest_format f = EXH_INGEST_AUTO;
        assert_int_equal(exh_ingest_detect(cases[i].name, cases[i].head, strlen(cases[i].head), &f,
                                           &err), 0);
        assert_int_equal(f, cases[i].format);
    }
    exh_ingest_format f;
    assert_true(exh_ingest_detect("README.md", "# hello\n", 8, &f, &err) < 0);
    assert_non_null(strstr(err.message, "README.md"));
    const char *companion = "recipe_id,experiment_id,epoch,train_loss\n";
    assert_true(exh_ingest_detect("epochs.csv", companion, strlen(companion), &f, &err) < 0);
    assert_non_null(strstr(err.message, "runs.csv"));
    assert_int_equal(exh_ingest_format_parse("keras-csv", &f, &err), 0);
    assert_int_equal(f, EXH_INGEST_KERAS_CSV);
    assert_int_equal(exh_ingest_format_parse("xml", &f, &err), EXH_ERR_INVALID);
}

static void test_jsonl(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "{\"key\": \"a\", \"space\": \"nb201\", \"arch\": \"302140\", \"dataset\": \"c10\","
             " \"seed\": 3, \"params\": {\"lr\": 0.1, \"opt\": \"sgd\", \"nesterov\": true},"
             " \"epochs\": [{\"epoch\": 1, \"val_accuracy\": 50.5, \"train_loss\": null},"
             " {\"epoch\": 2, \"val_accuracy\": 60.25, \"epoch_seconds\": 12}]}\n"
             "# a comment, then a blank line\n\n"
             "{\"key\": \"b\", \"epochs\": [{\"epoch\": 1, \"val_accuracy\": \"high\"}]}\n"
             "{\"key\": \"c\", \"epochs\": [{\"epoch\": 1}, {\"epoch\": 1}]}\n"
             "{\"key\": \"d\", \"space\": \"nb201\", \"arch\": \"999999\"}\n"
             "{\"key\": \"e\", \"epochs\": [\n"
             "[1, 2, 3]\n"
             "{\"epochs\": [{\"epoch\": 4, \"test_accuracy\": 1e2}]}\n");
    char *path = test_write_file("runs.jsonl", text);
    exh_store *s = fresh_store("jsonl.db");
    exh_ingest_options o = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(ingest_one(s, path, &o, &stats, &err), 0);
    assert_int_equal(stats.runs, 2);    /* a, and the keyless last line */
    assert_int_equal(stats.skipped, 5); /* b, c, d, e, the array */
    const char *expected[] = {"line 4: epochs[0].val_accuracy is not a number",
                              "line 5: epoch 1 appears twice", "run 'd'", "line 7",
                              "line 8: a line must hold one JSON object"};
    for (int i = 0; i < 5; i++)
        if (!strstr(stats.messages[i], expected[i]) || !strstr(stats.messages[i], "runs.jsonl"))
            fail_msg("message %d: '%s' lacks '%s'", i, stats.messages[i], expected[i]);
    exh_run r;
    get_run(s, "a", &r);
    assert_string_equal(r.arch, NB201_ARCH); /* canonicalized by the space */
    assert_string_equal(r.arch_sequence, "3,0,2,1,4,0");
    assert_string_equal(exh_run_param_value(&r, "lr"), "0.1");
    assert_string_equal(exh_run_param_value(&r, "nesterov"), "true");
    assert_int_equal(r.epoch_count, 2);
    assert_true(r.epochs[1].val_accuracy == 60.25 && r.epochs[1].epoch_seconds == 12);
    exh_run_clear(&r);
    char keyless[600];
    snprintf(keyless, sizeof keyless, "%s:9", path);
    get_run(s, keyless, &r);
    assert_true(r.epochs[0].test_accuracy == 100);
    exh_run_clear(&r);
    /* Strict: the first bad line fails the ingest and stores nothing. */
    exh_store *strict_store = fresh_store("jsonl-strict.db");
    o.strict = 1;
    assert_int_equal(ingest_one(strict_store, path, &o, &stats, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "runs.jsonl: line 4"));
    int64_t count;
    exh_store_count_runs(strict_store, NULL, &count, &err);
    assert_int_equal(count, 0);
    exh_store_close(strict_store);
    exh_store_close(s);
}

static void test_long_csv(void **state)
{
    (void)state;
    char *path = test_write_file(
        "long.csv", "key,space,arch,dataset,seed,epoch,val_accuracy,train_loss,param:lr\r\n"
                    "r1,nb201,302140,cifar10,1,1,50.5,1.9,0.1\r\n"
                    "r1,nb201,302140,cifar10,1,2,61,,0.1\r\n"
                    "r2,,,cifar10,x,1,3,,\r\n"
                    "r3,,,,,1,abc,,\r\n"
                    "r3,,,,,2,4,,\r\n"
                    "r1,nb201,302140,cifar10,1,3,64.5,1.2,0.1\r\n"
                    "\"r4, quoted\",,,,,1,2,,\r\n");
    exh_store *s = fresh_store("csv.db");
    exh_ingest_options o = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(ingest_one(s, path, &o, &stats, &err), 0);
    assert_int_equal(stats.skipped, 2);
    assert_non_null(strstr(stats.messages[0], "long.csv: line 4: seed 'x'"));
    assert_non_null(strstr(stats.messages[1], "line 5: val_accuracy 'abc' is not a number"));
    exh_run r;
    get_run(s, "r1", &r); /* rows 2-3 and 7 merged into one run */
    assert_int_equal(r.epoch_count, 3);
    assert_true(isnan(r.epochs[1].train_loss));
    assert_true(r.epochs[2].val_accuracy == 64.5);
    assert_string_equal(exh_run_param_value(&r, "lr"), "0.1");
    exh_run_clear(&r);
    get_run(s, "r4, quoted", &r);
    exh_run_clear(&r);
    exh_store_close(s);
    char *bad = test_write_file("nokey.csv", "epoch,val_accuracy\n1,2\n");
    s = fresh_store("csv2.db");
    o.format = EXH_INGEST_CSV;
    assert_int_equal(ingest_one(s, bad, &o, &stats, &err), EXH_ERR_PARSE);
    assert_non_null(strstr(err.message, "nokey.csv: line 1"));
    exh_store_close(s);
}

static void test_keras_with_sidecar(void **state)
{
    (void)state;
    char *path = test_write_file("history.csv", "epoch,accuracy,loss,val_accuracy,val_loss,lr\n"
                                                "0,0.5,1.2,0.6,1.1,0.01\n"
                                                "1,0.75,0.9,0.625,1.0,0.01\n");
    char sidecar[600];
    snprintf(sidecar, sizeof sidecar, "%s.json", "history.csv");
    test_write_file(sidecar, "{\"key\": \"keras-1\", \"space\": \"nb201\", \"arch\": \"302140\","
                             " \"seed\": 5, \"params\": {\"optimizer\": \"adam\"}}");
    exh_store *s = fresh_store("keras.db");
    exh_ingest_options o = {.dataset = "mnist", .arch = "000000"};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(ingest_one(s, path, &o, &stats, &err), 0);
    exh_run r;
    get_run(s, "keras-1", &r);
    assert_string_equal(r.arch, NB201_ARCH); /* the sidecar wins over --arch */
    assert_string_equal(r.dataset, "mnist"); /* --dataset fills what it lacks */
    assert_int_equal(r.seed, 5);
    assert_int_equal(r.epoch_count, 2);
    assert_int_equal(r.epochs[0].epoch, 1); /* Keras counts from 0 */
    assert_true(r.epochs[1].train_accuracy == 75.0);
    assert_true(r.epochs[1].val_accuracy == 62.5);
    assert_true(r.epochs[1].val_loss == 1.0);
    exh_run_clear(&r);
    exh_store_close(s);
    /* A folder of logs with their sidecars: each log is one run, its
     * sidecar is not a run of its own (it used to count as a second one). */
    char folder[512];
    snprintf(folder, sizeof folder, "%s/keras-folder", test_temp_dir());
    mkdir(folder, 0777);
    char name[600];
    snprintf(name, sizeof name, "keras-folder/history.csv");
    test_write_file(name, "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.2,0.6,1.1\n");
    snprintf(name, sizeof name, "keras-folder/history.csv.json");
    test_write_file(name, "{\"key\": \"keras-2\", \"space\": \"nb201\", \"arch\": \"302140\"}");
    s = fresh_store("keras3.db");
    o = (exh_ingest_options){.dataset = "mnist"};
    assert_int_equal(ingest_one(s, folder, &o, &stats, &err), 0);
    assert_int_equal(stats.runs, 1);
    assert_int_equal(stats.files, 1);
    get_run(s, "keras-2", &r);
    assert_string_equal(r.arch, NB201_ARCH);
    exh_run_clear(&r);
    /* Named on its own, the sidecar says which file to ingest instead. */
    snprintf(name, sizeof name, "%s/history.csv.json", folder);
    assert_true(ingest_one(s, name, &o, &stats, &err) < 0);
    assert_non_null(strstr(err.message, "description of the Keras log"));
    exh_store_close(s);
    char *broken = test_write_file("broken.csv", "epoch,accuracy\n0,0.5\n1,oops\n");
    s = fresh_store("keras2.db");
    o = (exh_ingest_options){.format = EXH_INGEST_KERAS_CSV};
    assert_int_equal(ingest_one(s, broken, &o, &stats, &err), 0);
    assert_int_equal(stats.skipped, 1);
    assert_non_null(strstr(stats.messages[0], "broken.csv: line 3: accuracy 'oops'"));
    exh_store_close(s);
}

static void test_real_formats_on_fixtures(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "arch_index,arch_str,c10valid_val12,c10_test12,c100_val12,c100_test12,"
             "c10valid_val200_s777,c10valid_val200_s888,c10valid_val200_s999,c100_val200_s777,"
             "c100_val200_s888,c100_val200_s999\n"
             "7,%s,60.5,61,30,31,90.1,90.2,,70,71,72\n"
             "8,|bad~0|,1,1,1,1,1,1,1,1,1,1\n",
             NB201_ARCH);
    char *path = test_write_file("archs.csv", text);
    exh_store *s = fresh_store("nb201.db");
    exh_ingest_options o = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(ingest_one(s, path, &o, &stats, &err), 0);
    assert_int_equal(stats.runs, 8); /* 9 kinds, one 200-epoch value empty */
    assert_int_equal(stats.skipped, 1); /* the bad cell, reported once for its row */
    assert_non_null(strstr(stats.messages[0], "archs.csv: line 3"));
    exh_run r;
    get_run(s, "nb201/cifar10-valid/200/7/s888", &r);
    assert_true(r.epochs[0].epoch == 200 && r.epochs[0].val_accuracy == 90.2);
    exh_run_clear(&r);
    get_run(s, "nb201/cifar100/12/7", &r);
    assert_true(r.epochs[0].val_accuracy == 30 && r.epochs[0].test_accuracy == 31);
    assert_false(r.has_seed);
    exh_run_clear(&r);
    exh_store_close(s);
}

static void test_nlp_fixture(void **state)
{
    (void)state;
    const char *recipe = "\"{\"\"h_new_0\"\": {\"\"op\"\": \"\"linear\"\", \"\"input\"\": "
                         "[\"\"x\"\", \"\"h_prev_0\"\"]}}\"";
    char runs[2048];
    snprintf(runs, sizeof runs,
             "recipe_id,experiment_id,init_time,status,num_params,epochs_logged,lr,batch_size,"
             "emsize,nhid,nlayers,total_wall_time_s,recipe_json\n"
             "1,10,t0,OK,100,2,0.001,20,400,600,3,20.5,%s\n"
             "2,20,t1,loss is nan!,100,1,0.001,20,400,600,3,9,%s\n"
             "3,30,t2,OK,100,5,0.001,20,400,600,3,9,%s\n",
             recipe, recipe, recipe);
    char folder[600];
    snprintf(folder, sizeof folder, "%s/nlp", test_temp_dir());
    mkdir(folder, 0700);
    char *runs_path = test_write_file("nlp/runs.csv", runs);
    test_write_file("nlp/epochs.csv", "recipe_id,experiment_id,epoch,train_loss,val_loss,test_loss,"
                                  "epoch_wall_time_s,cum_wall_time_s\n"
                                  "1,10,2,4.5,4.75,4.7,10.5,20.5\n"
                                  "1,10,1,5.5,5.25,5.2,10,10\n"
                                  "2,20,1,nan,nan,nan,9,9\n"
                                  "9,90,1,1,1,1,1,1\n");
    exh_store *s = fresh_store("nlp.db");
    exh_ingest_options o = {0};
    exh_ingest_stats stats;
    exh_error err;
    const char *paths[] = {folder}; /* a folder walk: epochs.csv is skipped as a companion */
    assert_int_equal(exh_ingest_paths(s, paths, 1, &o, &stats, &err), 0);
    exh_run r;
    get_run(s, "nlp/1/10", &r);
    assert_string_equal(r.space, "graph");
    assert_int_equal(r.epoch_count, 2);
    assert_true(r.epochs[0].epoch == 1 && r.epochs[0].val_loss == 5.25);
    assert_true(r.epochs[1].epoch_seconds == 10.5);
    exh_run_clear(&r);
    get_run(s, "nlp/2/20", &r);
    assert_string_equal(r.status, "failed: loss is nan!");
    assert_true(isnan(r.epochs[0].val_loss));
    exh_run_clear(&r);
    int epochs_mismatch = 0, unknown_run = 0;
    for (int i = 0; i < stats.message_count; i++) {
        epochs_mismatch += strstr(stats.messages[i], "epochs_logged says 5") != NULL;
        unknown_run += strstr(stats.messages[i], "9/90") != NULL;
    }
    assert_int_equal(epochs_mismatch, 1);
    assert_int_equal(unknown_run, 1);
    (void)runs_path;
    exh_store_close(s);
}

static void test_one_transaction(void **state)
{
    (void)state;
    char *good = test_write_file("good.jsonl", "{\"key\": \"g\", \"epochs\": [{\"epoch\": 1}]}\n");
    char *bad = test_write_file("bad.jsonl", "{\"key\": \"h\"}\n{broken\n");
    exh_store *s = fresh_store("transaction.db");
    exh_ingest_options o = {0};
    exh_ingest_stats stats;
    exh_error err;
    assert_int_equal(ingest_one(s, good, &o, &stats, &err), 0);
    o.strict = 1;
    const char *paths[] = {good, bad};
    test_write_file("good.jsonl", "{\"key\": \"g\", \"dataset\": \"changed\"}\n");
    assert_true(exh_ingest_paths(s, paths, 2, &o, &stats, &err) < 0);
    assert_non_null(strstr(err.message, "bad.jsonl: line 2"));
    int64_t count;
    exh_store_count_runs(s, NULL, &count, &err);
    assert_int_equal(count, 1);
    exh_run r;
    get_run(s, "g", &r); /* the first file's new version was rolled back too */
    assert_null(r.dataset);
    assert_int_equal(r.epoch_count, 1);
    exh_run_clear(&r);
    const char *missing[] = {"/nonexistent/file.csv"};
    assert_int_equal(exh_ingest_paths(s, missing, 1, &o, &stats, &err), EXH_ERR_NOT_FOUND);
    exh_store_close(s);
}

static void test_same_key_merges_within_one_ingest(void **state)
{
    (void)state;
    char *a = test_write_file("part1.jsonl", "{\"key\": \"m\", \"params\": {\"x\": \"1\"}, "
                                             "\"epochs\": [{\"epoch\": 1, \"train_loss\": 2}]}\n");
    char *b = test_write_file("part2.jsonl", "{\"key\": \"m\", \"dataset\": \"d\", \"epochs\": "
                                             "[{\"epoch\": 1, \"val_loss\": 3}, {\"epoch\": 2}]}\n");
    exh_store *s = fresh_store("merge.db");
    exh_ingest_options o = {0};
    exh_ingest_stats stats;
    exh_error err;
    const char *paths[] = {a, b};
    assert_int_equal(exh_ingest_paths(s, paths, 2, &o, &stats, &err), 0);
    assert_int_equal(stats.runs, 1);
    exh_run r;
    get_run(s, "m", &r);
    assert_string_equal(r.dataset, "d");
    assert_string_equal(exh_run_param_value(&r, "x"), "1");
    assert_int_equal(r.epoch_count, 2);
    assert_true(r.epochs[0].train_loss == 2 && r.epochs[0].val_loss == 3);
    exh_run_clear(&r);
    /* A later, separate ingest of the second part alone replaces the run. */
    const char *again[] = {b};
    assert_int_equal(exh_ingest_paths(s, again, 1, &o, &stats, &err), 0);
    get_run(s, "m", &r);
    assert_null(exh_run_param_value(&r, "x"));
    exh_run_clear(&r);
    exh_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detection),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_long_csv),
        cmocka_unit_test(test_keras_with_sidecar),
        cmocka_unit_test(test_real_formats_on_fixtures),
        cmocka_unit_test(test_nlp_fixture),
        cmocka_unit_test(test_one_transaction),
        cmocka_unit_test(test_same_key_merges_within_one_ingest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
