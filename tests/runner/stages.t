#!/bin/sh
# Multi-stage grids end to end (doc/grid.md "Stages"): the thesis ch. 5
# grid's quick profile shrunk to a tiny size runs every stage (size
# regressor -> constrained segmentation reading its pred_sizes; FS ->
# proposals reading its pred_labels; oracle); a run whose input has no pred_sizes fails naming it; --shard
# keeps each chain (regressor, its segmentation run) on one shard so no run
# is blocked and the shards together run everything once; resume skips
# complete runs; under MPI the farm orders a chain. The ch. 6 quick grid
# (DeepCut, tightness variants, masked CE, full) runs tiny too, and so do
# the Lovasz A.1/A.2 quick grids (a multi-class base network, its 'b'
# evaluations (epochs 0, every tensor copied), then K = 1
# networks fine-tuned from it on binarised labels). A ResNeXt size
# regressor with lr milestones stores its sizes; bad milestones are refused.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-stages.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
X="$SRCDIR/experiments"
TINY='dataset.params="n_train=8 n_val=4 scale=0.125 seed=0"'
stored() { "$SEGREP" list "$@" --runs 2>/dev/null | grep -c ' stored '; }

# ---- the ch. 5 grid, tiny ------------------------------------------------------
G5="$X/thesis-ch5-curriculum/grid.yaml"
# batch 2 for the regressor: at 8x8 the ResNeXt's last stages have a 1x1 plane, and
# training batch norm needs more than one value per channel
set -- --profile quick "$TINY" epochs=2 stages.regressor.config.epochs=2 \
    stages.regressor.config.batch_size=2
run_cmd "$SEGREP" run "$G5" "$@" --results r5 -q
is "$rc" 0 "ch. 5 quick, tiny: every stage completes"
[ "$rc" = 0 ] || diag "$err"
is "$(stored "$G5" "$@" --results r5)" 16 "16 runs stored (3 regressors, 3 proposed, 4 FS, 3 proposals, 3 oracle)"
"$SEGREP" collect r5 2>/dev/null
ok "collected" test -s r5/index.tsv
# the regressors stored their predictions; the proposed runs logged their constraint
h=$(head -1 r5/index.tsv)
case "$h" in *size_mae_val*) ok "regressors report size_mae_val" true ;;
             *) ok "regressors report size_mae_val" false ;; esac
case "$h" in *penalty.pct_satisfied_last*) ok "proposed/oracle report the penalty" true ;;
             *) ok "proposed/oracle report the penalty" false ;; esac
# resume: nothing left to run
run_cmd "$SEGREP" run "$G5" "$@" --results r5
like "$err" "16 runs selected, 16 already complete" "resume: every run is complete"

# ---- an input without pred_sizes ----------------------------------------------
cat > nosizes.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=6 n_val=2 scale=0.125 seed=0", labelled: 2}
  net: {name: unet, width: 4, depth: 2}
  epochs: 1
  terms: [{loss: partial_ce}]
stages:
  first: {}
  second:
    config:
      terms:
        - {loss: partial_ce}
        - {constraint: size, method: penalty, size_bounds: predicted, size_input: sizes}
    needs: {sizes: first}
G
run_cmd "$SEGREP" run nosizes.yaml --results rn -q
is "$rc" 1 "an input without pred_sizes: the run fails"
like "$err" "input 'sizes'.*pred_sizes" "the error names the input and the tensor"

# ---- shards keep chains together ------------------------------------------------
cat > chain.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=6 n_val=2 scale=0.125 seed=0"}
  net: {name: unet, width: 4, depth: 2}
  epochs: 1
stages:
  regressor:
    config:
      net: {classes: 1}
      save_sizes: true
      dataset: {unlabelled: drop}
      terms: [{size_regression: {classes: [1]}}]
    axes: {dataset.labelled: [1, 2, 3, 4, 5, 6]}
  segment:
    config:
      terms:
        - {loss: partial_ce}
        - {constraint: size, method: penalty, size_bounds: predicted, weight: 1.0e-4}
    axes: {dataset.labelled: [1, 2, 3, 4, 5, 6]}
    needs: {sizes: regressor}
G
run_cmd "$SEGREP" run chain.yaml --results s0 --shard 0/2 -q
is "$rc" 0 "shard 0/2: no run blocked"
run_cmd "$SEGREP" run chain.yaml --results s1 --shard 1/2 -q
is "$rc" 0 "shard 1/2: no run blocked"
n0=$(ls s0/*.h5 2>/dev/null | wc -l | tr -d ' ')
n1=$(ls s1/*.h5 2>/dev/null | wc -l | tr -d ' ')
is "$((n0 + n1))" 12 "the two shards ran the 12 runs ($n0 + $n1)"
is "$( (cd s0 && ls *.h5; cd ../s1 && ls *.h5) | sort | uniq -d)" "" "shards are disjoint"
is "$((n0 % 2))$((n1 % 2))" 00 "each shard holds whole chains (a regressor with its segmentation)"

# ---- MPI farm ---------------------------------------------------------------------
if [ -n "$MPIRUN" ]; then
    # Open MPI refuses to run as root unless told; harmless otherwise.
    OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
    run_cmd timeout 300 "$MPIRUN" -n 2 --oversubscribe "$SEGREP" run chain.yaml --results m -q
    is "$rc" 0 "under mpirun -n 2 every chain completes in order"
    is "$(ls m/*.h5 | wc -l | tr -d ' ')" 12 "12 runs"
else
    skip 2 "built without MPI"
fi

# ---- the ch. 6 grid, tiny --------------------------------------------------------
G6="$X/thesis-ch6-boxes/promise12.yaml"
set -- --profile quick "$TINY" epochs=2 batch_size=2
run_cmd "$SEGREP" run "$G6" "$@" --results r6 -q
is "$rc" 0 "ch. 6 quick, tiny: the 6 methods complete"
[ "$rc" = 0 ] || diag "$err"
is "$(stored "$G6" "$@" --results r6)" 6 "6 runs stored"
G6m="$X/thesis-ch6-boxes/margins.yaml"
run_cmd "$SEGREP" run "$G6m" "$@" --results r6 -q
is "$rc" 0 "Table 6.2 quick, tiny: margins 0 and 3"
like "$err" "4 runs selected, 2 already complete" "the margin-0 runs are Table 6.1's (same ids)"

# ---- Lovasz A.1 / A.2 quick, tiny: K = 1 networks on binarised labels ----------
TINYR='dataset.params="n_train=6 n_val=3 width=32 seed=0"'
for g in lovasz-A1 lovasz-A2; do
    run_cmd "$SEGREP" run "$X/$g/grid.yaml" --profile quick "$TINYR" epochs=2 --results rl -q
    is "$rc" 0 "$g quick, tiny: every run completes"
    [ "$rc" = 0 ] || diag "$err"
done
like "$err" "9 runs selected, 3 already complete" "A.2 shares the base and A.1's j runs (same ids)"
is "$(ls rl/*.h5 | wc -l | tr -d ' ')" 15 \
    "one base + A.1 (2 classes x (b + 3 losses)) + A.2's [22] (2 classes x 3 lr) = 15 runs"
"$SEGREP" collect rl 2>/dev/null
h=$(head -1 rl/index.tsv)
cc=$(printf '%s\n' "$h" | tr '\t' '\n' | grep -nx summary.init_params_copied | cut -d: -f1)
ct=$(printf '%s\n' "$h" | tr '\t' '\n' | grep -nx summary.init_params_total | cut -d: -f1)
cl=$(printf '%s\n' "$h" | tr '\t' '\n' | grep -nx label | cut -d: -f1)
fine=$(awk -F'\t' -v a="$cc" -v b="$ct" -v l="$cl" 'NR > 1 && $a != "" && $l != "b" { n++; if ($a == $b - 2) k++ } END { print k + 0 "/" n + 0 }' rl/index.tsv)
is "$fine" 12/12 "every fine-tuned run copied all the base's tensors but the classifier's weight and bias"
whole=$(awk -F'\t' -v a="$cc" -v b="$ct" -v l="$cl" 'NR > 1 && $l == "b" { n++; if ($a == $b) k++ } END { print k + 0 "/" n + 0 }' rl/index.tsv)
is "$whole" 2/2 "every 'b' run (the base evaluated binarised) copied all the base's tensors"
run_cmd "$SEGREP" run "$X/lovasz-A1/grid.yaml" --profile quick "$TINYR" epochs=1 \
    dataset.foreground=9 --results rbad -q
is "$rc" 1 "dataset.foreground beyond the classes: the runs fail"
like "$err" "dataset.foreground: class 9 is out of range" "the error names the key and the class"

# ---- the ResNeXt regressor with the paper's lr milestones ---------------------------
cat > msched.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=4 n_val=2 scale=0.5 seed=0"}
  net: {name: resnext, width: 4, depth: 14, cardinality: 2, group_width: 2, classes: 1}
  optim: {name: momentum_lz, lr: 0.01, momentum: 0.9}
  schedule: {name: step, step: 0, milestones: [2, 3], factor: 0.5}
  epochs: 4
  batch_size: 2
  save_sizes: true
  terms: [{size_regression: {classes: [1], normalise: true}}]
G
run_cmd "$SEGREP" run msched.yaml --results rm -q
is "$rc" 0 "a ResNeXt size regressor runs"
[ "$rc" = 0 ] || diag "$err"
if command -v h5dump >/dev/null 2>&1; then
    f=$(ls rm/*.h5)
    like "$(h5dump -d /schedules/lr "$f")" "0.01, 0.01, 0.005, 0.0025" \
        "schedule.milestones [2, 3] halve the lr at epochs 2 and 3"
    like "$(h5dump -H -d /tensors/pred_sizes "$f")" "SIMPLE \{ \( 6, 1 \)" \
        "pred_sizes: one size per image (6) and class (1)"
fi
sed 's/milestones: \[2, 3\]/milestones: [3, 2]/' msched.yaml > msched_bad.yaml
run_cmd "$SEGREP" run msched_bad.yaml --results rmb -q
is "$rc" 1 "decreasing milestones: the run fails"
like "$err" "schedule.milestones\[1\]: expected an epoch >= 1 above the previous one, got '2'" \
    "the error names the key, the index and the value"
done_testing
