/* trace_record_make.h — one trace record written inline, for the cache
 * tests (test_cachesim.c, test_cachesim_reference.c, test_repo.c), and
 * RECORD_ARCH for tests that read a record's architecture whole. */
#ifndef EXHAUST_TEST_TRACE_RECORD_MAKE_H
#define EXHAUST_TEST_TRACE_RECORD_MAKE_H

#include <stdlib.h>
#include <string.h>

#include "exhaust/trace.h"

/* A record's architecture as a whole exh_arch (a compound literal that lives
 * to the end of the enclosing block). */
#define RECORD_ARCH(r) exh_trace_record_arch((r), &(exh_arch){0})

/* Tokens of the records make_record builds (records point at their tokens,
 * trace.h): a pool per test program, never freed. */
enum { MAKE_RECORD_POOL = 1 << 20 };

static inline int32_t *make_record_tokens(int length)
{
    static int32_t pool[MAKE_RECORD_POOL];
    static int used;
    if (length > MAKE_RECORD_POOL - used)
        abort(); /* a test made more records than the pool holds: enlarge it */
    used += length;
    return pool + used - length;
}

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
    r.arch_length = (int)strlen(tokens);
    int32_t *token = make_record_tokens(r.arch_length);
    for (int i = 0; tokens[i]; i++)
        token[i] = tokens[i] - '0';
    r.arch_token = token;
    r.quality = quality;
    r.parent_id = r.donor_id = r.donor_run_id = -1;
    r.prefix_length = prefix;
    r.mutated_position = -1;
    return r;
}

#endif
