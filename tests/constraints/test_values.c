/* test_values.c - constraint values against hand-computed closed forms,
 * the band rules on boxes counted by hand, connected components, the
 * bounds builders, the list's bookkeeping and its error messages.
 */
#include <string.h>

#include "common.h"

static void test_size_and_volume(void)
{
    sr_constraint_list_t l;
    sr_tensor_t s;
    sr_constraint_list_init(&l, 3, 2, 4, 5, NULL);
    sr_tensor_init(&s, "s", 3, 2, 4, 5, NULL);
    for (int n = 0; n < 3; n++)
        for (int p = 0; p < 20; p++) {
            *sr_tensor_at(&s, n, 1, p / 5, p % 5) = 0.25f * (float)(n + 1); // V = 5 (n+1)
            *sr_tensor_at(&s, n, 0, p / 5, p % 5) = 1.0f - 0.25f * (float)(n + 1);
        }
    sr_constraint_add_size(&l, 0, 1, 6.0, 9.0, NULL); // V=5: lower violated by 1
    sr_constraint_add_size(&l, 2, 1, 6.0, 9.0, NULL); // V=15: upper violated by 6
    int sl[2] = {2, 1};
    sr_constraint_add_volume_size(&l, sl, 2, 1, 20.0, 30.0, NULL); // V = 15 + 10 = 25
    double f[6];
    sr_constraint_list_forward(&l, f, &s, NULL);
    is_close(f[0], 1.0, 0, 1e-12, "size: lo - V = 6 - 5");
    is_close(f[1], -4.0, 0, 1e-12, "size: V - hi = 5 - 9");
    is_close(f[2], -9.0, 0, 1e-12, "size (image 2): lo - V = 6 - 15");
    is_close(f[3], 6.0, 0, 1e-12, "size (image 2): V - hi = 15 - 9");
    is_close(f[4], -5.0, 0, 1e-12, "volume: lo - (15 + 10)");
    is_close(f[5], -5.0, 0, 1e-12, "volume: (15 + 10) - hi");
    is_int(l.owner[4], 2, "a volume's values belong to its first listed slice");
    is_int(l.local[4], 2, "owner-local index continues the owner's numbering");
    is_int(l.slot[5], 3, "owner slots continue across terms");
    is_int(l.owner_nvalues[2], 4, "image 2 owns 4 values");
    is_int(l.nquantities, 3, "one quantity per size term");
    // backward: g = (1, 2, 0, 0, 0.5, 3): image 0 class 1 gets g1 - g0 = 1;
    // image 2 class 1 gets 0 + (3 - 0.5); image 1 class 1 gets 2.5.
    double g[6] = {1, 2, 0, 0, 0.5, 3};
    sr_tensor_t ds;
    sr_tensor_init(&ds, "ds", 3, 2, 4, 5, NULL);
    sr_tensor_fill(&ds, 99.0f);
    sr_constraint_list_backward(&l, &ds, g, &s, NULL);
    is_close(*sr_tensor_at(&ds, 0, 1, 3, 4), 1.0, 0, 1e-7, "size backward: g_hi - g_lo");
    is_close(*sr_tensor_at(&ds, 2, 1, 1, 1), 2.5, 0, 1e-7, "volume backward on slice 2");
    is_close(*sr_tensor_at(&ds, 1, 1, 0, 0), 2.5, 0, 1e-7, "volume backward on slice 1");
    is_close(*sr_tensor_at(&ds, 1, 0, 0, 0), 0.0, 0, 0,
             "backward assigns: other planes zeroed");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
}

static void test_centroid(void)
{
    sr_constraint_list_t l;
    sr_tensor_t s;
    sr_constraint_list_init(&l, 1, 2, 6, 8, NULL);
    sr_tensor_init(&s, "s", 1, 2, 6, 8, NULL);
    // mass 1 at (row 1, col 2) and mass 3 at (row 5, col 6): centroid
    // (1*1 + 3*5)/4 = 4 rows, (1*2 + 3*6)/4 = 5 cols (up to the 1e-10 epsilon).
    *sr_tensor_at(&s, 0, 1, 1, 2) = 1.0f;
    *sr_tensor_at(&s, 0, 1, 5, 6) = 3.0f;
    double lo[2] = {4.5, 1.0}, hi[2] = {6.0, 4.0};
    sr_constraint_add_centroid(&l, 0, 1, lo, hi, NULL);
    double f[4];
    sr_constraint_list_forward(&l, f, &s, NULL);
    is_close(f[0], 0.5, 1e-9, 0, "centroid row: lo - C_r = 4.5 - 4");
    is_close(f[1], -2.0, 1e-9, 0, "centroid row: C_r - hi = 4 - 6");
    is_close(f[2], -4.0, 1e-9, 0, "centroid col: lo - C_c = 1 - 5");
    is_close(f[3], 1.0, 1e-9, 0,
             "centroid col: C_c - hi = 5 - 4 (the coordinates are not swapped)");
    // dC_r/ds_p = (r - C_r)/m: at (0,0) with g = (0,1,0,0) that is -4/4.
    double g[4] = {0, 1, 0, 0};
    sr_tensor_t ds;
    sr_tensor_init(&ds, "ds", 1, 2, 6, 8, NULL);
    sr_constraint_list_backward(&l, &ds, g, &s, NULL);
    is_close(*sr_tensor_at(&ds, 0, 1, 0, 0), -1.0, 1e-7, 0, "dC_r/ds at (0,0) = (0 - 4)/4");
    is_close(*sr_tensor_at(&ds, 0, 1, 5, 7), 0.25, 1e-7, 0, "dC_r/ds at (5,7) = (5 - 4)/4");
    // empty plane: the epsilon keeps the centroid at 0, finite
    sr_tensor_fill(&s, 0.0f);
    sr_constraint_list_forward(&l, f, &s, NULL);
    ok(isfinite(f[0]) && f[1] == -6.0 && f[3] == -4.0, "empty class: centroid 0, finite");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
    sr_tensor_free(&ds);
}

static void test_box_bands(void)
{
    // rows 4..12 (extent 9), cols 5..13 (extent 9), d = 5.
    sr_box_t b = {4, 5, 12, 13};
    sr_box_band_t x[16];
    int n = sr_box_bands(&b, 5, SR_BOX_BANDS_CODE, x, 16);
    // code rule: e = 8 -> one band of 5 (rows 4..8) and one of 3+1 rows
    // (rows 9..12) with bound 3; same on columns.
    is_int(n, 4, "code rule: 2 + 2 bands");
    ok(x[0].r0 == 4 && x[0].r1 == 8 && x[0].c0 == 5 && x[0].c1 == 13 && x[0].bound == 5,
       "code rule: first row band rows 4..8 across cols 5..13, bound 5");
    ok(x[1].r0 == 9 && x[1].r1 == 12 && x[1].bound == 3,
       "code rule: remainder band rows 9..12 (4 lines) with bound 3");
    ok(x[2].c0 == 5 && x[2].c1 == 9 && x[2].r0 == 4 && x[2].r1 == 12 && x[2].bound == 5,
       "code rule: first column band cols 5..9 across rows 4..12");
    n = sr_box_bands(&b, 5, SR_BOX_BANDS_EXACT, x, 16);
    is_int(n, 4, "exact rule: 9 = 5 + 4 on each axis");
    ok(x[1].r0 == 9 && x[1].r1 == 12 && x[1].bound == 4,
       "exact rule: remainder bound = its 4 lines");
    // rows 15..20 (extent 6): code rule e = 5 -> one band rows 15..19, row 20 in none.
    sr_box_t b2 = {15, 14, 20, 21};
    n = sr_box_bands(&b2, 5, SR_BOX_BANDS_CODE, x, 16);
    is_int(n, 3, "code rule on a 6x8 box: 1 row band + 1 + 1 column bands");
    ok(x[0].r0 == 15 && x[0].r1 == 19, "code rule: the box's last row (20) is in no band");
    n = sr_box_bands(&b2, 5, SR_BOX_BANDS_EXACT, x, 16);
    is_int(n, 4, "exact rule on a 6x8 box: 2 + 2 bands");
    ok(x[1].r0 == 20 && x[1].r1 == 20 && x[1].bound == 1,
       "exact rule: row 20 is a band of bound 1");
    // a one-pixel box: the code rule has no band, the exact rule two of bound 1
    sr_box_t b3 = {3, 3, 3, 3};
    is_int(sr_box_bands(&b3, 5, SR_BOX_BANDS_CODE, NULL, 0), 0, "code rule: 1x1 box, no band");
    is_int(sr_box_bands(&b3, 5, SR_BOX_BANDS_EXACT, NULL, 0), 2,
           "exact rule: 1x1 box, 2 bands");

    // tightness values: s = 0.5 everywhere, band of 5x9 = 45 px -> 5 - 22.5
    sr_constraint_list_t l;
    sr_tensor_t s;
    sr_constraint_list_init(&l, 1, 2, 24, 24, NULL);
    sr_tensor_init(&s, "s", 1, 2, 24, 24, NULL);
    sr_tensor_fill(&s, 0.5f);
    sr_constraint_add_box_tightness(&l, 0, 1, &b, 1, 5, SR_BOX_BANDS_CODE, NULL);
    double f[8];
    sr_constraint_list_forward(&l, f, &s, NULL);
    is_close(f[0], 5.0 - 22.5, 0, 1e-12, "tightness: 5 - 0.5 * 45");
    is_close(f[1], 3.0 - 18.0, 0, 1e-12, "tightness remainder: 3 - 0.5 * 36");
    is_int(l.owner_nslots[0], 1, "all bands of a box share one slot");
    is_int(l.nquantities, 4, "each band is a quantity for the mean reduction");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
}

static void test_components_and_box_terms(void)
{
    enum { H = 10, W = 12 };
    uint8_t m[H * W];
    memset(m, 0, sizeof m);
    // component A: a diagonal (8-connected, not 4-connected) rows 1..3 cols 1..3
    m[1 * W + 1] = m[2 * W + 2] = m[3 * W + 3] = 1;
    // component B: a rectangle rows 5..8, cols 6..10
    for (int r = 5; r <= 8; r++)
        for (int c = 6; c <= 10; c++)
            m[r * W + c] = 1;
    sr_box_t b[4];
    int n = sr_boxes_from_mask(m, H, W, b, 4, NULL);
    is_int(n, 2, "two 8-connected components");
    ok(b[0].r0 == 1 && b[0].c0 == 1 && b[0].r1 == 3 && b[0].c1 == 3,
       "diagonal -> box 1..3 x 1..3");
    ok(b[1].r0 == 5 && b[1].c0 == 6 && b[1].r1 == 8 && b[1].c1 == 10, "rectangle -> its box");

    sr_constraint_list_t l;
    sr_tensor_t s;
    sr_constraint_list_init(&l, 2, 2, H, W, NULL);
    sr_tensor_init(&s, "s", 2, 2, H, W, NULL);
    sr_tensor_fill(&s, 0.25f);
    ok(sr_constraint_add_boxes_from_mask(&l, m, 0, 1, 2, SR_BOX_BANDS_EXACT, 1, 1, 0.5, 0.9,
                                         NULL) == 0,
       "box constraints from the mask");
    // exact rule, d = 2: box A 3x3 -> 2 + 2 bands; box B 4x5 -> 2 + 3 bands
    is_int(l.nterms, 3, "one tightness term for both boxes + emptiness + size");
    is_int(l.owner_nslots[0], 1 + 1 + 2, "both boxes' bands share one slot");
    is_int(l.nvalues, 4 + 5 + 1 + 2, "9 bands + 1 + 2 values");
    double f[16];
    sr_constraint_list_forward(&l, f, &s, NULL);
    // union area = 9 + 20 = 29; outside = 120 - 29 = 91 px at 0.25
    is_close(f[9], 0.25 * 91, 0, 1e-12, "emptiness: mass outside the union of boxes");
    is_close(f[10], 0.5 * 29 - 0.25 * 120, 0, 1e-12, "size lower: 0.5 |box| - V");
    is_close(f[11], 0.25 * 120 - 0.9 * 29, 0, 1e-12, "size upper: V - 0.9 |box|");
    // a slice without boxes: no bands, emptiness everywhere, size [0, 0]
    uint8_t none[H * W];
    memset(none, 0, sizeof none);
    int before = l.nvalues;
    ok(sr_constraint_add_boxes_from_mask(&l, none, 1, 1, 5, SR_BOX_BANDS_CODE, 1, 1, 0.5, 0.9,
                                         NULL) == 0,
       "box constraints for an empty slice");
    is_int(l.nvalues - before, 3, "empty slice: emptiness + 2 size values");
    is_int(l.owner_nslots[1], 1 + 1 + 2, "empty slice: the tightness slot is still reserved");
    sr_constraint_list_forward(&l, f, &s, NULL);
    is_close(f[before], 0.25 * 120, 0, 1e-12, "empty slice: emptiness over the whole image");
    is_close(f[before + 2], 0.25 * 120, 0, 1e-12, "empty slice: size bounds [0, 0]");
    sr_constraint_list_free(&l);
    sr_tensor_free(&s);
}

static void test_bounds_from_gt(void)
{
    enum { N = 3, K = 2, H = 8, W = 8 };
    sr_tensor_t y;
    sr_tensor_init(&y, "y", N, K, H, W, NULL);
    for (int n = 0; n < N; n++)
        for (int r = 0; r < H; r++)
            for (int c = 0; c < W; c++) {
                int fg = n == 0   ? (r >= 2 && r < 6 && c >= 1 && c < 6) // 4x5 = 20 px
                         : n == 2 ? (r == 7 && c < 4)                    // 4 px
                                  : 0;
                *sr_tensor_at(&y, n, 1, r, c) = (float)fg;
                *sr_tensor_at(&y, n, 0, r, c) = (float)!fg;
            }
    sr_constraint_list_t l;
    sr_constraint_list_init(&l, N, K, H, W, NULL);
    sr_constraint_add_size_from_gt(&l, &y, 0, 1, SR_SIZE_BOUNDS_TAGS, 60, 2000, 0, NULL);
    sr_constraint_add_size_from_gt(&l, &y, 1, 1, SR_SIZE_BOUNDS_TAGS, 60, 2000, 0, NULL);
    sr_constraint_add_size_from_gt(&l, &y, 0, 1, SR_SIZE_BOUNDS_INDIVIDUAL, 0, 0, 0.1, NULL);
    sr_constraint_add_centroid_from_gt(&l, &y, 0, 1, 20.0, NULL);
    int vol[N] = {7, 9, 7};
    sr_constraint_add_volume_size_from_gt(&l, &y, vol, 1, 0.1, NULL);
    const sr_constraint_term_t *t = l.terms;
    ok(t[0].lo[0] == 60 && t[0].hi[0] == 2000, "tags/common: present -> [60, 2000]");
    ok(t[1].lo[0] == 0 && t[1].hi[0] == 0, "tags/common: absent -> [0, 0]");
    is_close(t[2].lo[0], 18.0, 1e-12, 0, "individual: 0.9 tau");
    is_close(t[2].hi[0], 22.0, 1e-12, 0, "individual: 1.1 tau");
    // centroid of rows 2..5, cols 1..5: (3.5, 3); lower floored at 0
    ok(t[3].lo[0] == 0 && t[3].lo[1] == 0, "centroid: lower bound floored at 0");
    is_close(t[3].hi[0], 23.5, 1e-9, 0, "centroid: row 3.5 + 20");
    is_close(t[3].hi[1], 23.0, 1e-9, 0, "centroid: col 3 + 20");
    is_int(l.nterms, 6, "two volumes (ids 7 and 9)");
    ok(t[4].nslices == 2 && t[4].slices[0] == 0 && t[4].slices[1] == 2,
       "volume 7 = slices 0, 2");
    is_close(t[4].hi[0], 1.1 * 24, 1e-12, 0, "volume 7: 1.1 * (20 + 4)");
    ok(t[5].nslices == 1 && t[5].hi[0] == 0, "volume 9: absent -> [0, 0]");
    sr_constraint_list_free(&l);
    sr_tensor_free(&y);
}

static void test_errors_and_names(void)
{
    sr_constraint_list_t l;
    sr_error_t err = {{0}};
    sr_constraint_list_init(&l, 2, 2, 8, 8, NULL);
    ok(sr_constraint_add_size(&l, 2, 1, 0, 1, &err) == -1, "image index out of range");
    is_str(err.text, "size constraint: image index 2 outside [0,2)", "message names the index");
    sr_error_clear(&err);
    ok(sr_constraint_add_size(&l, 0, 1, 5, 1, &err) == -1, "lo > hi rejected");
    is_str(err.text, "size constraint: lower bound 5 above upper bound 1", "bounds message");
    sr_error_clear(&err);
    sr_box_t b = {0, 0, 8, 3};
    ok(sr_constraint_add_box_tightness(&l, 0, 1, &b, 1, 5, SR_BOX_BANDS_CODE, &err) == -1,
       "box outside the image rejected");
    is_str(err.text,
           "box tightness constraint: box 0 rows 0..8 cols 0..3 not inside the 8x8 "
           "image",
           "box message");
    sr_error_clear(&err);
    int sl[2] = {1, 1};
    ok(sr_constraint_add_volume_size(&l, sl, 2, 1, 0, 1, &err) == -1,
       "repeated slice rejected");
    is_int(l.nvalues, 0, "failed adds leave the list unchanged");
    for (int t = 0; t < SR_CONSTRAINT_COUNT; t++) {
        enum sr_constraint_type back;
        ok(sr_constraint_type_parse(sr_constraint_type_name((enum sr_constraint_type)t), &back,
                                    NULL) == 0 &&
               back == (enum sr_constraint_type)t,
           "type name '%s' parses back", sr_constraint_type_name((enum sr_constraint_type)t));
    }
    sr_error_clear(&err);
    enum sr_constraint_type ty;
    ok(sr_constraint_type_parse("centriod", &ty, &err) == -1, "unknown type rejected");
    is_str(err.text, "unknown constraint type 'centriod'", "unknown type message");
    ok(!sr_constraint_type_is_linear(SR_CONSTRAINT_CENTROID) &&
           sr_constraint_type_is_linear(SR_CONSTRAINT_BOX_EMPTINESS),
       "linearity flags");
    sr_constraint_list_free(&l);
}

int main(void)
{
    test_size_and_volume();
    test_centroid();
    test_box_bands();
    test_components_and_box_terms();
    test_bounds_from_gt();
    test_errors_and_names();
    return done_testing();
}
