# common.sh - shared steps of the datasets/fetch/<name> scripts (POSIX sh):
# argument parsing, download (only where the data are openly downloadable),
# SHA-256 verification, unpacking, and conversion with
# `segrep dataset convert NAME SRC DEST.h5`. Sourced, not run.
#
# A script sets NAME, HOMEPAGE, REGISTER (how to obtain the data, or empty
# when URLS are direct downloads), URLS (space-separated, may be empty) and
# optionally defines src_root() to print the unpacked directory the
# converter wants, then calls fetch_main "$@".
#
# Known SHA-256 sums live in $NAME.sha256 beside the script as
# "<hex>  <archive file name>" lines. We record only sums published in the
# papers or the project's spec; for every dataset here none is published, so
# the file says "unknown" and nothing is verified unless the user passes
# --sha256 HEX (e.g. a sum the data provider shows on its download page).

fetch_usage() {
    cat <<USAGE
usage: datasets/fetch/$NAME [--archive PATH]... [--sha256 HEX]... [--workdir DIR]
                            [--keep] DEST.h5 [--param K=V]...

Fetch (or take the archives you downloaded), verify, unpack and convert the
$NAME dataset into DEST.h5 with 'segrep dataset convert $NAME'.
  home page: $HOMEPAGE
USAGE
    if [ -n "$REGISTER" ]; then
        printf '  obtaining it: %s\n' "$REGISTER"
    fi
    if [ -n "$URLS" ]; then
        printf '  downloads: %s\n' "$URLS"
    fi
    cat <<USAGE

  --archive PATH   an archive you downloaded (.zip, .tar, .tar.gz, .tgz) or an
                   already unpacked directory; repeat for multi-part datasets
  --sha256 HEX     expected SHA-256 of the archive(s), in the order given
  --workdir DIR    where to unpack (default: a temporary directory, removed
                   afterwards unless --keep)
  --param K=V      passed to 'segrep dataset convert' (see 'segrep dataset list')
USAGE
}

fetch_die() {
    printf 'fetch %s: %s\n' "$NAME" "$*" >&2
    exit 1
}

fetch_segrep() {
    if [ -n "${SEGREP:-}" ]; then
        printf '%s\n' "$SEGREP"
    elif command -v segrep >/dev/null 2>&1; then
        command -v segrep
    elif [ -x "$FETCH_HERE/../../segrep" ]; then
        printf '%s\n' "$FETCH_HERE/../../segrep"
    else
        fetch_die "segrep not found: build it or set SEGREP=/path/to/segrep"
    fi
}

# The expected SHA-256 of archive $1 (its file name), from --sha256 or the
# .sha256 file; empty when unknown.
fetch_expected() {
    _i=0
    for _h in $FETCH_SHAS; do
        _i=$((_i + 1))
        if [ "$_i" -eq "$2" ]; then
            printf '%s\n' "$_h"
            return
        fi
    done
    _f="$FETCH_HERE/$NAME.sha256"
    [ -f "$_f" ] || return 0
    _b=$(basename "$1")
    awk -v b="$_b" '$1 != "unknown" && $2 == b { print $1; exit }' "$_f"
}

fetch_verify() { # archive index
    [ -d "$1" ] && return 0
    _want=$(fetch_expected "$1" "$2")
    if [ -z "$_want" ]; then
        printf 'fetch %s: %s: no published SHA-256, not verified\n' "$NAME" "$1" >&2
        return 0
    fi
    command -v sha256sum >/dev/null 2>&1 || fetch_die "sha256sum not found: apt-get install coreutils"
    _got=$(sha256sum "$1" | awk '{print $1}')
    [ "$_got" = "$_want" ] ||
        fetch_die "$1: SHA-256 mismatch: expected $_want, got $_got (wrong or damaged archive)"
}

fetch_unpack() { # archive destdir
    case "$1" in
    *.zip)
        command -v unzip >/dev/null 2>&1 || fetch_die "unzip not found: apt-get install unzip"
        unzip -q -o "$1" -d "$2" || fetch_die "$1: cannot unpack (expected a complete .zip archive)" ;;
    *.tar.gz | *.tgz)
        tar -xzf "$1" -C "$2" 2>/dev/null || fetch_die "$1: cannot unpack (expected a complete .tar.gz archive)" ;;
    *.tar)
        tar -xf "$1" -C "$2" 2>/dev/null || fetch_die "$1: cannot unpack (expected a complete .tar archive)" ;;
    *)
        if [ -d "$1" ]; then
            cp -R "$1"/. "$2"/ || fetch_die "$1: cannot copy"
        elif [ -f "$1" ]; then # a list or a single file (e.g. train_aug.txt)
            cp "$1" "$2"/ || fetch_die "$1: cannot copy"
        else
            fetch_die "$1: not a file or directory"
        fi ;;
    esac
}

fetch_download() { # url destfile
    if command -v curl >/dev/null 2>&1; then
        curl -fL --retry 3 -o "$2" "$1" || fetch_die "$1: download failed"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1" || fetch_die "$1: download failed"
    else
        fetch_die "neither curl nor wget found: apt-get install curl"
    fi
}

fetch_main() {
    FETCH_ARCHIVES=""
    FETCH_SHAS=""
    FETCH_WORK=""
    FETCH_KEEP=0
    FETCH_DEST=""
    FETCH_PARAMS=""
    while [ $# -gt 0 ]; do
        case "$1" in
        -h | --help) fetch_usage; exit 0 ;;
        --archive) [ $# -ge 2 ] || fetch_die "--archive needs a path"
            FETCH_ARCHIVES="$FETCH_ARCHIVES
$2"; shift 2 ;;
        --sha256) [ $# -ge 2 ] || fetch_die "--sha256 needs a value"
            FETCH_SHAS="$FETCH_SHAS $2"; shift 2 ;;
        --workdir) [ $# -ge 2 ] || fetch_die "--workdir needs a directory"
            FETCH_WORK=$2; shift 2 ;;
        --keep) FETCH_KEEP=1; shift ;;
        --param) [ $# -ge 2 ] || fetch_die "--param needs K=V"
            FETCH_PARAMS="$FETCH_PARAMS --param=$2"; shift 2 ;;
        --param=*) FETCH_PARAMS="$FETCH_PARAMS $1"; shift ;;
        -*) fetch_usage >&2; fetch_die "unknown option '$1'" ;;
        *) [ -z "$FETCH_DEST" ] || fetch_die "unexpected argument '$1'"
            FETCH_DEST=$1; shift ;;
        esac
    done
    [ -n "$FETCH_DEST" ] || { fetch_usage >&2; fetch_die "missing DEST.h5"; }
    case "$FETCH_DEST" in *" "*) fetch_die "DEST must not contain spaces" ;; esac
    if [ -z "$FETCH_WORK" ]; then
        FETCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/segrep-fetch-$NAME.XXXXXX") || fetch_die "mktemp failed"
        [ "$FETCH_KEEP" -eq 1 ] || trap 'rm -rf "$FETCH_WORK"' EXIT INT TERM
    fi
    mkdir -p "$FETCH_WORK/src" || fetch_die "$FETCH_WORK: cannot create"
    if [ -z "$FETCH_ARCHIVES" ]; then
        if [ -n "$REGISTER" ] || [ -z "$URLS" ]; then
            fetch_die "the $NAME data need registration: $REGISTER; then run: datasets/fetch/$NAME --archive PATH $FETCH_DEST"
        fi
        for _u in $URLS; do
            _a="$FETCH_WORK/$(basename "$_u")"
            fetch_download "$_u" "$_a"
            FETCH_ARCHIVES="$FETCH_ARCHIVES
$_a"
        done
    fi
    _n=0
    _old_ifs=$IFS
    IFS='
'
    for _a in $FETCH_ARCHIVES; do
        IFS=$_old_ifs
        _n=$((_n + 1))
        [ -e "$_a" ] || fetch_die "$_a: no such archive"
        fetch_verify "$_a" "$_n"
        fetch_unpack "$_a" "$FETCH_WORK/src"
        IFS='
'
    done
    IFS=$_old_ifs
    _src="$FETCH_WORK/src"
    if command -v src_root >/dev/null 2>&1; then
        _src=$(src_root "$FETCH_WORK/src")
    fi
    _segrep=$(fetch_segrep)
    # shellcheck disable=SC2086 # FETCH_PARAMS holds --param=K=V words
    "$_segrep" dataset convert "$NAME" "$_src" "$FETCH_DEST" $FETCH_PARAMS || exit 1
    printf 'fetch %s: wrote %s\n' "$NAME" "$FETCH_DEST" >&2
}

# The shallowest directory under $1 named $2 (or $1 itself when none).
fetch_find_dir() {
    _d=$(find "$1" -type d -name "$2" 2>/dev/null | awk '{ print length($0) "\t" $0 }' |
        sort -n | head -n 1 | cut -f 2-)
    if [ -n "$_d" ]; then printf '%s\n' "$_d"; else printf '%s\n' "$1"; fi
}
