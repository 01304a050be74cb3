#!/bin/sh
# Checkpoints inside `train` runs, end to end through `segrep run`: every run
# of a grid covering the term families (loss with a term switched on at
# from_epoch, log-barrier extension, standard and ReLU Lagrangian, penalty,
# proposals, a K = 1 prox run, ADM on scribbles, a constraint behind a term
# view with a scheduled loss weight and volume metrics, DeepCut and
# dense-CRF ADM; plateau schedule,
# ENet dropout) is killed (SIGKILL) right after its epoch-2 checkpoint
# through the test-only SEGREP_TEST_KILL_AFTER_EPOCH, and the grid is run
# again until it completes: every run says it resumed at epoch 2, and the
# stored metrics and schedules (all but wall times), summaries and final
# weights hash equal an uninterrupted run's. A damaged or foreign
# checkpoint is reported in one line and ignored (the run restarts and
# still gives the same results); checkpoint_every: 0 writes none; the key
# is not in the stored config unless set; no checkpoint is left behind.
. "$SRCDIR/tests/tap/tap.sh"
command -v h5dump >/dev/null 2>&1 || skip_all "h5dump (hdf5-tools) is not installed"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-resume.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

cat > toy.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=4 n_val=2 scale=0.125 seed=0"}
  net: {name: enet, width: 8}
  optim: {lr: 5.0e-3}
  schedule: {name: plateau, patience: 1}
  epochs: 5
  batch_size: 2
  temperature: 5
zip:
  label: [switch, barrier, lagrangian, relu, penalty, proposals]
  terms:
    - [{loss: ce}, {loss: dice, from_epoch: 3}]
    - [{constraint: [size, centroid], method: log_barrier_ext, weight: 1.0e-2, centroid_margin: 3}]
    - [{constraint: [size, centroid], method: lagrangian, weight: 1.0e-2, centroid_margin: 3,
        dual_lr: 1}]
    - [{constraint: [size, centroid], method: relu_lagrangian, weight: 1.0e-2, centroid_margin: 3,
        dual_lr: 1}]
    - [{constraint: [size, centroid], method: penalty, weight: 1, centroid_margin: 3}]
    - [{constraint: [size], method: proposals, weight: 1}]
G
cat > prox.yaml <<'G'
kind: train
config:
  dataset: {generator: toy, params: "n_train=4 n_val=2 scale=0.125 seed=0"}
  net: {name: fcn, width: 4, classes: 1}
  optim: {name: sgd, lr: 1.0e-2}
  epochs: 4
  terms: [{prox: {lambda: 100}}]
G
cat > adm.yaml <<'G'
kind: train
config:
  dataset: {generator: regions, params: "n_train=4 n_val=2 width=16 classes=3 seed=0",
            train_labels: scribbles}
  net: {name: fcn, width: 4, depth: 2}
  optim: {lr: 1.0e-2}
  epochs: 4
  batch_size: 2
  log_crf_energy: true
  terms:
    - {loss: partial_ce}
    - {adm: {gamma: 1.5, lambda: 10, pce_weight: 0, sweeps: 2}, from_epoch: 1}
G
# Term state added beside the trainer's: a constraint behind a term view
# (weak training labels, ground-truth bounds), a scheduled weight, per-volume
# metric histories, DeepCut's proposals and the dense-CRF ADM term.
cat > more.yaml <<'G'
kind: train
config:
  net: {name: fcn, width: 4}
  optim: {lr: 5.0e-3}
  epochs: 5
  batch_size: 2
zip:
  label: [view, deepcut, dense]
  dataset:
    - {generator: phantom, params: "n_train=4 n_val=2 depth=4 width=16", train_labels: erosion}
    - {generator: toy, params: "n_train=4 n_val=2 scale=0.125 seed=0", train_labels: label_boxes}
    - {generator: regions, params: "n_train=4 n_val=2 width=16 classes=3 seed=0",
       train_labels: scribbles}
  val_metrics: [[dice, dice3d], [dice], [dice]]
  terms:
    - [{loss: partial_ce, weight_schedule: {name: increase, step: 0.5}},
       {constraint: [size], method: log_barrier_ext, weight: 1.0e-2}]
    - [{deepcut: {every: 2, iterations: 3, class: 1}}]
    - [{loss: partial_ce},
       {adm: {crf: dense, solver: mean_field, iterations: 3, lambda: 0.1, pce_weight: 0,
              sigma_xy: 3, sigma_rgb: 0.5}}]
G
GRIDS="toy prox adm more"
NRUNS=11

for g in $GRIDS; do
    run_cmd "$SEGREP" run $g.yaml -q --results straight
    is "$rc" 0 "$g: uninterrupted runs complete $err"
done

# Run every grid with the kill switch until it completes; each attempt
# kills one run (the process dies), so at most NRUNS + 1 attempts per grid.
kills=0 resumed=0 attempts=0
for g in $GRIDS; do
    while [ $attempts -lt 30 ]; do
        attempts=$((attempts + 1))
        run_cmd env SEGREP_TEST_KILL_AFTER_EPOCH=2 "$SEGREP" run $g.yaml -q --results resumed
        n=$(printf '%s\n' "$err" | grep -c 'resumed from its checkpoint at epoch 2 of')
        resumed=$((resumed + n))
        [ "$rc" -eq 0 ] && break
        kills=$((kills + 1))
    done
done
is "$kills" "$NRUNS" "each of the $NRUNS runs was killed once after epoch 2"
is "$resumed" "$NRUNS" "each run resumed from its checkpoint at epoch 2"
is "$(ls -a resumed | grep -c '\.ckpt')" 0 "no checkpoint left once the runs are complete"

# same metrics (but the wall times), schedules and summaries, run by run
series() { # file: every /metrics and /schedules dataset but the wall times
           # (epoch_time, DeepCut's update_s), full precision
    for d in $(h5dump -n "$1" | awk '$1 == "dataset" { print $2 }' |
               grep -E '^/(metrics|schedules)/' | grep -v -E 'epoch_time|\.update_s$'); do
        h5dump -m '%.17g' -d "$d" "$1" | grep -v '^HDF5 '
    done
}
"$SEGREP" collect straight >/dev/null 2>&1
"$SEGREP" collect resumed >/dev/null 2>&1
nodiff=0 compared=0
for f in straight/*.h5; do
    id=$(basename "$f")
    compared=$((compared + 1))
    if [ "$(series "$f")" = "$(series resumed/"$id")" ]; then
        nodiff=$((nodiff + 1))
    else
        diag "$id: stored series differ"
    fi
done
is "$compared" "$NRUNS" "$NRUNS runs stored in each directory"
is "$nodiff" "$NRUNS" "resumed runs store the same metrics and schedules as uninterrupted ones"
drop_times() { # index.tsv without the wall-time columns
    awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) keep[i] = $i != "elapsed_s" &&
                          $i != "summary.epoch_time_mean" }
                { s = ""; for (i = 1; i <= NF; i++) if (keep[i]) s = s $i "\t"; print s }' "$1"
}
like "$(head -n 1 straight/index.tsv)" 'summary\.weights_hash' "summaries include weights_hash"
is "$(drop_times resumed/index.tsv)" "$(drop_times straight/index.tsv)" \
    "same summaries (weights hash, val Dice, % satisfied, epochs run) as uninterrupted runs"
h5_number() { h5dump -m '%.17g' -d "$2" "$1" | awk '/\(0\)/ { print $2 }'; }
id=$(awk -F'\t' 'NR > 1 && $0 ~ /lagrangian/ { print $1; exit }' straight/index.tsv)
like "$(h5dump -d /schedules/phase resumed/$id.h5 | tr -d ' \n')" '0,1,0,1,0' \
    "lagrangian: the theta/dual alternation continues across the resume"

# a damaged checkpoint is reported and ignored; a foreign one too
mkdir bad
run_cmd env SEGREP_TEST_KILL_AFTER_EPOCH=2 "$SEGREP" run prox.yaml -q --results bad
ck=$(ls -a bad | grep '\.ckpt$')
ok "a killed run leaves its checkpoint" test -n "$ck"
printf 'XXXXXXXX' | dd of="bad/$ck" bs=1 seek=100 conv=notrunc 2>/dev/null
run_cmd "$SEGREP" run prox.yaml -q --results bad
is "$rc" 0 "the run with a damaged checkpoint completes"
like "$err" "run [0-9a-f]+: checkpoint .*$ck: checksum mismatch \\(file damaged\\); ignored, the run starts from epoch 0" \
    "damaged checkpoint: one line naming it, ignored"
is "$(printf '%s\n' "$err" | grep -c checkpoint)" 1 "exactly one line about it"
id=${ck#.}; id=${id%.ckpt}
is "$(series bad/$id.h5)" "$(series straight/$id.h5)" "the restarted run gives the uninterrupted results"
rm -rf bad && mkdir bad
run_cmd env SEGREP_TEST_KILL_AFTER_EPOCH=2 "$SEGREP" run prox.yaml -q --results bad
ck=$(ls -a bad | grep '\.ckpt$')
sed 's/lambda: 100/lambda: 50/' prox.yaml > prox2.yaml
run_cmd env SEGREP_TEST_KILL_AFTER_EPOCH=2 "$SEGREP" run prox2.yaml -q --results bad
ck2=$(ls -a bad | grep '\.ckpt$' | grep -v -- "$ck")
id=${ck#.}; id=${id%.ckpt}; id2=${ck2#.}; id2=${id2%.ckpt}
mv "bad/$ck" "bad/$ck2"
run_cmd "$SEGREP" run prox2.yaml -q --results bad
is "$rc" 0 "the run with another run's checkpoint completes"
like "$err" "checkpoint .*written by run '$id', not by this run \\('$id2'\\); ignored" \
    "foreign checkpoint: reported and ignored"

# checkpoint_every: 0 writes none (and the kill switch, which follows a
# checkpoint, never fires); the key is stored only when set
sed 's/  epochs: 4/  epochs: 4\n  checkpoint_every: 0/' prox.yaml > off.yaml
run_cmd env SEGREP_TEST_KILL_AFTER_EPOCH=2 "$SEGREP" run off.yaml -q --results off
is "$rc" 0 "checkpoint_every 0: the run is not checkpointed (so not killed)"
f=$(ls off/*.h5)
like "$(h5dump -a config_yaml "$f")" 'checkpoint_every: 0' "a set checkpoint_every is in the config"
unlike "$(h5dump -a config_yaml straight/$id.h5)" 'checkpoint_every' \
    "the default is not written into the config (run ids and seeds unchanged)"
done_testing
