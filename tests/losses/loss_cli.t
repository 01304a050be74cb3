#!/bin/sh
# `segrep loss` and `segrep metric` end to end: the I/O contract of issue 3
# (last line loss=<value> with >= 9 significant digits matching an
# independent torch value, --grad written atomically, --list with every
# loss's reduction), and bad input (unknown loss/parameter/value, shape
# mismatch of /labels or /image, label out of range, NaN/Inf in /logits, NaN
# in /image):
# one line naming the dataset and index, non-zero exit, no output file.
. "$SRCDIR/tests/tap/tap.sh"
FX="$SRCDIR/tests/losses/fixtures"
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

expected() { awk -v k="$1" '$1 == k { print $2 }' "$FX/cli_expected.txt"; }
close_to() { # got want rtol
    awk -v g="$1" -v w="$2" -v r="$3" 'BEGIN { d = g - w; if (d < 0) d = -d;
        a = w < 0 ? -w : w; exit !(d <= r * a) }'
}

run_cmd "$SEGREP" loss ce --input "$FX/cli_in.h5" --grad "$TMP/g.h5"
is "$rc" 0 "loss ce: exit 0"
last=$(printf '%s\n' "$out" | tail -n 1)
like "$last" '^loss=-?[0-9]\.[0-9]{8,}' "last line is loss=<value> with >= 9 significant digits"
ok "ce value matches torch F.cross_entropy ($(expected ce))" \
    close_to "${last#loss=}" "$(expected ce)" 1e-9
ok "--grad wrote the file" test -s "$TMP/g.h5"
is "$(ls -a "$TMP" | grep -c '^\.g\.h5')" 0 "no temporary file left"

run_cmd "$SEGREP" loss dice --input "$FX/cli_in.h5" --param smooth_nr=1e-10
last=$(printf '%s\n' "$out" | tail -n 1)
ok "dice value matches the LIVIAETS restatement" close_to "${last#loss=}" "$(expected dice)" 1e-9

run_cmd "$SEGREP" loss --list
is "$rc" 0 "--list: exit 0"
for l in ce partial_ce weighted_ce bce hinge dice gdl jaccard_soft rahman_iou tversky \
         focal_tversky focal combo lovasz_hinge lovasz_softmax adaptive_log boundary \
         hausdorff_dt crf_grid crf_dense; do
    like "$out" "^$l\$" "--list names $l"
done
like "$out" '^    alpha=0\.5 +weight of FP' "--list shows parameters with defaults"
# every loss but adaptive_log (its base loss carries it) lists reduction=mean (mean|sum)
nored=$(printf '%s\n' "$out" | awk '/^[a-z_]+$/ { if (name != "" && !seen) print name; name = $1; seen = 0 }
    /^    reduction=mean +\(mean\|sum\) / { seen = 1 } END { if (!seen) print name }' | tr '\n' ' ')
is "$nored" "adaptive_log " "--list shows reduction=mean (mean|sum) for every loss but adaptive_log"
for l in weighted_ce combo lovasz_hinge lovasz_softmax crf_grid crf_dense; do
    block=$(printf '%s\n' "$out" | awk -v l="$l" '/^[a-z_]+$/ { on = $1 == l } on')
    like "$block" '^    reduction=mean +\(mean\|sum\) [a-z]' "--list: $l has a documented reduction"
done

run_cmd "$SEGREP" loss dicee --input "$FX/cli_in.h5" --grad "$TMP/l.h5"
is "$rc" 2 "unknown loss: exit 2"
is "$err" "segrep loss: unknown loss 'dicee' (did you mean 'dice'?)" "unknown loss: one line"
ok "unknown loss: no output file" test ! -e "$TMP/l.h5"

run_cmd "$SEGREP" loss combo --input "$FX/cli_in.h5" --param reduction=summ --grad "$TMP/r.h5"
is "$rc" 2 "bad parameter value: exit 2"
is "$err" "segrep loss: loss combo: invalid value 'summ' for 'reduction' (choose from mean|sum; did you mean 'sum'?)" \
   "bad parameter value: one line naming key, value and choices"
ok "bad parameter value: no output file" test ! -e "$TMP/r.h5"

run_cmd "$SEGREP" loss dice --input "$FX/cli_in.h5" --param smoth_nr=1 --grad "$TMP/u.h5"
is "$rc" 2 "unknown parameter: exit 2"
is "$err" "segrep loss: loss dice: unknown parameter 'smoth_nr' (did you mean 'smooth_nr'?)" \
   "unknown parameter: one line with suggestion"
ok "unknown parameter: no output file" test ! -e "$TMP/u.h5"

run_cmd "$SEGREP" loss ce --input "$FX/cli_nan.h5" --grad "$TMP/n.h5"
is "$rc" 1 "NaN logits: exit 1"
is "$err" "segrep loss: $FX/cli_nan.h5: /logits: NaN at index [1,2,3,4]" \
   "NaN logits: one line naming the dataset and index"
ok "NaN logits: no output file" test ! -e "$TMP/n.h5"
is "$(ls -a "$TMP" | grep -c '^\.n\.h5')" 0 "NaN logits: no temporary file"

run_cmd "$SEGREP" loss bce --input "$FX/cli_inf.h5" --grad "$TMP/i.h5"
is "$rc" 1 "Inf logits: exit 1"
is "$err" "segrep loss: $FX/cli_inf.h5: /logits: Inf at index [0,1,2,3]" \
   "Inf logits: one line naming the dataset and index"
ok "Inf logits: no output file" test ! -e "$TMP/i.h5"
is "$(ls -a "$TMP" | grep -c '^\.i\.h5')" 0 "Inf logits: no temporary file"

run_cmd "$SEGREP" loss crf_dense --input "$FX/cli_nanimage.h5" --grad "$TMP/ni.h5"
is "$rc" 1 "NaN in /image: exit 1"
is "$err" "segrep loss: $FX/cli_nanimage.h5: /image: NaN at index [1,0,4,5]" \
   "NaN in /image: one line naming the dataset and index"
ok "NaN in /image: no output file" test ! -e "$TMP/ni.h5"

run_cmd "$SEGREP" loss ce --input "$FX/cli_badlabel.h5" --grad "$TMP/b.h5"
is "$rc" 1 "label out of range: exit 1"
is "$err" "segrep loss: $FX/cli_badlabel.h5: labels: value 7 at index [1,2,3] is out of range [0,3) and not the ignore value -100 of loss ce" \
   "label out of range: one line naming the index"
ok "label out of range: no output file" test ! -e "$TMP/b.h5"

run_cmd "$SEGREP" loss ce --input "$FX/cli_badshape.h5" --grad "$TMP/s.h5"
is "$rc" 1 "shape mismatch: exit 1"
like "$err" "^segrep loss: .*cli_badshape.h5: dataset /labels has shape \[2,5,7\], expected \[N,H,W\] = \[2,6,7\] from /logits$" \
   "shape mismatch: one line naming the dataset"
ok "shape mismatch: no output file" test ! -e "$TMP/s.h5"
is "$(printf '%s\n' "$err" | wc -l)" 1 "shape mismatch: one line"

run_cmd "$SEGREP" loss crf_grid --input "$FX/cli_badimage.h5" --grad "$TMP/si.h5"
is "$rc" 1 "/image shape mismatch: exit 1"
is "$err" "segrep loss: $FX/cli_badimage.h5: /image: dim H is 5, expected 6" \
   "/image shape mismatch: one line naming the dataset and dim"
ok "/image shape mismatch: no output file" test ! -e "$TMP/si.h5"

run_cmd "$SEGREP" loss crf_grid --input "$FX/cli_in.h5"
is "$rc" 1 "missing /image: exit 1"
like "$err" "needs dataset /image" "missing /image is named"

run_cmd "$SEGREP" loss ce --input "$TMP/none.h5"
is "$rc" 1 "missing input file: exit 1"
is "$(printf '%s\n' "$err" | wc -l)" 1 "missing input file: one line"

run_cmd "$SEGREP" metric dice --input "$FX/cli_metric.h5"
is "$rc" 0 "metric dice: exit 0"
last=$(printf '%s\n' "$out" | tail -n 1)
ok "metric dice mean over slices and fg classes matches numpy" \
    close_to "${last#dice=}" "$(expected metric_dice)" 1e-12
run_cmd "$SEGREP" metric hd95 --input "$FX/cli_metric.h5" --param def=maxdir --param mode=2d
is "$rc" 0 "metric hd95 maxdir: exit 0"
like "$(printf '%s\n' "$out" | tail -n 1)" '^hd95=[0-9]' "hd95: last line"
run_cmd "$SEGREP" metric hd95 --input "$FX/cli_metric.h5" --param mode=3d
is "$rc" 1 "3d with a 2-value /spacing: exit 1"
like "$err" "/spacing must hold 3 values" "... names /spacing"
run_cmd "$SEGREP" metric auc --input "$FX/cli_metric_probs.h5" --param mode=3d
is "$rc" 0 "metric auc on /probs, 3d: exit 0"
last=$(printf '%s\n' "$out" | tail -n 1)
ok "auc (Mann-Whitney, ties averaged) matches scipy rankdata" \
    close_to "${last#auc=}" "$(expected metric_auc_3d)" 1e-12
run_cmd "$SEGREP" metric dice --input "$FX/cli_metric_probs.h5" --param mode=3d
last=$(printf '%s\n' "$out" | tail -n 1)
ok "3D Dice of the argmax volume matches numpy" \
    close_to "${last#dice=}" "$(expected metric_dice_3d)" 1e-12
run_cmd "$SEGREP" metric hd --input "$FX/cli_metric_probs.h5" --param mode=3d --param empty=inf
is "$rc" 0 "metric hd 3d with spacing (d,h,w): exit 0"
run_cmd "$SEGREP" metric dice --input "$FX/cli_metric.h5" --param empty=diag
is "$rc" 2 "a distance policy on a ratio metric: exit 2"
like "$err" "empty=diag does not apply to dice" "... says why"
run_cmd "$SEGREP" metric dcie --input "$FX/cli_metric.h5"
is "$rc" 2 "unknown metric: exit 2"
is "$err" "segrep metric: unknown metric 'dcie' (did you mean 'dice'?)" "unknown metric: one line"
run_cmd "$SEGREP" metric dice --input "$FX/cli_in.h5"
is "$rc" 1 "metric without /pred: exit 1"

done_testing
