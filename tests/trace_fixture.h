/* trace_fixture.h — the ten-record trace that the analysis tests work out by
 * hand (test_analyze.c, test_popularity.c, test_locality.c). */
#ifndef EXHAUST_TEST_TRACE_FIXTURE_H
#define EXHAUST_TEST_TRACE_FIXTURE_H

#include "exhaust/analyze.h"
#include "testutil.h"

/*
 * job arch   quality end parent donor prefix mutated
 *  0  0,0,0   50     1   -1    -1     0     -1
 *  1  0,1,0   60     2   -1    -1     0     -1
 *  2  1,1,1   55     3   -1    -1     0     -1
 *  3  0,1,1   70     4    1     1     2      2
 *  4  0,1,2   F      5    3     3     2      2     (failed)
 *  5  0,2,1   65     6    3     3     1      1
 *  6  1,1,0   58     7    2     2     2      2
 *  7  0,0,1   52     8    0     0     2      2
 *  8  0,1,3   80     9    3     3     2      2
 *  9  2,1,1   75    10    3     3     0      0
 * Trie: root 10; "0" 7 (jobs 0,1,3,4,5,7,8); "1" 2; "2" 1; "0,1" 4 (1,3,4,8); "0,0" 2;
 * "0,2" 1; "1,1" 2. Transfers through "0": children with prefix >= 1 under "0": jobs
 * 3,4,5,7,8 = 5; through "0,1": 3,4,8 = 3; "0,0": 7 = 1; "1,1": 6 = 1.
 * Best steps: 50 (job 0), 60 (1), 70 (3), 80 (8): four steps.
 */
static const char *TRACE =
    "# exhaust search: space=x population=3 sample=2\n"
    "job_id,p:arch_seq,objective,m:timestamp_submit,m:timestamp_start,m:timestamp_gather,"
    "m:worker,m:parent_id,m:donor_id,m:prefix_len,m:mutated_position,m:status,m:cost\n"
    "0,\"[0, 0, 0]\",50,0,0,1,0,-1,-1,0,-1,ok,1\n"
    "1,\"[0, 1, 0]\",60,0,0,2,1,-1,-1,0,-1,ok,2\n"
    "2,\"[1, 1, 1]\",55,0,0,3,0,-1,-1,0,-1,ok,3\n"
    "3,\"[0, 1, 1]\",70,1,1,4,1,1,1,2,2,ok,3\n"
    "4,\"[0, 1, 2]\",F,2,2,5,0,3,3,2,2,failed,3\n"
    "5,\"[0, 2, 1]\",65,3,3,6,1,3,3,1,1,ok,3\n"
    "6,\"[1, 1, 0]\",58,4,4,7,0,2,2,2,2,ok,3\n"
    "7,\"[0, 0, 1]\",52,5,5,8,1,0,0,2,2,ok,3\n"
    "8,\"[0, 1, 3]\",80,6,6,9,0,3,3,2,2,ok,3\n"
    "9,\"[2, 1, 1]\",75,7,7,10,1,3,3,0,0,ok,3\n";

/* The fixture written to a file and loaded with analyze_load (fails the
 * test if it does not load). */
static inline exh_trace_record *load_fixture(int64_t *count)
{
    exh_error err;
    exh_trace_record *records = NULL;
    if (exh_analyze_load(test_write_file("trace.csv", TRACE), NULL, &records, count, &err) != 0)
        fail_msg("%s", err.message);
    return records;
}

#endif
