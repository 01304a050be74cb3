#!/bin/sh
# The golden set: every case tests/golden/<case>/ (grid.yaml + golden.yaml)
# end to end: segrep run the grid into a fresh store, then segrep check.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-golden.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
n=0
for dir in "$SRCDIR"/tests/golden/*/; do
    case=$(basename "$dir")
    [ -f "$dir/grid.yaml" ] && [ -f "$dir/golden.yaml" ] || continue
    n=$((n + 1))
    run_cmd "$SEGREP" run "$dir/grid.yaml" --results "$T/$case" -q
    is "$rc" 0 "$case: segrep run exits 0"
    run_cmd "$SEGREP" check "$dir/golden.yaml" --results "$T/$case"
    is "$rc" 0 "$case: segrep check passes"
    is "$out" "" "$case: no violations printed"
    like "$err" "[1-9][0-9]* values? compared, 0 violations" "$case: values were compared"
done
ok "at least three golden cases" test "$n" -ge 3
done_testing
