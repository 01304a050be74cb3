#!/bin/sh
# Every experiment grid under experiments/ expands (segrep list) with each of
# its profiles to the run count its paper implies; every grid and profile has
# an expected count here (a new grid without one fails); the manifest's
# dataset overrides expand; `segrep reproduce quick --list` names every
# manifest entry. Expansion only: nothing is trained.
. "$SRCDIR/tests/tap/tap.sh"
T=$(mktemp -d "${TMPDIR:-/tmp}/segrep-grids.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
X="$SRCDIR/experiments"

# grid (relative to experiments/), profile, expected runs, override (or -).
# Derivations:
#   thesis-ch3-toy: 5 methods x 3 replicates = 15 (quick and the scale-study
#     profiles medium, res96, res128, n1000 keep all of them)
#   all-table-1 paper: 6 omega x 4 epsilon x 3 runs = 72 (FocusNet);
#     quick: 3 omega x 2 epsilon x 1 run = 6
#   all-table-2 paper: 6 gamma x 3 runs = 18; quick: 3 gamma x 1 run = 3
#   all-table-3 (2 networks U-Net, FocusNet x 6 losses JI DL TL FL CL ALL):
#     isic 2 x 6 x 3 runs = 36, dsb 2 x 6 x 5 runs = 60, drive 2 x 6 x 2
#     runs = 24; dsb quick: 2 networks x 6 losses x 1 run = 12
#   all-table-4 paper: FocusNet (ALL) x 3 runs = 3; quick: 1 run = 1
#   lovasz-B2 paper: 2 losses x 3 folds = 6; with one fold's file pinned (the
#     manifest's per-fold entries) 2 losses = 2; quick: 2 losses x 1 = 2
#   thesis-ch4-alpha paper: (GDL alone + 8 constant alphas + increase +
#     rebalance) x 3 runs = 33; quick: (GDL alone + 3 alphas + 2 schedules)
#     x 1 run = 6
#   thesis-ch4-regional isles, wmh: (L_B alone, L_HD alone, GDL, GDL w/ L_B
#     2D, GDL w/ L_B 3D, GDL w/ L_HD, UNet CE, UNet CE w/ L_B, focal, focal
#     w/ L_B) = 10 rows x 3 runs = 30 each
#   thesis-ch2-lv/table-2.1 paper: partial CE + 3 x (tags, common, individual)
#     x (proposals, penalty) + 3D size penalty + full = 1 + 6 + 1 + 1 = 9
#     (proposals + 3D size is N/A in the thesis); quick the same 9 rows
#   thesis-ch2-lv/table-2.2: Weak_All + (Full_n, Hybrid_n) x n in 3 values +
#     Full_All = 8 (paper n = 5, 10, 25; quick n = 1, 2, 4)
#   thesis-ch2-lv/table-2.5 paper: the table's 8 rows; quick: partial CE,
#     2-bound penalty, 2-bound proposals with and without early stop, full = 5
#   thesis-ch2-vb-prostate vb, prostate: partial CE, tags, common, individual,
#     full = 5 each (paper and quick); bounds paper: the 8 rows of Table 2.4;
#     quick: 4 settings
#   thesis-ch3-promise12 setting-1: standard / ReLU Lagrangian, penalty,
#     log-barrier, full = 5; setting-2: proposals, standard / ReLU
#     Lagrangian, penalty, log-barrier = 5 (full shared with setting 1);
#     quick the same
#   adm-grid-crf quick: 4 methods (pCE, GD, ADM gamma 1.5, ADM gamma 5) x
#     5 seeds = 20; paper: 3 methods (pCE, GD, ADM) x 1 seed = 3
#   adm-grid-crf/shortened (Fig. 6) quick and paper: 5 scribble length
#     ratios (0 = clicks, 0.3, 0.5, 0.8, 1) x 4 methods (pCE, dense CRF GD,
#     grid CRF GD, grid CRF ADM) x 1 seed = 20
#   adm-grid-crf/dense quick: 4 methods (pCE, GD dense, ADM mean field,
#     ADM bound) x 3 seeds = 12
#   lovasz-fig-C.2 quick: 4 methods (SGD, momentum, prox + SGD, prox +
#     momentum) x 3 seeds = 12; paper: 4 x 5 seeds = 20
#   thesis-ch5-curriculum paper: 5 regressors (n = 5..40) + 5 proposed
#     (each needing its n's regressor) + FS x 6 (n = 5..40, 75) + 5
#     proposals (each needing its n's FS) + oracle x 5 = 26;
#     quick: 3 + 3 + FS x 4 + 3 + 3 = 16
#   thesis-ch6-boxes promise12, atlas: 6 methods of Table 6.1 = 6 each;
#     margins: 2 methods (DeepCut, ours) x 2 margins = 4 (paper and quick)
#   lovasz-A1: 1 base network + 20 classes x (b: the base evaluated
#     binarised, not trained + 3 fine-tunings x, h, j) = 1 + 20 x 4 = 81;
#     quick 1 + 2 classes x 4 = 9
#   lovasz-A1/setting.yaml (the shared setting, a grid of its own): 1 base +
#     20 classes x 3 fine-tunings = 61; quick 1 + 2 x 3 = 7
#   lovasz-A2: 1 base (A.1's) + 20 classes x (j, A.1's runs + 3 learning
#     rates of [22]) = 1 + 20 x 4 = 81; quick 1 + 2 x (1 + 3) = 9
EXPECTED='thesis-ch3-toy/grid.yaml paper 15 -
thesis-ch3-toy/grid.yaml quick 15 -
thesis-ch3-toy/grid.yaml medium 15 -
thesis-ch3-toy/grid.yaml res96 15 -
thesis-ch3-toy/grid.yaml n1000 15 -
thesis-ch3-toy/grid.yaml res128 15 -
all-table-1/grid.yaml paper 72 -
all-table-1/grid.yaml paper 72 dataset.file=/d/isic2018.h5
all-table-1/grid.yaml quick 6 -
all-table-2/grid.yaml paper 18 -
all-table-2/grid.yaml paper 18 dataset.file=/d/isic2018.h5
all-table-2/grid.yaml quick 3 -
all-table-3/isic.yaml paper 36 -
all-table-3/isic.yaml paper 36 dataset.file=/d/isic2018.h5
all-table-3/dsb.yaml paper 60 -
all-table-3/dsb.yaml paper 60 dataset.file=/d/dsb2018.h5
all-table-3/dsb.yaml quick 12 -
all-table-3/drive.yaml paper 24 -
all-table-3/drive.yaml paper 24 dataset.file=/d/drive.h5
all-table-4/grid.yaml paper 3 -
all-table-4/grid.yaml paper 3 dataset.file=/d/isic2018.h5
all-table-4/grid.yaml quick 1 -
lovasz-B2/grid.yaml paper 6 -
lovasz-B2/grid.yaml paper 2 dataset.file=/d/ibsr-fold1.h5
lovasz-B2/grid.yaml quick 2 -
lovasz-B2/grid.yaml quick 2 dataset.file=/d/ibsr-fold0.h5
thesis-ch4-alpha/grid.yaml paper 33 -
thesis-ch4-alpha/grid.yaml paper 33 dataset.file=/d/isles2018.h5
thesis-ch4-alpha/grid.yaml quick 6 -
thesis-ch4-regional/isles.yaml paper 30 -
thesis-ch4-regional/isles.yaml paper 30 dataset.file=/d/isles2018.h5
thesis-ch4-regional/wmh.yaml paper 30 -
thesis-ch4-regional/wmh.yaml paper 30 dataset.file=/d/wmh2017.h5
thesis-ch2-lv/table-2.1.yaml paper 9 -
thesis-ch2-lv/table-2.1.yaml paper 9 dataset.file=/d/acdc.h5
thesis-ch2-lv/table-2.1.yaml quick 9 -
thesis-ch2-lv/table-2.2.yaml paper 8 -
thesis-ch2-lv/table-2.2.yaml paper 8 dataset.file=/d/acdc.h5
thesis-ch2-lv/table-2.2.yaml quick 8 -
thesis-ch2-lv/table-2.5.yaml paper 8 -
thesis-ch2-lv/table-2.5.yaml paper 8 dataset.file=/d/acdc.h5
thesis-ch2-lv/table-2.5.yaml quick 5 -
thesis-ch2-vb-prostate/vb.yaml paper 5 -
thesis-ch2-vb-prostate/vb.yaml paper 5 dataset.file=/d/vb.h5
thesis-ch2-vb-prostate/vb.yaml quick 5 -
thesis-ch2-vb-prostate/prostate.yaml paper 5 -
thesis-ch2-vb-prostate/prostate.yaml paper 5 dataset.file=/d/promise12.h5
thesis-ch2-vb-prostate/prostate.yaml quick 5 -
thesis-ch2-vb-prostate/bounds.yaml paper 8 -
thesis-ch2-vb-prostate/bounds.yaml paper 8 dataset.file=/d/vb.h5
thesis-ch2-vb-prostate/bounds.yaml quick 4 -
thesis-ch3-promise12/setting-1.yaml paper 5 -
thesis-ch3-promise12/setting-1.yaml paper 5 dataset.file=/d/promise12.h5
thesis-ch3-promise12/setting-1.yaml quick 5 -
thesis-ch3-promise12/setting-2.yaml paper 5 -
thesis-ch3-promise12/setting-2.yaml paper 5 dataset.file=/d/promise12.h5
thesis-ch3-promise12/setting-2.yaml quick 5 -
adm-grid-crf/grid.yaml quick 20 -
adm-grid-crf/grid.yaml paper 3 -
adm-grid-crf/grid.yaml paper 3 dataset.file=/d/voc2012.h5
adm-grid-crf/dense.yaml quick 12 -
adm-grid-crf/shortened.yaml quick 20 -
adm-grid-crf/shortened.yaml paper 20 -
adm-grid-crf/shortened.yaml paper 20 dataset.file=/d/voc2012.h5
lovasz-fig-C.2/grid.yaml quick 12 -
lovasz-fig-C.2/grid.yaml paper 20 -
thesis-ch5-curriculum/grid.yaml paper 26 -
thesis-ch5-curriculum/grid.yaml paper 26 dataset.file=/d/acdc.h5
thesis-ch5-curriculum/grid.yaml quick 16 -
thesis-ch6-boxes/promise12.yaml paper 6 -
thesis-ch6-boxes/promise12.yaml paper 6 dataset.file=/d/promise12.h5
thesis-ch6-boxes/promise12.yaml quick 6 -
thesis-ch6-boxes/atlas.yaml paper 6 -
thesis-ch6-boxes/atlas.yaml paper 6 dataset.file=/d/atlas.h5
thesis-ch6-boxes/margins.yaml paper 4 -
thesis-ch6-boxes/margins.yaml paper 4 dataset.file=/d/promise12.h5
thesis-ch6-boxes/margins.yaml quick 4 -
lovasz-A1/grid.yaml paper 81 -
lovasz-A1/grid.yaml paper 81 dataset.file=/d/voc2012.h5
lovasz-A1/grid.yaml quick 9 -
lovasz-A2/grid.yaml paper 81 -
lovasz-A2/grid.yaml paper 81 dataset.file=/d/voc2012.h5
lovasz-A2/grid.yaml quick 9 -
lovasz-A1/setting.yaml paper 61 -
lovasz-A1/setting.yaml quick 7 -'

# ---- every grid file and every one of its profiles has an expected count --
grids=$(cd "$X" && find . -name '*.yaml' ! -name reproduce.yaml | sed 's|^\./||' | sort)
ok "experiments/ holds grids" test -n "$grids"
for g in $grids; do
    # the profile names, from the error for a profile no grid has
    run_cmd "$SEGREP" list "$X/$g" --profile no-such-profile
    profiles=$(printf '%s\n' "$err" | sed -n 's/.*(available: \(.*\))$/\1/p' | tr -d ',')
    ok "$g: has profiles" test -n "$profiles"
    for p in $profiles; do
        n=$(printf '%s\n' "$EXPECTED" | awk -v g="$g" -v p="$p" '$1 == g && $2 == p && $4 == "-"' | wc -l)
        is "$n" 1 "$g --profile $p: an expected run count is in this test"
    done
done

# ---- the counts ----------------------------------------------------------
while read -r g p n o; do
    if [ "$o" = - ]; then
        run_cmd "$SEGREP" list "$X/$g" --profile "$p" --results "$T/results"
    else
        run_cmd "$SEGREP" list "$X/$g" --profile "$p" --results "$T/results" "$o"
    fi
    is "$rc" 0 "$g --profile $p $o: expands"
    [ "$rc" = 0 ] || diag "$err"
    is "$(printf '%s\n' "$out" | sed -n 's/^runs: //p')" "$n" "$g --profile $p $o: $n runs"
done <<EOF
$EXPECTED
EOF

# ---- the manifest ----------------------------------------------------------
M="$X/reproduce.yaml"
names=$(awk '/^experiments:/ { e = 1; next } /^[^ #]/ { e = 0 }
             e && /^  [A-Za-z0-9_.-]+:[ ]*$/ { sub(/^  /, ""); sub(/:.*/, ""); print }' "$M")
ok "the manifest names experiments" test -n "$names"
run_cmd "$SEGREP" reproduce quick --list --manifest "$M"
is "$rc" 0 "reproduce quick --list: exit 0"
for e in $names; do
    like "$out" "^$e +(runs|needs dataset|has no 'quick' profile)" "reproduce quick --list: $e"
done
like "$out" "^thesis-ch3-toy +runs$" "reproduce quick --list: the toy runs without data"
like "$out" "^all-table-1 +needs dataset 'isic2018'" "reproduce quick --list: ALL needs ISIC"
# with every dataset present, every experiment that has a paper profile runs
mkdir -p "$T/ds"
for d in $(awk '/^    datasets: \[/ { sub(/.*\[/, ""); sub(/\].*/, ""); gsub(/,/, " "); print }' "$M"); do
    : > "$T/ds/$d.h5"
done
run_cmd "$SEGREP" reproduce paper --list --manifest "$M" --dataset "$T/ds"
is "$rc" 0 "reproduce paper --list --dataset: exit 0"
for e in $names; do
    # an entry without a paper profile (e.g. a synthetic quick-only one) says so
    if awk -v e="  $e:" '$0 == e { f = 1; next } f && /^  [^ ]/ { exit } f && /profiles:.*paper/ { p = 1 }
        END { exit !p }' "$M"; then
        like "$out" "^$e +runs$" "reproduce paper --list with the datasets: $e runs"
    else
        like "$out" "^$e +has no 'paper' profile$" "reproduce paper --list: $e has no paper profile"
    fi
done
done_testing
