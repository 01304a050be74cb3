#!/bin/sh
# The ADM paper's validation metrics and shortened scribbles end to end
# through `segrep run` (kind train, synthetic 'regions' with scribbles):
# val_pixel_acc, val_pixel_acc_trimap16/8 and val_miou are logged per epoch
# with their summaries, in [0, 1]; val_trimap_scale narrows the bands (the
# accuracy over all pixels does not depend on it); dataset.scribble_ratio
# shortens the training scribbles at load time (fewer labelled pixels as
# the ratio falls, one click per scribble at 0); a ratio outside [0, 1]
# fails at expansion naming the key.
. "$SRCDIR/tests/tap/tap.sh"
. "$SRCDIR/tests/train/helpers.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-trainacc.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

lt() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x + 0 < y + 0) }'; }

cat > a.yaml <<'G'
kind: train
config:
  dataset: {generator: regions, train_labels: scribbles,
            params: "n_train=4 n_val=3 width=24 classes=3 sigma=0.3 seed=0"}
  net: {name: fcn, width: 4, depth: 1}
  optim: {lr: 1.0e-2}
  epochs: 2
  seed: 1
  val_metrics: [dice, pixel_acc, pixel_acc_trimap16, pixel_acc_trimap8, miou]
  terms: [{loss: partial_ce}]
axes:
  dataset.scribble_ratio: [0, 0.5, 1]
  val_trimap_scale: [1, 0.125]
G
run_cmd "$SEGREP" run a.yaml -q --results a
is "$rc" 0 "six runs complete: $err"
"$SEGREP" collect a 2>/dev/null
n=$(awk 'END { print NR - 1 }' a/index.tsv)
is "$n" 6 "3 ratios x 2 trimap scales"
for m in pixel_acc pixel_acc_trimap16 pixel_acc_trimap8 miou; do
    v=$(col_num a/index.tsv dataset.scribble_ratio 1 summary.val_${m}_final | head -1)
    ok "val_${m}_final $v in [0, 1]" between "$v" 0 1
done
# the 16 px band covers every pixel of a 24x24 image at scale 1, not at 1/8
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    { print $h["val_trimap_scale"], $h["summary.val_pixel_acc_final"],
            $h["summary.val_pixel_acc_trimap16_final"], $h["dataset.scribble_ratio"] }' \
    a/index.tsv > v.txt
same=$(awk '$1 == 1 && $2 == $3 { c++ } END { print c + 0 }' v.txt)
is "$same" 3 "scale 1: the 16 px band of a 24 px image is the whole image"
r1=$(awk '$4 == 1 && $1 == 1 { print $2 }' v.txt)
r8=$(awk '$4 == 1 && $1 == 0.125 { print $2 }' v.txt)
is "$r1" "$r8" "pixel_acc does not depend on val_trimap_scale"
p0=$(col_num a/index.tsv dataset.scribble_ratio 0 summary.train_label_pixels | head -1)
p5=$(col_num a/index.tsv dataset.scribble_ratio 0.5 summary.train_label_pixels | head -1)
p1=$(col_num a/index.tsv dataset.scribble_ratio 1 summary.train_label_pixels | head -1)
diag "labelled training pixels: ratio 0: $p0, 0.5: $p5, 1: $p1"
ok "clicks < half scribbles < scribbles ($p0 < $p5 < $p1)" sh -c "awk 'BEGIN { exit !($p0 > 0 && $p0 < $p5 && $p5 < $p1) }'"
if command -v h5dump >/dev/null 2>&1; then
    f=a/$(col_num a/index.tsv dataset.scribble_ratio 0.5 run_id | head -1).h5
    run_cmd h5dump -d /metrics/val_pixel_acc -d /metrics/val_pixel_acc_trimap8 -d /metrics/val_miou "$f"
    like "$out" 'DATASPACE  SIMPLE \{ \( 2 \)' "the pixel metrics are logged per epoch"
else
    diag "h5dump not installed: skipping the per-epoch check"
fi

# segrep plot with 'x': one point per ratio, the mean over the runs of that
# ratio (here the two trimap scales, whose pixel_acc is the same) of the
# last epoch's value, against the runs' own summaries
cat > p.yaml <<'G'
plot: acc-vs-ratio
series:
  - {label: acc, metric: val_pixel_acc, x: dataset.scribble_ratio, scale: 100}
G
run_cmd "$SEGREP" plot p.yaml --results a --output-dir pl --no-render
is "$rc" 0 "plot against the ratio: $err"
for r in 0 0.5 1; do
    want=$(awk -v r=$r '$4 == r && $1 == 1 { printf "%.10g", 100 * $2 }' v.txt)
    got=$(awk -v r=$r '!/^#/ && NF == 4 && $1 == r { print $2 " " $3 " " $4 }' pl/acc-vs-ratio.dat)
    is "$got" "$want 0 2" "ratio $r: the point is 100 x the runs' val_pixel_acc_final, std 0 over 2 runs"
done

sed 's/dataset.scribble_ratio: \[0, 0.5, 1\]/dataset.scribble_ratio: [1.5]/' a.yaml > b.yaml
run_cmd "$SEGREP" run b.yaml -q --results b
is "$rc" 2 "ratio 1.5: exit 2 at expansion"
like "$err" 'dataset.scribble_ratio' "the error names the key: $err"
done_testing
