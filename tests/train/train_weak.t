#!/bin/sh
# The thesis ch. 2-4 features of the run kind 'train' end to end through
# `segrep run` on the synthetic 'phantom' volumes: the rebalance and
# increase weight schedules are logged per epoch with their closed-form
# values; val_metrics logs per-volume Dice and HD95 and their summaries;
# 3D distance maps change the boundary loss; a hybrid set trains on the
# chosen number of full volumes (train_subset) and with full/weak term
# subsets; batch_by volume runs the volume-size constraint; bad keys fail
# at expansion (exit 2, file:line:column) or at run start naming the key.
. "$SRCDIR/tests/tap/tap.sh"
. "$SRCDIR/tests/train/helpers.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-trainweak.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

cat > w.yaml <<'G'
kind: train
config:
  dataset: {generator: phantom, params: "n_train=4 n_val=2 depth=4 width=16"}
  net: {name: fcn, width: 4}
  optim: {lr: 5.0e-3}
  epochs: 3
  val_metrics: [dice, dice3d, hd95, hd95_3d]
zip:
  label: [rebalance, increase, bl3d, bl2d]
  dist_maps: [2d, 2d, 3d, 2d]
  terms:
    - [{loss: gdl}, {loss: boundary, params: {classes: fg}, weight: 0.01,
        weight_schedule: {name: rebalance, from: gdl}}]
    - [{loss: gdl}, {loss: boundary, params: {classes: fg}, weight: 0.01,
        weight_schedule: {name: increase, step: 0.5}}]
    - [{loss: gdl}, {loss: boundary, params: {classes: fg}, weight: 0.01}]
    - [{loss: gdl}, {loss: boundary, params: {classes: fg}, weight: 0.01}]
G
run_cmd "$SEGREP" run w.yaml -q --results w
is "$rc" 0 "schedule, metric and distance-map runs complete: $err"
"$SEGREP" collect w 2>/dev/null
for l in rebalance increase bl3d bl2d; do
    d=$(col w/index.tsv label $l summary.val_dice3d_final)
    ok "$l: val_dice3d_final $d in [0, 1]" between "$d" 0 1
    h=$(col w/index.tsv label $l summary.val_hd95_3d_last10_mean)
    ok "$l: val_hd95_3d_last10_mean $h is a distance >= 0" between "$h" 0 1000
done
if command -v h5dump >/dev/null 2>&1; then
    f=w/$(col w/index.tsv label rebalance run_id).h5
    run_cmd h5dump -d /schedules/boundary.weight -d /schedules/gdl.weight "$f"
    like "$(printf '%s' "$out" | tr -d ' \n')" '0.01,0.02,0.03.*1,0.99,0.98' \
        "rebalance: w_B 0.01 + 0.01 e, w_R 1 - 0.01 e"
    f=w/$(col w/index.tsv label increase run_id).h5
    run_cmd h5dump -d /schedules/boundary.weight "$f"
    like "$(printf '%s' "$out" | tr -d ' \n')" '0.01,0.51,1.01' "increase: w_B 0.01 + 0.5 e"
    run_cmd h5dump -d /metrics/val_dice3d -d /metrics/val_hd95 "$f"
    like "$out" 'DATASPACE  SIMPLE \{ \( 3 \)' "val_dice3d and val_hd95 logged per epoch"
    l3=$(h5dump -d /metrics/loss.boundary "w/$(col w/index.tsv label bl3d run_id).h5" | sed -n 's/.*(0): //p')
    l2=$(h5dump -d /metrics/loss.boundary "w/$(col w/index.tsv label bl2d run_id).h5" | sed -n 's/.*(0): //p')
    diag "boundary loss at epoch 0: 3D maps $l3, 2D maps $l2"
    ok "3D distance maps give another boundary loss than 2D maps" test "$l3" != "$l2"
else
    diag "h5dump not installed: skipping the per-epoch checks"
fi

# ---- hybrid sets and the volume-size constraint ---------------------------
cat > h.yaml <<'G'
kind: train
config:
  dataset: {generator: phantom, params: "n_train=6 n_val=2 depth=4 width=16",
            train_labels: erosion, full_volumes: 2}
  net: {name: fcn, width: 4}
  optim: {lr: 5.0e-3}
  epochs: 2
zip:
  label: [full2, hybrid2, volume]
  dataset.train_subset: [full, all, all]
  batch_by: [image, image, volume]
  terms:
    - [{loss: ce}]
    - [{loss: ce, subset: full}, {loss: partial_ce, subset: weak},
       {constraint: [size], method: penalty, weight: 1.0e-2, subset: weak, size_bounds: tags,
        size_a: 5, size_b: 200}]
    - [{loss: partial_ce}, {constraint: [volume_size], method: penalty, weight: 1.0e-2}]
G
run_cmd "$SEGREP" run h.yaml -q --results h
is "$rc" 0 "hybrid and volume-size runs complete: $err"
"$SEGREP" collect h 2>/dev/null
is "$(col h/index.tsv label full2 summary.train_images)" 8 "Full_2: 2 volumes x 4 slices"
is "$(col h/index.tsv label hybrid2 summary.train_images)" 24 "Hybrid_2: all 6 volumes"
for l in full2 hybrid2 volume; do
    is "$(col h/index.tsv label $l status)" complete "$l: status complete"
done
p=$(col h/index.tsv label volume summary.penalty.pct_satisfied_first)
ok "volume: one size pair per volume batch, % satisfied $p logged" between "$p" 0 100

# ---- bad settings ------------------------------------------------------------
bad() { # name expected-exit message-regex yaml-terms [extra config line]
    printf 'kind: train\nconfig:\n  dataset: {generator: phantom, params: "n_train=2 n_val=1 depth=2 width=16"}\n  net: {name: fcn, width: 4}\n  epochs: 1\n%s\n  terms: %s\n' "$5" "$4" > "$1.yaml"
    run_cmd "$SEGREP" run "$1.yaml" -q --results "$T/bad-$1"
    is "$rc" "$2" "$1: exit $2"
    like "$err" "$3" "$1: $3"
}
bad nofrom 2 'terms\[1\]\.weight_schedule: rebalance needs .from.' \
    '[{loss: ce}, {loss: dice, weight_schedule: {name: rebalance}}]'
bad badfrom 2 "terms\\[1\\]\\.weight_schedule\\.from: no other term is named 'cee'" \
    '[{loss: ce}, {loss: dice, weight_schedule: {name: rebalance, from: cee}}]'
bad badsched 2 "weight_schedule\\.name: weight schedule 'steal' is unknown" \
    '[{loss: ce}, {loss: dice, weight_schedule: {name: steal}}]'
bad badmetric 2 'val_metrics\[1\]: expected one of dice, dice3d, hd95, hd95_3d' \
    '[{loss: ce}]' '  val_metrics: [dice, hausdorff]'
bad badsubset 2 "terms\\[0\\]\\.subset: 'some' is unknown" '[{loss: ce, subset: some}]'
bad nohybrid 1 'subset full needs a hybrid set' '[{loss: ce, subset: full}]'
cat > toomany.yaml <<'G'
kind: train
config:
  dataset: {generator: phantom, params: "n_train=2 n_val=1 depth=2 width=16", full_volumes: 5}
  net: {name: fcn, width: 4}
  epochs: 1
  terms: [{loss: ce}]
G
run_cmd "$SEGREP" run toomany.yaml -q --results "$T/bad-toomany"
is "$rc" 1 "toomany: exit 1"
like "$err" 'dataset.full_volumes: 5 volumes asked, the training split has 2' \
    "toomany: the error names the key and both counts"
done_testing
