/*
 * progress.h — the exhaust command's progress printer (issue 12): one line
 * on stderr for every long command.
 *
 * On a terminal the line is redrawn in place ("\r", at most ten times a
 * second); elsewhere (a log file, a pipe) a plain line is written every
 * `interval` seconds, so a log shows the work is alive without filling up:
 *
 *   exhaust eval: 3/20 splits (15%), 0:42 elapsed, about 3:58 left
 *
 * The printer is the caller's (the CLI owns it; library code only reports
 * through exh_progress). Its clock can be replaced, so the rate limiting is
 * tested without waiting. Safe to update from several threads.
 */
#ifndef EXHAUST_UTIL_PROGRESS_H
#define EXHAUST_UTIL_PROGRESS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "exhaust/progress.h"

#define PROGRESS_TERMINAL_INTERVAL 0.1 /* seconds between redraws */
#define PROGRESS_DEFAULT_INTERVAL 5.0  /* seconds between plain lines */

typedef struct progress_printer {
    FILE *stream;              /* NULL: silent (--quiet) */
    const char *command;       /* "eval": lines start "exhaust eval: " */
    int terminal;              /* redraw one line in place */
    double interval;           /* seconds between lines */
    double (*clock)(void *context); /* monotonic seconds */
    void *clock_context;
    double start, last;        /* last < start: nothing written yet */
    int drawn;                 /* a live line is on the terminal */
    pthread_mutex_t lock;
} progress_printer;

/* stream NULL makes a silent printer. terminal: isatty of the stream;
 * interval < 0: the default for the kind of stream (0: every update). */
void progress_init(progress_printer *p, FILE *stream, const char *command, int terminal,
                   double interval);
/* Replace the clock (tests); restarts the elapsed time. */
void progress_set_clock(progress_printer *p, double (*clock)(void *), void *context);
/* Report done of total `what` (total <= 0: unknown); `extra` (may be NULL)
 * is appended ("best 91.6, 120 eval/s"). Writes only when the interval has
 * passed since the last line, or when the work is done. Returns 1 when it
 * wrote. */
int progress_update(progress_printer *p, const char *what, int64_t done, int64_t total,
                    const char *extra);
/* Clear a live line (the command's own output follows); frees the lock. */
void progress_finish(progress_printer *p);
/* An exh_progress that reports to p. */
exh_progress progress_callback(progress_printer *p);

/* The line's text, without "\r" or newline: "exhaust CMD: DONE/TOTAL WHAT
 * (P%), M:SS elapsed, about M:SS left[, EXTRA]". Returns buf. */
const char *progress_format(char *buf, size_t size, const char *command, const char *what,
                            int64_t done, int64_t total, double elapsed, const char *extra);

#endif
