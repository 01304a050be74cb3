#!/bin/sh
# segrep plot: analytic figures against closed forms (log-barrier and its
# extension, ALL derivative) and invariants (problem C.4 paths), curves from
# an echo-metrics store (mean and std over runs = closed form), real PNG
# and SVG from gnuplot, a self-contained script, byte-identical
# regeneration, and bad specs as one line with file:line:column.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-plot.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# column $3 of block $2 (0-based) of .dat file $1 at the row whose column 1 is $4
col_at() { awk -v b="$2" -v c="$3" -v x="$4" '
    /^#/ { next } NF == 0 { if (prev) blk++; prev = 0; next }
    { prev = 1; if (blk == b && $1 + 0 == x + 0) { print $c; exit } }' "$1"; }
close_to() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# ---- log-barrier (thesis Fig. 1.6) ---------------------------------------------
cat > "$T/lb.yaml" <<'S'
plot: lb
figure: {kind: log-barrier, t: [2, 5], z: [-1, 1], points: 5}
S
run_cmd "$SEGREP" plot "$T/lb.yaml" -o "$T/out"
is "$rc" 0 "log-barrier: exit 0"
d="$T/out/lb.dat"
ok "psi_2(-0.5) = -log(0.5)/2" close_to "$(col_at "$d" 0 2 -0.5)" 0.34657359028 1e-9
ok "extension equals psi below -1/t^2" close_to "$(col_at "$d" 0 3 -0.5)" 0.34657359028 1e-9
is "$(col_at "$d" 0 2 0.5)" "nan" "psi_2(0.5) is +inf: written as NaN (not drawn)"
ok "extension at 0.5: t z + 2 log(t)/t + 1/t" close_to "$(col_at "$d" 0 3 0.5)" 2.19314718056 1e-9
ok "t = 5, z = 0: 2 log(5)/5 + 1/5" close_to "$(col_at "$d" 1 3 0)" 0.84377516497 1e-9
ok "a PNG is rendered" sh -c "head -c 8 '$T/out/lb.png' | od -An -c | grep -q 'P   N   G'"
ok "an SVG is rendered" grep -q "<svg" "$T/out/lb.svg"
ok "the PNG is not empty (> 5 kB)" test "$(wc -c < "$T/out/lb.png")" -gt 5000

# ---- ALL derivative (ALL Fig. 1) -----------------------------------------------
cat > "$T/all.yaml" <<'S'
figure: {kind: all-derivative, gamma: [0.1, 0.3], omega: 10, epsilon: 0.5, points: 21}
S
run_cmd "$SEGREP" plot "$T/all.yaml" -o "$T/out" --no-render
is "$rc" 0 "all-derivative: exit 0"
d="$T/out/all.dat"
ok "ALL'(0) = omega/epsilon" close_to "$(col_at "$d" 0 2 0)" 20 1e-9
ok "ALL'(0.05) = omega/(epsilon + L) below gamma" close_to "$(col_at "$d" 0 2 0.05)" 18.1818181818 1e-8
ok "ALL'(0.5) = 1 above gamma" close_to "$(col_at "$d" 0 2 0.5)" 1 1e-12
ok "ALL'(0.25) for gamma 0.3 = 10/0.75" close_to "$(col_at "$d" 1 2 0.25)" 13.3333333333 1e-8
ok "the spec's base name names the outputs; --no-render writes no PNG" test ! -e "$T/out/all.png"

# ---- problem C.4 paths (Lovasz Fig. C.1) ---------------------------------------
cat > "$T/c4.yaml" <<'S'
plot: c4
figure: {kind: pwl-c4, nu: [1, 0.1], steps: 20}
S
run_cmd "$SEGREP" plot "$T/c4.yaml" -o "$T/out"
is "$rc" 0 "pwl-c4: exit 0"
d="$T/out/c4.dat"
is "$(awk '/^#/ { n++ } END { print n }' "$d")" 6 "2 nu x 3 methods = 6 blocks"
is "$(col_at "$d" 3 2 0) $(col_at "$d" 3 3 0)" "1 0.05" "x0 = (1, nu/2) for nu = 0.1"
ok "the proximal path never increases f" awk '
    /^# nu = .*, prox/ { on = 1; last = ""; next } /^#/ { on = 0 } NF == 0 { next }
    on { if (last != "" && $4 > last + 1e-12) bad = 1; last = $4 } END { exit bad }' "$d"
ok "f along every path is max(0, nu x1, x2)" awk '
    /^# nu = / { nu = $4 + 0; sub(",", "", nu); next } NF == 0 { next }
    { f = 0; if (nu * $2 > f) f = nu * $2; if ($3 > f) f = $3; d = f - $4; if (d < 0) d = -d; if (d > 1e-9) bad = 1 }
    END { exit bad }' "$d"
ok "multiplot PNG rendered" test -s "$T/out/c4.png"

# ---- loss gradients w.r.t. the softmax (thesis Fig. 1.2) -------------------
cat > "$T/grad.yaml" <<'S'
plot: grad
figure: {kind: loss-gradients, size: 16, gt: [7, 7, 4], pred: [9, 8, 3, 1.5]}
S
run_cmd "$SEGREP" plot "$T/grad.yaml" -o "$T/out"
is "$rc" 0 "loss-gradients: exit 0"
is "$(grep -c '^#' "$T/out/grad.dat")" 5 "five panels: y, s, L2, CE, DSC"
# Independent check of every pixel: I, U from panels (a) and (b), then the
# closed forms 2(s - y), -y/s and -2(y U - I)/U^2 against panels (c)-(e).
ok "every pixel of (c)-(e) equals its closed form" awk '
    /^#/ { b++; next } NF == 0 { next }
    { k = $1 "," $2 }
    b == 1 { y[k] = $3 } b == 2 { s[k] = $3; I += $3 * y[k]; U += $3 + y[k] }
    b == 3 { w[k] = $3 } b == 4 { c[k] = $3 } b == 5 { d[k] = $3 }
    END {
        for (k in y) {
            e1 = w[k] - 2 * (s[k] - y[k]); e2 = c[k] - (y[k] > 0 ? -y[k] / s[k] : 0)
            e3 = d[k] - (-2 * (y[k] * U - I) / (U * U))
            if (e1 < 0) e1 = -e1; if (e2 < 0) e2 = -e2; if (e3 < 0) e3 = -e3
            if (e1 > 1e-8 || e2 > 1e-6 || e3 > 1e-9 * 2 / U) bad++
            n++
        }
        exit !(n == 256 && bad == 0)
    }' "$T/out/grad.dat"
ok "Fig. 1.2 PNG rendered" test -s "$T/out/grad.png"

# ---- self-contained script, byte-identical regeneration -----------------------
cp "$T/out/lb.gp" "$T/out/lb.dat" "$T/"
"$SEGREP" plot "$T/lb.yaml" -o "$T/out" 2>/dev/null
ok "regenerated .gp is byte-identical" cmp -s "$T/lb.gp" "$T/out/lb.gp"
ok "regenerated .dat is byte-identical" cmp -s "$T/lb.dat" "$T/out/lb.dat"
if gp=$(command -v gnuplot); then
    mkdir "$T/alone" && cp "$T/lb.gp" "$T/lb.dat" "$T/alone/"
    ok "the script renders on its own" sh -c "cd '$T/alone' && '$gp' lb.gp && test -s lb.png && test -s lb.svg"
else
    skip "gnuplot not on PATH" 1
fi

# ---- curves from runs ------------------------------------------------------------
cat > "$T/grid.yaml" <<'G'
kind: echo-metrics
config: {epochs: 5}
axes:
  rate: [0.5]
  value: [1, 2]
G
"$SEGREP" run "$T/grid.yaml" --results "$T/res" -q 2>/dev/null
cat > "$T/curves.yaml" <<'S'
plot: curves
series:
  - {label: "loss", select: {rate: 0.5}, metric: loss}
  - {label: "lr", select: {rate: 0.5, value: 1}, metric: lr, band: none}
S
run_cmd "$SEGREP" plot "$T/curves.yaml" --results "$T/res" -o "$T/out"
is "$rc" 0 "curves: exit 0"
d="$T/out/curves.dat"
ok "epoch 2 mean = 1.5 exp(-1)" close_to "$(col_at "$d" 0 2 2)" 0.551819161757 1e-9
ok "epoch 2 std = 0.5 sqrt(2) exp(-1) (sample std)" close_to "$(col_at "$d" 0 3 2)" 0.260130047 1e-8
is "$(col_at "$d" 0 4 2)" 2 "epoch 2 over 2 runs"
is "$(col_at "$d" 1 2 4)" 0.1 "schedules plot too (lr)"
like "$(cat "$T/out/curves.gp")" "filledcurves" "std band drawn"
ok "curves PNG rendered" test -s "$T/out/curves.png"

# ---- bad specs ---------------------------------------------------------------------
bad() { # name text expected
    printf '%s' "$2" > "$T/$1.yaml"
    run_cmd "$SEGREP" plot "$T/$1.yaml" --results "$T/res" -o "$T/bad_out"
    is "$rc" 1 "$1: exit 1"
    is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "$1: one line"
    like "$err" "$3" "$1: message"
    ok "$1: nothing written" test -z "$(ls "$T/bad_out" 2>/dev/null)"
}
bad unknown_figure 'figure: {kind: log-barier}
' "unknown_figure.yaml:1:16: unknown figure kind 'log-barier'.*did you mean 'log-barrier'"
bad unknown_metric 'series:
  - {select: {rate: 0.5}, metric: lsos}
' "unknown_metric.yaml:2:35: unknown metric 'lsos' .*did you mean 'loss'"
bad unknown_axis 'series:
  - {select: {rtae: 0.5}, metric: loss}
' "unknown_axis.yaml:2:15: unknown axis 'rtae'"
bad no_runs 'series:
  - {select: {rate: 9}, metric: loss}
' "no_runs.yaml:2:5: series selects no complete run"
bad bad_t 'figure: {kind: log-barrier, t: [1, -2]}
' "bad_t.yaml:1:32: t: values must be > 0"
bad both 'figure: {kind: pwl-c4}
series: []
' "both.yaml:1:1: a plot spec needs exactly one of"
run_cmd "$SEGREP" plot "$T/lb.yaml" -o "$T/gpfail" --gnuplot /bin/false
is "$rc" 1 "a failing gnuplot: exit 1"
ok "and no output left" test -z "$(ls "$T/gpfail" 2>/dev/null)"
done_testing
