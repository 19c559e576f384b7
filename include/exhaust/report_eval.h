/*
 * report_eval.h — an evaluation of the predictors (eval.h) as files a
 * reviewer can read and check:
 *
 *   eval.csv          the error table (exh_eval_write_csv)
 *   predictions.csv   every test model's predicted and true values per
 *                     method and split (exh_eval_write_predictions_csv)
 *   index.html        the error table, a predicted-vs-true scatter per
 *                     method (the diagonal drawn for reference), and a few
 *                     test models' predicted and logged validation curves
 *                     (the prediction paper's Fig. 4, on this data)
 *
 * The result must come from exh_eval_run with keep_predictions set.
 */
#ifndef EXHAUST_REPORT_EVAL_H
#define EXHAUST_REPORT_EVAL_H

#include "exhaust/export.h"

#include "exhaust/eval.h"

EXH_API int exh_report_eval_write(const exh_eval_dataset *d, const exh_eval_options *o, const exh_eval_result *r,
                                  const char *dir, exh_error *err);

#endif
