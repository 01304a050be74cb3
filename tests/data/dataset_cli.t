#!/bin/sh
# `segrep dataset` (generate, info, convert, list) and the datasets/fetch
# scripts: usage errors exit 2, runtime failures exit 1 with one line naming
# the file, and no output file is left behind; the HDF5 layout is checked
# with h5dump when it is installed.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-dataset-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

run_cmd "$SEGREP" dataset generate toy "$T/toy.h5" --param n_train=6 --param n_val=2 -p scale=0.0625
is "$rc" 0 "generate toy (scaled to 16x16)"
run_cmd "$SEGREP" dataset info "$T/toy.h5"
is "$rc" 0 "info exits 0"
like "$out" '^images: \[8, 1, 16, 16\]' "info: N, C, H, W"
like "$out" '^splits: \{train: 6, val: 2, test: 0\}' "info: split counts"
like "$out" 'name: target, pixels: [0-9]+, fraction: 0\.0' "info: class balance"
like "$out" '^hash: [0-9a-f]{16} ' "info: hash"
like "$out" 'params: "n_train=6 n_val=2 scale=0.0625 width=16 radius=2 seed=0"' "info: generator parameters"

run_cmd "$SEGREP" dataset generate toy "$T/toy2.h5" --param n_train=6 --param n_val=2 -p scale=0.0625
h1=$("$SEGREP" dataset info "$T/toy.h5" | grep '^hash')
h2=$("$SEGREP" dataset info "$T/toy2.h5" | grep '^hash')
is "$h2" "$h1" "same parameters, same hash"
run_cmd "$SEGREP" dataset generate toy "$T/toy3.h5" -p n_train=6 -p n_val=2 -p scale=0.0625 -p seed=1
h3=$("$SEGREP" dataset info "$T/toy3.h5" | grep '^hash')
ok "another seed, another hash" test "$h3" != "$h1"

run_cmd "$SEGREP" dataset generate regions "$T/r.h5" -p n_train=2 -p n_val=1 -p width=16
like "$("$SEGREP" dataset info "$T/r.h5")" 'name: scribbles, type: map' "regions: scribbles listed"

if command -v h5dump >/dev/null 2>&1; then
    d=$(h5dump -H "$T/toy.h5")
    like "$d" 'DATASET "images"' "h5dump: /images"
    like "$d" 'H5T_IEEE_F32LE' "h5dump: float32 images"
    like "$d" 'DATASPACE  SIMPLE \{ \( 8, 1, 16, 16 \)' "h5dump: images (N,C,H,W)"
    like "$d" 'DATASET "labels"' "h5dump: /labels"
    like "$d" 'H5T_STD_U8LE' "h5dump: uint8 labels"
    like "$(h5dump -a /format "$T/toy.h5")" '"segrep-dataset"' "h5dump: format attribute"
    ih=$("$SEGREP" dataset info "$T/toy.h5" | awk '$1 == "images:" && NF == 2 { print $2 }')
    like "$(h5dump -a /images/hash "$T/toy.h5")" "\"$ih\"" "h5dump: /images hash attribute = info's ($ih)"
else
    diag "h5dump not installed: HDF5 layout not checked with it"
fi

# Usage errors: exit 2, one line first.
run_cmd "$SEGREP" dataset convret
is "$rc" 2 "unknown action: exit 2"
like "$(printf '%s\n' "$err" | head -n 1)" "did you mean 'convert'" "unknown action: suggestion"
run_cmd "$SEGREP" dataset generate toi "$T/x.h5"
is "$rc" 2 "unknown generator: exit 2"
like "$err" "did you mean 'toy'" "unknown generator: suggestion"
run_cmd "$SEGREP" dataset convert acdc "$T"
is "$rc" 2 "convert with a missing argument: exit 2"
run_cmd "$SEGREP" dataset generate toy "$T/x.h5" -p bogus
is "$rc" 2 "--param without '=': exit 2"
run_cmd "$SEGREP" dataset --help
is "$rc" 0 "dataset --help exits 0"
like "$out" '^usage: segrep dataset convert' "dataset --help prints usage"
run_cmd "$SEGREP" dataset list
like "$out" 'convert acdc' "list shows the converters"
like "$out" 'generate toy' "list shows the generators"

# Runtime failures: exit 1, one line naming the file, nothing left behind.
run_cmd "$SEGREP" dataset generate toy "$T/x.h5" -p radius=99 -p width=16
is "$rc" 1 "bad generator parameter: exit 1"
is "$(printf '%s\n' "$err" | wc -l | tr -d ' ')" 1 "bad generator parameter: one line"
ok "bad generator parameter: no output" test ! -e "$T/x.h5"
mkdir -p "$T/empty"
run_cmd "$SEGREP" dataset convert promise12 "$T/empty" "$T/p.h5"
is "$rc" 1 "convert an unexpected layout: exit 1"
like "$err" "unexpected layout for promise12: CaseNN.mhd not found" "unexpected layout named"
ok "unexpected layout: no output" test ! -e "$T/p.h5"
printf 'garbage' > "$T/fake.h5"
run_cmd "$SEGREP" dataset info "$T/fake.h5"
is "$rc" 1 "info on a non-dataset: exit 1"
like "$err" 'fake.h5' "info on a non-dataset names the file"

# datasets/fetch: a tiny VB archive in MetaImage written from the shell.
V="$T/vbsrc/vb"
mkdir -p "$V"
mk_case() { # name kind(img|mask)
    printf 'ObjectType = Image\nNDims = 3\nDimSize = 4 4 1\nElementSpacing = 1.25 1.25 2\nElementType = MET_UCHAR\nElementDataFile = %s.raw\n' "$1" > "$V/$1.mhd"
    if [ "$2" = mask ]; then
        printf '\000\000\000\000\000\001\001\000\000\001\001\000\000\000\000\000' > "$V/$1.raw"
    else
        printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' > "$V/$1.raw"
    fi
}
for c in Case1 Case2 Case3; do mk_case "$c" img; mk_case "${c}_mask" mask; done
(cd "$T/vbsrc" && tar -czf "$T/vb.tar.gz" vb)
sum=$(sha256sum "$T/vb.tar.gz" | awk '{print $1}')
FETCH="$SRCDIR/datasets/fetch"

run_cmd env SEGREP="$SEGREP" "$FETCH/vb" --archive "$T/vb.tar.gz" --sha256 "$sum" "$T/vb.h5" \
    --param n_val=1 --param n_test=0 --param crop_y=0 --param height=4 --param width=4
is "$rc" 0 "fetch vb: verified, unpacked and converted"
like "$("$SEGREP" dataset info "$T/vb.h5")" 'splits: \{train: 2, val: 1, test: 0\}' "fetch vb: the converted file"

bad=0000000000000000000000000000000000000000000000000000000000000000
run_cmd env SEGREP="$SEGREP" "$FETCH/vb" --archive "$T/vb.tar.gz" --sha256 "$bad" "$T/vb2.h5"
is "$rc" 1 "fetch: checksum mismatch exits 1"
is "$err" "fetch vb: $T/vb.tar.gz: SHA-256 mismatch: expected $bad, got $sum (wrong or damaged archive)" \
   "fetch: checksum mismatch, one line naming the archive"
ok "fetch: checksum mismatch leaves no output" test ! -e "$T/vb2.h5"

head -c 100 "$T/vb.tar.gz" > "$T/cut.tar.gz"
run_cmd env SEGREP="$SEGREP" "$FETCH/vb" --archive "$T/cut.tar.gz" "$T/vb3.h5"
is "$rc" 1 "fetch: truncated archive exits 1"
like "$err" "cut.tar.gz: cannot unpack \(expected a complete .tar.gz archive\)" "fetch: truncated archive named"
like "$err" "no published SHA-256, not verified" "fetch: unknown hash said plainly"
ok "fetch: truncated archive leaves no output" test ! -e "$T/vb3.h5"

run_cmd env SEGREP="$SEGREP" "$FETCH/acdc" "$T/a.h5"
is "$rc" 1 "fetch acdc without an archive: exit 1"
like "$err" "need registration: .*--archive PATH" "fetch acdc: says how to obtain the data"

for s in "$FETCH"/*; do
    case "$s" in *.sha256 | *.sh) continue ;; esac
    n=$(basename "$s")
    ok "fetch/$n: valid sh, --help, and a .sha256 file" sh -c "sh -n '$s' && '$s' --help >/dev/null && test -f '$s.sha256'"
done

done_testing
