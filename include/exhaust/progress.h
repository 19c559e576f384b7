/*
 * progress.h — how far long work has got, told to whoever asked.
 *
 * The library never prints: functions that can run for minutes (exh_eval_run,
 * exh_lstm_fit, exh_penalties_fit, exh_analysis_run; exh_search_run_* has its
 * own callback in search.h) take an exh_progress in their options and call
 * it as units of work finish: `done` of `total` units named `what`
 * ("splits", "rounds", "models", "analyses"); total <= 0 when it is not known.
 * A zero exh_progress (report NULL, as the options' defaults leave it) is
 * silent. The callback runs on the thread doing the work, between units, so
 * it should be quick; it may be called often (the exhaust command's printer
 * keeps to a few lines).
 *
 *   exh_eval_options o;
 *   exh_eval_options_default(&o);
 *   o.progress = (exh_progress){my_report, my_context};
 */
#ifndef EXHAUST_PROGRESS_H
#define EXHAUST_PROGRESS_H

#include <stdint.h>

typedef struct exh_progress {
    void (*report)(void *context, const char *what, int64_t done, int64_t total);
    void *context;
} exh_progress;

/* Call p's report, if it has one (p may be NULL). */
static inline void exh_progress_report(const exh_progress *p, const char *what, int64_t done,
                                       int64_t total)
{
    if (p && p->report)
        p->report(p->context, what, done, total);
}

#endif
