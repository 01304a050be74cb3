#!/bin/sh
# segrep check catches what it must: a perturbed result, an edited reference
# beyond its tolerance, a missing run, a shifted mean (statistical), a
# one-ulp-scale change (bitwise) and unpinned threads; it lists every
# violation; --bless rewrites references atomically and records why; a bad
# golden file is one line with file:line:col.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-check.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
G="$SRCDIR/tests/golden"
nlines() { if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l | tr -d ' '; fi; }
# scale the first reference value (a line "      - <number>") by factor $2
scale_first() { # file factor
    awk -v f="$2" 'done != 1 && /^      - [-0-9]/ { printf "      - %.17g\n", $2 * f; done = 1; next } { print }' "$1"
}

"$SEGREP" run "$G/echo-decay/grid.yaml" --results "$T/decay" -q 2>/dev/null
"$SEGREP" run "$G/echo-noise-stat/grid.yaml" --results "$T/stat" -q 2>/dev/null
"$SEGREP" run "$G/echo-bitwise/grid.yaml" --results "$T/bit" -q 2>/dev/null

# ---- the references are the closed forms -------------------------------------
# loss = value * exp(-rate * e): rate 0.5, value 1, last epoch 9
first=$(awk '/^      - [-0-9]/ { print $2; exit }' "$G/echo-decay/golden.yaml")
ok "golden loss equals exp(-4.5) to 1e-15" \
    awk -v v="$first" 'BEGIN { d = v - exp(-4.5); exit !(d < 1e-15 && d > -1e-15) }'

# ---- a perturbed result is caught, every violation listed ---------------------
"$SEGREP" run "$G/echo-decay/grid.yaml" --results "$T/decay11" -q config.epochs=11 2>/dev/null
run_cmd "$SEGREP" check "$G/echo-decay/golden.yaml" --results "$T/decay11"
is "$rc" 1 "perturbed runs (11 epochs instead of 10): exit 1"
is "$(nlines "$out")" 6 "all six violating values listed, not just the first"
like "$out" "golden.yaml:[0-9]+:[0-9]+: loss \{\"rate\":0.5,\"value\":1\}: replicate 0 \(run [0-9a-f]+\): got" \
    "a violation names the reference's position, selection and run"
unlike "$out" "at\":3" "the unchanged epoch-3 value is not reported"
like "$err" "6 violations" "summary counts them"

# ---- an edited reference: beyond and within the tolerance ---------------------
scale_first "$G/echo-decay/golden.yaml" 1.00000001 > "$T/far.yaml"
run_cmd "$SEGREP" check "$T/far.yaml" --results "$T/decay"
is "$rc" 1 "reference off by 1e-8 relative (rel 1e-9): exit 1"
is "$(nlines "$out")" 1 "exactly one violation"
scale_first "$G/echo-decay/golden.yaml" 1.0000000000001 > "$T/near.yaml"
run_cmd "$SEGREP" check "$T/near.yaml" --results "$T/decay"
is "$rc" 0 "reference off by 1e-13 relative: within tolerance, exit 0"

# ---- a missing run -------------------------------------------------------------
cp -r "$T/decay" "$T/decay_missing"
rm "$(ls "$T"/decay_missing/*.h5 | head -n 1)"
run_cmd "$SEGREP" check "$G/echo-decay/golden.yaml" --results "$T/decay_missing"
is "$rc" 1 "a missing run: exit 1"
like "$out" "0 runs match, the reference has 1 values|1 runs match, the reference has 2 values" \
    "the run count is checked"
run_cmd "$SEGREP" check "$G/echo-decay/golden.yaml" --results "$T/nothing"
is "$rc" 1 "an empty store fails"
is "$(nlines "$out")" 6 "every reference reports its missing runs"

# ---- statistical mode ---------------------------------------------------------
run_cmd "$SEGREP" check "$G/echo-noise-stat/golden.yaml" --results "$T/stat"
is "$rc" 0 "statistical: the same seeds pass"
"$SEGREP" run "$G/echo-noise-stat/grid.yaml" --results "$T/stat_slow" -q config.value=1.5 2>/dev/null
run_cmd "$SEGREP" check "$G/echo-noise-stat/golden.yaml" --results "$T/stat_slow"
is "$rc" 1 "statistical: a shifted mean (value 1.5 instead of 1) is caught"
like "$out" "loss .*mean over 4 runs .* > k\*std \+ abs" "statistical: the violation says mean, k and std"

# ---- bitwise mode --------------------------------------------------------------
run_cmd "$SEGREP" check "$G/echo-bitwise/golden.yaml" --results "$T/bit"
is "$rc" 0 "bitwise: identical runs pass"
scale_first "$G/echo-bitwise/golden.yaml" 1.00000000000001 > "$T/bit_ulp.yaml"
run_cmd "$SEGREP" check "$T/bit_ulp.yaml" --results "$T/bit"
is "$rc" 1 "bitwise: a change of 1e-14 relative is caught"
like "$out" "bit for bit" "bitwise: says so"
sed 's/^threads: 1$/threads: 2/' "$G/echo-bitwise/golden.yaml" > "$T/bit_threads.yaml"
run_cmd "$SEGREP" check "$T/bit_threads.yaml" --results "$T/bit"
is "$rc" 1 "bitwise: runs computed with another thread count fail"
like "$out" "computed with blas_threads 1, bitwise references need 2" "bitwise: names the thread counts"

# ---- bless ---------------------------------------------------------------------
cp "$G/echo-decay/golden.yaml" "$T/bless.yaml"
run_cmd "$SEGREP" check "$T/bless.yaml" --results "$T/decay11" --bless
is "$rc" 2 "--bless without --reason: usage error"
run_cmd "$SEGREP" check "$T/bless.yaml" --results "$T/decay11" --bless --reason "eleven epochs now"
is "$rc" 0 "bless exits 0"
like "$(cat "$T/bless.yaml")" "reason: eleven epochs now" "the reason is recorded"
like "$(cat "$T/bless.yaml")" "at: \"20[0-9-]+T[0-9:]+Z\"" "the time is recorded"
like "$(cat "$T/bless.yaml")" "commit: " "the commit is recorded"
run_cmd "$SEGREP" check "$T/bless.yaml" --results "$T/decay11"
is "$rc" 0 "blessed references pass on the new runs"
run_cmd "$SEGREP" check "$T/bless.yaml" --results "$T/decay"
is "$rc" 1 "and fail on the old ones"
cp "$T/bless.yaml" "$T/bless.before"
run_cmd "$SEGREP" check "$T/bless.yaml" --results "$T/nothing" --bless --reason "x"
is "$rc" 1 "bless with no matching runs fails"
ok "a failed bless leaves the file untouched" cmp -s "$T/bless.yaml" "$T/bless.before"
ok "no temporary left behind" test -z "$(ls -a "$T" | grep '\.tmp\.')"

# ---- bad golden files ----------------------------------------------------------
bad() { # name text expected
    printf '%s' "$2" > "$T/$1.yaml"
    run_cmd "$SEGREP" check "$T/$1.yaml" --results "$T/decay"
    is "$rc" 1 "$1: exit 1"
    is "$(nlines "$err")" 1 "$1: one line"
    like "$err" "$3" "$1: message"
}
bad unknown_axis 'references:
  - {select: {rtae: 0.5}, metric: loss, values: [1]}
' "unknown_axis.yaml:2:15: unknown axis 'rtae' .*did you mean 'rate'"
bad unknown_metric 'references:
  - {select: {rate: 0.5}, metric: lsos, values: [1]}
' "unknown_metric.yaml:2:35: unknown metric 'lsos' .*did you mean 'loss'"
bad unknown_key 'mode: tolerance
tolerance: 1
references: []
' "unknown_key.yaml:2:1: unknown key 'tolerance'"
bad bad_mode 'mode: exact
references: []
' "bad_mode.yaml:1:7: mode: expected tolerance, bitwise or statistical"
done_testing
