#!/bin/sh
# segrep run / list / collect in one process: bad input (one line with
# file:line:column, exit 2, nothing written), resume, growing an axis,
# failures, sharding and filters, interrupt-then-resume equals an
# uninterrupted run, and the files readable by h5dump.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-run.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

# ---- bad input ------------------------------------------------------------
bad() { # name text expected-prefix
    printf '%s' "$2" > "$1.yaml"
    run_cmd "$SEGREP" run "$1.yaml" --results "$T/bad"
    is "$rc" 2 "$1: exit 2"
    is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "$1: one line"
    like "$err" "^segrep run: $3" "$1: $3"
    ok "$1: no results directory" test ! -e "$T/bad"
}
bad malformed 'kind: sleep
config: {seconds: [1}
' 'malformed.yaml:2:'
bad unknown_key 'kind: sleep
config:
  secnds: 1
' "unknown_key.yaml:3:3: unknown key 'secnds' \(did you mean 'seconds'\?\)"
bad wrong_type 'kind: sleep
axes:
  epochs: [1, two]
' "wrong_type.yaml:3:15: epochs: expected an integer, got 'two'"
bad impossible 'kind: sleep
config: {seconds: -1}
' "impossible.yaml:2:19: seconds: '-1' is out of range \\[0, 86400\\]"
bad zip_mismatch 'kind: echo-metrics
zip:
  value: [1, 2, 3]
  rate: [0.1, 0.2]
' "zip_mismatch.yaml:4:3: zip: length mismatch: 'rate' has 2 values but 'value' has 3"
run_cmd "$SEGREP" run nothere.yaml --results "$T/bad"
is "$rc" 2 "missing grid file: exit 2"
like "$err" "^segrep run: nothere.yaml: cannot open" "missing grid file: named"
run_cmd "$SEGREP" run --shard 2/2 x.yaml
is "$rc" 2 "bad --shard: exit 2"
like "$err" "invalid value '2/2' for --shard" "bad --shard: named"
run_cmd "$SEGREP" list --retries 1 x.yaml
is "$rc" 2 "list rejects run-only options"

# ---- run, resume, grow ----------------------------------------------------
cat > grid.yaml <<'G'
kind: echo-metrics
config: {epochs: 4}
axes:
  value: [1, 2, 3]
  rate: [0.5, 1]
G
run_cmd "$SEGREP" list grid.yaml
is "$rc" 0 "list exits 0"
like "$out" "runs: 6" "list: 6 runs"
like "$out" "  value +3 values" "list: per-axis counts"
like "$out" "complete in store: 0" "list: none stored"
like "$out" "estimate: unknown" "list: no timings yet"
ok "list writes nothing" test ! -e results

run_cmd "$SEGREP" run grid.yaml -q
is "$rc" 0 "run exits 0"
like "$err" "6 runs selected, 0 already complete; this run: 6 complete, 0 failed" "run: summary"
is "$(ls results | grep -c '\.h5$')" 6 "six run files"
run_cmd "$SEGREP" list grid.yaml
like "$out" "complete in store: 6" "list: six stored"
like "$out" "estimate: [0-9.e+-]+ core-hours for 0 runs \(from 6 timed runs\)" "list: estimate from timings"

cksum results/*.h5 > before.txt
run_cmd "$SEGREP" run grid.yaml -q
like "$err" "6 already complete; this run: 0 complete" "resume: nothing re-run"
run_cmd "$SEGREP" run grid.yaml -q axes.value=[1,2,3,4]
like "$err" "8 runs selected, 6 already complete; this run: 2 complete" "grown axis: only new runs"
cksum $(cut -d' ' -f3 before.txt) > after.txt
is "$(cat after.txt)" "$(cat before.txt)" "existing run files untouched"

run_cmd "$SEGREP" collect results
is "$rc" 0 "collect exits 0"
is "$(head -n 1 results/index.tsv)" "$(printf 'run_id\tstatus\tkind\tstage\treplicate\trate\tvalue\tsummary.best_dice\tsummary.final_loss\telapsed_s')" "index header"
is "$(tail -n +2 results/index.tsv | wc -l | tr -d ' ')" 8 "index: one row per run"
is "$(cut -f2 results/index.tsv | sort | uniq -c | tr -s ' ')" " 8 complete
 1 status" "index: all complete"

# ---- failures do not stop the others ---------------------------------------
cat > mixed.yaml <<'G'
stages:
  ok: {kind: sleep, config: {seconds: 0}, axes: {epochs: [1, 2]}}
  bad: {kind: crash, config: {message: deliberately broken}}
  nan: {kind: echo-metrics, config: {nan_at: 2}}
  after: {kind: echo-metrics, config: {input: x}, needs: {x: bad}}
G
run_cmd "$SEGREP" run mixed.yaml -q --results mixed
is "$rc" 1 "failures: exit 1"
like "$err" "this run: 2 complete, 1 failed, 1 diverged, 0 lost, 1 blocked" "failures: counted"
like "$err" "deliberately broken" "failures: the reason is shown"
like "$err" "diverged: loss not finite at epoch 2" "divergence: the epoch is shown"
is "$(ls mixed | grep -c '\.h5$')" 4 "failed and diverged runs have files; the blocked one not"

# ---- shards and filters -----------------------------------------------------
"$SEGREP" run grid.yaml -q --results s0 --shard 0/2 2>/dev/null
"$SEGREP" run grid.yaml -q --results s1 --shard 1/2 2>/dev/null
all=$( (ls s0 2>/dev/null; ls s1 2>/dev/null) | grep '\.h5$' | sort)
is "$(printf '%s\n' "$all" | wc -l | tr -d ' ')" 6 "shards 0/2 and 1/2 together run all 6"
is "$(printf '%s\n' "$all" | uniq -d)" "" "shards are disjoint"
run_cmd "$SEGREP" run grid.yaml -q --results only --only value=2
like "$err" "2 runs selected" "--only value=2 selects 2 runs"

# ---- interrupt, then resume == uninterrupted ---------------------------------
cat > slow.yaml <<'G'
kind: echo-metrics
config: {epochs: 5, sleep: 0.04, noise: 0.1}
axes:
  value: [1, 2, 3, 4, 5, 6, 7, 8]
G
"$SEGREP" run slow.yaml -q --results whole 2>/dev/null
"$SEGREP" run slow.yaml -q --results part 2>part.err &
pid=$!
i=0
while [ "$(ls part 2>/dev/null | grep -c '\.h5$')" -lt 2 ] && [ $i -lt 600 ]; do
    sleep 0.05; i=$((i + 1))
done
kill -INT $pid
wait $pid
irc=$?
n=$(ls part | grep -c '\.h5$')
diag "interrupted after $n of 8 runs"
is "$irc" 1 "interrupted run exits 1"
like "$(cat part.err)" "[1-8] not run" "interrupted: the runs not started are counted"
is "$(ls -a part | grep -c tmp)" 0 "interrupted: no temporary file left"
run_cmd "$SEGREP" run slow.yaml -q --results part
like "$err" "8 runs selected, $n already complete; this run: $((8 - n)) complete" "resume completes the rest"
"$SEGREP" collect whole 2>/dev/null
"$SEGREP" collect part 2>/dev/null
no_elapsed() { sed 's/\t[^\t]*$//' "$1"; }
is "$(no_elapsed part/index.tsv)" "$(no_elapsed whole/index.tsv)" "interrupt + resume == uninterrupted (ids, status, axes, summaries)"
same=1
for f in whole/*.h5; do
    b=$(basename "$f")
    if command -v h5dump >/dev/null 2>&1; then
        [ "$(h5dump -d /metrics/loss "$f" | tail -n +3)" = "$(h5dump -d /metrics/loss "part/$b" | tail -n +3)" ] || same=0
    fi
done
is "$same" 1 "per-epoch metrics identical"

# ---- SIGTERM twice: the current run is abandoned, nothing half-written ------------
printf 'kind: sleep\nconfig: {seconds: 600}\nreplicates: 2\n' > long.yaml
"$SEGREP" run long.yaml -q --results long 2>long.err &
pid=$!
i=0
while [ "$(ls -a long 2>/dev/null | grep -c tmp)" -lt 1 ] && [ $i -lt 600 ]; do
    sleep 0.05; i=$((i + 1))
done
kill -TERM $pid; sleep 0.2; kill -TERM $pid
wait $pid
is "$?" 1 "abandoned run: exit 1"
like "$(cat long.err)" "0 complete, 0 failed, 0 diverged, 0 lost, 0 blocked, 2 not run" "abandoned run: counted as not run"
is "$(ls -a long | grep -c -e tmp -e '\.h5$')" 0 "abandoned run: no file, no temporary file"

# ---- h5dump reads the files -----------------------------------------------------
if command -v h5dump >/dev/null 2>&1; then
    f=$(ls whole/*.h5 | head -n 1)
    run_cmd h5dump -a status "$f"
    like "$out" '"complete"' "h5dump reads the status attribute"
    run_cmd h5dump -H "$f"
    like "$out" 'DATASET "loss"' "h5dump lists /metrics/loss"
    like "$out" 'GROUP "schedules"' "h5dump lists /schedules"
    like "$out" 'DATASET "final_loss"' "h5dump lists /summary/final_loss"
    run_cmd h5dump -a seed "$f"
    like "$out" 'H5T_STD_I64LE' "seed is an int64 attribute"
else
    diag "h5dump not installed (Debian package hdf5-tools): skipping its checks"
fi

# ---- help -----------------------------------------------------------------------
run_cmd "$SEGREP" run --help
like "$out" '^usage: segrep run GRID.yaml' "run --help"
run_cmd "$SEGREP" list --kinds
like "$out" '^sleep: ' "list --kinds names the built-in kinds"
like "$out" 'echo-metrics: ' "list --kinds: echo-metrics"
run_cmd "$SEGREP" collect
is "$rc" 2 "collect without a directory: exit 2"
done_testing
