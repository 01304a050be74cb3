#!/bin/sh
# The MPI task farm on 2 ranks (mpirun -n 2 --oversubscribe): a mixed grid
# gives the same results as one process; SIGTERM then resume gives the same
# results as an uninterrupted run; a worker killed with SIGKILL
# mid-grid: the farm finishes with the survivor, no complete run is lost or
# duplicated, and a second `segrep run` completes the rest. Skipped when
# segrep was built without MPI ($MPIRUN empty). No timing assertions: the
# waits are generous, for slow shared machines.
. "$SRCDIR/tests/tap/tap.sh"
[ -n "$MPIRUN" ] || skip_all "built without MPI"
# Open MPI refuses to run as root unless told; harmless otherwise.
OMPI_ALLOW_RUN_AS_ROOT=1; OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
# Survivors keep running when a rank dies (Open MPI 4: orte_enable_recovery).
farm() { timeout 120 "$MPIRUN" -n 2 --oversubscribe --mca orte_enable_recovery 1 "$SEGREP" "$@"; }
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-farm.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
no_elapsed() { sed 's/\t[^\t]*$//' "$1"; }
attr() { # file attribute -> value (via segrep's own index would be circular; use h5dump if present)
    h5dump -a "$2" "$1" 2>/dev/null | sed -n 's/^ *(0): "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p'
}

# ---- a mixed grid: farm == one process -------------------------------------
cat > mixed.yaml <<'G'
stages:
  curve:
    kind: echo-metrics
    config: {epochs: 5, noise: 0.1, sleep: 0.02}
    axes: {value: [1, 2, 3, 4], rate: [0.5, 1]}
  nap: {kind: sleep, config: {seconds: 0.1}, replicates: 4}
  broken: {kind: crash, config: {after_epochs: 1}}
  diverge: {kind: echo-metrics, config: {nan_at: 1}}
  follow:
    kind: echo-metrics
    config: {input: c, epochs: 2}
    axes: {value: [1, 2, 3, 4], rate: [0.5, 1]}
    needs: {c: {stage: curve, match: [value, rate]}}
G
run_cmd farm run mixed.yaml -q --results farm --heartbeat 0.2 --timeout 30
like "$err" "22 runs selected, 0 already complete; this run: 20 complete, 1 failed, 1 diverged, 0 lost, 0 blocked, 0 not run \(2 workers" \
    "2-rank farm runs the mixed grid"
"$SEGREP" run mixed.yaml -q --results local 2>/dev/null
"$SEGREP" collect farm 2>/dev/null
"$SEGREP" collect local 2>/dev/null
is "$(no_elapsed farm/index.tsv)" "$(no_elapsed local/index.tsv)" "farm results == single-process results"
is "$(ls -a farm | grep -c tmp)" 0 "no temporary files left"
if command -v h5dump >/dev/null 2>&1; then
    ranks=$(for f in farm/*.h5; do attr "$f" rank; done | sort -u | tr '\n' ' ')
    is "$ranks" "0 1 " "both ranks ran runs (rank 0 works too)"
fi

# ---- interrupt the farm, then resume == uninterrupted ----------------------------
# SIGTERM (what Slurm sends) to mpirun, which forwards it to the ranks (after
# a delay of about a second with Open MPI 4). SIGINT behaves the same from a
# terminal, but a background job of a non-interactive shell ignores SIGINT.
cat > slow.yaml <<'G'
kind: echo-metrics
config: {epochs: 5, sleep: 0.08, noise: 0.1}
axes:
  value: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
G
"$SEGREP" run slow.yaml -q --results whole 2>/dev/null
farm run slow.yaml -q --results part --heartbeat 0.2 --timeout 30 >/dev/null 2>part.err &
fp=$!
i=0
while [ "$(ls part 2>/dev/null | grep -c '\.h5$')" -lt 2 ] && [ $i -lt 1200 ]; do
    sleep 0.05; i=$((i + 1))
done
for p in $(pgrep -x mpirun); do
    [ "$(readlink "/proc/$p/cwd")" = "$T" ] && kill -TERM "$p"
done
wait $fp
n=$(ls part | grep -c '\.h5$')
diag "farm interrupted after $n of 16 runs"
like "$(cat part.err)" "this run: $n complete, 0 failed, 0 diverged, 0 lost, 0 blocked, $((16 - n)) not run" \
    "SIGTERM: current runs finish, the rest are counted as not run"
is "$(ls -a part | grep -c tmp)" 0 "SIGTERM: no temporary file left"
run_cmd farm run slow.yaml -q --results part --heartbeat 0.2 --timeout 30
like "$err" "16 runs selected, $n already complete; this run: $((16 - n)) complete" "the farm resumes"
"$SEGREP" collect whole 2>/dev/null
"$SEGREP" collect part 2>/dev/null
is "$(no_elapsed part/index.tsv)" "$(no_elapsed whole/index.tsv)" \
    "interrupted + resumed farm == uninterrupted single process"

# ---- a worker killed mid-grid ------------------------------------------------
cat > naps.yaml <<'G'
kind: sleep
config: {seconds: 0.4}
axes:
  epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
G
kill_rank1() { # wait for 2 complete runs in $1, then SIGKILL rank 1 of our farm
    i=0
    while [ "$(ls "$1" 2>/dev/null | grep -c '\.h5$')" -lt 2 ] && [ $i -lt 1200 ]; do
        sleep 0.05; i=$((i + 1))
    done
    killed=
    for p in $(pgrep -x segrep); do
        [ "$(readlink "/proc/$p/cwd")" = "$T" ] || continue
        if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=1$'; then
            kill -9 "$p" && killed=$p
        fi
    done
    [ -n "$killed" ]
}

farm run naps.yaml -q --results k0 --retries 0 --heartbeat 0.2 --timeout 5 >/dev/null 2>k0.err &
mp=$!
ok "rank 1 found and killed (SIGKILL) mid-grid" kill_rank1 k0
wait $mp
like "$(cat k0.err)" "12 runs selected, 0 already complete; this run: 11 complete, 0 failed, 0 diverged, 1 lost" \
    "farm finishes with the survivor; the killed worker's run is lost (--retries 0)"
like "$(cat k0.err)" "lost: worker on rank 1 stopped sending heartbeats" "the summary says why"
is "$(ls k0 | grep -c '\.h5$')" 11 "11 run files, no partial file at a final name"
ls k0 | grep '\.h5$' | sort > k0.before
run_cmd "$SEGREP" run naps.yaml -q --results k0
like "$err" "12 runs selected, 11 already complete; this run: 1 complete" "a second segrep run completes the rest"
is "$(ls k0 | grep -c '\.h5$')" 12 "all 12 runs complete"
is "$(ls k0 | grep '\.h5$' | sort | comm -23 k0.before -)" "" "no complete run lost"
is "$(ls -a k0 | grep -c tmp)" 0 "the killed run's temporary file was cleaned up"
if command -v h5dump >/dev/null 2>&1; then
    is "$(for f in k0/*.h5; do attr "$f" attempt; done | sort | uniq -c | tr -s ' ')" " 12 1" \
        "each run ran once (no duplicates)"
fi

farm run naps.yaml -q --results k1 --retries 1 --heartbeat 0.2 --timeout 5 >/dev/null 2>k1.err &
mp=$!
ok "rank 1 killed again" kill_rank1 k1
wait $mp
like "$(cat k1.err)" "this run: 12 complete, 0 failed, 0 diverged, 0 lost" \
    "with --retries 1 the lost run is re-queued to the survivor"
if command -v h5dump >/dev/null 2>&1; then
    is "$(for f in k1/*.h5; do attr "$f" attempt; done | sort | uniq -c | tr -s ' ')" " 11 1
 1 2" "one run needed a second attempt, none ran twice to completion"
fi

# ---- a hung run: past --run-timeout it is abandoned, the farm goes on ------------
cat > hang.yaml <<'G'
stages:
  quick: {kind: sleep, config: {seconds: 0.1}, replicates: 6}
  stuck: {kind: sleep, config: {seconds: 600}}
G
run_cmd farm run hang.yaml -q --results hang --retries 0 --heartbeat 0.2 --timeout 30 --run-timeout 3
like "$err" "7 runs selected, 0 already complete; this run: 6 complete, 0 failed, 0 diverged, 1 lost" \
    "a run past --run-timeout is lost, the others complete, the farm ends"
like "$err" "exceeded the run timeout" "the summary says why"
is "$(ls -a hang | grep -c tmp)" 0 "the abandoned run left no temporary file"
done_testing
