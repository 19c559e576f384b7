/* cli_show.c — exhaust show: one run's identity and curve. */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "cli/cli.h"

static const char HELP[] =
    "usage: exhaust show RUN [--store PATH] [--format table|csv|json]\n\n"
    "Print one run: who it is (key, space, architecture, dataset, seed, status,\n"
    "source, hyperparameters) and its curve, one row per epoch. RUN is the run's\n"
    "key or numeric id (see 'exhaust runs'). Values print with enough digits to\n"
    "read back exactly.\n\n"
    "  --store PATH    the store (default exhaust.db or $EXHAUST_STORE)\n"
    "  --format F      table (default): header block and the curve's non-empty\n"
    "                  columns; csv: the curve only, all seven metrics;\n"
    "                  json: everything, missing values as null\n\n"
    "example: exhaust show nb201/cifar10-valid/200/0/s777 --format json\n";

static json_t *json_number_or_null(double value)
{
    return exh_metric_present(value) ? json_real(value) : json_null();
}

static json_t *json_text_or_null(const char *text)
{
    return text ? json_string(text) : json_null();
}

static void print_json(const exh_run *r)
{
    json_t *root = json_object();
    json_object_set_new(root, "id", json_integer(r->id));
    json_object_set_new(root, "key", json_text_or_null(r->key));
    json_object_set_new(root, "space", json_text_or_null(r->space));
    json_object_set_new(root, "arch", json_text_or_null(r->arch));
    json_object_set_new(root, "arch_sequence", json_text_or_null(r->arch_sequence));
    json_object_set_new(root, "dataset", json_text_or_null(r->dataset));
    json_object_set_new(root, "seed", r->has_seed ? json_integer(r->seed) : json_null());
    json_object_set_new(root, "status", json_text_or_null(r->status));
    json_object_set_new(root, "source", json_text_or_null(r->source));
    json_t *params = json_object();
    for (size_t i = 0; i < r->param_count; i++)
        json_object_set_new(params, r->params[i].key, json_string(r->params[i].value));
    json_object_set_new(root, "params", params);
    json_t *epochs = json_array();
    for (size_t i = 0; i < r->epoch_count; i++) {
        exh_epoch_record row = r->epochs[i];
        json_t *object = json_object();
        json_object_set_new(object, "epoch", json_integer(row.epoch));
        for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
            json_object_set_new(object, exh_epoch_metric_names[m],
                                json_number_or_null(*exh_epoch_metric(&row, exh_epoch_metric_names[m])));
        json_array_append_new(epochs, object);
    }
    json_object_set_new(root, "epochs", epochs);
    json_dumpf(root, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    fputc('\n', stdout);
    json_decref(root);
}

static int metric_used(const exh_run *r, const char *name)
{
    for (size_t i = 0; i < r->epoch_count; i++) {
        exh_epoch_record row = r->epochs[i];
        if (exh_metric_present(*exh_epoch_metric(&row, name)))
            return 1;
    }
    return 0;
}

static void print_curve(const exh_run *r, output_format format)
{
    const char *columns[1 + EXH_EPOCH_METRIC_COUNT] = {"epoch"};
    int metric_index[EXH_EPOCH_METRIC_COUNT];
    int count = 0;
    for (int m = 0; m < EXH_EPOCH_METRIC_COUNT; m++)
        if (format == OUTPUT_CSV || metric_used(r, exh_epoch_metric_names[m])) {
            metric_index[count] = m;
            columns[1 + count++] = exh_epoch_metric_names[m];
        }
    output_table *t = output_begin(stdout, format, 1 + count, columns);
    for (size_t i = 0; i < r->epoch_count; i++) {
        exh_epoch_record row = r->epochs[i];
        output_integer(t, row.epoch);
        for (int c = 0; c < count; c++)
            output_number(t, *exh_epoch_metric(&row, exh_epoch_metric_names[metric_index[c]]));
        output_end_row(t);
    }
    output_end(t);
}

static void print_table(const exh_run *r)
{
    /* Every string came from a log file: shown with control bytes escaped. */
    char a[4096], b[4096];
#define SHOWN(text, buf) cli_printable((text) ? (text) : "-", buf, sizeof buf)
    printf("key:           %s\n", SHOWN(r->key, a));
    printf("id:            %lld\n", (long long)r->id);
    printf("space:         %s\n", SHOWN(r->space, a));
    printf("arch:          %s\n", SHOWN(r->arch, a));
    printf("arch_sequence: %s\n", SHOWN(r->arch_sequence, a));
    printf("dataset:       %s\n", SHOWN(r->dataset, a));
    if (r->has_seed)
        printf("seed:          %lld\n", (long long)r->seed);
    else
        printf("seed:          -\n");
    printf("status:        %s\n", SHOWN(r->status, a));
    printf("source:        %s\n", SHOWN(r->source, a));
    for (size_t i = 0; i < r->param_count; i++)
        printf("param:         %s = %s\n", SHOWN(r->params[i].key, a), SHOWN(r->params[i].value, b));
#undef SHOWN
    printf("\n");
    print_curve(r, OUTPUT_TABLE);
}

static int show_main(int argc, char **argv)
{
    const char *store_path;
    output_format format;
    int status = cli_parse_store_and_format("show", argc, argv, &store_path, &format);
    if (status != CLI_OK)
        return status;
    if (optind != argc - 1)
        return cli_usage_error("show", "give exactly one RUN (a key or id)");
    exh_store *s;
    if (cli_open_existing_store("show", store_path, &s) != CLI_OK)
        return CLI_FAILED;
    exh_run r;
    exh_run_init(&r);
    exh_error err;
    int rc = exh_store_get_run(s, argv[optind], &r, &err);
    if (rc == 0) {
        if (format == OUTPUT_JSON)
            print_json(&r);
        else if (format == OUTPUT_CSV)
            print_curve(&r, OUTPUT_CSV);
        else
            print_table(&r);
    } else {
        cli_error("show", "%s", err.message);
    }
    exh_run_clear(&r);
    exh_store_close(s);
    return rc == 0 ? CLI_OK : CLI_FAILED;
}

const cli_command cli_show_command = {"show", "print one run and its curve", HELP, show_main};
