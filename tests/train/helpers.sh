# helpers.sh - shared by the train shell tests (sourced after tap.sh): read
# a value out of a `segrep collect` index.tsv, and range checks.

col() { # file key-column value name: column 'name' of the rows whose 'key-column' is 'value'
    awk -F'\t' -v k="$2" -v v="$3" -v n="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == k) kc = i; if ($i == n) nc = i }; next }
        kc && nc && $kc == v { print $nc }' "$1"
}
col_num() { # as col, with 'value' compared as a number (0.5 matches 0.50)
    awk -F'\t' -v k="$2" -v v="$3" -v n="$4" '
        NR == 1 { for (i = 1; i <= NF; i++) { if ($i == k) kc = i; if ($i == n) nc = i }; next }
        kc && nc && $kc + 0 == v + 0 { print $nc }' "$1"
}
between() { awk -v x="$1" -v a="$2" -v b="$3" 'BEGIN { exit !(x + 0 >= a + 0 && x + 0 <= b + 0) }'; }
