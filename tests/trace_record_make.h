/* trace_record_make.h — one trace record written inline, for the cache
 * tests (test_cachesim.c, test_cachesim_reference.c). */
#ifndef EXHAUST_TEST_TRACE_RECORD_MAKE_H
#define EXHAUST_TEST_TRACE_RECORD_MAKE_H

#include <string.h>

#include "exhaust/trace.h"

/* A record: tokens as digits ("01" = [0, 1]), times, quality, the prefix
 * received from its donor (the donor itself does not matter to the replay). */
static inline exh_trace_record make_record(int worker, double start, double end, const char *tokens,
                                double quality, int prefix)
{
    exh_trace_record r;
    memset(&r, 0, sizeof r);
    r.worker = worker;
    r.start_time = start;
    r.end_time = end;
    r.architecture.length = (int)strlen(tokens);
    for (int i = 0; tokens[i]; i++)
        r.architecture.token[i] = tokens[i] - '0';
    r.quality = quality;
    r.parent_id = r.donor_id = r.donor_run_id = -1;
    r.prefix_length = prefix;
    r.mutated_position = -1;
    return r;
}

#endif
