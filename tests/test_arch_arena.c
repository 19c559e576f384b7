/* test_arch_arena.c — compact records (trace.h: arch_length, arch_token):
 * the search's arena keeps every architecture it was given, unmoved, past
 * many blocks; a trace of architectures of every length from 0 to the
 * maximum reads back token for token (exh_trace_read's one block); the
 * whole-arch accessor copies exactly the record's tokens, and cuts a bad
 * length instead of overrunning. */
#include <stdlib.h>
#include <string.h>

#include "exhaust/trace.h"
#include "search/arch_arena.h"
#include "testutil.h"

/* Token k of architecture i: distinct across i and k, so a mix-up shows. */
static int32_t token_of(int i, int k)
{
    return (int32_t)(i * 7 + k * 13) % 1000;
}

static int length_of(int i)
{
    return i % (EXH_ARCH_MAX_TOKENS + 1); /* 0 .. 256 */
}

static void test_arena_keeps_every_architecture(void **state)
{
    (void)state;
    enum { COUNT = 3000 }; /* ~384,000 tokens: many blocks past the first 1,024 */
    arch_arena a;
    arch_arena_init(&a);
    const int32_t **kept = malloc(sizeof *kept * COUNT);
    assert_non_null(kept);
    int64_t total = 0;
    for (int i = 0; i < COUNT; i++) {
        int32_t token[EXH_ARCH_MAX_TOKENS];
        for (int k = 0; k < length_of(i); k++)
            token[k] = token_of(i, k);
        kept[i] = arch_arena_add(&a, token, length_of(i));
        assert_non_null(kept[i]);
        total += length_of(i);
    }
    assert_true(a.block_count > 5);
    assert_int_equal(a.tokens, total);
    for (int i = 0; i < COUNT; i++) /* after all the growth: still there, unchanged */
        for (int k = 0; k < length_of(i); k++)
            if (kept[i][k] != token_of(i, k))
                fail_msg("architecture %d token %d: %d, not %d", i, k, kept[i][k],
                         token_of(i, k));
    assert_null(arch_arena_add(&a, NULL, -1));
    free((void *)kept);
    arch_arena_free(&a);
    assert_int_equal(a.block_count, 0);
    arch_arena_free(&a); /* twice: harmless */
}

static void test_accessor_copies_the_record_tokens(void **state)
{
    (void)state;
    const int32_t tokens[3] = {4, 0, 2};
    exh_trace_record r = {.arch_length = 3, .arch_token = tokens};
    exh_arch a;
    memset(&a, 0x5a, sizeof a);
    assert_ptr_equal(exh_trace_record_arch(&r, &a), &a);
    assert_int_equal(a.length, 3);
    assert_memory_equal(a.token, tokens, sizeof tokens);
    assert_int_equal(a.token[3], 0x5a5a5a5a); /* past the length: not written */
    r.arch_length = 0;
    r.arch_token = NULL; /* an empty architecture needs no tokens */
    assert_int_equal(exh_trace_record_arch(&r, &a)->length, 0);
    static const int32_t many[EXH_ARCH_MAX_TOKENS + 5];
    r.arch_token = many;
    r.arch_length = EXH_ARCH_MAX_TOKENS + 5; /* bad lengths are cut, never overrun */
    assert_int_equal(exh_trace_record_arch(&r, &a)->length, EXH_ARCH_MAX_TOKENS);
    r.arch_length = -3;
    assert_int_equal(exh_trace_record_arch(&r, &a)->length, 0);
}

/* Written by the trace writer, read back by exh_trace_read: every length,
 * past the reader's first 4,096 tokens, in one block free() releases. */
static void test_trace_round_trip_of_every_length(void **state)
{
    (void)state;
    enum { COUNT = 600 };
    char *path = test_temp_path("lengths.csv");
    exh_trace_writer *w;
    exh_error err;
    assert_int_equal(exh_trace_open(path, NULL, &w, &err), 0);
    exh_trace_set_durable(w, 0);
    for (int i = 0; i < COUNT; i++) {
        int32_t token[EXH_ARCH_MAX_TOKENS];
        for (int k = 0; k < length_of(i + 1); k++)
            token[k] = token_of(i, k);
        exh_trace_record r = {.job_id = i, .arch_length = length_of(i + 1), .arch_token = token,
                              .quality = i, .parent_id = -1, .donor_id = -1,
                              .donor_run_id = -1, .mutated_position = -1, .repo_fast_hits = -1};
        assert_int_equal(exh_trace_append(w, &r, &err), 0);
    }
    static const int32_t many[EXH_ARCH_MAX_TOKENS + 1];
    exh_trace_record bad = {.job_id = COUNT, .arch_length = EXH_ARCH_MAX_TOKENS + 1,
                            .arch_token = many};
    assert_int_equal(exh_trace_append(w, &bad, &err), EXH_ERR_INVALID); /* and not written */
    assert_non_null(strstr(err.message, "architecture length 257"));
    assert_int_equal(exh_trace_close(w, &err), 0);
    exh_trace_record *back = NULL;
    int64_t n = 0;
    assert_int_equal(exh_trace_read(path, NULL, 0, &back, &n, &err), 0);
    assert_int_equal(n, COUNT);
    for (int i = 0; i < COUNT; i++) {
        assert_int_equal(back[i].job_id, i);
        assert_int_equal(back[i].arch_length, length_of(i + 1));
        for (int k = 0; k < back[i].arch_length; k++)
            if (back[i].arch_token[k] != token_of(i, k))
                fail_msg("record %d token %d: %d, not %d", i, k, back[i].arch_token[k],
                         token_of(i, k));
    }
    /* the tokens lie after the records, in the same block */
    const char *end = (const char *)(back + COUNT);
    assert_true((const char *)back[0].arch_token >= end);
    free(back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_keeps_every_architecture),
        cmocka_unit_test(test_accessor_copies_the_record_tokens),
        cmocka_unit_test(test_trace_round_trip_of_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
