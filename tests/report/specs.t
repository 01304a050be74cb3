#!/bin/sh
# Every table spec in paper-tables/specs/ renders with an empty result store
# to Markdown, LaTeX and CSV; every published cell of its table appears in
# all three with its printed text; every cell the spec computes is a
# published cell (a spec naming an unknown table, row, column or cell
# fails); every spec is attached to an entry of experiments/reproduce.yaml.
# The checks themselves are shown to fail on a bad table id, row id and
# column id. Nothing is trained (tests/report/specs-runs.t renders specs
# from real runs).
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-specs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
P="$SRCDIR/paper-tables"
mkdir "$T/empty"

# Published cells of a table file: row TAB column TAB text (YAML unescaped).
published_cells() {
    awk '/^  - \{row: / {
        r = $0; sub(/^  - \{row: /, "", r); sub(/,.*/, "", r)
        c = $0; sub(/.*, column: /, "", c); sub(/,.*/, "", c)
        t = $0; sub(/.*, text: "/, "", t)
        out = ""
        for (i = 1; i <= length(t); i++) {
            ch = substr(t, i, 1)
            if (ch == "\\") { i++; out = out substr(t, i, 1); continue }
            if (ch == "\"") break
            out = out ch
        }
        printf "%s\t%s\t%s\n", r, c, out
    }' "$1"
}

# segrep table's CSV as row TAB column TAB status TAB published_text.
csv_cells() {
    awk 'NR > 1 {
        n = 0; f = ""; q = 0
        for (i = 1; i <= length($0); i++) {
            ch = substr($0, i, 1)
            if (q) {
                if (ch == "\"" && substr($0, i + 1, 1) == "\"") { f = f "\""; i++ }
                else if (ch == "\"") q = 0
                else f = f ch
            } else if (ch == "\"") q = 1
            else if (ch == ",") { x[++n] = f; f = "" }
            else f = f ch
        }
        x[++n] = f
        printf "%s\t%s\t%s\t%s\n", x[1], x[2], x[5], x[12]
    }' "$1"
}

nspecs=0
for spec in "$P"/specs/*.yaml; do
    name=$(basename "$spec" .yaml)
    nspecs=$((nspecs + 1))
    tab=$(sed -n 's/^table: *//p' "$spec" | tr -d '"')
    base=$(sed -n 's/^output: *//p' "$spec")
    [ -n "$base" ] || base=$(printf '%s' "$tab" | tr / -)
    run_cmd "$SEGREP" table "$spec" --results "$T/empty" -o "$T/out" -f csv
    is "$rc" 0 "$name: renders with no runs"
    [ "$rc" = 0 ] || { diag "$err"; continue; }
    for f in md tex csv; do
        ok "$name: writes $base.$f" test -s "$T/out/$base.$f"
    done
    pub="$P/$tab.yaml"
    published_cells "$pub" > "$T/pub.tsv"
    csv_cells "$T/out/$base.csv" > "$T/csv.tsv"
    npub=$(wc -l < "$T/pub.tsv" | tr -d ' ')
    ok "$name: $tab has published cells ($npub)" test "$npub" -gt 0
    # every published cell: its CSV line carries the printed text; md and tex show it
    missing=$(awk -F'\t' 'NR == FNR { k[$1 "\t" $2] = $4; seen[$1 "\t" $2] = 1; next }
        !(($1 "\t" $2) in seen) || k[$1 "\t" $2] != $3 { print $1 "/" $2 " (" $3 ")" }' \
        "$T/csv.tsv" "$T/pub.tsv")
    is "$missing" "" "$name: csv: all $npub published cells with their printed text"
    # (one awk per file: the texts are looked up as plain strings)
    bad_md=$(awk -F'\t' 'FNR == NR { doc = doc $0 "\n"; next }
        { t = $3; gsub(/\|/, "\\|", t)
          if (!index(doc, "| " t " |") && !index(doc, "| **" t "** |")) printf " %s/%s", $1, $2 }' \
        "$T/out/$base.md" "$T/pub.tsv")
    bad_tex=$(awk -F'\t' 'FNR == NR { doc = doc $0 "\n"; next }
        { t = ""
          for (i = 1; i <= length($3); i++) {
              ch = substr($3, i, 1)
              if (ch ~ /[&%#]/ && (i == 1 || substr($3, i - 1, 1) != "\\")) t = t "\\"
              t = t ch
          }
          if (!index(doc, "& " t " &") && !index(doc, "& \\textbf{" t "} &")) printf " %s/%s", $1, $2 }' \
        "$T/out/$base.tex" "$T/pub.tsv")
    is "$bad_md" "" "$name: md shows every published value"
    is "$bad_tex" "" "$name: tex shows every published value"
    # every computed cell is a published one, and with no runs it says so
    extra=$(awk -F'\t' '$3 != "n/s" && $4 == "" { print $1 "/" $2 }' "$T/csv.tsv")
    is "$extra" "" "$name: every specified cell is a published cell"
    nspec=$(awk -F'\t' '$3 != "n/s"' "$T/csv.tsv" | wc -l | tr -d ' ')
    nnoruns=$(awk -F'\t' '$3 == "no runs"' "$T/csv.tsv" | wc -l | tr -d ' ')
    ok "$name: specifies some cells ($nspec)" test "$nspec" -gt 0
    is "$nnoruns" "$nspec" "$name: with no runs every specified cell is 'no runs'"
    like "$(cat "$T/out/$base.md")" "Cells: [0-9]+, reproduced: 0, no runs: $nspec\." "$name: md counts"
    # attached to the reproduction manifest
    ok "$name: referenced by experiments/reproduce.yaml" \
        grep -q "paper-tables/specs/$name.yaml" "$SRCDIR/experiments/reproduce.yaml"
done
ok "found the specs ($nspecs)" test "$nspecs" -ge 13

# ---- the checks fail where they should ----------------------------------------
mkdir -p "$T/pt/specs"
cp -r "$P/thesis" "$T/pt/"
spec="$P/specs/thesis-table-4.3.yaml"
sed 's/^table: thesis\/table-4.3/table: thesis\/table-4.30/' "$spec" > "$T/pt/specs/bad-id.yaml"
run_cmd "$SEGREP" table "$T/pt/specs/bad-id.yaml" --results "$T/empty" -n
is "$rc" 1 "an unknown table id fails"
like "$err" "bad-id.yaml:[0-9]+:[0-9]+: unknown table 'thesis/table-4.30'" "... named with its position"
sed 's/^  constant_alpha_0_05:/  constant_alpha_0_055:/' "$spec" > "$T/pt/specs/bad-row.yaml"
run_cmd "$SEGREP" table "$T/pt/specs/bad-row.yaml" --results "$T/empty" -n
is "$rc" 1 "an unknown row id fails"
like "$err" "unknown row 'constant_alpha_0_055' in thesis/table-4.3 \(did you mean 'constant_alpha_0_05'\?\)" \
    "... with a suggestion"
sed 's/^  isles_dsc:/  isles_dice:/' "$spec" > "$T/pt/specs/bad-col.yaml"
run_cmd "$SEGREP" table "$T/pt/specs/bad-col.yaml" --results "$T/empty" -n
is "$rc" 1 "an unknown column id fails"
like "$err" "unknown column 'isles_dice'" "... named"
printf 'compare: maybe\n' >> "$T/pt/specs/bad-cmp.yaml"
sed '/^compare/d' "$spec" >> "$T/pt/specs/bad-cmp.yaml"
run_cmd "$SEGREP" table "$T/pt/specs/bad-cmp.yaml" --results "$T/empty" -n
is "$rc" 1 "compare: not a boolean fails"
like "$err" "bad-cmp.yaml:1:10: compare: expected true or false" "... with its position"

# ---- compare: false and the description, on the fixture table ------------------------
cat > "$T/grid.yaml" <<'G'
kind: echo-metrics
config: {epochs: 4}
axes:
  rate: [0.1, 1]
G
"$SEGREP" run "$T/grid.yaml" --results "$T/res" -q 2>/dev/null
cat > "$T/cmp.yaml" <<'S'
table: toy/table-1
description: "dice of the echo runs | not the published quantity"
columns:
  loss: {metric: loss}
  dice: {metric: dice, compare: false}
rows:
  slow: {select: {rate: 0.1}}
  fast: {select: {rate: 1}}
cells:
  - {row: fast, column: loss, metric: loss, compare: false}
S
run_cmd "$SEGREP" table "$T/cmp.yaml" --tables "$SRCDIR/tests/report/fixtures/tables" \
    --results "$T/res" -o "$T/cmp" -f csv
is "$rc" 0 "compare: false renders"
diffs=$(awk -F, 'NR > 1 && $5 == "ok" { print $1 "/" $2 "=" ($14 == "" ? "none" : "taken") }' \
    "$T/cmp/toy-table-1.csv" | tr '\n' ' ')
is "$diffs" "slow/loss=taken slow/dice=none fast/loss=none fast/dice=none " \
    "csv: no difference where compare is false (column, and a cell over its row)"
md=$(cat "$T/cmp/toy-table-1.md")
like "$md" "^Reproduced here: dice of the echo runs \\\\\| not the published quantity$" "md: the description, escaped"
like "$md" "\"n/c\": not comparable" "md: the legend explains n/c"
like "$md" "\*\*0\.70\*\* \| n/c \|" "md: n/c in the diff column"
like "$md" "\| 0\.500 \(0\.010\) \| [-+][0-9]" "md: a difference where compared"
tex=$(cat "$T/cmp/toy-table-1.tex")
like "$tex" "^% reproduced here: dice of the echo runs" "tex: the description as a comment"
like "$tex" "& n/c" "tex: n/c"
run_cmd "$SEGREP" table "$SRCDIR/paper-tables/specs/thesis-table-4.3.yaml" --results "$T/empty" -n -f md
unlike "$out" "n/c" "a spec that compares shows no n/c"

done_testing
