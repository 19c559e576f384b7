/* eval_report.c — the evaluation's tables: markdown for people, CSV for
 * pandas. Missing figures print as "n/a" (markdown) or empty (CSV). */
#include <math.h>
#include <stdio.h>

#include "exhaust/eval.h"
#include "util/csv.h"

static void cell(FILE *out, double mean, double sd, int percent)
{
    if (isnan(mean))
        fprintf(out, " n/a |");
    else if (isnan(sd))
        fprintf(out, percent ? " %.0f%% |" : " %.3f |", percent ? 100 * mean : mean);
    else
        fprintf(out, " %.3f ± %.3f |", mean, sd);
}

/* Say why a cell of the table is n/a: no figure goes unexplained. */
static void explain_missing(const exh_eval_dataset *d, const exh_eval_result *r, FILE *out)
{
    if (!d->has_train) {
        fprintf(out, "Overfitting error: n/a for every method — it needs train and validation "
                     "curves, and %d of the %d models' logs have a train curve.\n\n",
                d->train_models, d->count);
        return;
    }
    int first = 1;
    for (int m = 0; m < r->method_count; m++)
        if (isnan(r->methods[m].overfit_error_mean)) {
            fprintf(out, "%s%s", first ? "Overfitting error: n/a for " : ", ",
                    r->methods[m].name);
            first = 0;
        }
    if (!first)
        fprintf(out, " — these estimate the best validation value only (from the partial "
                     "log), not the curves that overfitting compares.\n\n");
}

void exh_eval_write_markdown(const exh_eval_dataset *d, const exh_eval_options *o, const exh_eval_result *r,
                             FILE *out)
{
    const char *unit = d->metric == EXH_KNN_ACCURACY ? "accuracy points" : "loss";
    fprintf(out, "## %s\n\n", d->description);
    fprintf(out, "M = %d models a split (train:validation:test = 3:1:1, %d test models), "
                 "R = %d splits, seed %llu, penalties %s; errors are mean ± sd over splits "
                 "of the mean absolute error (%s).\n\n",
            o->models, r->test_models, o->repeats, (unsigned long long)o->seed,
            o->fit_penalties ? "fitted to each split's train+validation models"
            : o->penalties   ? "as given (--penalties, --same-stride-indel)"
                             : "the space's defaults",
            unit);
    fprintf(out, "| method | best validation error | overfitting error | Kendall tau | "
                 "Spearman |\n|---|---|---|---|---|\n");
    for (int m = 0; m < r->method_count; m++) {
        const exh_eval_method_result *x = &r->methods[m];
        fprintf(out, "| %s |", x->name);
        cell(out, x->best_error_mean, x->best_error_sd, 0);
        cell(out, x->overfit_error_mean, x->overfit_error_sd, 0);
        cell(out, x->kendall_tau, NAN, 0);
        cell(out, x->spearman, NAN, 0);
        fprintf(out, "\n");
    }
    fprintf(out, "| noise floor (another seed, %d pairs) |", r->noise_floor_pairs);
    cell(out, r->noise_floor_mean, r->noise_floor_sd, 0);
    fprintf(out, " | | |\n\n");
    explain_missing(d, r, out);
    for (int m = 0; m < r->method_count; m++)
        if (!isnan(r->methods[m].partial_lambda))
            fprintf(out, "%s: neighbours by edit distance + lambda x |difference of partial "
                         "values|, lambda chosen per split by leave-one-out (mean %.2f).\n\n",
                    r->methods[m].name, r->methods[m].partial_lambda);
    if (o->top3_repeats == 0) {
        fprintf(out, "Top-3 selection: skipped (--top3-repeats 0).\n\n");
        return;
    }
    if (!d->has_times) {
        fprintf(out, "Top-3 selection under a time budget: skipped (%d of the %d models' "
                     "logs have epoch times; it needs them for at least half).\n\n",
                d->timed_models, d->count);
        return;
    }
    fprintf(out, "Top-3 selection over %d splits: how often the predicted top 3 (by best "
                 "validation value within the budget) shares a model with the true top 3, "
                 "and how many on average.\n\n",
            o->top3_repeats);
    fprintf(out, "| method | any overlap, %.0f s | mean overlap, %.0f s | any overlap, %.0f s | "
                 "mean overlap, %.0f s |\n|---|---|---|---|---|\n",
            r->budgets[0], r->budgets[0], r->budgets[1], r->budgets[1]);
    for (int m = 0; m < r->method_count; m++) {
        const exh_eval_method_result *x = &r->methods[m];
        fprintf(out, "| %s |", x->name);
        for (int b = 0; b < 2; b++) {
            cell(out, x->top3_any[b], NAN, 1);
            cell(out, x->top3_mean_overlap[b], NAN, 0);
        }
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
}

static void csv_number(FILE *out, double x)
{
    if (isnan(x))
        fprintf(out, ",");
    else
        fprintf(out, ",%.6g", x);
}

void exh_eval_write_csv(const exh_eval_result *r, FILE *out)
{
    fprintf(out, "method,best_error_mean,best_error_sd,overfit_error_mean,overfit_error_sd,"
                 "kendall_tau,spearman,top3_any_budget1,top3_overlap_budget1,top3_any_budget2,"
                 "top3_overlap_budget2,budget1_seconds,budget2_seconds\n");
    for (int m = 0; m < r->method_count; m++) {
        const exh_eval_method_result *x = &r->methods[m];
        fprintf(out, "%s", x->name);
        const double values[] = {x->best_error_mean, x->best_error_sd, x->overfit_error_mean,
                                 x->overfit_error_sd, x->kendall_tau, x->spearman,
                                 x->top3_any[0], x->top3_mean_overlap[0], x->top3_any[1],
                                 x->top3_mean_overlap[1], r->budgets[0], r->budgets[1]};
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            csv_number(out, values[i]);
        fprintf(out, "\n");
    }
    fprintf(out, "noise floor");
    csv_number(out, r->noise_floor_mean);
    csv_number(out, r->noise_floor_sd);
    fprintf(out, ",,,,,,,,,,\n");
}

/* One table of the training-size result: a figure per method and size. */
static void sizes_table(const exh_eval_size_result *r, const char *title,
                        const double (*figure)[EXH_EVAL_MAX_SIZES], FILE *out)
{
    fprintf(out, "%s\n\n| method |", title);
    for (int z = 0; z < r->size_count; z++)
        fprintf(out, " n = %d |", r->sizes[z]);
    fprintf(out, "\n|---|");
    for (int z = 0; z < r->size_count; z++)
        fprintf(out, "---|");
    fprintf(out, "\n");
    for (int m = 0; m < r->method_count; m++) {
        fprintf(out, "| %s |", r->names[m]);
        for (int z = 0; z < r->size_count; z++)
            cell(out, figure[m][z], NAN, 0);
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
}

void exh_eval_write_sizes_markdown(const exh_eval_dataset *d, const exh_eval_size_result *r, FILE *out)
{
    fprintf(out, "## Ranking against the number of logged models: %s\n\n", d->description);
    fprintf(out, "R = %d repeats; each predicts the same %d held-out test models from the first "
                 "n of the others (nested). The LSTM trains on 3/4 of the n and stops early on "
                 "1/4; the ensemble's weights for 5-NN, GP%s are chosen on that 1/4.\n\n",
            r->repeats, r->test_models, r->lstm_used ? " and LSTM" : " (no LSTM: --no-lstm)");
    sizes_table(r, "Kendall's tau", r->tau, out);
    sizes_table(r, "Spearman's rho", r->spearman, out);
    sizes_table(r, "Precision@10 (share of the test set's true top 10 in the predicted top 10)",
                r->precision10, out);
    sizes_table(r, "Mean absolute error of the best validation value",
                r->mae, out);
    fprintf(out, "Ensemble weights (5-NN, GP, LSTM), means over repeats:");
    for (int z = 0; z < r->size_count; z++)
        if (r->available[z])
            fprintf(out, " n = %d: %.2f, %.2f, %.2f;", r->sizes[z], r->ensemble_weights[0][z],
                    r->ensemble_weights[1][z], r->ensemble_weights[2][z]);
    fprintf(out, "\n\n");
    for (int z = 0; z < r->size_count; z++)
        if (!r->available[z])
            fprintf(out, "n = %d: n/a, the data set has too few models beside the %d test "
                         "models.\n\n",
                    r->sizes[z], r->test_models);
    if (!r->lstm_used)
        fprintf(out, "LSTM: n/a (--no-lstm).\n\n");
}

void exh_eval_write_sizes_csv(const exh_eval_size_result *r, FILE *out)
{
    fprintf(out, "method,train_models,test_models,repeats,kendall_tau,spearman,precision_at_10,"
                 "mae\n");
    for (int m = 0; m < r->method_count; m++)
        for (int z = 0; z < r->size_count; z++) {
            fprintf(out, "%s,%d,%d,%d", r->names[m], r->sizes[z], r->test_models, r->repeats);
            csv_number(out, r->tau[m][z]);
            csv_number(out, r->spearman[m][z]);
            csv_number(out, r->precision10[m][z]);
            csv_number(out, r->mae[m][z]);
            fprintf(out, "\n");
        }
}

void exh_eval_write_predictions_csv(const exh_eval_dataset *d, const exh_eval_result *r, FILE *out)
{
    fprintf(out, "repeat,model,method,predicted_best,true_best,predicted_overfit,true_overfit\n");
    for (int64_t i = 0; i < r->prediction_count; i++) {
        const exh_eval_prediction *p = &r->predictions[i];
        fprintf(out, "%d,", p->repeat);
        csv_write_field(out, d->models[p->model].name); /* run keys are the user's */
        fprintf(out, ",%s", r->methods[p->method].name);
        csv_number(out, p->predicted_best);
        csv_number(out, p->true_best);
        csv_number(out, p->predicted_overfit);
        csv_number(out, p->true_overfit);
        fprintf(out, "\n");
    }
}
