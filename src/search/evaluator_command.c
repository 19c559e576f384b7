/* evaluator_command.c — evaluate by running the user's training command.
 *
 * The command template's placeholders are replaced by single-quoted shell
 * words (so an NB201 string's '|' is safe):
 *   {arch}       the architecture's text form      {arch_seq}  "0,3,1,..."
 *   {job_id}     this evaluation's id              {parent_id} parent's id, -1 if none
 *   {prefix_len} positions shared with the parent
 * The command runs under /bin/sh -c in its own process group; its last
 * non-empty stdout line must be the quality (a number, higher is better).
 * A non-zero exit, an unreadable last line or running past the timeout is a
 * failed (or timed-out) evaluation, never an error of the search. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exhaust/evaluator.h"
#include "util/csv.h"

#define COMMAND_MAX 16384
#define OUTPUT_KEPT 4096

typedef struct command_state {
    const space *space;
    double timeout_seconds;
    char description[256];
    char template[];
} command_state;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Append text as one single-quoted shell word. */
static int append_quoted(char *out, size_t *used, const char *text)
{
    if (*used + 1 >= COMMAND_MAX)
        return -1;
    out[(*used)++] = '\'';
    for (const char *p = text; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL;
        size_t n = piece ? 4 : 1;
        if (*used + n + 2 >= COMMAND_MAX)
            return -1;
        memcpy(out + *used, piece ? piece : p, n);
        *used += n;
    }
    out[(*used)++] = '\'';
    out[*used] = '\0';
    return 0;
}

int evaluator_command_expand(const char *template, const space *s,
                             const evaluation_request *request, char *out, exh_error *err)
{
    char text[SPACE_TEXT_MAX], sequence[ARCH_MAX_TOKENS * 12], job[32], parent[32], prefix[32];
    space_format(s, request->architecture, text, sizeof text);
    space_format_sequence(request->architecture, sequence, sizeof sequence);
    snprintf(job, sizeof job, "%lld", (long long)request->job_id);
    snprintf(parent, sizeof parent, "%lld", (long long)request->parent_id);
    snprintf(prefix, sizeof prefix, "%d", request->prefix_length);
    const char *names[] = {"{arch}", "{arch_seq}", "{job_id}", "{parent_id}", "{prefix_len}"};
    const char *values[] = {text, sequence, job, parent, prefix};
    size_t used = 0;
    for (const char *p = template; *p;) {
        int matched = 0;
        for (int i = 0; i < 5 && !matched; i++) {
            size_t n = strlen(names[i]);
            if (strncmp(p, names[i], n) == 0) {
                if (append_quoted(out, &used, values[i]) < 0)
                    return error_set(err, EXH_ERR_INVALID, "command longer than %d bytes",
                                     COMMAND_MAX);
                p += n;
                matched = 1;
            }
        }
        if (matched)
            continue;
        if (used + 1 >= COMMAND_MAX)
            return error_set(err, EXH_ERR_INVALID, "command longer than %d bytes", COMMAND_MAX);
        out[used++] = *p++;
        out[used] = '\0';
    }
    out[used] = '\0';
    return EXH_OK;
}

/* Keep the tail of the child's stdout in `kept` (the quality is its last line). */
static void keep_output(char *kept, size_t *kept_size, const char *chunk, size_t n)
{
    if (n >= OUTPUT_KEPT - 1) {
        chunk += n - (OUTPUT_KEPT - 1);
        n = OUTPUT_KEPT - 1;
    }
    if (*kept_size + n >= OUTPUT_KEPT) {
        size_t drop = *kept_size + n - (OUTPUT_KEPT - 1);
        memmove(kept, kept + drop, *kept_size - drop);
        *kept_size -= drop;
    }
    memcpy(kept + *kept_size, chunk, n);
    *kept_size += n;
    kept[*kept_size] = '\0';
}

static int parse_last_line(char *output, double *quality)
{
    size_t n = strlen(output);
    while (n > 0 && (output[n - 1] == '\n' || output[n - 1] == '\r' || output[n - 1] == ' '))
        output[--n] = '\0';
    char *line = strrchr(output, '\n');
    line = line ? line + 1 : output;
    return csv_parse_double(line, quality) == 0 && isfinite(*quality) ? 0 : -1;
}

/* Read the child's stdout until it closes or the deadline passes. */
static int read_until(int fd, double deadline, char *kept, size_t *kept_size)
{
    char chunk[4096];
    for (;;) {
        double left = deadline - now_seconds();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, (int)(left * 1000) + 1);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        keep_output(kept, kept_size, chunk, (size_t)n);
    }
}

static int command_evaluate(void *state, const evaluation_request *request, rng *r,
                            evaluation *out, exh_error *err)
{
    (void)r;
    command_state *c = state;
    char command[COMMAND_MAX];
    int rc = evaluator_command_expand(c->template, c->space, request, command, err);
    if (rc < 0)
        return rc;
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        return error_set(err, EXH_ERR_IO, "cannot create a pipe: %s", strerror(errno));
    double start = now_seconds();
    pid_t child = fork();
    if (child < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return error_set(err, EXH_ERR_IO, "cannot start the command: %s", strerror(errno));
    }
    if (child == 0) {
        setpgid(0, 0);
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(pipe_fds[1]);
    char kept[OUTPUT_KEPT] = "";
    size_t kept_size = 0;
    double deadline = c->timeout_seconds > 0 ? start + c->timeout_seconds : INFINITY;
    int timed_out = read_until(pipe_fds[0], deadline, kept, &kept_size) < 0;
    close(pipe_fds[0]);
    if (timed_out)
        kill(-child, SIGKILL); /* the whole group: the shell and what it started */
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    out->cost_seconds = now_seconds() - start;
    out->quality = NAN;
    if (timed_out)
        out->status = EVALUATION_TIMEOUT;
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
             parse_last_line(kept, &out->quality) < 0)
        out->status = EVALUATION_FAILED;
    else
        out->status = EVALUATION_OK;
    return EXH_OK;
}

static const char *command_describe(void *state)
{
    return ((command_state *)state)->description;
}

int evaluator_command_open(const char *template, double timeout_seconds, const space *s,
                           evaluator **out, exh_error *err)
{
    *out = NULL;
    if (!template || !*template)
        return error_set(err, EXH_ERR_INVALID, "the command evaluator needs a command");
    command_state *c = calloc(1, sizeof *c + strlen(template) + 1);
    evaluator *e = calloc(1, sizeof *e);
    if (!c || !e) {
        free(c);
        free(e);
        return error_set(err, EXH_ERR_NOMEM, "out of memory");
    }
    strcpy(c->template, template);
    c->space = s;
    c->timeout_seconds = timeout_seconds;
    snprintf(c->description, sizeof c->description,
             "command evaluator: cost = measured wall time, timeout %g s", timeout_seconds);
    e->name = "command";
    e->state = c;
    e->evaluate = command_evaluate;
    e->describe = command_describe;
    e->free = free;
    *out = e;
    return EXH_OK;
}
