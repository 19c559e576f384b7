/* eval_gp.c — the Gaussian-process row of the evaluation protocol (eval.h,
 * gp.h): one process on the best validation value and, where the logs have
 * train curves, one on the degree of overfitting, both fitted on the
 * split's repository (train + validation: its hyperparameters come from the
 * marginal likelihood, so it needs no held-out models), and one per budget
 * on the value reached within the budget for top-3 selection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exhaust/gp.h"
#include "exhaust/targets.h"
#include "predict/eval_internal.h"

static int fit(const split_distances *sd, const double *targets, exh_gp_model **out, exh_error *err)
{
    int rc = exh_gp_fit(sd->pairs, targets, sd->count, NULL, out, err);
    if (rc == EXH_ERR_INVALID) { /* too few targets (no train curves): no estimate */
        *out = NULL;
        return EXH_OK;
    }
    return rc;
}

int eval_gp_prepare(const exh_eval_dataset *d, const split *s, const split_distances *sd,
                    eval_gp *out, exh_error *err)
{
    memset(out, 0, sizeof *out);
    double *targets = malloc(sizeof *targets * (size_t)(sd->count > 0 ? sd->count : 1));
    if (!targets)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    int rc = 0;
    const int kinds[2] = {EVAL_TARGET_BEST, EVAL_TARGET_OVERFITTING};
    exh_gp_model **models[2] = {&out->best, &out->overfit};
    for (int k = 0; rc == 0 && k < 2; k++) {
        for (int i = 0; i < sd->count; i++)
            targets[i] = eval_model_target(d, &d->models[s->repository[i]], kinds[k]);
        rc = fit(sd, targets, models[k], err);
    }
    free(targets);
    if (rc < 0)
        eval_gp_free(out);
    return rc;
}

int eval_gp_budget_guesses(const exh_eval_dataset *d, const split *s, const split_distances *sd,
                           double budget, double *guesses, exh_error *err)
{
    int n = sd->count > s->test_count ? sd->count : s->test_count;
    double *targets = malloc(sizeof *targets * (size_t)(n + 1));
    if (!targets)
        return exh_error_set(err, EXH_ERR_NOMEM, "out of memory");
    eval_budget_targets(d, s->repository, 0, sd->count, budget, targets);
    exh_gp_model *g = NULL;
    int rc = fit(sd, targets, &g, err);
    double *query = targets; /* the targets are in the process now */
    for (int t = 0; rc == 0 && t < s->test_count; t++) {
        const exh_eval_model *m = &d->models[s->test[t]];
        exh_layer layers[EXH_ARCH_MAX_TOKENS];
        int count = exh_space_layers(d->space, &m->architecture, layers, EXH_ARCH_MAX_TOKENS);
        guesses[t] = NAN;
        rc = exh_knn_distances(s->knn, layers, count, query, err);
        if (rc == 0 && g)
            exh_gp_predict(g, query, &guesses[t], NULL);
    }
    exh_gp_free(g);
    free(targets);
    return rc;
}

void eval_gp_free(eval_gp *c)
{
    exh_gp_free(c->best);
    exh_gp_free(c->overfit);
    memset(c, 0, sizeof *c);
}
