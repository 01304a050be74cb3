/* plots.h - `segrep plot`: figures as a self-contained gnuplot script plus
 * data files, rendered to PNG and SVG by gnuplot.
 *
 * A plot spec (YAML, doc/reports.md) is either
 *   - curves from runs: 'series', each a selection of runs and a metric
 *     (or schedule); the .dat gets per epoch the mean, the sample std and
 *     the count over the selected runs, drawn as a line with a std band; or
 *   - an analytic figure computed by segrep itself ('figure: {kind: ...}'):
 *       log-barrier   psi_t and its extension psi~_t for several t
 *                     (thesis Fig. 1.6, eq. 3.9; constraints/methods.h)
 *       pwl-c4        GD / momentum / proximal paths on the Lovasz
 *                     supplementary's problem C.4 (Fig. C.1; prox/pwl.h)
 *       all-derivative  ALL'(L) against the Dice loss L for several gamma
 *                     (ALL Fig. 1; losses/ adaptive_log)
 * Outputs in the output directory: <name>.gp, <name>.dat, and (rendering)
 * <name>.png and <name>.svg. The script and data are written atomically
 * and hold no time stamps, so they are byte-identical on regeneration.
 *
 * Not done: curves of runs that logged epochs other than 0, 1, 2, ...
 * (/metrics_epoch) are plotted against the epoch index.
 */
#ifndef SR_REPORT_PLOTS_H
#define SR_REPORT_PLOTS_H

#include <stddef.h>

#include "core/error.h"
#include "report/runs.h"

typedef struct sr_plot_opts {
    const char *outdir;  /* where to write (created) */
    int render;          /* run gnuplot for PNG and SVG */
    const char *gnuplot; /* program; NULL: the configure-time SR_GNUPLOT */
} sr_plot_opts_t;

/* Build the figure of spec 'spec_path' (runs from 'rs' for curves; 'rs'
 * may be empty for analytic figures) into o->outdir; 'name' (size bytes)
 * gets the output base name. Bad specs give "file:line:col: ..." (unknown
 * key, figure kind, axis or metric; a series selecting no runs). On failure
 * no output file is left. Returns 0 or -1 with 'err' set. */
int sr_plot_build(const char *spec_path, const sr_runset_t *rs, const sr_plot_opts_t *o,
                  char *name, size_t size, sr_error_t *err);

#endif
