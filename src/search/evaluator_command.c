/* evaluator_command.c — evaluate by running the user's training command.
 *
 * The command template's placeholders are replaced by single-quoted shell
 * words (so an NB201 string's '|' is safe):
 *   {arch}       the architecture's text form      {arch_seq}  "0,3,1,..."
 *   {job_id}     this evaluation's id              {parent_id} parent's id, -1 if none
 *   {prefix_len} positions shared with the parent
 *   {donor_id}   the model the child receives its prefix from (as {parent_id}), -1 if none
 *   {repo}       the model repository's folder (exh_evaluator_command_set_repo; '' if none)
 * The command runs under /bin/sh -c in its own process group; its last
 * non-empty stdout line must be the quality (a number, higher is better).
 * A non-zero exit, an unreadable last line or running past the timeout is a
 * failed (or timed-out) evaluation, never an error of the search.
 *
 * The evaluation ends when the shell exits, not when its output ends; then
 * whatever is left of its process group (a process it put in the
 * background) is terminated: TERM, and KILL after a grace period. A timeout
 * ends the group the same way, and so does evaluator_command_stop (the CLI
 * calls it on SIGINT and SIGTERM) for every command running. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
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
    const exh_space *space;
    double timeout_seconds;
    char *repo;              /* NULL: none ({repo} is '') */
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

#define PLACEHOLDERS 7
static const char *const NAMES[PLACEHOLDERS] = {"{arch}", "{arch_seq}", "{job_id}", "{parent_id}",
                                                "{prefix_len}", "{donor_id}", "{repo}"};

int exh_evaluator_command_expand(const char *template, const exh_space *s,
                                 const exh_evaluation_request *request, char *out, exh_error *err)
{
    return exh_evaluator_command_expand_repo(template, s, request, NULL, out, err);
}

int exh_evaluator_command_expand_repo(const char *template, const exh_space *s,
                                      const exh_evaluation_request *request, const char *repo,
                                      char *out, exh_error *err)
{
    char text[EXH_SPACE_TEXT_MAX], sequence[EXH_ARCH_MAX_TOKENS * 12], job[32], parent[32], prefix[32];
    exh_space_format(s, request->architecture, text, sizeof text);
    exh_space_format_sequence(request->architecture, sequence, sizeof sequence);
    snprintf(job, sizeof job, "%lld", (long long)request->job_id);
    snprintf(parent, sizeof parent, "%lld", (long long)request->parent_id);
    snprintf(prefix, sizeof prefix, "%d", request->prefix_length);
    const char *values[PLACEHOLDERS] = {text, sequence, job, parent, prefix, parent,
                                        repo ? repo : ""};
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = template; *p;) {
        int matched = 0;
        for (int i = 0; i < PLACEHOLDERS && !matched; i++) {
            size_t n = strlen(NAMES[i]);
            if (strncmp(p, NAMES[i], n) == 0) {
                if (append_quoted(out, &used, values[i]) < 0)
                    return exh_error_set(err, EXH_ERR_INVALID, "command longer than %d bytes",
                                         COMMAND_MAX);
                p += n;
                matched = 1;
            }
        }
        if (matched)
            continue;
        if (used + 1 >= COMMAND_MAX)
            return exh_error_set(err, EXH_ERR_INVALID, "command longer than %d bytes", COMMAND_MAX);
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

/*
 * Running commands, for signal handlers: the process group of every command
 * now running, in slots a handler may read (lock-free atomics are
 * async-signal-safe). A group is registered before its process may start
 * anything and unregistered only once it is reaped, so a signal never misses
 * a running command nor hits a reused process id.
 */
#define GROUPS_TRACKED 4096
static atomic_int running_groups[GROUPS_TRACKED];
static atomic_int stopping; /* a stop was asked: start no more commands */

static int track_group(pid_t group)
{
    for (int i = 0; i < GROUPS_TRACKED; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&running_groups[i], &expected, (int)group))
            return i;
    }
    return -1; /* more commands at once than slots: this one is not signalled */
}

void exh_evaluator_command_stop(int sig)
{
    atomic_store(&stopping, 1);
    for (int i = 0; i < GROUPS_TRACKED; i++) {
        int group = atomic_load(&running_groups[i]);
        if (group > 0)
            kill(-group, sig);
    }
}

int exh_evaluator_command_stopping(void)
{
    return atomic_load(&stopping);
}

/* Wait for `child` to exit, at most until deadline (INFINITY: no limit).
 * 1: it exited (*status set), 0: the deadline passed. Polls with a backoff
 * from 1 ms to 50 ms: the process may have closed its stdout long before. */
static int wait_until(pid_t child, double deadline, int *status)
{
    for (double pause = 0.001;; pause = pause < 0.05 ? pause * 2 : 0.05) {
        pid_t got = waitpid(child, status, WNOHANG);
        if (got == child || (got < 0 && errno != EINTR))
            return 1;
        double left = deadline - now_seconds();
        if (left <= 0)
            return 0;
        struct timespec nap = {0, (long)(1e9 * (pause < left ? pause : left))};
        nanosleep(&nap, NULL);
    }
}

/* Read the child's stdout until the child exits or the deadline passes (not
 * until the end of output: `sleep 5 & echo 1` holds the pipe open after the
 * shell has exited). Returns 1 when the child exited (*status set), 0 at
 * the deadline. */
static int read_until_exit(int fd, pid_t child, double deadline, char *kept, size_t *kept_size,
                           int *status)
{
    char chunk[4096];
    int open = 1;
    for (;;) {
        pid_t got = waitpid(child, status, WNOHANG);
        if (got == child || (got < 0 && errno != EINTR)) {
            /* Exited: take what it wrote (a background process may still
             * hold the pipe: read only what is there now). */
            ssize_t n;
            while (open && (n = read(fd, chunk, sizeof chunk)) > 0)
                keep_output(kept, kept_size, chunk, (size_t)n);
            return 1;
        }
        if (!open)
            return wait_until(child, deadline, status);
        double left = deadline - now_seconds();
        if (left <= 0)
            return 0;
        /* Wake at least every 50 ms to see whether the child exited; a
         * huge or infinite `left` never reaches the int cast. */
        int wait_ms = left < 0.05 ? (int)(left * 1000) + 1 : 50;
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, wait_ms);
        if (ready <= 0)
            continue;
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            open = 0; /* end of output: now wait for the exit itself */
        else
            keep_output(kept, kept_size, chunk, (size_t)n);
    }
}

/* End the whole group: TERM, then KILL if anything of it is left after the
 * grace period. Reaps the child unless it was reaped already. */
static void end_group(pid_t child, int reaped, int *status)
{
    if (kill(-child, SIGTERM) != 0) { /* nothing of the group is left */
        if (!reaped)
            wait_until(child, INFINITY, status);
        return;
    }
    double deadline = now_seconds() + EXH_EVALUATOR_COMMAND_GRACE_SECONDS;
    if (!reaped)
        reaped = wait_until(child, deadline, status);
    /* Members other than the child (a backgrounded process) cannot be
     * waited for: poll the group until it is empty or the grace is over. */
    while (kill(-child, 0) == 0 && now_seconds() < deadline) {
        struct timespec nap = {0, 10 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    kill(-child, SIGKILL);
    if (!reaped)
        wait_until(child, INFINITY, status);
}

static int command_evaluate(void *state, const exh_evaluation_request *request, exh_rng *r,
                            exh_evaluation *out, exh_error *err)
{
    (void)r;
    command_state *c = state;
    char command[COMMAND_MAX];
    int rc = exh_evaluator_command_expand_repo(c->template, c->space, request, c->repo, command,
                                               err);
    if (rc < 0)
        return rc;
    if (exh_evaluator_command_stopping())
        return exh_error_set(err, EXH_ERR_INTERRUPTED, "stopped: no more training commands");
    /* O_CLOEXEC: a command started by another worker thread must not
     * inherit this pipe, or its end of output would wait for that one too. */
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return exh_error_set(err, EXH_ERR_IO, "cannot create a pipe: %s", strerror(errno));
    double start = now_seconds();
    pid_t child = fork();
    if (child < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return exh_error_set(err, EXH_ERR_IO, "cannot start the command: %s", strerror(errno));
    }
    if (child == 0) {
        setpgid(0, 0);
        /* A handler the search installed is not the command's. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(pipe_fds[1], STDOUT_FILENO); /* the copy on 1 is not close-on-exec */
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    /* Both sides set the group, so it exists before either can signal it. */
    setpgid(child, child);
    int slot = track_group(child);
    close(pipe_fds[1]);
    /* Non-blocking: once the command has exited, what it wrote is read
     * without waiting for a background process that holds the pipe. */
    fcntl(pipe_fds[0], F_SETFL, fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);
    if (exh_evaluator_command_stopping()) /* a stop came between the check and the fork */
        kill(-child, SIGTERM);
    char kept[OUTPUT_KEPT] = "";
    size_t kept_size = 0;
    double deadline = c->timeout_seconds > 0 ? start + c->timeout_seconds : INFINITY;
    int status = 0;
    int exited = read_until_exit(pipe_fds[0], child, deadline, kept, &kept_size, &status);
    close(pipe_fds[0]);
    /* Timed out, or exited leaving processes behind: the evaluation is over,
     * and so is everything it started. */
    end_group(child, exited, &status);
    if (slot >= 0)
        atomic_store(&running_groups[slot], 0);
    if (exh_evaluator_command_stopping())
        return exh_error_set(err, EXH_ERR_INTERRUPTED,
                             "stopped: the training command of job %lld was terminated",
                             (long long)request->job_id);
    out->cost_seconds = now_seconds() - start;
    out->quality = NAN;
    if (!exited)
        out->status = EXH_EVALUATION_TIMEOUT;
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
             parse_last_line(kept, &out->quality) < 0)
        out->status = EXH_EVALUATION_FAILED;
    else
        out->status = EXH_EVALUATION_OK;
    return EXH_OK;
}

static void command_free(void *state)
{
    command_state *c = state;
    if (c)
        free(c->repo);
    free(c);
}

static const char *command_describe(void *state)
{
    return ((command_state *)state)->description;
}

int exh_evaluator_command_open(const char *template, double timeout_seconds, const exh_space *s,
                               exh_evaluator **out, exh_error *err)
{
    *out = NULL;
    if (!template || !*template)
        return exh_error_set(err, EXH_ERR_INVALID, "the command evaluator needs a command");
    /* '{arch}' would close the quotes expand adds and open new ones: the
     * value reaches the shell unquoted ("{arch}" keeps the quotes as text). */
    for (const char *p = template; *p; p++)
        for (int i = 0; i < PLACEHOLDERS; i++)
            if (p > template && (p[-1] == '\'' || p[-1] == '"') &&
                strncmp(p, NAMES[i], strlen(NAMES[i])) == 0)
                return exh_error_set(err, EXH_ERR_INVALID,
                                     "--command: %c%s%c: placeholders are already shell-quoted; "
                                     "write %s without quotes",
                                     p[-1], NAMES[i], p[-1], NAMES[i]);
    command_state *c = calloc(1, sizeof *c + strlen(template) + 1);
    exh_evaluator *e = calloc(1, sizeof *e);
    if (!c || !e) {
        free(c);
        free(e);
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
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
    e->free = command_free;
    *out = e;
    return EXH_OK;
}

int exh_evaluator_command_set_repo(exh_evaluator *e, const char *repo, exh_error *err)
{
    if (!e || !e->name || strcmp(e->name, "command") != 0)
        return exh_error_set(err, EXH_ERR_INVALID, "{repo}: not a command evaluator");
    command_state *c = e->state;
    char *copy = repo ? strdup(repo) : NULL;
    if (repo && !copy)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    free(c->repo);
    c->repo = copy;
    return EXH_OK;
}
