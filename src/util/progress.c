/* progress.c — the command's progress line (progress.h). */
#include "util/progress.h"

#include <string.h>
#include <time.h>

static double monotonic_seconds(void *context)
{
    (void)context;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void progress_init(progress_printer *p, FILE *stream, const char *command, int terminal,
                   double interval)
{
    memset(p, 0, sizeof *p);
    p->stream = stream;
    p->command = command;
    p->terminal = terminal;
    p->interval = interval >= 0   ? interval
                  : terminal      ? PROGRESS_TERMINAL_INTERVAL
                                  : PROGRESS_DEFAULT_INTERVAL;
    pthread_mutex_init(&p->lock, NULL);
    progress_set_clock(p, monotonic_seconds, NULL);
}

void progress_set_clock(progress_printer *p, double (*clock)(void *), void *context)
{
    p->clock = clock;
    p->clock_context = context;
    p->start = p->last = clock(context);
}

/* H:MM:SS, or M:SS under an hour. */
static void duration_text(char *buf, size_t size, double seconds)
{
    long s = seconds > 0 && seconds < 1e9 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

const char *progress_format(char *buf, size_t size, const char *command, const char *what,
                            int64_t done, int64_t total, double elapsed, const char *extra)
{
    char spent[32], left[32];
    duration_text(spent, sizeof spent, elapsed);
    int n;
    if (total > 0) {
        int percent = (int)(100.0 * (double)done / (double)total);
        n = snprintf(buf, size, "exhaust %s: %lld/%lld %s (%d%%), %s elapsed", command,
                     (long long)done, (long long)total, what, percent, spent);
    } else {
        n = snprintf(buf, size, "exhaust %s: %lld %s, %s elapsed", command, (long long)done,
                     what, spent);
    }
    /* the rate so far, applied to what is left */
    if (total > done && done > 0 && n >= 0 && (size_t)n < size) {
        duration_text(left, sizeof left, elapsed * (double)(total - done) / (double)done);
        n += snprintf(buf + n, size - (size_t)n, ", about %s left", left);
    }
    if (extra && *extra && n >= 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ", %s", extra);
    return buf;
}

int progress_update(progress_printer *p, const char *what, int64_t done, int64_t total,
                    const char *extra)
{
    if (!p->stream)
        return 0;
    pthread_mutex_lock(&p->lock);
    double now = p->clock(p->clock_context);
    /* The finishing update is written on a terminal (the line shows the
     * end); in a log it is not, unless a line was due anyway. */
    int finished = total > 0 && done >= total && p->terminal;
    int due = now - p->last >= p->interval || finished;
    if (due) {
        char line[512];
        progress_format(line, sizeof line, p->command, what, done, total, now - p->start, extra);
        if (p->terminal)
            fprintf(p->stream, "\r\033[K%s", line);
        else
            fprintf(p->stream, "%s\n", line);
        fflush(p->stream);
        p->last = now;
        p->drawn |= p->terminal;
    }
    pthread_mutex_unlock(&p->lock);
    return due;
}

void progress_finish(progress_printer *p)
{
    if (p->stream && p->drawn) {
        fprintf(p->stream, "\r\033[K");
        fflush(p->stream);
    }
    p->drawn = 0;
    pthread_mutex_destroy(&p->lock);
}

static void report_to_printer(void *context, const char *what, int64_t done, int64_t total)
{
    progress_update(context, what, done, total, NULL);
}

exh_progress progress_callback(progress_printer *p)
{
    return (exh_progress){p->stream ? report_to_printer : NULL, p};
}
