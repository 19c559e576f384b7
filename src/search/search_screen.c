/* search_screen.c — screening (search.h): a stage-2 proposal is the best of
 * M mutations of the tournament's parent by k-NN prediction, over logged
 * models and the search's own finished ones. */
#include <math.h>
#include <string.h>

#include "exhaust/editdist.h"
#include "search/search_internal.h"

/* A model with a one-epoch curve holding its quality: the k-NN prediction
 * of a query is then the weighted mean quality of its neighbours. */
static int learn(search_state *s, const exh_arch *a, double quality, exh_error *err)
{
    if (!isfinite(quality))
        return EXH_OK; /* failed (NaN): nothing to learn from */
    exh_layer layers[EXH_EDITDIST_MAX_LAYERS];
    int count = exh_space_layers(s->space, a, layers, EXH_EDITDIST_MAX_LAYERS);
    if (count < 0 || count > EXH_EDITDIST_MAX_LAYERS)
        return exh_error_set(err, EXH_ERR_INVALID, "screen: %s: an architecture without a layer "
                             "view (invalid for the space?)", exh_space_name(s->space));
    exh_knn_curve curve = {1, {&quality, NULL, NULL}};
    return exh_knn_repository_add(s->screen_models, NULL, layers, count, &curve, err);
}

int search_screen_init(search_state *s, exh_error *err)
{
    const exh_search_options *o = s->options;
    exh_knn_prediction_init(&s->screen_prediction);
    if (o->screen <= 1)
        return EXH_OK; /* no screening: nothing to build, the search as without it */
    s->screen_k = o->screen_k > 0 ? o->screen_k : EXH_SEARCH_DEFAULT_SCREEN_K;
    exh_penalty_table penalties;
    int rc = exh_penalties_default(exh_space_kind(s->space), &penalties, err);
    if (rc == 0)
        rc = exh_knn_repository_new(&penalties, EXH_KNN_ACCURACY, &s->screen_models, err);
    for (int64_t i = 0; rc == 0 && i < o->screen_logged_count; i++)
        rc = learn(s, &o->screen_logged_archs[i], o->screen_logged_quality[i], err);
    return rc;
}

int search_screen_learn(search_state *s, const exh_trace_record *record, exh_error *err)
{
    exh_arch a;
    return s->screen_models ? learn(s, exh_trace_record_arch(record, &a), record->quality, err)
                            : EXH_OK;
}

void search_screen_free(search_state *s)
{
    exh_knn_repository_free(s->screen_models);
    exh_knn_prediction_clear(&s->screen_prediction);
}

/* The k-NN prediction of `a` (k at most the models known); NAN when none
 * is known or every one is infinitely far. */
static int predict(search_state *s, const exh_arch *a, double *out, exh_error *err)
{
    *out = NAN;
    int known = exh_knn_repository_count(s->screen_models);
    if (known == 0)
        return EXH_OK;
    int k = s->screen_k < known ? s->screen_k : known;
    int rc = exh_knn_predict_arch(s->screen_models, s->space, a, k, &s->screen_prediction, err);
    if (rc == EXH_ERR_NOT_FOUND)
        return EXH_OK;
    if (rc == 0 && s->screen_prediction.epochs > 0)
        *out = s->screen_prediction.channel[EXH_KNN_VALIDATION][0];
    return rc;
}

/* Order of preference: new over already proposed, then predicted over not,
 * then the higher prediction; on ties the one drawn first stays. */
static int better(int is_new, double predicted, int best_new, double best)
{
    if (is_new != best_new)
        return is_new > best_new;
    return !isnan(predicted) && (isnan(best) || predicted > best);
}

int search_screen_mutate(search_state *s, int64_t parent, exh_trace_record *record,
                         exh_arch *out, exh_error *err)
{
    exh_arch from_arch;
    const exh_arch *from = search_job_arch(s, parent, &from_arch);
    int best_new = -1;
    double best = NAN;
    for (int m = 0; m < s->options->screen; m++) {
        exh_arch candidate;
        int position;
        int rc = exh_space_mutate(s->space, s->random, from, &candidate, &position,
                                  s->position_weights, err);
        double predicted;
        if (rc == 0)
            rc = predict(s, &candidate, &predicted, err);
        if (rc < 0)
            return rc;
        int is_new = s->options->allow_duplicates || search_seen_slot(s, &candidate)->job < 0;
        if (best_new < 0 || better(is_new, predicted, best_new, best)) {
            best_new = is_new;
            best = predicted;
            *out = candidate;
            record->mutated_position = position;
        }
    }
    record->parent_id = parent;
    record->screened = s->options->screen;
    record->predicted = best;
    return EXH_OK;
}
