#!/bin/sh
# The Lovász Table A.1 recipe end to end through `segrep run` on the
# synthetic 4-class 'regions' set: a base multi-class network (save_weights),
# its 'b' evaluation on a binarised class (epochs: 0, init_from: every
# tensor copied, only val_image_iou, logged once, nothing trained) and a
# K = 1 fine-tuning logging image_iou and the three validation losses every
# epoch; the b run with the wrong class count fails naming init_from; an
# unknown val_metrics name fails naming the new metrics. (The values
# themselves: tests/train/test_val_binary.t.)
. "$SRCDIR/tests/tap/tap.sh"
. "$SRCDIR/tests/train/helpers.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-lovaszbin.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

cat > g.yaml <<'G'
kind: train
config:
  dataset: {source: synth, generator: regions, params: "n_train=4 n_val=3 width=16 seed=0"}
  net: {name: fcn, width: 4, classes: 1}
  optim: {name: momentum_lz, lr: 1.0e-2}
  schedule: {name: constant}
  epochs: 2
  batch_size: 2
  val_metrics: [dice, image_iou, xentropy, hinge, lovasz_hinge]
stages:
  base:
    config:
      net: {classes: 0}
      save_weights: true
      val_metrics: [dice]
      terms: [{loss: ce}]
    axes: {label: [base]}
  b:
    config:
      init_from: base
      epochs: 0
      net: {classes: CLASSES}
      terms: [{loss: ce}]
      val_metrics: [image_iou]
    axes: {label: [b], dataset.foreground: [2]}
    needs: {base: {stage: base, match: []}}
  finetune:
    config:
      init_from: base
      terms: [{loss: lovasz_hinge, params: {per_image: 1}}]
    axes: {label: [j], dataset.foreground: [2]}
    needs: {base: {stage: base, match: []}}
G
sed 's/CLASSES/4/' g.yaml > ok.yaml
run_cmd "$SEGREP" run ok.yaml -q --results r
is "$rc" 0 "base, b and fine-tuning complete: $err"
"$SEGREP" collect r 2>/dev/null
v=$(col r/index.tsv label b summary.val_image_iou_final)
ok "b: val_image_iou_final $v in [0, 1]" between "$v" 0 1
is "$(col r/index.tsv label b summary.epochs_run)" 1 "b: one evaluation, no training"
c=$(col r/index.tsv label b summary.init_params_copied)
is "$c" "$(col r/index.tsv label b summary.init_params_total)" "b: every tensor of the base copied ($c)"
is "$(col r/index.tsv label b summary.val_xentropy_final)" "" "b: no loss metrics (not asked, K > 1)"
for m in image_iou xentropy hinge lovasz_hinge; do
    x=$(col r/index.tsv label j summary.val_${m}_final)
    ok "j: val_${m}_final $x logged, finite, >= 0" between "$x" 0 1000
done
is "$(col r/index.tsv label j summary.epochs_run)" 2 "j: 2 epochs"
if command -v h5dump >/dev/null 2>&1; then
    run_cmd h5dump -d /metrics/val_image_iou "r/$(col r/index.tsv label b run_id).h5"
    like "$out" 'DATASPACE  SIMPLE \{ \( 1 \)' "b: val_image_iou logged at one epoch"
    run_cmd h5dump -d /metrics/val_lovasz_hinge "r/$(col r/index.tsv label j run_id).h5"
    like "$out" 'DATASPACE  SIMPLE \{ \( 2 \)' "j: val_lovasz_hinge logged every epoch"
else
    skip "no h5dump" 2
fi

# b with a network that does not take every tensor of the base
sed 's/CLASSES/3/' g.yaml > bad.yaml
run_cmd "$SEGREP" run bad.yaml -q --results r2
isnt "$rc" 0 "b with 3 classes against a 4-class base fails"
like "$err" \
    "init_from 'base': [0-9]+ of the [0-9]+ tensors match this network; with epochs: 0" \
    "... naming init_from and the tensor counts"

# an unknown metric name
sed 's/val_metrics: \[image_iou\]/val_metrics: [image_ious]/' ok.yaml > um.yaml
run_cmd "$SEGREP" run um.yaml -q --results r3
isnt "$rc" 0 "an unknown val_metrics name fails"
like "$err" "val_metrics\[0\]: expected one of .*image_iou, xentropy, hinge, lovasz_hinge" \
    "... listing the binary metrics"
done_testing
