#!/bin/sh
# segrep run --jobs N (child processes on one machine): the same files as
# one process (ids, status, summaries, per-epoch metrics), stages wait for
# their inputs, two runs are in progress at once, a killed child's run is re-queued and
# then lost, a failing run does not stop the others, SIGINT then SIGTERM
# abandon cleanly, SIGKILL of the parent keeps the children's runs, and
# bad values of --jobs are usage errors.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-jobs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

# ---- bad values ---------------------------------------------------------------
for v in 0 -1 x 2x 5000; do
    run_cmd "$SEGREP" run --jobs "$v" x.yaml
    is "$rc" 2 "--jobs $v: exit 2"
    like "$err" "invalid value '$v' for --jobs" "--jobs $v: named"
done
run_cmd "$SEGREP" list -j 2 x.yaml
is "$rc" 2 "list rejects --jobs"
if [ -n "$MPIRUN" ]; then
    printf 'kind: sleep\nconfig: {seconds: 0}\n' > one.yaml
    run_cmd env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 120 \
        "$MPIRUN" -n 1 --oversubscribe "$SEGREP" run one.yaml -q --jobs 2 --results mpi
    is "$rc" 2 "--jobs under mpirun: exit 2"
    like "$err" "--jobs=2 under mpirun" "--jobs under mpirun: said"
    ok "--jobs under mpirun: nothing written" test ! -e mpi
fi

# ---- same results as one process, stages in order ------------------------------
cat > grid.yaml <<'G'
stages:
  first:
    kind: echo-metrics
    config: {epochs: 4, noise: 0.1, sleep: 0.05}
    axes: {value: [1, 2, 3, 4, 5]}
  second:
    kind: echo-metrics
    config: {epochs: 3, noise: 0.1, input: x}
    axes: {value: [1, 2, 3, 4, 5], rate: [0.5, 1]}
    needs: {x: {stage: first, match: [value]}}
G
run_cmd "$SEGREP" run grid.yaml -q --results one
is "$rc" 0 "one process: exit 0"
run_cmd "$SEGREP" run grid.yaml -q --results three --jobs 3
is "$rc" 0 "--jobs 3: exit 0"
like "$err" "this run: [0-9]+ complete, 0 failed.*\(3 workers" "--jobs 3: three workers, nothing failed"
is "$(ls three | grep -c '\.h5$')" "$(ls one | grep -c '\.h5$')" "--jobs 3: as many run files"
"$SEGREP" collect one 2>/dev/null
"$SEGREP" collect three 2>/dev/null
no_elapsed() { sed 's/\t[^\t]*$//' "$1"; }
is "$(no_elapsed three/index.tsv)" "$(no_elapsed one/index.tsv)" "--jobs 3 == one process (ids, status, axes, summaries incl. stage inputs)"
if command -v h5dump >/dev/null 2>&1; then
    same=1
    for f in one/*.h5; do
        b=$(basename "$f")
        [ "$(h5dump -d /metrics/loss "$f" | tail -n +3)" = "$(h5dump -d /metrics/loss "three/$b" | tail -n +3)" ] || same=0
    done
    is "$same" 1 "--jobs 3: per-epoch metrics identical"
fi
is "$(ls -a three | grep -c tmp)" 0 "--jobs 3: no temporary file left"

# ---- a failure and a killed child --------------------------------------------------
cat > mixed.yaml <<'G'
stages:
  ok: {kind: sleep, config: {seconds: 0}, axes: {epochs: [1, 2, 3]}}
  bad: {kind: crash, config: {message: deliberately broken}}
  killed: {kind: crash, config: {mode: kill, after_epochs: 1}}
  after: {kind: echo-metrics, config: {input: x}, needs: {x: killed}}
G
run_cmd "$SEGREP" run mixed.yaml -q --results mixed --jobs 2 --retries 1
is "$rc" 1 "failures under --jobs: exit 1"
like "$err" "this run: 3 complete, 1 failed, 0 diverged, 1 lost, 1 blocked" "failures under --jobs: counted"
like "$err" "deliberately broken" "the failure's reason is shown"
like "$err" "re-queued" "a killed child's run is re-queued"
like "$err" "lost: its process died \(signal 9\) \(attempt 2\)" "then lost after --retries"
is "$(ls -a mixed | grep -c tmp)" 0 "a killed child's temporary file is removed"
run_cmd "$SEGREP" run mixed.yaml -q --results mixed --jobs 2 --only stage=ok
like "$err" "3 already complete" "the complete runs stay complete"

# ---- SIGINT stops dispatching, a second signal abandons -----------------------------
printf 'kind: sleep\nconfig: {seconds: 600}\nreplicates: 3\n' > long.yaml
"$SEGREP" run long.yaml -q --results long --jobs 2 2>long.err &
pid=$!
i=0
while [ "$(ls -a long 2>/dev/null | grep -c tmp)" -lt 2 ] && [ $i -lt 600 ]; do
    sleep 0.05; i=$((i + 1))
done
is "$(ls -a long | grep -c tmp)" 2 "two runs in progress at once (runs overlap)"
kill -INT $pid; sleep 0.3; kill -TERM $pid
wait $pid
is "$?" 1 "abandoned under --jobs: exit 1"
like "$(cat long.err)" "0 complete, 0 failed, 0 diverged, 0 lost, 0 blocked, 3 not run" "abandoned: counted as not run"
sleep 0.3
is "$(ls -a long | grep -c -e tmp -e '\.h5$')" 0 "abandoned: no file, no temporary file"
is "$(pgrep -f 'long.yaml -q --results long' | wc -l | tr -d ' ')" 0 "abandoned: no child left"

# ---- SIGKILL of the parent: children finish their runs ------------------------------
printf 'kind: sleep\nconfig: {seconds: 1.5}\nreplicates: 2\n' > orphan.yaml
"$SEGREP" run orphan.yaml -q --results orphan --jobs 2 2>/dev/null &
pid=$!
i=0
while [ "$(ls -a orphan 2>/dev/null | grep -c tmp)" -lt 2 ] && [ $i -lt 600 ]; do
    sleep 0.05; i=$((i + 1))
done
kill -KILL $pid
wait $pid 2>/dev/null
i=0
while [ "$(ls orphan | grep -c '\.h5$')" -lt 2 ] && [ $i -lt 200 ]; do
    sleep 0.05; i=$((i + 1))
done
is "$(ls orphan | grep -c '\.h5$')" 2 "parent killed: the running children still write their runs"
run_cmd "$SEGREP" run orphan.yaml -q --results orphan
like "$err" "2 already complete" "and they count as complete"

# ---- help -----------------------------------------------------------------------------
run_cmd "$SEGREP" run --help
like "$out" "--jobs=N" "run --help documents --jobs"
run_cmd "$SEGREP" reproduce --help
like "$out" "--jobs=N" "reproduce --help documents --jobs"
done_testing
