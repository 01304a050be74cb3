#!/bin/sh
# Every global symbol the library defines has the sr_ prefix (what
# -export-symbols-regex '^sr_' enforces for the shared build).
. "$SRCDIR/tests/tap/tap.sh"
lib="$BUILDDIR/.libs/libsegrep_impl.a"
[ -f "$lib" ] || skip_all "no $lib"
command -v nm >/dev/null 2>&1 || skip_all "no nm"
# AddressSanitizer adds an alias __odr_asan.<name> for every exported
# variable: the name it stands for must have the prefix too.
bad=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }' \
      | sed 's/^__odr_asan\.//' | grep -v '^sr_' | sort -u)
is "$bad" "" "all exported names start with sr_"
done_testing
