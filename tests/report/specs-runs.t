#!/bin/sh
# The table and plot specs from real runs: `segrep reproduce quick` and
# `paper` on experiments/reproduce.yaml itself, EVERY entry made tiny by
# overrides appended to the entry (a few synthetic images, a narrow network,
# 2 epochs, one replicate; datasets replaced by the synthetic generators; the
# analytic figures left out). An entry without a tiny override fails by name.
# For every entry and profile: its store has runs, each of its tables renders
# from that store with at least one reproduced (finite) cell, each of its
# plots has runs and points in every series. For every table, from the union
# of the stores of the entries that attach it: in the paper profile every
# cell with a published number has runs (a row/column/cell selector that
# matches no run of its grid fails). Every spec under paper-tables/specs/
# and plots/ is attached to the manifest. For the older entries, exact cell
# counts, and a few cells against the runs' own summaries (written by the
# train kind, not by src/report).
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-specs-runs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
X="$SRCDIR/experiments"

# The manifest with absolute paths, tiny overrides after the entry's own
# (later overrides win), and no 'figures' section. Every entry of the
# manifest is taken; tiny() knows each by name (or by its grid): an entry it
# does not know is left out of the runs and fails "has a tiny override"
# below, so a new entry cannot be skipped silently. Tiny: a few synthetic
# images of 16x16 or 32x32, width-4 networks, 2 epochs (more where a term
# starts late), one replicate. The paper profiles keep every run of their
# grids, so every row and column of every spec is checked against real runs
# of its own grid.
awk -v src="$SRCDIR" -v missing="$T/missing" '
function tiny(n, grid,   b, ph) {
    b = "\"dataset.params=n_train=4 n_val=2 seed=0\", \"net.width=4\", \"net.depth=2\", " \
        "\"epochs=2\", \"batch_size=2\", \"replicates=1\""
    # sliced phantom volumes (thesis ch. 2, 3 and 5 stand-ins): 16x16 slices
    ph = "\"dataset.source=synth\", \"dataset.generator=phantom\", \"net.width=4\", " \
         "\"epochs=2\", \"batch_size=2\", \"replicates=1\", "
    if (n == "thesis-ch3-toy")
        return "\"replicates=1\", \"epochs=2\", \"dataset.params=n_train=4 n_val=2 scale=0.0625 seed=0\""
    # epochs past from_epoch (30 quick, 17 paper): the regulariser acts in the last epoch
    if (n == "adm-grid-crf")
        return "\"axes.seed=[1]\", \"epochs=31\", \"dataset.params=n_train=4 n_val=2 width=16 classes=4 sigma=0.4 seed=0\""
    if (n == "adm-dense-crf")
        return "\"axes.seed=[1]\", \"epochs=31\", \"net.width=4\", " \
               "\"dataset.params=n_train=2 n_val=2 width=16 classes=4 sigma=0.4 seed=0\""
    if (n == "adm-grid-crf-voc")
        return "\"dataset.source=synth\", \"dataset.generator=regions\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 classes=4 sigma=0.4 seed=0\", " \
               "\"net.width=4\", \"net.depth=2\", \"epochs=18\", \"batch_size=2\""
    if (n == "lovasz-fig-C.2")
        return "\"axes.seed=[1]\", \"epochs=2\", \"batch_size=2\", \"net.width=4\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 seed=0\""
    if (n ~ /^lovasz-B2-fold[0-9]+$/)
        return "\"dataset.source=synth\", \"dataset.generator=regions\", \"dataset.val_split=val\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 seed=0\", \"net.width=4\", \"epochs=2\", " \
               "\"batch_size=2\""
    # binary VOC per class (Tables A.1, A.2): the base network, its evaluation and
    # fine-tunings for every VOC class 1..20 (regions with 21 classes)
    if (n ~ /^lovasz-A[0-9]+$/)
        return "\"dataset.source=synth\", \"dataset.generator=regions\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 classes=21 sites=24 seed=0\", " \
               "\"net.width=4\", \"net.depth=2\", \"epochs=2\", \"batch_size=2\", \"replicates=1\""
    # their synthetic quick stand-ins (regions, 4 classes)
    if (n ~ /^lovasz-A[0-9]+-synth$/)
        return "\"dataset.params=n_train=4 n_val=2 width=16 seed=0\", \"net.width=4\", " \
               "\"net.depth=2\", \"epochs=2\", \"batch_size=2\", \"replicates=1\""
    # shortened scribbles (ADM Fig. 6): past from_epoch (20 quick, 17 paper)
    if (n == "adm-fig-6")
        return "\"epochs=21\", \"dataset.params=n_train=4 n_val=2 width=16 classes=4 sigma=0.4 seed=0\""
    if (n == "adm-fig-6-voc")
        return "\"dataset.source=synth\", \"dataset.generator=regions\", " \
               "\"dataset.params=n_train=4 n_val=2 width=16 classes=4 sigma=0.4 seed=0\", " \
               "\"net.width=4\", \"net.depth=2\", \"epochs=18\", \"batch_size=2\""
    if (n ~ /^all-table-|^thesis-ch4-/)
        return "\"dataset.source=synth\", \"dataset.generator=blobs\", " b
    # Table 2.2: Full_n / Hybrid_n need n <= 25 fully labelled volumes: 26 one-slice volumes
    if (grid ~ /thesis-ch2-lv\/table-2\.2\.yaml$/)
        return ph "\"dataset.params=n_train=26 n_val=1 depth=1 width=16 seed=0\""
    if (grid ~ /thesis-ch2-|thesis-ch3-promise12\//)
        return ph "\"net.depth=2\", \"dataset.params=n_train=2 n_val=1 depth=2 width=16 seed=0\""
    # stages: dataset.labelled up to 80 volumes (paper): 82 one-slice volumes; the
    # regressor 2 epochs
    if (grid ~ /thesis-ch5-curriculum\/grid\.yaml$/)
        return ph "\"net.depth=2\", \"dataset.params=n_train=82 n_val=1 depth=1 width=16 seed=0\", " \
            "\"stages.regressor.config.epochs=2\", \"stages.regressor.config.batch_size=2\""
    # boxes: the toy at 32x32; 11 epochs so that DeepCut (every 10 / 5) updates once
    if (grid ~ /thesis-ch6-boxes\//)
        return "\"dataset.source=synth\", \"dataset.generator=toy\", " \
               "\"dataset.params=n_train=4 n_val=2 scale=0.125 seed=0\", \"net.width=4\", " \
               "\"net.depth=2\", \"epochs=11\", \"batch_size=2\", \"replicates=1\""
    return ""
}
function flush(   t) {
    if (name != "") {
        t = tiny(name, grid)
        if (t == "") print name > missing
        else {
            printf "%s", body
            printf "    overrides: [%s%s]\n", ov == "" ? "" : ov ", ", t
        }
    }
    name = ""; ov = ""; body = ""; grid = ""
}
/^figures:/ { flush(); skip = 1 }
skip { next }
/^  [A-Za-z0-9._-]+:$/ { flush(); name = $1; sub(/:$/, "", name); body = $0 "\n"; next }
name == "" { print; next }
/^    overrides: \[.*\]$/ { ov = $0; sub(/^    overrides: \[/, "", ov); sub(/\]$/, "", ov); next }
/^    grid: / { grid = $2; sub(/grid: /, "grid: " src "/experiments/") }
/^    (tables|plots): / { gsub(/\.\.\//, src "/") }
/^    / { body = body $0 "\n"; next }
{ flush(); print }
END { flush() }' "$X/reproduce.yaml" > "$T/manifest.yaml"
: >> "$T/missing"
# every entry of the manifest has its tiny override (a new entry fails here by name)
for e in $(sed -n 's/^  \([A-Za-z0-9._-]*\):$/\1/p' "$X/reproduce.yaml"); do
    ok "$e: has a tiny override in tiny() of this test" test -z "$(grep -Fx "$e" "$T/missing")"
done
# entry|profiles|tables|plots (space-separated absolute paths)
awk '/^  [A-Za-z0-9._-]+:$/ { if (n != "") print n "|" p "|" t "|" l; n = $1; sub(/:$/, "", n); p = t = l = "" }
     function list(x) { sub(/^[^[]*\[/, "", x); sub(/\].*$/, "", x); gsub(/, */, " ", x); return x }
     /^    profiles: / { p = list($0) }
     /^    tables: / { t = list($0) }
     /^    plots: / { l = list($0) }
     END { if (n != "") print n "|" p "|" t "|" l }' "$T/manifest.yaml" > "$T/entries.txt"
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
check_table quick adm-table-3 9 0 1
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
check_table paper adm-table-3 9 0 1
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

# ---- every entry, table and plot, from the tiny stores ------------------------------
# Each entry's tables rendered from its own store: at least one cell with runs
# shows a finite number (in csv and md). Each table from the union of the
# stores of the entries that attach it (Table 6.1 / B.1: the PROMISE12 and
# ATLAS entries): in the paper profile every specified cell with a published
# number has runs (a row, column or cell selector that matches no run of its
# own grid fails here by name); in the quick profiles (stand-ins with fewer
# rows) at least one cell. Each plot: every series has runs and numbers.
finite_cells() { # csv -> number of ok cells with runs and a finite value
    csv_tsv "$1" | awk -F'\t' '$5 == "ok" && $6 > 0 && $7 ~ /^-?[0-9]/ && $7 !~ /nan|inf/ { a++ } END { print a + 0 }'
}
for p in quick paper; do
    : > "$T/attached-$p.tsv"
    while IFS="|" read -r e profs tabs plots; do
        case " $profs " in *" $p "*) ;; *) continue ;; esac
        grep -Fxq "$e" "$T/missing" && continue
        nrun=$(ls "$T/res/$p/$e" 2>/dev/null | grep -c '\.h5$')
        ok "$p/$e: runs in its store ($nrun)" test "$nrun" -gt 0
        for spec in $tabs; do
            sname=$(basename "$spec" .yaml)
            printf '%s\t%s\n' "$spec" "$e" >> "$T/attached-$p.tsv"
            run_cmd "$SEGREP" table "$spec" --results "$T/res/$p/$e" -o "$T/own/$p/$e" -f csv
            is "$rc" 0 "$p/$e: $sname renders from the entry's store"
            [ "$rc" = 0 ] || { diag "$err"; continue; }
            base=$(sed -n 's/^output: *//p' "$spec")
            [ -n "$base" ] || base=$(sed -n 's/^table: *//p' "$spec" | tr -d '"' | tr / -)
            n=$(finite_cells "$T/own/$p/$e/$base.csv")
            ok "$p/$e: $sname: a cell with runs shows a number ($n)" test "$n" -gt 0
            md=$(cat "$T/own/$p/$e/$base.md")
            like "$md" "reproduced: [1-9][0-9]*," "$p/$e: $sname: md counts reproduced cells"
            like "$md" "\| \*{0,2}-?[0-9][0-9.]*( \(-?[0-9][0-9.]*\))? \[[1-9][0-9]*\]\*{0,2} \|" \
                "$p/$e: $sname: md shows a number with its run count"
        done
        for spec in $plots; do
            pname=$(sed -n 's/^plot: *//p' "$spec" | tr -d '"')
            dat="$T/res/$p/plots/$pname.dat"
            ok "$p/$e: plot $pname.dat written" test -s "$dat"
            nser=$(grep -c '^# series' "$dat" 2>/dev/null)
            nempty=$(grep '^# series' "$dat" 2>/dev/null | grep -Evc '; [1-9][0-9]* runs?;')
            nnum=$(awk '!/^#/ && NF >= 2 && $2 ~ /^-?[0-9]/ && $2 !~ /nan|inf/ { a++ } END { print a + 0 }' "$dat" 2>/dev/null)
            ok "$p/$e: plot $pname: every series has runs ($nser series, $nempty without)" \
                test "${nser:-0}" -gt 0 -a "${nempty:-1}" = 0
            ok "$p/$e: plot $pname: finite points ($nnum)" test "$nnum" -gt 0
        done
    done < "$T/entries.txt"
    for spec in $(cut -f1 "$T/attached-$p.tsv" | sort -u); do
        sname=$(basename "$spec" .yaml)
        u="$T/union/$p/$sname"
        mkdir -p "$u/runs"
        for e in $(awk -F'\t' -v s="$spec" '$1 == s { print $2 }' "$T/attached-$p.tsv"); do
            for f in "$T/res/$p/$e"/*.h5; do [ -e "$f" ] && ln -sf "$f" "$u/runs/"; done
        done
        # reproduce renders a spec from one entry's store, so a second entry
        # of the same profile would overwrite the first one's table
        ne=$(awk -F'\t' -v s="$spec" '$1 == s' "$T/attached-$p.tsv" | wc -l | tr -d ' ')
        is "$ne" 1 "$p: $sname is attached to one entry (one spec per result store)"
        run_cmd "$SEGREP" table "$spec" --results "$u/runs" -o "$u" -f csv
        is "$rc" 0 "$p: $sname renders from the stores of its entries"
        [ "$rc" = 0 ] || { diag "$err"; continue; }
        base=$(sed -n 's/^output: *//p' "$spec")
        [ -n "$base" ] || base=$(sed -n 's/^table: *//p' "$spec" | tr -d '"' | tr / -)
        n=$(finite_cells "$u/$base.csv")
        ok "$p: $sname: cells with runs show numbers ($n)" test "$n" -gt 0
        # (quick stand-ins may leave rows out: listed, not asserted)
        [ "$p" = quick ] && csv_tsv "$u/$base.csv" | awk -F'\t' -v s="$sname" '
            $5 == "ok" { r[$1] = 1 } $5 == "no runs" { nr[$1] = 1 }
            END { for (k in nr) if (!(k in r)) printf "# quick: %s: row %s has no runs in the quick profile\n", s, k }' | sort
        if [ "$p" = paper ]; then
            # a published number with no runs: its row/column selectors match no run
            bad=$(csv_tsv "$u/$base.csv" | awk -F'\t' '$5 == "no runs" && $10 != "" { printf " %s/%s", $1, $2 }')
            is "$bad" "" "paper: $sname: every cell with a published number has runs of its grid"
        fi
    done
done
# every table and plot spec is read by some entry (or is an analytic figure)
for spec in "$SRCDIR"/paper-tables/specs/*.yaml "$SRCDIR"/plots/*.yaml; do
    r=${spec#"$SRCDIR"/}
    ok "$r: attached to experiments/reproduce.yaml" grep -q "\.\./$r" "$X/reproduce.yaml"
done

done_testing
