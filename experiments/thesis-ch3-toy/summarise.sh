#!/bin/sh
# summarise.sh RESULTS_DIR - Table 3.1 (first column) from a results
# directory of experiments/thesis-ch3-toy/grid.yaml: per method, over the
# seeds, the mean of the runs' "mean of the last 10 epochs' validation Dice"
# with the mean of their within-run std (the thesis' statistic), the std of
# the per-seed means, and the mean time per epoch. Rows in the published
# order; the published values beside them.
set -e
dir=${1:?usage: summarise.sh RESULTS_DIR}
segrep=${SEGREP:-segrep}
"$segrep" collect "$dir" >/dev/null
awk -F'\t' '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
$c["status"] == "complete" {
    l = $c["label"]; m = $c["summary.val_dice_last10_mean"]; s = $c["summary.val_dice_last10_std"]
    n[l]++; sm[l] += m; sm2[l] += m * m; ss[l] += s; t[l] += $c["summary.epoch_time_mean"]
}
$c["status"] != "complete" { bad[$c["label"]]++ }
END {
    pub["standard_lagrangian"] = "0.005 (0.014)"; pub["relu_lagrangian"] = "0.798 (0.006)"
    pub["penalty"] = "0.712 (0.022)"; pub["log_barrier_ext"] = "0.945 (0.001)"
    pub["full_supervision"] = "0.998 (0.000)"
    split("standard_lagrangian relu_lagrangian penalty log_barrier_ext full_supervision", order, " ")
    printf "%-20s %5s %22s %14s %10s %16s\n", "method", "seeds", "last-10 mean (std)", "std over seeds", "s/epoch", "published"
    for (k = 1; k <= 5; k++) {
        l = order[k]
        if (!n[l]) { printf "%-20s %5d %22s %14s %10s %16s\n", l, 0, "-", "-", "-", pub[l]; continue }
        mu = sm[l] / n[l]; v = sm2[l] / n[l] - mu * mu; if (v < 0) v = 0
        printf "%-20s %5d %14.3f (%.3f) %14.3f %10.2f %16s%s\n", l, n[l], mu, ss[l] / n[l], sqrt(v),
            t[l] / n[l], pub[l], bad[l] ? "  (" bad[l] " not complete)" : ""
    }
}' "$dir/index.tsv"
