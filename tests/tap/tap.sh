# tap.sh - TAP helpers for segrep's shell tests; source it, then call the
# functions. The script's exit status is the verdict (done_testing).
#   ok CMD...                  pass if CMD exits 0
#   run_cmd CMD...             run CMD, capture $out, $err and $rc
#   is "$got" "$want" DESC
#   like "$text" REGEX DESC    extended regex match
#   diag TEXT
TAP_N=0
TAP_FAILED=0
_tap_result() { # pass desc
    TAP_N=$((TAP_N + 1))
    if [ "$1" = 1 ]; then
        echo "ok $TAP_N - $2"
    else
        echo "not ok $TAP_N - $2"
        TAP_FAILED=$((TAP_FAILED + 1))
    fi
}
diag() { echo "# $*" >&2; }
run_cmd() {
    _tap_out=$(mktemp) && _tap_err=$(mktemp) || exit 1
    "$@" >"$_tap_out" 2>"$_tap_err" </dev/null
    rc=$?
    out=$(cat "$_tap_out"); err=$(cat "$_tap_err")
    rm -f "$_tap_out" "$_tap_err"
}
is() {
    if [ "$1" = "$2" ]; then _tap_result 1 "$3"; else
        _tap_result 0 "$3"; diag "     got: '$1'"; diag "expected: '$2'"; fi
}
like() {
    if printf '%s\n' "$1" | grep -E -q -- "$2"; then _tap_result 1 "$3"; else
        _tap_result 0 "$3"; diag "     got: '$1'"; diag "expected to match: /$2/"; fi
}
unlike() {
    if printf '%s\n' "$1" | grep -E -q -- "$2"; then
        _tap_result 0 "$3"; diag "     got: '$1'"; diag "expected not to match: /$2/"
    else _tap_result 1 "$3"; fi
}
ok() { # desc cmd...
    _d=$1; shift
    if "$@"; then _tap_result 1 "$_d"; else _tap_result 0 "$_d"; fi
}
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() {
    echo "1..$TAP_N"
    [ "$TAP_N" -gt 0 ] || { diag "no tests ran"; exit 1; }
    [ "$TAP_FAILED" -eq 0 ] || exit 1
    exit 0
}
