#!/bin/sh
# The run kind 'train' end to end through `segrep run`: a penalty and a
# log-barrier run on 8 small toy images satisfy more constraints after a
# few epochs than before; a tiny full-supervision run learns; the
# Lagrangian alternates theta and dual epochs; bad term configs fail with
# file:line:column naming the key; an interrupted grid resumes to results
# identical to an uninterrupted one.
. "$SRCDIR/tests/tap/tap.sh"
. "$SRCDIR/tests/train/helpers.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-train.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }

# ---- constraints get satisfied; full supervision learns -----------------------
cat > tiny.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=8 n_val=4 scale=0.125 seed=0"}
  net: {name: enet, width: 8}
  optim: {lr: 5.0e-3}
  epochs: 12
  temperature: 5
zip:
  label: [penalty, barrier, lagrangian]
  terms:
    - [{constraint: [size, centroid], method: penalty, weight: 1, centroid_margin: 3}]
    - [{constraint: [size, centroid], method: log_barrier_ext, weight: 1.0e-2, centroid_margin: 3,
        t0: 5, mu: 1.1}]
    - [{constraint: [size, centroid], method: relu_lagrangian, weight: 1.0e-2, centroid_margin: 3,
        dual_lr: 1}]
exclude:
  - {label: lagrangian, replicate: [1, 2, 3, 4]}
# The penalty oscillates (no gradient once satisfied: the thesis' point), so a
# single run may end lower than it started; the claim is checked on the mean
# gain over 5 seeds. The penalty's weight is 1 here, not the toy grid's 1e-2:
# at 1e-2 it barely moves 8 tiny images in 12 epochs (the mean gain over 5
# seeds was 0 for one seed set, +4 points over 40 seeds), so the test would
# hinge on the seeds rather than on the mechanism.
replicates: 5
G
run_cmd "$SEGREP" run tiny.yaml -q --results tiny
is "$rc" 0 "tiny constrained runs complete: $err"
"$SEGREP" collect tiny 2>/dev/null
for m in penalty:penalty barrier:log_barrier_ext; do
    label=${m%%:*} name=${m#*:}
    first=$(col tiny/index.tsv label "$label" "summary.$name.pct_satisfied_first" | tr '\n' ' ')
    last=$(col tiny/index.tsv label "$label" "summary.$name.pct_satisfied_last" | tr '\n' ' ')
    diag "$label: % satisfied at epoch 0: $first; at epoch 11: $last"
    gain=$(printf '%s\n%s\n' "$first" "$last" | awk 'NR == 1 { for (i = 1; i <= NF; i++) s -= $i; n = NF }
        NR == 2 { for (i = 1; i <= NF; i++) s += $i } END { printf "%.4f", n ? s / n : -1 }')
    is "$(echo "$first" | wc -w | tr -d ' ')" 5 "$label: 5 seeds"
    ok "$label: more constraints satisfied after 12 epochs (mean gain $gain points)" gt "$gain" 0
    is "$(col tiny/index.tsv label "$label" status | sort -u)" complete "$label: status complete"
done
if command -v h5dump >/dev/null 2>&1; then
    f=tiny/$(col tiny/index.tsv label lagrangian run_id).h5
    run_cmd h5dump -d /schedules/phase "$f"
    like "$(printf '%s' "$out" | tr -d ' \n')" '0,1,0,1,0,1,0,1,0,1,0,1' \
        "lagrangian: theta and dual epochs alternate"
    f=tiny/$(col tiny/index.tsv label barrier run_id | head -n 1).h5
    run_cmd h5dump -d /schedules/log_barrier_ext.t "$f"
    like "$(printf '%s' "$out" | tr -d ' \n')" '5,5.5,6.05,6.655' "barrier: t *= 1.1 after each epoch"
    run_cmd h5dump -d /metrics/epoch_time "$f"
    like "$out" 'DATASPACE  SIMPLE \{ \( 12 \)' "barrier: epoch_time logged for 12 epochs"
else
    diag "h5dump not installed: skipping the schedule checks"
fi

cat > fs.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=8 n_val=4 scale=0.25 seed=0", val_split: train}
  net: {name: fcn, width: 8}
  optim: {lr: 5.0e-3}
  epochs: 30
  save_val: 2
  # a pinned seed: the run seed is a hash of the whole resolved config, so
  # every new train parameter re-draws it, and a few draws do not fit 8
  # images in 30 epochs
  seed: 1
  terms: [{loss: ce}]
G
run_cmd "$SEGREP" run fs.yaml -q --results fs
is "$rc" 0 "tiny full-supervision run completes: $err"
"$SEGREP" collect fs 2>/dev/null
d=$(col fs/index.tsv kind train summary.val_dice_final)
ok "full supervision fits 8 toy images: Dice $d > 0.9" gt "$d" 0.9
if command -v h5dump >/dev/null 2>&1; then
    run_cmd h5dump -H fs/*.h5
    like "$(printf '%s' "$out" | tr -d '\n')" 'DATASET "val_probs" \{ *DATATYPE  H5T_IEEE_F32LE *DATASPACE  SIMPLE \{ \( 2, 2, 64, 64 \)' \
        "save_val: /tensors/val_probs (2,2,64,64)"
fi

# ---- the other constraints and methods run end to end ---------------------------
cat > more.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=4 n_val=2 scale=0.125 seed=0"}
  net: {name: enet, width: 8}
  epochs: 2
zip:
  label: [proposals, box, lagrangian, partial]
  terms:
    - [{constraint: size, method: proposals, proposal_max_iter: 50}]
    - [{constraint: box, method: log_barrier_ext, weight: 1.0e-4, box_emptiness: true,
        box_size: true}]
    - [{constraint: [size, centroid], method: lagrangian, dual_lr: 1}]
    - [{loss: ce, weight: 1, params: {weight: [0.1, 1], reduction: mean}},
       {constraint: size, method: penalty, weight: 1.0e-2, name: size}]
G
run_cmd "$SEGREP" run more.yaml -q --results more
is "$rc" 0 "proposals, box, standard Lagrangian, loss + constraint runs complete: $err"
"$SEGREP" collect more 2>/dev/null
for m in proposals box lagrangian partial; do
    is "$(col more/index.tsv label $m status)" complete "$m: status complete"
done
ok "loss + constraint: both terms logged" test -n "$(col more/index.tsv label partial summary.size.pct_satisfied_last)"

# ---- the same toy from an HDF5 dataset file ------------------------------------
"$SEGREP" dataset generate toy toy.h5 --param n_train=8 --param n_val=4 --param scale=0.25 \
    --param seed=0 2>/dev/null
sed 's|dataset: {generator: toy, params: "n_train=8 n_val=4 scale=0.25 seed=0", val_split: train}|dataset: {source: file, file: toy.h5, val_split: train}|' \
    fs.yaml > fsfile.yaml
run_cmd "$SEGREP" run fsfile.yaml -q --results fsfile
is "$rc" 0 "training from a dataset file: $err"
"$SEGREP" collect fsfile 2>/dev/null
d2=$(col fsfile/index.tsv kind train summary.val_dice_final)
ok "full supervision from the file fits too: Dice $d2 > 0.9 (another config: another seed)" \
    gt "$d2" 0.9
printf 'kind: train\nconfig:\n  dataset: {source: file, file: nothere.h5}\n  terms: [{loss: ce}]\n' \
    > nofile.yaml
run_cmd "$SEGREP" run nofile.yaml -q --results nofile
is "$rc" 1 "missing dataset file: the run fails (exit 1)"
like "$err" "nothere.h5" "missing dataset file: the error names it"

# ---- bad term configs: one line, file:line:column, exit 2, nothing written -----
bad() { # name text expected
    printf '%s' "$2" > "$1.yaml"
    run_cmd "$SEGREP" run "$1.yaml" --results "$T/bad"
    is "$rc" 2 "$1: exit 2"
    is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "$1: one line"
    like "$err" "^segrep run: $3" "$1: $3"
    ok "$1: no results directory" test ! -e "$T/bad"
}
bad misspelt 'kind: train
config:
  terms:
    - {constraint: size, methd: penalty}
' "misspelt.yaml:4:26: terms\\[0\\]: unknown key 'methd' \\(did you mean 'method'\\?\\)"
bad method 'kind: train
config:
  terms: [{constraint: size, method: penalti}]
' "method.yaml:3:38: terms\\[0\\].method: unknown constraint method 'penalti'"
bad loss 'kind: train
config:
  terms: [{loss: dise}]
' "loss.yaml:3:18: terms\\[0\\]: .*dise"
bad no_terms 'kind: train
config: {epochs: 2}
' "no_terms.yaml: a run \\(kind train\\): missing required key 'terms'"
bad range 'kind: train
config:
  terms: [{constraint: [size], method: log_barrier_ext, mu: 0.5}]
' "range.yaml:3:61: terms\\[0\\].mu: 0.5 is out of range"

# ---- interrupt, then resume == uninterrupted ---------------------------------
cat > res.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=8 n_val=4 scale=0.125 seed=0"}
  net: {name: enet, width: 8}
  epochs: 6
  temperature: 5
  terms: [{constraint: [size, centroid], method: log_barrier_ext, weight: 1.0e-2, centroid_margin: 3}]
replicates: 6
G
"$SEGREP" run res.yaml -q --results whole 2>/dev/null
"$SEGREP" run res.yaml -q --results part 2>part.err &
pid=$!
i=0
while [ "$(ls part 2>/dev/null | grep -c '\.h5$')" -lt 2 ] && [ $i -lt 1200 ]; do
    sleep 0.05; i=$((i + 1))
done
kill -INT $pid
wait $pid
n=$(ls part | grep -c '\.h5$')
diag "interrupted after $n of 6 runs"
run_cmd "$SEGREP" run res.yaml -q --results part
like "$err" "6 runs selected, $n already complete; this run: $((6 - n)) complete" \
    "resume completes the rest"
"$SEGREP" collect whole 2>/dev/null
"$SEGREP" collect part 2>/dev/null
no_elapsed() { # drop the timing columns (elapsed_s, epoch_time_mean)
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /elapsed|epoch_time/) drop[i] = 1 }
        { s = ""; for (i = 1; i <= NF; i++) if (!drop[i]) s = s $i "\t"; print s }' "$1"
}
is "$(no_elapsed part/index.tsv)" "$(no_elapsed whole/index.tsv)" \
    "interrupt + resume == uninterrupted (ids, status, summaries)"
if command -v h5dump >/dev/null 2>&1; then
    same=1
    for f in whole/*.h5; do
        b=$(basename "$f")
        [ "$(h5dump -d /metrics/val_dice "$f" | tail -n +3)" = \
          "$(h5dump -d /metrics/val_dice "part/$b" | tail -n +3)" ] || same=0
    done
    is "$same" 1 "per-epoch validation Dice identical"
fi
done_testing
