/* analysis_live.h — the live fast tier's measured figures beside its replay
 * (exh_analysis_live, analysis.h). */
#ifndef EXHAUST_ANALYZE_ANALYSIS_LIVE_H
#define EXHAUST_ANALYZE_ANALYSIS_LIVE_H

#include "exhaust/analysis.h"

/* Fill a->live from a->records (the parents' ranks must be built: the
 * threshold's skips). Returns 0 or a negative error (an unknown policy
 * name, out of memory). */
int analysis_live_build(exh_analysis *a, exh_error *err);

#endif
