/* test_popularity.c — RQ4 on the hand-worked ten-record trace
 * (trace_fixture.h), with window 4, prefixes of length 2, tier 1 at 30% of
 * the window, tier 2 above one model, donors again after d = 2.
 *
 * Length-2 prefixes by record: 0 "0,0"  1 "0,1"  2 "1,1"  3 "0,1"  4 "0,1"
 * 5 "0,2"  6 "1,1"  7 "0,0"  8 "0,1"  9 "2,1".
 * Two points: records 4 and 9. Window 1..4: "0,1" x3 (tier 1: 3 >= ceil(1.2)),
 * "1,1" x1 (tier 3). Window 6..9: four prefixes once each, all tier 3.
 * Donors by record: 3<-1 4<-3 5<-3 6<-2 7<-0 8<-3 9<-3. Observed windows end
 * at t = 3, 4, 5 (the next window must fit): t=3 model 1 (c=1, never again);
 * t=4 model 1 (c=1, no), model 3 (c=1, again at 5); t=5 model 1 (c=1, no),
 * model 3 (c=2, again at 8). So c=1: 4 pairs, 1 again; c=2: 1 pair, 1 again.
 * New bests: jobs 0, 1, 3, 8. Job 0 ends at 1; proposals from then on (start
 * order) are jobs 3,4,5,6,7, job 7 is its child: 5 proposals, 4 s; a better
 * model ended at 2, after 1 proposal. Job 1: never a parent afterwards. Job 3
 * ends at 4: jobs 6, 7, 8, and 8 is its child: 3 proposals, 2 s. Job 8:
 * nothing after. Mean 4 proposals; P/S = 3/2 expected.
 */
#include <math.h>
#include <stdlib.h>

#include "exhaust/analyze.h"
#include "exhaust/popularity.h"
#include "testutil.h"

#include "trace_fixture.h"

static void fixture_options(exh_popularity_options *o)
{
    exh_popularity_options_default(o);
    o->window = 4;
    o->prefix_length = 2;
    o->points = 2;
    o->tier2_count = 1;
    o->donor_times = 2;
    o->population = 3;
    o->sample = 2;
    o->space_size = 27;
}

static void assert_entry(const exh_popularity_entry *e, int point, int t0, int t1, int count,
                         int tier)
{
    assert_int_equal(e->point, point);
    assert_int_equal(e->prefix.length, 2);
    assert_int_equal(e->prefix.token[0], t0);
    assert_int_equal(e->prefix.token[1], t1);
    assert_int_equal(e->count, count);
    assert_int_equal(e->tier, tier);
}

/* Popularity of the fixture with fixture_options. */
static void build_on_fixture(exh_popularity *p)
{
    int64_t n;
    exh_trace_record *r = load_fixture(&n);
    exh_popularity_options o;
    fixture_options(&o);
    exh_error err;
    if (exh_popularity_build(r, n, &o, p, &err) != 0)
        fail_msg("%s", err.message);
    free(r);
}

static void test_windows_and_tiers(void **state)
{
    (void)state;
    exh_popularity p;
    build_on_fixture(&p);
    assert_int_equal(p.points, 2);
    assert_int_equal(p.point_record[0], 4);
    assert_int_equal(p.point_record[1], 9);
    assert_int_equal(p.entry_count, 2 + 4);
    assert_entry(&p.entries[0], 0, 0, 1, 3, 1);
    assert_entry(&p.entries[1], 0, 1, 1, 1, 3);
    assert_true(fabs(p.entries[0].share - 0.75) < 1e-12);
    for (int i = 2; i < 6; i++) {
        assert_int_equal(p.entries[i].point, 1);
        assert_int_equal(p.entries[i].count, 1);
        assert_int_equal(p.entries[i].tier, 3);
    }
    assert_int_equal(p.tier_count, 10); /* one row per record at this size */
    const exh_popularity_tier_row *at4 = &p.tiers[4], *at9 = &p.tiers[9];
    assert_int_equal(at4->record, 4);
    assert_int_equal(at4->prefixes[1], 1);
    assert_int_equal(at4->members[1], 3);
    assert_int_equal(at4->prefixes[2], 0);
    assert_int_equal(at4->prefixes[3], 1);
    assert_int_equal(at9->prefixes[3], 4);
    assert_int_equal(at9->members[3], 4);
    exh_popularity_free(&p);
}

static void test_donors_and_delays(void **state)
{
    (void)state;
    exh_popularity p;
    build_on_fixture(&p);
    assert_int_equal(p.max_donor_count, 2);
    assert_int_equal(p.donor_pairs[1], 4);
    assert_int_equal(p.donor_again[1], 1);
    assert_int_equal(p.donor_pairs[2], 1);
    assert_int_equal(p.donor_again[2], 1);
    assert_true(fabs(p.donor_again_at_least_d - 1.0) < 1e-12);
    assert_true(fabs(p.donor_again_below_d - 0.25) < 1e-12);

    assert_int_equal(p.best_delay_count, 4);
    const exh_popularity_best_delay *d = p.best_delays;
    assert_int_equal(d[0].record, 0);
    assert_int_equal(d[0].proposals, 5);
    assert_true(fabs(d[0].seconds - 4) < 1e-12);
    assert_int_equal(d[0].superseded, 1);
    assert_int_equal(d[1].proposals, -1);
    assert_true(isnan(d[1].seconds));
    assert_int_equal(d[2].record, 3);
    assert_int_equal(d[2].proposals, 3);
    assert_true(fabs(d[2].seconds - 2) < 1e-12);
    assert_int_equal(d[3].proposals, -1);
    assert_true(fabs(p.mean_best_delay - 4) < 1e-12);
    assert_true(fabs(p.expected_best_delay - 1.5) < 1e-12);
    assert_true(fabs(p.mean_seconds_per_proposal - 1) < 1e-12);
    exh_popularity_free(&p);
}

/* Duplicates are counted on length-L prefixes of stage 1, and the bound is
 * on the N_L prefixes. L = 1: stage 1 (jobs 0, 1, 2 without a parent) has
 * prefixes "0", "0", "1": one drawn twice; N_1 = 3 gives
 * P(some prefix twice) = 1 - exp(-C(3,2)/3) = 1 - exp(-1). With parents
 * inferred, stage 1 is the first P by job id (stage1_first = 2: jobs 0, 1,
 * "0" twice), not every record left without a parent. */
static void test_prefix_duplicates(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load_fixture(&n);
    exh_popularity_options o;
    fixture_options(&o);
    o.prefix_length = 1;
    o.space_size = 3;
    exh_popularity p;
    exh_error err;
    assert_int_equal(exh_popularity_build(r, n, &o, &p, &err), 0);
    assert_int_equal(p.stage1_records, 3);
    assert_int_equal(p.stage1_max_duplicates, 2);
    assert_true(fabs(p.birthday_p[2] - (1 - exp(-1.0))) < 1e-12);
    exh_popularity_free(&p);
    o.stage1_first = 2;
    r[9].parent_id = r[9].donor_id = -1; /* a child left without one: not stage 1 */
    assert_int_equal(exh_popularity_build(r, n, &o, &p, &err), 0);
    assert_int_equal(p.stage1_records, 2);
    assert_int_equal(p.stage1_max_duplicates, 2);
    exh_popularity_free(&p);
    free(r);
}

static void test_birthday(void **state)
{
    (void)state;
    exh_popularity p;
    build_on_fixture(&p);
    assert_int_equal(p.stage1_records, 3);
    assert_int_equal(p.stage1_max_duplicates, 1);
    assert_true(fabs(p.birthday_p[2] - (1 - exp(-3.0 / 27))) < 1e-12);
    assert_int_equal(p.birthday_expected_max, 1);
    exh_popularity_free(&p);
    /* The classic: 23 people, 365 days, about one half (Poisson: 0.500). */
    assert_true(fabs(exh_popularity_birthday(23, 365, 2) - 0.5) < 0.01);
    /* Three alike among 100 draws of 15,625 cells: C(100,3)/15625^2 = 6.6e-4. */
    assert_true(fabs(exh_popularity_birthday(100, 15625, 3) - 6.63e-4) < 1e-5);
    assert_true(exh_popularity_birthday(2, 10, 3) == 0);
}

static void test_bad_options(void **state)
{
    (void)state;
    int64_t n;
    exh_trace_record *r = load_fixture(&n);
    exh_popularity_options o;
    fixture_options(&o);
    o.sample = 5; /* more than the population */
    exh_popularity p;
    exh_error err;
    assert_true(exh_popularity_build(r, n, &o, &p, &err) < 0);
    fixture_options(&o);
    o.window = 0;
    assert_true(exh_popularity_build(r, n, &o, &p, &err) < 0);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows_and_tiers),
        cmocka_unit_test(test_donors_and_delays),
        cmocka_unit_test(test_birthday),
        cmocka_unit_test(test_prefix_duplicates),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
