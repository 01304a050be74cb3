#!/bin/sh
# paper-tables.t - validates the published-numbers data files under paper-tables/
# against the schema of doc/paper-tables.md, without Python (POSIX sh + awk).
#
#   paper-tables.t                         TAP: checks $SRCDIR/paper-tables, then shows
#                                          that broken fixtures and broken copies fail
#   paper-tables.t --check DIR [--expect-all]
#                                          prints one "FILE:LINE: problem" per error,
#                                          exits 1 if there is any, 0 otherwise
#
# What is checked, per YAML file: the required top-level keys (once each), that `id`,
# `paper` and `table` agree with the file's path, `kind` and `higher_is_better` values,
# `source.file` and `source.lines`, that every row/column entry has an id (snake_case,
# unique) and a label, that every cell is one flow mapping with row, column, value and
# text and only known keys, that values are numbers or null (strings only in
# specification tables), that every cell's row and column ids are declared, that no
# (row, column) pair repeats, and that errata name declared ids. With --expect-all:
# every table listed in issue 7 has a file, and README.md lists each file with its
# true cell count. The checker relies on the canonical layout that doc/paper-tables.md
# prescribes (it is still plain YAML for libyaml readers).

# Tables named in issue 7 ("Published numbers as data").
EXPECTED="thesis/table-2.1 thesis/table-2.2 thesis/table-2.3 thesis/table-2.4
thesis/table-2.5 thesis/table-3.1 thesis/table-4.1 thesis/table-4.2 thesis/table-4.3
thesis/table-5.1 thesis/table-6.1 thesis/table-6.2 thesis/table-B.1
lovasz/table-A.1 lovasz/table-A.2 lovasz/table-B.1 lovasz/table-B.2
all/table-1 all/table-2 all/table-3 all/table-4
adm/table-1 adm/table-2 adm/table-3"

AWK=${AWK:-awk}

# check_file DIR REL: validate DIR/REL; prints errors, then "CELLS <n>" on the last line.
check_file() {
    "$AWK" -v rel="$2" '
function err(msg) { printf "%s:%d: %s\n", rel, FNR, msg; nerr++ }
function is_num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function unquote(s) {
    if (s ~ /^".*"$/) return substr(s, 2, length(s) - 2)
    return s
}
# Split the body of a one-line flow mapping "k: v, k: "v, w", ..." into kv[] (keys in
# order in keys[]); returns the number of keys, or -1 on a syntax error.
function parse_flow(body,    n, k, v, c, i, inq) {
    n = 0
    split("", kv); split("", keys)
    while (length(body) > 0) {
        if (!match(body, /^[a-z_]+: /)) return -1
        k = substr(body, 1, RLENGTH - 2)
        body = substr(body, RLENGTH + 1)
        if (substr(body, 1, 1) == "\"") {
            inq = 1; i = 2
            while (i <= length(body)) {
                c = substr(body, i, 1)
                if (c == "\\") { i += 2; continue }
                if (c == "\"") { inq = 0; break }
                i++
            }
            if (inq) return -1
            v = substr(body, 1, i)
            body = substr(body, i + 1)
        } else {
            i = index(body, ", ")
            if (i == 0) { v = body; body = "" } else { v = substr(body, 1, i - 1); body = substr(body, i) }
        }
        if (k in kv) return -1
        kv[k] = v; keys[++n] = k
        if (body == "") break
        if (substr(body, 1, 2) != ", ") return -1
        body = substr(body, 3)
    }
    return n
}
BEGIN {
    nreq = split("id paper table kind caption source unit higher_is_better rows columns cells", req, " ")
    # the file path says what id, paper and table must be: <paper>/table-<table>.yaml
    want_paper = rel; sub(/\/.*$/, "", want_paper)
    want_table = rel; sub(/^.*\/table-/, "", want_table); sub(/\.yaml$/, "", want_table)
    want_id = want_paper "/table-" want_table
    if (rel !~ /^[a-z0-9_]+\/table-[A-Za-z0-9.]+\.yaml$/) {
        printf "%s:0: file name is not <paper>/table-<n>.yaml\n", rel; nerr++
    }
    ncell = 0; sect = ""
}
/^[ \t]*#/ || /^[ \t]*$/ { next }
/\t/ { err("tab character (YAML indentation must use spaces)"); next }
/^[^ ]/ {
    if (!match($0, /^[a-z_]+:/)) { err("top-level line is not \"key: ...\""); next }
    key = substr($0, 1, RLENGTH - 1); val = substr($0, RLENGTH + 1); sub(/^ +/, "", val)
    if (key in top) err("top-level key \"" key "\" repeated (first on line " top[key] ")")
    top[key] = FNR; sect = key; topval[key] = val
    if (key == "id" && unquote(val) != want_id) err("id " val " does not match the file path (want \"" want_id "\")")
    if (key == "paper" && unquote(val) != want_paper) err("paper " val " does not match the directory (want \"" want_paper "\")")
    if (key == "table" && unquote(val) != want_table) err("table " val " does not match the file name (want \"" want_table "\")")
    if (key == "kind") {
        kind = unquote(val)
        if (kind != "results" && kind != "specification") err("kind must be \"results\" or \"specification\", got " val)
    }
    if (key == "caption" && (val == "" || val == "\"\"")) err("caption is empty")
    if (key == "higher_is_better" && val != "true" && val != "false" && val != "null")
        err("higher_is_better must be true, false or null, got \"" val "\"")
    if ((key == "rows" || key == "columns" || key == "cells" || key == "source") && val != "")
        err(key " must be a block (nothing after the colon)")
    next
}
sect == "source" {
    if ($0 ~ /^  file: "[^"]+"$/) has_src_file = 1
    if ($0 ~ /^  lines: \[/) {
        if (match($0, /^  lines: \[[0-9]+, [0-9]+\]$/)) {
            s = $0; sub(/^  lines: \[/, "", s); sub(/\]$/, "", s); split(s, ab, ", ")
            if (ab[1] + 0 > ab[2] + 0) err("source.lines [" s "] is not increasing")
            has_src_lines = 1
        } else err("source.lines must be [first, last]")
    }
    next
}
sect == "rows" || sect == "columns" {
    what = (sect == "rows") ? "row" : "column"
    if ($0 ~ /^  - id: /) {
        id = $0; sub(/^  - id: /, "", id)
        if (id !~ /^[a-z][a-z0-9_]*$/) err(what " id \"" id "\" is not snake_case")
        if ((sect, id) in declared) err(what " id \"" id "\" declared twice")
        declared[sect, id] = FNR; count[sect]++
        cur = id; labelled[sect, id] = 0
    } else if ($0 ~ /^    [a-z_]+: /) {
        if (cur == "") { err(what " property before the first \"- id:\""); next }
        if ($0 ~ /^    label: "/) labelled[sect, cur] = 1
        if ($0 ~ /^    higher_is_better: /) {
            if ($0 !~ /^    higher_is_better: (true|false|null)$/)
                err(what " " cur ": higher_is_better must be true, false or null")
            else if ($0 !~ /null$/) hib[sect, cur] = 1
        }
        if ($0 ~ /^    scale: / && !is_num(substr($0, 12))) err(what " " cur ": scale must be a number")
    } else err("unexpected line in " sect " (entries are \"  - id: x\" then \"    key: value\")")
    next
}
sect == "cells" {
    if ($0 !~ /^  - \{.*\}$/) { err("cell is not a one-line flow mapping \"  - {row: ..., column: ..., value: ..., text: ...}\""); next }
    body = $0; sub(/^  - \{/, "", body); sub(/\}$/, "", body)
    n = parse_flow(body)
    if (n < 0) { err("cell flow mapping does not parse"); next }
    ncell++
    for (i = 1; i <= n; i++)
        if (keys[i] !~ /^(row|column|value|std|text|bold)$/) err("cell has unknown key \"" keys[i] "\"")
    if (!("row" in kv)) err("cell has no row")
    if (!("column" in kv)) err("cell has no column")
    if (!("value" in kv)) err("cell has no value")
    if (!("text" in kv)) err("cell has no text")
    else if (kv["text"] !~ /^"/) err("cell text must be a quoted string")
    if ("value" in kv) {
        v = kv["value"]
        if (v ~ /^"/) {
            if (kind != "specification") err("cell value " v " is a string (only specification tables may have strings)")
        } else if (v != "null" && !is_num(v)) err("cell value \"" v "\" is not a number or null")
    }
    if ("std" in kv && kv["std"] != "null" && !is_num(kv["std"])) err("cell std \"" kv["std"] "\" is not a number or null")
    if ("bold" in kv && kv["bold"] != "true" && kv["bold"] != "false") err("cell bold must be true or false")
    if ("row" in kv && "column" in kv) {
        pair = kv["row"] SUBSEP kv["column"]
        if (pair in seen) err("cell (" kv["row"] ", " kv["column"] ") repeats line " seen[pair])
        else seen[pair] = FNR
        cell_row[ncell] = kv["row"]; cell_col[ncell] = kv["column"]; cell_line[ncell] = FNR
    }
    next
}
sect == "errata" {
    if ($0 ~ /^    cells: \[/) {
        s = $0; sub(/^    cells: \[/, "", s); sub(/\]$/, "", s)
        while (match(s, /\{row: [a-z0-9_]+|\{row: null/)) {
            r = substr(s, RSTART + 6, RLENGTH - 6); s = substr(s, RSTART + RLENGTH)
            c = s; sub(/^, column: /, "", c); sub(/\}.*$/, "", c)
            nref++; ref_row[nref] = r; ref_col[nref] = c; ref_line[nref] = FNR
        }
    } else if ($0 !~ /^  - kind: [a-z-]+$/ && $0 !~ /^    text: "/)
        err("unexpected line in errata (entries are \"  - kind: k\", \"    cells: [...]\", \"    text: \\\"...\\\"\")")
    next
}
{ next }  # notes, footnotes: free text lists
END {
    FNR = 0
    for (i = 1; i <= nreq; i++) if (!(req[i] in top)) err("missing top-level key \"" req[i] "\"")
    if ("source" in top) {
        if (!has_src_file) err("source has no file: \"...\"")
        if (!has_src_lines) err("source has no lines: [first, last]")
    }
    for (k in labelled) if (!labelled[k]) { split(k, kk, SUBSEP); err(substr(kk[1], 1, length(kk[1]) - 1) " " kk[2] " has no label") }
    if (("rows" in top) && count["rows"] == 0) err("rows is empty")
    if (("columns" in top) && count["columns"] == 0) err("columns is empty")
    if (("cells" in top) && ncell == 0) err("cells is empty")
    for (i = 1; i <= ncell; i++) {
        FNR = cell_line[i]
        if (!(("rows", cell_row[i]) in declared)) err("cell row \"" cell_row[i] "\" is not declared in rows")
        if (!(("columns", cell_col[i]) in declared)) err("cell column \"" cell_col[i] "\" is not declared in columns")
    }
    # a result cell must have a direction: from the table, its row or its column
    if (kind == "results" && topval["higher_is_better"] == "null")
        for (i = 1; i <= ncell; i++)
            if (!(("rows", cell_row[i]) in hib) && !(("columns", cell_col[i]) in hib)) {
                FNR = cell_line[i]
                err("cell (" cell_row[i] ", " cell_col[i] ") has no direction: higher_is_better is null for the table and unset on its row and column")
            }
    for (i = 1; i <= nref; i++) {
        FNR = ref_line[i]
        if (ref_row[i] != "null" && !(("rows", ref_row[i]) in declared)) err("erratum names undeclared row \"" ref_row[i] "\"")
        if (ref_col[i] != "null" && !(("columns", ref_col[i]) in declared)) err("erratum names undeclared column \"" ref_col[i] "\"")
    }
    print "CELLS " ncell
    exit (nerr > 0 ? 1 : 0)
}' "$1/$2"
}

# check_dir DIR [--expect-all]: all errors on stdout; exit status 1 if any.
check_dir() {
    dir=$1; expect_all=$2; bad=0
    [ -d "$dir" ] || { echo "$dir: not a directory"; return 1; }
    # generated/ and specs/ are reserved for the table-generation part of issue 7
    list=$(cd "$dir" && find . -name '*.yaml' ! -path './generated/*' ! -path './specs/*' |
        sed 's|^\./||' | LC_ALL=C sort)
    [ -n "$list" ] || { echo "$dir: no *.yaml files"; bad=1; }
    counts=""
    for rel in $list; do
        res=$(check_file "$dir" "$rel") || bad=1
        printf '%s\n' "$res" | grep -v '^CELLS ' | sed '/^$/d'
        counts="$counts
$rel $(printf '%s\n' "$res" | sed -n 's/^CELLS //p')"
    done
    if [ "$expect_all" = --expect-all ]; then
        for t in $EXPECTED; do
            [ -f "$dir/$t.yaml" ] || { echo "$t.yaml: missing (issue 7 lists this table)"; bad=1; }
        done
        if [ -f "$dir/README.md" ]; then
            for rel in $list; do
                want=$(printf '%s\n' "$counts" | "$AWK" -v f="$rel" '$1 == f { print $2 }')
                got=$("$AWK" -F'|' -v f="$rel" '
                    $2 ~ /^ *file *$/ { for (i = 1; i <= NF; i++) { h = $i; gsub(/ /, "", h); if (h == "cells") col = i } }
                    { x = $2; gsub(/ /, "", x) }
                    col && x == f { c = $col; gsub(/ /, "", c); print c }' "$dir/README.md")
                [ "$got" = "$want" ] || { echo "README.md: $rel listed with ${got:-no} cell count, file has $want"; bad=1; }
            done
        else
            echo "README.md: missing"; bad=1
        fi
    fi
    return $bad
}

if [ "$1" = --check ]; then
    check_dir "$2" "$3"
    exit $?
fi

# ------------------------------------------------------------------------- TAP tests
. "$SRCDIR/tests/tap/tap.sh"
self="$SRCDIR/tests/report/paper-tables.t"
fixtures="$SRCDIR/tests/report/fixtures/paper-tables"

run_cmd sh "$self" --check "$SRCDIR/paper-tables" --expect-all
is "$rc" 0 "paper-tables/ passes the schema checks"
is "$out" "" "paper-tables/: no errors reported"
for t in $EXPECTED; do
    ok "issue-7 table $t has a file" test -f "$SRCDIR/paper-tables/$t.yaml"
done

run_cmd sh "$self" --check "$fixtures/good"
is "$rc" 0 "a minimal valid fixture is accepted"
is "$out" "" "minimal valid fixture: no errors"

run_cmd sh "$self" --check "$fixtures/broken"
is "$rc" 1 "broken fixtures are rejected"
like "$out" '^x/table-1\.yaml:[0-9]+: missing top-level key "caption"$' "missing caption is named"
like "$out" '^x/table-2\.yaml:[0-9]+: cell has no value$' "cell without value is named"
like "$out" '^x/table-3\.yaml:[0-9]+: cell row "nope" is not declared in rows$' "undeclared row id is named"
like "$out" '^x/table-3\.yaml:[0-9]+: cell column "nope" is not declared in columns$' "undeclared column id is named"
like "$out" '^x/table-4\.yaml:[0-9]+: cell \(a, c1\) repeats line [0-9]+$' "repeated (row, column) pair is named"
like "$out" '^x/table-5\.yaml:[0-9]+: cell is not a one-line flow mapping' "block-style cell is rejected"
like "$out" '^x/table-5\.yaml:[0-9]+: cell value "n/a" is not a number or null$' "non-numeric value is rejected"
like "$out" '^x/table-5\.yaml:[0-9]+: id "x/table-9" does not match the file path' "id not matching the path is rejected"

# Deliberately broken copies of the real tree.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fresh() { rm -rf "$tmp/pt" && cp -R "$SRCDIR/paper-tables" "$tmp/pt" && chmod -R u+w "$tmp/pt"; }
edit() { # file sed-script
    sed "$2" "$tmp/pt/$1" >"$tmp/edit" && cat "$tmp/edit" >"$tmp/pt/$1"
}

fresh; rm "$tmp/pt/adm/table-2.yaml"
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy without adm/table-2.yaml is rejected"
like "$out" '^adm/table-2\.yaml: missing' "the missing table is named"

fresh; edit thesis/table-2.1.yaml 's/^  - {row: partial_ce, column: dsc_val, value: 0.1497, /  - {row: partial_ce, column: dsc_val, /'
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy with a cell missing its value is rejected"
like "$out" '^thesis/table-2\.1\.yaml:[0-9]+: cell has no value$' "the valueless cell is named"

fresh; edit lovasz/table-B.2.yaml 's/^  - {row: ce_dice, column: mean,/  - {row: ce_jaccard, column: mean,/'
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy with a repeated (row, column) pair is rejected"
like "$out" '^lovasz/table-B\.2\.yaml:[0-9]+: cell \(ce_jaccard, mean\) repeats line' "the repeated pair is named"

fresh; edit all/table-3.yaml 's/^  - id: focusnet_all$/  - id: focusnet_al/'
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy with a renamed row declaration is rejected"
like "$out" '^all/table-3\.yaml:[0-9]+: cell row "focusnet_all" is not declared in rows$' "the undeclared row is named"

fresh; edit thesis/table-4.1.yaml '/^caption: /d'
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy without a caption is rejected"
like "$out" '^thesis/table-4\.1\.yaml:[0-9]+: missing top-level key "caption"$' "the missing key is named"

fresh; edit thesis/table-4.1.yaml '/^    higher_is_better: false$/d'
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy with a result cell of unknown direction is rejected"
like "$out" '^thesis/table-4\.1\.yaml:[0-9]+: cell \(gdl, isles_hd95\) has no direction' "the cell without a direction is named"

fresh; edit adm/table-3.yaml '/^  - {row: trimap8_resnet101, column: pce,/d'
run_cmd sh "$self" --check "$tmp/pt" --expect-all
is "$rc" 1 "copy whose README cell count is stale is rejected"
like "$out" '^README\.md: adm/table-3\.yaml listed with 54 cell count, file has 53$' "the stale count is named"

done_testing
