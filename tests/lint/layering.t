#!/bin/sh
# Layering rules (see CONTRIBUTING.md):
#   mpi.h / MPI_ calls only in src/runner/comm.c and src/io/h5*.c
#   hdf5.h / H5 calls only under src/io/
#   cblas_ / openblas_ only in src/core/blas.c
#   exit( and main( only under src/cli/
#   numerics (core, losses, constraints, nn, optim) include nothing from
#   runner/, io/, report/ or cli/.
. "$SRCDIR/tests/tap/tap.sh"
cd "$SRCDIR/src" || exit 1

# Lines that are comments (" * ...", "/* ...", "// ...") do not count.
code_grep() { # grep -rEn over sources, comment lines dropped
    grep -rEn --include='*.c' --include='*.h' --include='*.cc' --include='*.cpp' "$@" \
        | grep -vE '^[^:]+:[0-9]+: *(/?\*|//)' || true
}
violations() { # pattern, allowed-path-regex
    code_grep -- "$1" . | grep -vE "^\./($2):" || true
}

v=$(violations '#include *<mpi\.h>|\bMPI_[A-Z][a-z_]*\(' 'runner/comm\.c|io/h5[a-z_]*\.c')
is "$v" "" "MPI only in runner/comm.c and io/h5*.c"

v=$(violations '#include *<hdf5|\bH5[A-Z][a-z]*[A-Za-z_]*\(' 'io/.*')
is "$v" "" "HDF5 only under io/"

v=$(violations '\bcblas_[a-z]+\(|\bopenblas_[a-z_]+\(|#include *<cblas\.h>' 'core/blas\.[ch]')
is "$v" "" "BLAS only in core/blas.c"

v=$(violations '(^|[^_a-z])exit *\(|\bint main *\(' 'cli/.*')
is "$v" "" "exit() and main() only under cli/"

v=$(code_grep '#include *"(runner|io|report|data|cli)/' core losses constraints nn optim \
        2>/dev/null)
is "$v" "" "numerics do not include runner, io, report, data or cli"

v=$(code_grep '#include *"cli/' core losses constraints nn optim data runner io report \
        2>/dev/null)
is "$v" "" "only cli includes cli"

done_testing
