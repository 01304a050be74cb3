#!/bin/sh
# segrep reproduce: runs a manifest's experiments for a profile, skips those
# whose datasets are missing, writes tables and figures, resumes, and rejects
# bad manifests with file:line:column.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d /tmp/segrep-reproduce.XXXXXX)
trap 'rm -rf "$T"' EXIT
M="$SRCDIR/tests/cli/fixtures/reproduce/reproduce.yaml"

run_cmd "$SEGREP" reproduce quick --manifest "$M" --results "$T/res" --list
is "$rc" 0 "--list exits 0"
like "$out" '^echo +runs$' "--list: echo runs under quick"
like "$out" "^needs-data +has no 'quick' profile$" "--list: needs-data has no quick profile"
[ -d "$T/res" ] && is "exists" "absent" "--list writes nothing" || is "absent" "absent" "--list writes nothing"

run_cmd "$SEGREP" reproduce quick --manifest "$M" --results "$T/res" -q
is "$rc" 0 "quick profile exits 0"
n=$(ls "$T/res/quick/echo"/*.h5 2>/dev/null | wc -l)
is "$n" 4 "four run files in results/quick/echo"
like "$err" 'echo +complete -> ' "summary says echo is complete"
for f in md tex csv; do
    ok "table written as .$f" test -s "$T/res/quick/tables/toy-table-1.$f"
done
like "$out" '\| Slow decay' "the table is printed"
ok "analytic figure rendered (png)" test -s "$T/res/quick/plots/thesis-fig-1.6.png"
# Regression: commands run in-process one after another must each parse
# their own options (getopt state was kept when argv reused an address).
ok "second analytic figure rendered too" test -s "$T/res/quick/plots/all-fig-1.png"
if command -v h5dump >/dev/null 2>&1; then
    f=$(ls "$T/res/quick/echo"/*.h5 | head -n 1)
    run_cmd h5dump -a status "$f"
    like "$out" '"complete"' "run files are real HDF5 with status complete"
fi
csv1=$(cat "$T/res/quick/tables/toy-table-1.csv")

run_cmd "$SEGREP" reproduce quick --manifest "$M" --results "$T/res" -q
is "$rc" 0 "second call exits 0"
like "$err" '4 runs selected, 4 already complete; this run: 0 complete' "second call resumes: nothing re-run"
is "$(cat "$T/res/quick/tables/toy-table-1.csv")" "$csv1" "tables regenerate identically"

run_cmd "$SEGREP" reproduce paper --manifest "$M" --results "$T/res" -q
is "$rc" 0 "paper profile without datasets exits 0"
like "$err" "needs-data +skipped: needs dataset 'acdc' \(pass --dataset DIR\)" "missing dataset: skipped with the reason"
n=$(ls "$T/res/paper/echo"/*.h5 2>/dev/null | wc -l)
is "$n" 4 "paper profile ran the synthetic experiment"

mkdir -p "$T/ds"
run_cmd "$SEGREP" reproduce paper --manifest "$M" --results "$T/res" --dataset "$T/ds" --list
like "$out" "needs dataset 'acdc' \(.*/ds/acdc.h5 not found\)" "--dataset DIR without the file: named"

run_cmd "$SEGREP" reproduce quick --manifest "$M" --results "$T/res" --only ehco
is "$rc" 2 "unknown --only name: exit 2"
like "$err" "no experiment 'ehco' \(did you mean 'echo'\?\)" "unknown --only name: suggestion"

run_cmd "$SEGREP" reproduce fast --manifest "$M" --results "$T/res"
is "$rc" 2 "unknown profile: exit 2"
like "$err" "no experiment in .* has a 'fast' profile" "unknown profile named"

cat > "$T/bad.yaml" <<'B'
experiments:
  echo:
    grid: grid.yaml
    profile: [quick]
B
run_cmd "$SEGREP" reproduce quick --manifest "$T/bad.yaml" --results "$T/res2"
is "$rc" 2 "bad manifest: exit 2"
like "$err" "bad.yaml:4:5: unknown key 'profile' in an experiment \(did you mean 'profiles'\?\)" \
    "bad manifest: file:line:column and suggestion"
ok "bad manifest: no results written" test ! -e "$T/res2"

run_cmd "$SEGREP" reproduce quick --manifest "$T/missing.yaml"
is "$rc" 2 "missing manifest: exit 2"
like "$err" "missing.yaml" "missing manifest named"

done_testing
