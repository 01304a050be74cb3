#!/bin/sh
# One tiny run of every method family end to end through `segrep run` (4
# images of 16x16, 2 epochs): every loss of `segrep loss --list` as a term
# (a new loss without a run here fails the test), every constraint method,
# the ADM term and the prox term. Each run must be complete after 2 epochs
# and store a finite value of its term's loss, of train_loss and of val_dice
# (in [0, 1]) at every epoch. tests/train/train_kind.t and train_adm.t check
# what the methods do; this checks that none is left out of the pipeline.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-families.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

# K >= 2 losses on the two-class toy; a regulariser (distance, CRF) next to CE.
# label = the term whose loss.<name> is checked; K = 1 losses in k1.yaml.
cat > k2.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=4 n_val=2 scale=0.0625 seed=0"}
  net: {name: fcn, width: 4, depth: 2}
  epochs: 2
  batch_size: 2
zip:
  label: [ce, partial_ce, weighted_ce, bce, focal, dice, gdl, jaccard_soft, rahman_iou, tversky,
          focal_tversky, combo, adaptive_log, lovasz_softmax, boundary, hausdorff_dt, crf_grid,
          crf_dense, penalty, log_barrier, log_barrier_ext, lagrangian, relu_lagrangian,
          proposals]
  terms:
    - [{loss: ce}]
    - [{loss: partial_ce}]
    - [{loss: weighted_ce}]
    - [{loss: bce}]
    - [{loss: focal}]
    - [{loss: dice}]
    - [{loss: gdl}]
    - [{loss: jaccard_soft}]
    - [{loss: rahman_iou}]
    - [{loss: tversky}]
    - [{loss: focal_tversky}]
    - [{loss: combo}]
    - [{loss: adaptive_log}]
    - [{loss: lovasz_softmax}]
    - [{loss: ce}, {loss: boundary, weight: 0.1}]
    - [{loss: ce}, {loss: hausdorff_dt, weight: 0.1}]
    - [{loss: ce}, {loss: crf_grid, weight: 0.1}]
    - [{loss: ce}, {loss: crf_dense, weight: 0.1}]
    - [{constraint: [size, centroid], method: penalty, weight: 1.0e-2, centroid_margin: 2}]
    # loose bounds [0, 1000] px: the plain barrier needs a feasible start
    - [{constraint: size, method: log_barrier, size_bounds: tags, size_a: 0, size_b: 1000,
        weight: 1.0e-2}]
    - [{constraint: [size, centroid], method: log_barrier_ext, weight: 1.0e-2, centroid_margin: 2}]
    - [{constraint: [size, centroid], method: lagrangian, weight: 1.0e-2, centroid_margin: 2}]
    - [{constraint: [size, centroid], method: relu_lagrangian, weight: 1.0e-2, centroid_margin: 2}]
    - [{constraint: size, method: proposals, proposal_max_iter: 20}]
G
cat > k1.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=4 n_val=2 scale=0.0625 seed=0"}
  net: {name: fcn, width: 4, depth: 2, classes: 1}
  epochs: 2
  batch_size: 2
zip:
  label: [hinge, lovasz_hinge, prox]
  terms:
    - [{loss: hinge}]
    - [{loss: lovasz_hinge}]
    - [{prox: {lambda: 1, method: exact}}]
G
cat > adm.yaml <<'G'
kind: train
config:
  dataset: {generator: regions, params: "n_train=4 n_val=2 width=16 classes=3 seed=0",
            train_labels: scribbles}
  net: {name: fcn, width: 4, depth: 2}
  epochs: 2
  batch_size: 2
zip:
  label: [adm]
  terms:
    - [{loss: partial_ce}, {adm: {gamma: 1.5, lambda: 10, pce_weight: 0, sweeps: 1}}]
G
for g in k2 k1 adm; do
    run_cmd "$SEGREP" run $g.yaml -q --results res
    is "$rc" 0 "$g.yaml: every run completes: $err"
done

# every loss segrep knows has a run here
losses=$("$SEGREP" loss --list | grep -E '^[a-z_]+$' | sort | tr '\n' ' ')
missing=""
for l in $losses; do
    grep -q "{loss: $l[,}]" k2.yaml k1.yaml adm.yaml || missing="$missing $l"
done
is "$missing" "" "every loss of 'segrep loss --list' has a run ($(echo $losses | wc -w) losses)"

# status and epochs from the index
"$SEGREP" collect res >/dev/null 2>&1
labels=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "label") c = i; next }
    { print $c }' res/index.tsv | sort | tr '\n' ' ')
is "$(echo $labels | wc -w | tr -d ' ')" 28 "28 runs stored"
bad=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) { h[$i] = i }; next }
    $h["status"] != "complete" || $h["summary.epochs_run"] != 2 { print $h["label"] }' res/index.tsv)
is "$bad" "" "every run complete after 2 epochs"

# per epoch values through segrep plot's data: one series per run and metric;
# a non-finite value is left out of the .dat, so n must be 1 at epochs 0 and 1.
term_of() { # label -> the metric of its own term
    case $1 in
        prox) echo loss.prox ;;
        adm) echo loss.adm ;;
        *) echo "loss.$1" ;;
    esac
}
{
    echo "plot: families"
    echo "series:"
    for l in $labels; do
        for m in $(term_of "$l") train_loss val_dice; do
            echo "  - {label: \"$l $m\", select: {label: $l}, metric: $m, band: none}"
        done
    done
} > plot.yaml
run_cmd "$SEGREP" plot plot.yaml --results res --no-render -o out
is "$rc" 0 "every run has its term's loss, train_loss and val_dice: $err"
[ "$rc" = 0 ] || diag "$err"
awk '/^# series/ { name = $4 " " $5; sub(/;$/, "", name); next }
    NF == 4 && $1 ~ /^[0-9]+$/ { n[name] += ($4 == 1 && $2 ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/); v[name] = v[name] " " $2 }
    END { for (k in n) print k "\t" n[k] "\t" v[k] }' out/families.dat | sort > vals.tsv
nseries=$(wc -l < vals.tsv | tr -d ' ')
is "$nseries" 84 "84 series (28 runs x 3 metrics)"
notfinite=$(awk -F'\t' '$2 != 2 { print $1 }' vals.tsv | tr '\n' ',')
is "$notfinite" "" "every series: a finite value at both epochs"
dice_out=$(awk -F'\t' '$1 ~ / val_dice$/ { split($3, a, " "); for (i in a) if (a[i] < 0 || a[i] > 1) print $1 }' vals.tsv)
is "$dice_out" "" "val_dice in [0, 1]"
# a term's loss is not a constant 0 (the term ran): CRF, distance and
# constraint terms may be 0 at a point, so the check is on the losses proper
zero=$(awk -F'\t' '$1 ~ /^(ce|partial_ce|weighted_ce|bce|focal|dice|gdl|jaccard_soft|rahman_iou|tversky|focal_tversky|combo|adaptive_log|lovasz_softmax|hinge|lovasz_hinge) loss\./ {
        split($3, a, " "); if (a[1] + 0 == 0 && a[2] + 0 == 0) print $1 }' vals.tsv)
is "$zero" "" "the losses proper are non-zero"

done_testing
