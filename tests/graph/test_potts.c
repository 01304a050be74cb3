/* test_potts.c - grid Potts energies: energy by hand, contrast-sensitive
 * weights against the closed form of ADM Eq. 2 with the Boykov-Jolly sigma^2
 * rule (4- and 8-connected, both diagonal rules), the authors' x1000
 * truncation, hard constraints and error messages. */
#include <math.h>
#include <string.h>

#include "graph/potts.h"
#include "tap.h"

static double wt(const sr_potts_t *e, int d, int h, int x)
{
    return e->weight[((size_t)d * e->H + h) * e->W + x];
}

static void test_energy_by_hand(void)
{
    sr_potts_t e;
    ok(sr_potts_init(&e, 3, 2, 3, SR_GRID_CONN_4, NULL) == 0, "init 2x3, K=3");
    sr_potts_set_constant_weights(&e, 2.0, SR_POTTS_DIAG_INV_DIST, NULL);
    float u[3 * 6];
    for (int i = 0; i < 18; i++)
        u[i] = (float)i; // D_p(k) = 6k + p
    sr_potts_set_unary(&e, u, NULL, NULL);
    // labels  0 0 1 / 2 0 1: unary = (0+1+8) + (15+4+11) = 39;
    // cuts: right (0,1)-(0,2), (1,0)-(1,1), (1,1)-(1,2); down (0,0)-(1,0): 4 x 2 = 8.
    int32_t f[6] = {0, 0, 1, 2, 0, 1};
    double eu, ep;
    double E = sr_potts_energy(&e, f, &eu, &ep);
    is_close(eu, 39, 0, 1e-12, "unary part 39");
    is_close(ep, 8, 0, 1e-12, "pair part 8 (four cut pairs of weight 2)");
    is_close(E, 47, 0, 1e-12, "energy 47");
    sr_potts_free(&e);
    ok(sr_potts_init(&e, 3, 2, 3, SR_GRID_CONN_8, NULL) == 0, "init 8-connected");
    sr_potts_set_constant_weights(&e, 2.0, SR_POTTS_DIAG_INV_DIST, NULL);
    // diagonals: down-right (0,0)-(1,1) same; (0,1)-(1,2) 0 vs 1 cut;
    // down-left (0,1)-(1,0) 0 vs 2 cut; (0,2)-(1,1) 1 vs 0 cut: 3 x 2/sqrt2.
    sr_potts_energy(&e, f, NULL, &ep);
    is_close(ep, 8 + 3 * 2 / sqrt(2.0), 1e-15, 0, "8-connected: diagonal cuts weigh 1/sqrt2");
    is_close(wt(&e, 3, 0, 0), 0, 0, 0, "down-left pair off the grid has weight 0");
    is_close(wt(&e, 0, 0, 2), 0, 0, 0, "right pair off the grid has weight 0");
    is_close(wt(&e, 1, 1, 0), 0, 0, 0, "down pair off the grid has weight 0");
    sr_potts_free(&e);
}

static void test_contrast_weights(void)
{
    // Grey 2x2 image [0 1; 2 4]: squared differences right 1, 4; down 4, 9;
    // down-right (0,4) 16; down-left (1,2) 1.
    float img[4] = {0, 1, 2, 4};
    sr_potts_t e;
    sr_potts_contrast_t c = {3.0, 0.0, SR_POTTS_DIAG_INV_DIST};
    double s2;
    sr_potts_init(&e, 2, 2, 2, SR_GRID_CONN_8, NULL);
    ok(sr_potts_set_contrast_weights(&e, img, 1, &c, NULL, &s2, NULL) == 0, "weights 8-conn");
    is_close(s2, 35.0 / 6.0, 1e-15, 0, "sigma^2 = mean of the 6 squared differences");
    is_close(wt(&e, 0, 0, 0), 3 * exp(-1 / (2 * s2)), 1e-14, 0, "right (0,0)");
    is_close(wt(&e, 0, 1, 0), 3 * exp(-4 / (2 * s2)), 1e-14, 0, "right (1,0)");
    is_close(wt(&e, 1, 0, 1), 3 * exp(-9 / (2 * s2)), 1e-14, 0, "down (0,1)");
    is_close(wt(&e, 2, 0, 0), 3 * exp(-16 / (2 * s2)) / sqrt(2.0), 1e-14, 0,
             "down-right, divided by sqrt 2");
    is_close(wt(&e, 3, 0, 1), 3 * exp(-1 / (2 * s2)) / sqrt(2.0), 1e-14, 0,
             "down-left, divided by sqrt 2");
    c.diag = SR_POTTS_DIAG_SAME;
    sr_potts_set_contrast_weights(&e, img, 1, &c, NULL, NULL, NULL);
    is_close(wt(&e, 2, 0, 0), 3 * exp(-16 / (2 * s2)), 1e-14, 0, "Eq. 2 as printed: no 1/dist");
    // The authors' code: 1000 * lambda * exp(.) / sqrt2, cast to int.
    sr_potts_scaling_t sc = {1000, SR_POTTS_QUANT_TRUNC};
    c.diag = SR_POTTS_DIAG_INV_DIST;
    sr_potts_set_contrast_weights(&e, img, 1, &c, &sc, NULL, NULL);
    is_close(wt(&e, 2, 0, 0), floor(3000 * exp(-16 / (2 * s2)) / sqrt(2.0)), 0, 0,
             "x1000 truncated: %g", wt(&e, 2, 0, 0));
    sr_potts_free(&e);

    sr_potts_init(&e, 2, 2, 2, SR_GRID_CONN_4, NULL);
    c.sigma2 = 0;
    sr_potts_set_contrast_weights(&e, img, 1, &c, NULL, &s2, NULL);
    is_close(s2, 18.0 / 4.0, 1e-15, 0,
             "4-connected sigma^2 averages right and down pairs only");
    c.sigma2 = 2.0;
    sr_potts_set_contrast_weights(&e, img, 1, &c, NULL, &s2, NULL);
    is_close(wt(&e, 1, 0, 1), 3 * exp(-9 / 4.0), 1e-14, 0, "fixed sigma^2 = 2 used as given");
    // Two channels: ||I_p - I_q||^2 sums over channels.
    float rgb[8] = {0, 1, 2, 4, 1, 1, 1, 1};
    c.sigma2 = 1.0;
    sr_potts_set_contrast_weights(&e, rgb, 2, &c, NULL, NULL, NULL);
    is_close(wt(&e, 0, 1, 0), 3 * exp(-4 / 2.0), 1e-14, 0, "two channels, constant second");
    float flat[4] = {5, 5, 5, 5};
    c.sigma2 = 0;
    sr_potts_set_contrast_weights(&e, flat, 1, &c, NULL, &s2, NULL);
    ok(s2 == 0 && wt(&e, 0, 0, 0) == 3, "constant image: sigma^2 0, w = lambda");
    sr_error_t err = {{0}};
    float nan_img[4] = {0, NAN, 0, 0};
    ok(sr_potts_set_contrast_weights(&e, nan_img, 1, &c, NULL, NULL, &err) == -1 &&
           strstr(err.text, "(c=0, h=0, w=1)") != NULL,
       "NaN pixel rejected with its index: %s", err.text);
    sr_potts_free(&e);
}

static void test_unary_scaling_and_errors(void)
{
    sr_potts_t e;
    sr_error_t err = {{0}};
    sr_potts_init(&e, 2, 1, 2, SR_GRID_CONN_4, NULL);
    float u[4] = {1.23456f, -0.0019f, 2.5f, 0.0f};
    sr_potts_scaling_t trunc_sc = {1000, SR_POTTS_QUANT_TRUNC};
    sr_potts_set_unary(&e, u, &trunc_sc, NULL);
    ok(e.unary[0] == 1234 && e.unary[1] == -1 && e.unary[2] == 2500,
       "x1000 truncation toward zero: %g %g %g", e.unary[0], e.unary[1], e.unary[2]);
    sr_potts_scaling_t round_sc = {1000, SR_POTTS_QUANT_ROUND};
    sr_potts_set_unary(&e, u, &round_sc, NULL);
    ok(e.unary[0] == 1235 && e.unary[1] == -2, "x1000 rounding: %g %g", e.unary[0], e.unary[1]);
    float bad[4] = {0, 0, INFINITY, 0};
    ok(sr_potts_set_unary(&e, bad, NULL, &err) == -1 && strstr(err.text, "(k=1, h=0, w=0)"),
       "infinite unary named: %s", err.text);
    sr_error_clear(&err);
    sr_potts_scaling_t zero = {0, SR_POTTS_QUANT_NONE};
    ok(sr_potts_set_unary(&e, u, &zero, &err) == -1 && strstr(err.text, "scale"),
       "scale 0 rejected: %s", err.text);
    sr_error_clear(&err);
    int32_t fx[2] = {-1, 2};
    ok(sr_potts_set_fixed(&e, fx, &err) == -1 && strstr(err.text, "value 2 at (h=0, w=1)"),
       "fixed label out of range named: %s", err.text);
    fx[1] = 1;
    ok(sr_potts_set_fixed(&e, fx, NULL) == 0 && e.has_fixed && e.fixed[0] == -1,
       "fixed labels stored");
    // -log p unaries, the authors' x1000 truncation: -log 0.5 = 0.693147...
    float prob[4] = {0.5f, 1.0f, 0.0f, 0.25f};
    ok(sr_potts_set_unary_neglog(&e, prob, 1e-10, &trunc_sc, NULL) == 0, "neglog unary");
    ok(e.unary[0] == 693 && e.unary[1] == 0 && e.unary[2] == 23025 && e.unary[3] == 1386,
       "-log p x1000 truncated: %g %g %g (p = 0 clamped to 1e-10) %g", e.unary[0], e.unary[1],
       e.unary[2], e.unary[3]);
    sr_potts_set_unary_neglog(&e, prob, 1e-10, NULL, NULL);
    is_close(e.unary[3], log(4.0), 1e-15, 0, "unscaled: -log 0.25 = log 4");
    prob[3] = 1.5f;
    sr_error_clear(&err);
    ok(sr_potts_set_unary_neglog(&e, prob, 1e-10, NULL, &err) == -1 &&
           strstr(err.text, "value 1.5 at (k=1, h=0, w=1)"),
       "probability > 1 named: %s", err.text);
    sr_potts_free(&e);
    sr_error_clear(&err);
    ok(sr_potts_init(&e, 0, 2, 2, SR_GRID_CONN_4, &err) == -1 && strstr(err.text, "K=0"),
       "K=0 rejected: %s", err.text);
    enum sr_grid_conn cn;
    enum sr_potts_quant q;
    ok(sr_grid_conn_parse("8", &cn, NULL) == 0 && cn == SR_GRID_CONN_8, "parse '8'");
    sr_error_clear(&err);
    ok(sr_grid_conn_parse("6", &cn, &err) == -1 && strstr(err.text, "'6'"), "reject '6'");
    ok(sr_potts_quant_parse("trunc", &q, NULL) == 0 && q == SR_POTTS_QUANT_TRUNC,
       "parse 'trunc'");
    is_str(sr_potts_diag_name(SR_POTTS_DIAG_INV_DIST), "inv_dist", "diag name");
    is_str(sr_expansion_init_name(SR_EXPANSION_INIT_ZERO), "zero", "init name");
}

int main(void)
{
    test_energy_by_hand();
    test_contrast_weights();
    test_unary_scaling_and_errors();
    return done_testing();
}
