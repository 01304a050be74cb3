/* test_weak.c - weak labels: erosion against scipy (fixtures/weak.h5 from
 * gen_weak.py) and closed forms, random dots inside their object, boxes that
 * contain their component with margin m (and match scipy's find_objects),
 * tags, scribble shortening down to clicks, synthetic scribbles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "data/weak.h"
#include "io/h5.h"
#include "tap.h"

static void test_erosion_closed_form(void)
{
    // A 30x30 square at (5..34): 10 erosions with the 3x3 element leave
    // the 10x10 square (15..24).
    int64_t H = 40, W = 40;
    uint8_t lab[40 * 40] = {0}, out[40 * 40];
    for (int y = 5; y < 35; y++)
        for (int x = 5; x < 35; x++)
            lab[y * W + x] = 1;
    sr_weak_erosion(lab, 1, H, W, 2, 10, out);
    int bad = 0, count = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int want = y >= 15 && y < 25 && x >= 15 && x < 25;
            count += out[y * W + x] == 1;
            bad += (out[y * W + x] == 1) != want ||
                   (out[y * W + x] != 1 && out[y * W + x] != SR_WEAK_UNLABELED);
        }
    is_int(count, 100, "erosion: 30x30 square, 10 iterations -> 10x10 square");
    is_int(bad, 0, "erosion: exactly the inner square, rest unlabelled");
    // Touching the border: outside counts as background (scipy border_value 0).
    memset(lab, 0, sizeof lab);
    for (int y = 0; y < 6; y++)
        for (int x = 0; x < 6; x++)
            lab[y * W + x] = 1;
    sr_weak_erosion(lab, 1, H, W, 2, 2, out);
    count = 0;
    for (int i = 0; i < H * W; i++)
        count += out[i] == 1;
    is_int(count, 4, "erosion: 6x6 square in the corner, 2 iterations -> 2x2 (border is 0)");
}

static void test_erosion_scipy(const char *fix)
{
    sr_error_t err = {{0}};
    sr_h5file_t *f = sr_h5_open(fix, SR_H5_READ, &err);
    if (!f) {
        ok(0, "open fixture: %s", err.text);
        return;
    }
    int rank;
    int64_t d[SR_H5_MAX_RANK], db[SR_H5_MAX_RANK];
    uint8_t *lab = sr_h5_read_alloc(f, "/labels", SR_H5_U8, &rank, d, &err);
    uint8_t *ero = sr_h5_read_alloc(f, "/erosion", SR_H5_U8, &rank, d, &err);
    int32_t *box = sr_h5_read_alloc(f, "/boxes", SR_H5_I32, &rank, db, &err);
    int64_t K = 0, it = 0;
    sr_h5_attr_read_i64(f, "/", "K", &K, &err);
    sr_h5_attr_read_i64(f, "/", "iterations", &it, &err);
    sr_h5_close(f, 0, NULL);
    if (!lab || !ero || !box) {
        ok(0, "read fixture: %s", err.text);
        return;
    }
    int64_t N = d[0], H = d[1], W = d[2];
    uint8_t *out = malloc((size_t)(N * H * W));
    sr_weak_erosion(lab, N, H, W, (int)K, (int)it, out);
    int64_t diff = 0, outside = 0;
    for (int64_t i = 0; i < N * H * W; i++) {
        diff += out[i] != ero[i];
        outside += out[i] != SR_WEAK_UNLABELED && out[i] != lab[i];
    }
    is_int(diff, 0, "erosion equals scipy binary_erosion with the authors' schedule (%lld images)",
           (long long)N);
    is_int(outside, 0, "every eroded pixel lies inside the mask of its class");
    int64_t nr = 0;
    int32_t *rows = sr_weak_boxes(lab, N, H, W, (int)K, 0, 1, &nr, &err);
    is_int(nr, db[0], "boxes: one per 4-connected component, as scipy.ndimage.label");
    int same = rows && nr == db[0] && memcmp(rows, box, (size_t)(nr * 6) * sizeof *rows) == 0;
    ok(same, "boxes equal scipy find_objects (tight, margin 0)");
    free(rows), free(out), free(lab), free(ero), free(box);
}

/* Two discs and a bar; K = 3. */
static void make_scene(uint8_t *lab, int64_t H, int64_t W)
{
    memset(lab, 0, (size_t)(H * W));
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++) {
            if ((y - 12) * (y - 12) + (x - 12) * (x - 12) <= 64)
                lab[y * W + x] = 1;
            if ((y - 40) * (y - 40) + (x - 45) * (x - 45) <= 30)
                lab[y * W + x] = 1;
            if (y >= 50 && y < 54 && x >= 5 && x < 60)
                lab[y * W + x] = 2;
        }
}

static void test_points(void)
{
    enum { N = 3, H = 64, W = 64 };
    static uint8_t lab[N * H * W], out[N * H * W], out2[N * H * W];
    for (int n = 0; n < N; n++)
        make_scene(lab + n * H * W, H, W);
    int outside = 0, labelled = 0, too_far = 0;
    for (int radius = 0; radius <= 4; radius += 2) {
        sr_weak_points(lab, N, H, W, 3, radius, 1, 7, out);
        for (int n = 0; n < N; n++) {
            // Per component: the labelled pixels of one dot fit in a
            // (2r+1)^2 box.
            for (int i = 0; i < H * W; i++) {
                uint8_t v = out[n * H * W + i];
                if (v == SR_WEAK_UNLABELED)
                    continue;
                labelled++;
                outside += v != lab[n * H * W + i];
            }
        }
        // The 3 components of each image get one dot each: the dots of the
        // top-left disc stay within radius of each other.
        int y0 = 99, y1 = -1, x0 = 99, x1 = -1;
        for (int y = 0; y < 22; y++)
            for (int x = 0; x < 22; x++)
                if (out[y * W + x] == 1) {
                    y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
                    x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
                }
        too_far += y1 < 0 || y1 - y0 > 2 * radius || x1 - x0 > 2 * radius;
    }
    is_int(outside, 0, "points: every dot pixel lies inside its object with its class");
    ok(labelled > 0, "points: dots were drawn (%d pixels)", labelled);
    is_int(too_far, 0, "points: one dot per component, within radius r of its centre");
    sr_weak_points(lab, N, H, W, 3, 2, 1, 7, out);
    sr_weak_points(lab, N, H, W, 3, 2, 1, 7, out2);
    ok(memcmp(out, out2, sizeof out) == 0, "points: same seed, same dots");
    sr_weak_points(lab, N, H, W, 3, 2, 1, 8, out2);
    ok(memcmp(out, out2, sizeof out) != 0, "points: another seed moves the dots");
    // Each image draws from its own stream (seed, "points", n).
    sr_weak_points(lab, N, H, W, 3, 2, 1, 7, out);
    sr_weak_points(lab, 1, H, W, 3, 2, 1, 7, out2);
    int differ = memcmp(out, out2, H * W) != 0;
    is_int(differ, 0, "points: image 0 drawn alone equals image 0 of the batch");
}

static void test_boxes(void)
{
    enum { H = 64, W = 64 };
    static uint8_t lab[H * W], paint[H * W];
    make_scene(lab, H, W);
    sr_error_t err = {{0}};
    for (int m = 0; m <= 10; m += 5) {
        int64_t nr = 0;
        int32_t *rows = sr_weak_boxes(lab, 1, H, W, 3, m, 1, &nr, &err);
        is_int(nr, 3, "boxes margin %d: one box per connected component", m);
        int contained = 1, tight = 1;
        for (int64_t r = 0; rows && r < nr; r++) {
            const int32_t *b = rows + 6 * r;
            // Every pixel of the component touching the box's tight region
            // lies inside; the box is the tight box grown by m (clipped).
            int ty0 = H, tx0 = W, ty1 = -1, tx1 = -1;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    if (lab[y * W + x] == b[1] && y >= b[2] && y <= b[4] && x >= b[3] &&
                        x <= b[5]) {
                        ty0 = y < ty0 ? y : ty0, ty1 = y > ty1 ? y : ty1;
                        tx0 = x < tx0 ? x : tx0, tx1 = x > tx1 ? x : tx1;
                    }
            contained &= ty0 - b[2] >= (ty0 - m < 0 ? ty0 : m) &&
                         b[4] - ty1 >= (ty1 + m > H - 1 ? H - 1 - ty1 : m) &&
                         tx0 - b[3] >= (tx0 - m < 0 ? tx0 : m) &&
                         b[5] - tx1 >= (tx1 + m > W - 1 ? W - 1 - tx1 : m);
            tight &= b[2] == (ty0 - m < 0 ? 0 : ty0 - m) && b[5] == (tx1 + m > W - 1 ? W - 1 : tx1 + m);
        }
        ok(contained, "boxes margin %d: each box contains its component with margin %d", m, m);
        ok(tight, "boxes margin %d: the box is the tight box grown by exactly %d (clipped)", m, m);
        if (m == 0) {
            // Closed form for the bar: rows 50..53, columns 5..59.
            int found = 0;
            for (int64_t r = 0; r < nr; r++)
                found |= rows[6 * r + 1] == 2 && rows[6 * r + 2] == 50 &&
                         rows[6 * r + 3] == 5 && rows[6 * r + 4] == 53 &&
                         rows[6 * r + 5] == 59;
            ok(found, "boxes: the bar's box is (50,5)-(53,59)");
            sr_weak_boxes_paint(rows, nr, 1, H, W, paint);
            int cover = 1;
            for (int i = 0; i < H * W; i++)
                cover &= lab[i] == 0 || paint[i] == lab[i];
            ok(cover, "boxes: painted boxes cover every object pixel with its class");
        }
        free(rows);
    }
    int64_t nr = 0;
    int32_t *rows = sr_weak_boxes(lab, 1, H, W, 3, 0, 0, &nr, &err);
    is_int(nr, 2, "boxes per class (per_component=0): one box per present class");
    free(rows);
}

static void test_tags(void)
{
    enum { H = 64, W = 64 };
    static uint8_t lab[2 * H * W];
    uint8_t tags[2 * 4];
    make_scene(lab, H, W);
    memset(lab + H * W, 0, H * W);
    lab[H * W + 5] = 3;
    sr_weak_tags(lab, 2, H, W, 4, tags);
    uint8_t want[8] = {1, 1, 1, 0, 1, 0, 0, 1};
    ok(memcmp(tags, want, 8) == 0, "tags: presence of each class per image");
}

static void test_shorten(void)
{
    enum { H = 20, W = 60 };
    static uint8_t s[H * W], out[H * W];
    memset(s, SR_WEAK_UNLABELED, sizeof s);
    for (int x = 10; x <= 50; x++) // a horizontal scribble of 41 pixels (length 40)
        s[5 * W + x] = 3;
    for (int y = 12; y <= 16; y++) // and a vertical one of class 0
        s[y * W + 30] = 0;
    sr_error_t err = {{0}};
    int bad = 0;
    is_int(sr_weak_scribble_shorten(s, 1, H, W, 0.5, out, &err), 0, "shorten 0.5: ok");
    for (int x = 0; x < W; x++) {
        int want = x >= 20 && x <= 40;
        bad += (out[5 * W + x] == 3) != want;
    }
    is_int(bad, 0, "shorten 0.5: keeps columns 20..40, the central half of 10..50");
    sr_weak_scribble_shorten(s, 1, H, W, 1.0, out, &err);
    ok(memcmp(s, out, sizeof s) == 0, "shorten 1.0: the scribbles unchanged");
    sr_weak_scribble_shorten(s, 1, H, W, 0.0, out, &err);
    int n3 = 0, n0 = 0;
    for (int i = 0; i < H * W; i++)
        n3 += out[i] == 3, n0 += out[i] == 0;
    is_int(n3, 1, "shorten 0: one click per scribble (class 3)");
    is_int(n0, 1, "shorten 0: one click per scribble (class 0)");
    is_int(out[5 * W + 30], 3, "shorten 0: the click is the middle pixel (5,30)");
    is_int(out[14 * W + 30], 0, "shorten 0: the vertical click is its middle (14,30)");
    ok(sr_weak_scribble_shorten(s, 1, H, W, 1.5, out, &err) == -1 &&
           strstr(err.text, "1.5") != NULL,
       "shorten: ratio outside [0,1] rejected naming it (%s)", err.text);
}

static void test_scribbles(void)
{
    enum { N = 2, H = 64, W = 64 };
    static uint8_t lab[N * H * W], out[N * H * W];
    make_scene(lab, H, W);
    make_scene(lab + H * W, H, W);
    sr_weak_scribbles(lab, N, H, W, 3, 2, 1, 3, out);
    int inside = 1, per_class[3] = {0, 0, 0};
    for (int i = 0; i < N * H * W; i++)
        if (out[i] != SR_WEAK_UNLABELED) {
            inside &= out[i] == lab[i];
            per_class[out[i]]++;
        }
    ok(inside, "synthetic scribbles lie inside their objects");
    ok(per_class[0] > 20 && per_class[1] > 10 && per_class[2] > 20,
       "synthetic scribbles cover every class (%d, %d, %d pixels)", per_class[0], per_class[1],
       per_class[2]);
    // The bar (4 rows) eroded by 2 empties, so its scribble is the geodesic
    // diameter of the bar itself: about its length.
    int bar = 0;
    for (int i = 0; i < H * W; i++)
        bar += out[i] == 2;
    ok(bar >= 55 && bar <= 60, "the bar's scribble runs its length (%d pixels)", bar);
}

/* Drawing a scribble polyline, width 3 (pixels within 1.5 of a segment). */
static void test_draw_polyline(void)
{
    uint8_t m[12 * 16];
    memset(m, SR_WEAK_UNLABELED, sizeof m);
    double h[] = {2, 5, 9, 5};
    sr_weak_draw_polyline(m, 12, 16, h, 2, 3.0, 4);
    int n = 0, rows_ok = 1;
    for (int y = 0; y < 12; y++)
        for (int x = 0; x < 16; x++) {
            int in = m[y * 16 + x] == 4;
            n += in;
            // Rows 4..6 (distance <= 1), columns 1..10 (round caps of radius 1.5
            // reach one pixel past each end, also diagonally: sqrt(2) <= 1.5).
            rows_ok &= in == (y >= 4 && y <= 6 && x >= 1 && x <= 10);
        }
    ok(n == 30 && rows_ok, "draw_polyline: a horizontal segment of width 3 is a 3x10 block");
    memset(m, SR_WEAK_UNLABELED, sizeof m);
    double d[] = {0, 0, 6, 6};
    sr_weak_draw_polyline(m, 12, 16, d, 2, 3.0, 1);
#define AT(x, y) m[(y) * 16 + (x)]
    ok(AT(3, 3) == 1 && AT(5, 3) == 1 && AT(6, 3) == 255 && AT(7, 7) == 1 && AT(8, 8) == 255 &&
           AT(7, 6) == 1 && AT(0, 2) == 1 && AT(0, 3) == 255,
       "draw_polyline: a diagonal keeps |x - y| <= 2 (distance sqrt(2)), caps of radius 1.5");
    memset(m, SR_WEAK_UNLABELED, sizeof m);
    double one[] = {5, 5};
    double edge[] = {-3, 11, 20, 11};
    sr_weak_draw_polyline(m, 12, 16, one, 1, 3.0, 2);
    int any = 0;
    for (int i = 0; i < 12 * 16; i++)
        any |= m[i] != 255;
    sr_weak_draw_polyline(m, 12, 16, edge, 2, 3.0, 3);
    ok(!any && AT(0, 11) == 3 && AT(15, 10) == 3 && AT(15, 9) == 255,
       "draw_polyline: one point draws nothing; a line past the border is clipped");
#undef AT
}

int main(void)
{
    char fix[4096];
    const char *srcdir = getenv("SRCDIR");
    snprintf(fix, sizeof fix, "%s/tests/data/fixtures/weak.h5", srcdir ? srcdir : ".");
    test_erosion_closed_form();
    test_erosion_scipy(fix);
    test_points();
    test_boxes();
    test_tags();
    test_shorten();
    test_scribbles();
    test_draw_polyline();
    return done_testing();
}
