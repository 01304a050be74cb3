#!/bin/sh
# The table specs from real runs: `segrep reproduce quick` and `paper` on
# experiments/reproduce.yaml itself, every entry made tiny by overrides
# appended to the entry (4 synthetic images, a narrow network, 2 epochs, one
# replicate; datasets replaced by the synthetic generators; the analytic
# figures left out). Every attached table is written; the cells the grids
# produce are reproduced from the expected number of runs with finite values;
# the others stay "no runs"/"n/s"; a few cells are checked against the runs'
# own summaries (written by the train kind, not by src/report).
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-specs-runs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
X="$SRCDIR/experiments"

# The manifest with absolute paths, tiny overrides after the entry's own
# (later overrides win), and no 'figures' section. Only the entries below
# (their tiny overrides are known); a new entry with tables needs its line
# in tiny() and in 'known' to be covered here.
awk -v src="$SRCDIR" '
BEGIN {
    split("thesis-ch3-toy adm-grid-crf adm-grid-crf-voc all-table-1 all-table-2 " \
          "all-table-3-isic all-table-3-dsb all-table-3-drive all-table-4 lovasz-B2-fold0 lovasz-B2-fold1 " \
          "lovasz-B2-fold2 thesis-ch4-alpha thesis-ch4-regional-isles thesis-ch4-regional-wmh", k, " ")
    for (i in k) known[k[i]] = 1
}
function tiny(n,   b) {
    b = "\"dataset.params=n_train=4 n_val=2 seed=0\", \"net.width=4\", \"net.depth=2\", " \
        "\"epochs=2\", \"batch_size=2\", \"replicates=1\""
    if (n == "thesis-ch3-toy")
        return "\"replicates=1\", \"epochs=2\", \"dataset.params=n_train=4 n_val=2 scale=0.0625 seed=0\""
    # epochs past from_epoch (30 quick, 17 paper): the regulariser acts in the last epoch
    if (n == "adm-grid-crf")
        return "\"axes.seed=[1]\", \"epochs=31\", \"dataset.params=n_train=4 n_val=2 width=16 classes=4 sigma=0.4 seed=0\""
    if (n == "adm-grid-crf-voc")
        return "\"dataset.source=synth\", \"dataset.generator=regions\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 classes=4 sigma=0.4 seed=0\", " \
               "\"net.width=4\", \"net.depth=2\", \"epochs=18\", \"batch_size=2\""
    if (n ~ /^lovasz/)
        return "\"dataset.source=synth\", \"dataset.generator=regions\", \"dataset.val_split=val\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 seed=0\", \"net.width=4\", \"epochs=2\", " \
               "\"batch_size=2\""
    return "\"dataset.source=synth\", \"dataset.generator=blobs\", " b
}
function flush() {
    if (name != "")
        printf "    overrides: [%s%s]\n", ov == "" ? "" : ov ", ", tiny(name)
    name = ""; ov = ""
}
/^figures:/ { flush(); skip = 1 }
skip { next }
/^  [A-Za-z0-9._-]+:$/ {
    flush(); name = $1; sub(/:$/, "", name); drop = !(name in known)
    if (drop) { name = ""; next }
}
drop && /^    / { next }
/^    overrides: \[.*\]$/ { ov = $0; sub(/^    overrides: \[/, "", ov); sub(/\]$/, "", ov); next }
/^    grid: / { sub(/grid: /, "grid: " src "/experiments/") }
/^    (tables|plots): / { gsub(/\.\.\//, src "/") }
{ print }
END { flush() }' "$X/reproduce.yaml" > "$T/manifest.yaml"
mkdir "$T/ds"
for d in $(sed -n 's/^    datasets: \[\(.*\)\]$/\1/p' "$X/reproduce.yaml" | tr -d ' ' | tr , '\n' | sort -u); do
    : > "$T/ds/$d.h5"   # present for the skip check; the overrides read no file
done

# segrep table's CSV as TSV (quoted fields: labels hold commas)
csv_tsv() {
    awk 'NR > 1 {
        n = 0; f = ""; q = 0
        for (i = 1; i <= length($0); i++) {
            ch = substr($0, i, 1)
            if (q) {
                if (ch == "\"" && substr($0, i + 1, 1) == "\"") { f = f "\""; i++ }
                else if (ch == "\"") q = 0
                else f = f ch
            } else if (ch == "\"") q = 1
            else if (ch == ",") { printf "%s\t", f; f = "" }
            else f = f ch
        }
        print f
    }' "$1"
}
# status:n_runs:value:spread of one cell
cell() { # profile output row column
    csv_tsv "$T/res/$1/tables/$2.csv" | awk -F'\t' -v r="$3" -v c="$4" \
        '$1 == r && $2 == c { print $5 ":" $6 ":" $7 ":" $8 }' | sed 's/^no runs/no_runs/'
}
# every specified cell: count of ok cells with a finite value from N runs, and of "no runs"
check_table() { # profile output n_ok n_noruns runs_per_cell
    f="$T/res/$1/tables/$2.csv"
    ok "$1: $2.csv written" test -s "$f"
    for x in md tex; do ok "$1: $2.$x written" test -s "$T/res/$1/tables/$2.$x"; done
    got=$(csv_tsv "$f" | awk -F'\t' -v n="$5" '
        $5 == "ok" && $6 == n && $7 ~ /^-?[0-9]/ && $7 !~ /nan|inf/ { a++ }
        $5 == "no runs" { b++ } END { printf "%d %d", a, b }')
    is "$got" "$3 $4" "$1: $2: $3 cells from $5 run(s) each, $4 'no runs'"
}
# a summary scalar of the run whose 'label' is L, from `segrep collect`'s index
summary() { # store label key
    awk -F'\t' -v l="$2" -v k="summary.$3" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "label") lc = i; if ($i == k) kc = i }; next }
        lc && kc && $lc == l { print $kc }' "$1/index.tsv"
}
close_to() { awk -v a="$1" -v b="$2" -v s="${3:-1}" 'BEGIN { d = a - s * b; exit !(a != "" && b != "" && d < 1e-12 && d > -1e-12) }'; }

# ---- quick -------------------------------------------------------------------------
run_cmd "$SEGREP" reproduce quick --manifest "$T/manifest.yaml" --dataset "$T/ds" --results "$T/res" -q
is "$rc" 0 "reproduce quick (tiny) exits 0"
[ "$rc" = 0 ] || diag "$err"
unlike "$err" "FAILED|INCOMPLETE|needs dataset" "quick: no entry failed or lacked its dataset"
check_table quick thesis-table-3.1 5 0 1
check_table quick adm-table-1 4 0 1
check_table quick adm-table-2 3 0 1
check_table quick all-table-1 6 18 1
check_table quick all-table-2 3 3 1
check_table quick all-table-3-dsb 12 0 1
check_table quick all-table-4 1 0 1
check_table quick lovasz-table-B.2-fold0 2 0 1
check_table quick thesis-table-4.3 12 10 1
is "$(cell quick all-table-1 epsilon_1_0 omega_8)" "no_runs:0::" "quick: a cell the quick profile does not run is 'no runs'"
is "$(cell quick all-table-3-dsb unet_tl dsb_recall | cut -d: -f1)" "n/s" "quick: a metric the kind does not store is 'n/s'"
is "$(cell quick all-table-4 unet_ftl dice | cut -d: -f1)" "n/s" "quick: a row quoted from the literature is 'n/s'"

# independent values: the train kind's own summaries of the same runs
"$SEGREP" collect "$T/res/quick/thesis-ch3-toy" >/dev/null 2>&1
"$SEGREP" collect "$T/res/quick/adm-grid-crf" >/dev/null 2>&1
"$SEGREP" collect "$T/res/quick/all-table-1" >/dev/null 2>&1
v=$(cell quick thesis-table-3.1 penalty synthetic | cut -d: -f3)
ok "toy penalty: last-10 mean = the run's val_dice_last10_mean ($v)" \
    close_to "$v" "$(summary "$T/res/quick/thesis-ch3-toy" penalty val_dice_last10_mean)"
s=$(cell quick thesis-table-3.1 penalty synthetic | cut -d: -f4)
ok "toy penalty: spread over epochs = the run's val_dice_last10_std ($s)" \
    close_to "$s" "$(summary "$T/res/quick/thesis-ch3-toy" penalty val_dice_last10_std)"
for c in train_gd:gd:train_potts_final train_adm:adm_g1.5:train_potts_final \
         val_gd:gd:val_potts_final val_adm:adm_g1.5:val_potts_final; do
    col=${c%%:*} rest=${c#*:} lab=${rest%%:*} key=${rest#*:}
    v=$(cell quick adm-table-1 deeplab_largefov "$col" | cut -d: -f3)
    ok "ADM Table 1 $col: the $lab run's crf_energy.$key ($v)" \
        close_to "$v" "$(summary "$T/res/quick/adm-grid-crf" "$lab" "crf_energy.$key")"
done
gd=$(cell quick adm-table-1 deeplab_largefov train_gd | cut -d: -f3)
adm=$(cell quick adm-table-1 deeplab_largefov train_adm | cut -d: -f3)
ok "ADM Table 1: GD and ADM cells read different runs ($gd vs $adm)" test "$gd" != "$adm"
v=$(cell quick all-table-1 epsilon_0_5 omega_10 | cut -d: -f3)
ok "ALL Table 1 (0.5, 10): 100 x the run's val_dice_best ($v)" \
    close_to "$v" "$(summary "$T/res/quick/all-table-1" "omega=10 epsilon=0.5" val_dice_best)" 100
like "$(cat "$T/res/quick/tables/all-table-1.md")" "\| \*{0,2}[0-9.]+ \[1\]\*{0,2} \| \*{0,2}82\.43\*{0,2} \| n/c \|" \
    "ALL Table 1 md: ours beside the published 82.43, marked not comparable"

# ---- paper (every entry, datasets replaced) ------------------------------------------
run_cmd "$SEGREP" reproduce paper --manifest "$T/manifest.yaml" --dataset "$T/ds" --results "$T/res" -q
is "$rc" 0 "reproduce paper (tiny) exits 0"
[ "$rc" = 0 ] || diag "$err"
unlike "$err" "FAILED|INCOMPLETE|needs dataset" "paper: no entry failed or lacked its dataset"
check_table paper thesis-table-3.1 5 0 1
check_table paper adm-table-1 4 0 1
check_table paper adm-table-2 3 0 1
check_table paper all-table-1 24 0 1
check_table paper all-table-2 6 0 1
for d in isic dsb drive; do check_table paper all-table-3-$d 12 0 1; done
check_table paper all-table-4 1 0 1
for f in 0 1 2; do check_table paper lovasz-table-B.2-fold$f 2 0 1; done
check_table paper thesis-table-4.3 22 0 1
check_table paper thesis-table-4.1-isles 20 0 1
check_table paper thesis-table-4.1-wmh 20 0 1
is "$(cell paper thesis-table-4.1-isles gdl wmh_dsc | cut -d: -f1)" "n/s" \
    "paper: the other dataset's column is 'n/s'"
like "$(cat "$T/res/paper/tables/thesis-table-4.3.md")" "\| \*{0,2}[0-9.]+ \[1\]\*{0,2} \| \*{0,2}0\.628 \(0\.023\)\*{0,2} \| [-+][0-9.]+ \|" \
    "thesis Table 4.3 md: a difference beside the published 0.628"

done_testing
