/* cli_common.c — error printing, store opening and format parsing. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exhaust/lstm.h"

const char *cli_option_name(const struct option *options, int index, char **argv, char *buf,
                            size_t size)
{
    if (index < 0)
        return argv[optind - 1];
    snprintf(buf, size, "--%s", options[index].name);
    return buf;
}

const char *cli_printable(const char *text, char *buf, size_t size)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        int control = *p < 0x20 || *p == 0x7f;
        if (n + (control ? 4 : 1) >= size)
            break;
        if (control)
            n += (size_t)snprintf(buf + n, size - n, "\\x%02x", *p);
        else
            buf[n++] = (char)*p;
    }
    if (size)
        buf[n] = '\0';
    return buf;
}

static void vprint_error(const char *command, const char *format, va_list args)
{
    char message[2 * EXH_ERROR_MESSAGE_SIZE], shown[4 * sizeof message];
    vsnprintf(message, sizeof message, format, args);
    fprintf(stderr, "exhaust %s: %s\n", command, cli_printable(message, shown, sizeof shown));
}

void cli_error(const char *command, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprint_error(command, format, args);
    va_end(args);
}

int cli_usage_error(const char *command, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprint_error(command, format, args);
    va_end(args);
    fprintf(stderr, "run 'exhaust %s --help' for usage\n", command);
    return CLI_USAGE;
}

const char *cli_default_store(void)
{
    const char *path = getenv("EXHAUST_STORE");
    return path && *path ? path : EXH_STORE_DEFAULT_PATH;
}

int cli_open_existing_store(const char *command, const char *path, exh_store **out)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        cli_error(command, "%s: no such store (create one with 'exhaust ingest --store %s FILE')",
                  path, path);
        return CLI_FAILED;
    }
    exh_error err;
    if (exh_store_open_readonly(path, out, &err) < 0) {
        cli_error(command, "%s", err.message);
        return CLI_FAILED;
    }
    return CLI_OK;
}

int cli_parse_format(const char *command, const char *text, output_format *out)
{
    if (strcmp(text, "table") == 0)
        *out = OUTPUT_TABLE;
    else if (strcmp(text, "csv") == 0)
        *out = OUTPUT_CSV;
    else if (strcmp(text, "json") == 0)
        *out = OUTPUT_JSON;
    else
        return cli_usage_error(command, "--format must be csv, json or table, not '%s'", text);
    return CLI_OK;
}

int cli_parse_store_and_format(const char *command, int argc, char **argv,
                               const char **store_path, output_format *format)
{
    static const struct option options[] = {
        {"store", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    *store_path = cli_default_store();
    *format = OUTPUT_TABLE;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c == 's')
            *store_path = optarg;
        else if (c == 'f') {
            if (cli_parse_format(command, optarg, format) != CLI_OK)
                return CLI_USAGE;
        } else if (c == ':')
            return cli_usage_error(command, "%s needs a value", argv[optind - 1]);
        else
            return cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
    }
    return CLI_OK;
}

void cli_progress_start(progress_printer *p, const char *command, int quiet)
{
    const char *text = getenv("EXHAUST_PROGRESS_INTERVAL");
    char *end = NULL;
    double interval = text && *text ? strtod(text, &end) : -1;
    if (end && (*end || !(interval >= 0)))
        interval = -1; /* not a number of seconds: the default */
    progress_init(p, quiet ? NULL : stderr, command, isatty(STDERR_FILENO), interval);
}

int cli_make_directory(const char *command, const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        cli_error(command, "%s: %s", path, strerror(errno));
        return CLI_FAILED;
    }
    return CLI_OK;
}

int cli_parse_indel(const char *command, const char *text, double *out)
{
    char *end;
    *out = strcmp(text, "inf") == 0 ? INFINITY : strtod(text, &end);
    if (!isinf(*out) && (*end || end == text || !(*out >= 0)))
        return cli_usage_error(command, "--same-stride-indel needs a number >= 0 or inf, "
                                        "not '%s'", text);
    return CLI_OK;
}

int cli_parse_lstm_variant(const char *command, const char *text, int *out)
{
    exh_error err;
    if (exh_lstm_variant_parse(text, out, &err) < 0)
        return cli_usage_error(command, "--lstm-variant is default or paper, not '%s'", text);
    return CLI_OK;
}

/* strtoll and strtoull take leading blanks, '+' and (strtoull) a '-' that
 * wraps around; the option's text must be a plain integer. */
static int integer_syntax(const char *text, int sign_ok)
{
    const char *p = sign_ok && (*text == '-' || *text == '+') ? text + 1 : text;
    if (!(*p >= '0' && *p <= '9'))
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == '\0';
}

int cli_parse_integer(const char *command, const char *option, const char *text, long long low,
                      long long high, long long *out)
{
    errno = 0;
    long long value = integer_syntax(text, 1) ? strtoll(text, NULL, 10) : 0;
    if (!integer_syntax(text, 1) || errno == ERANGE || value < low || value > high)
        return cli_usage_error(command, "%s needs an integer from %lld to %lld, not '%s'", option,
                               low, high, text);
    *out = value;
    return CLI_OK;
}

int cli_parse_int(const char *command, const char *option, const char *text, int low, int high,
                  int *out)
{
    long long value;
    int rc = cli_parse_integer(command, option, text, low, high, &value);
    if (rc == CLI_OK)
        *out = (int)value;
    return rc;
}

int cli_parse_seed(const char *command, const char *option, const char *text, uint64_t *out)
{
    errno = 0;
    unsigned long long value = integer_syntax(text, 0) ? strtoull(text, NULL, 10) : 0;
    if (!integer_syntax(text, 0) || errno == ERANGE)
        return cli_usage_error(command, "%s needs an integer from 0 to %llu, not '%s'", option,
                               (unsigned long long)UINT64_MAX, text);
    *out = value;
    return CLI_OK;
}

int cli_penalties(const char *command, const char *space_name, const char *file,
                  double same_stride_indel, exh_penalty_table *out)
{
    exh_error err;
    exh_space *s = NULL;
    int rc = file ? exh_penalties_load(file, out, &err) : exh_space_open(space_name, &s, &err);
    if (rc == 0 && !file)
        rc = exh_penalties_for_space(s, out, &err);
    exh_space_free(s);
    if (rc < 0) {
        cli_error(command, "%s", err.message);
        return CLI_FAILED;
    }
    if (isnan(same_stride_indel))
        return CLI_OK;
    if (out->kind != EXH_PENALTY_CONVCHAIN)
        return cli_usage_error(command, "--same-stride-indel is a convchain penalty; the "
                                        "penalties here are %s's",
                               exh_penalties_kind_name(out->kind));
    out->convchain.same_stride_indel = same_stride_indel;
    return CLI_OK;
}
