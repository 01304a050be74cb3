/* convert.c - the dataset converters (see convert.h and doc/datasets.md).
 *
 * Structure: parameters (defaults per dataset, user overrides, all recorded),
 * a dataset builder that grows image by image, two pipelines (volumes -> 2D
 * slices, and 2D images), a finishing step (splits, background-slice
 * removal, offline augmentation, weak labels), then one layout function per
 * dataset that finds the archive's files and feeds the pipelines.
 *
 * Two modes share the pipelines: in memory (sr_convert_run: the builder
 * holds every array, finish() uses the whole-dataset functions), and
 * streaming (sr_convert_file: each finished image is appended to row-
 * extendable HDF5 datasets, finish_stream() works row by row on the file
 * and hashes it incrementally). Tests check both give the same bytes.
 *
 * Deliberately not done: 4D perfusion series, DICOM.
 */
#define _POSIX_C_SOURCE 200809L
#include "io/datasets/convert.h"

#include <dirent.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/rng.h"
#include "data/preprocess.h"
#include "data/weak.h"
#include "io/datasets/ds_file.h"
#include "io/datasets/image.h"
#include "io/datasets/matfile.h"
#include "io/datasets/scribble_xml.h"
#include "io/datasets/volume_io.h"
#include "io/h5.h"

/* snprintf for paths and names: truncation is harmless here (a truncated
 * path simply does not exist and is reported as missing), so we do not want
 * -Wformat-truncation on each call. */
static int pathf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static const char *const convert_names[] = {
    "acdc", "promise12", "vb", "isles2018", "wmh2017", "atlas",
    "ibsr", "isic2018", "dsb2018", "drive", "voc2012"};
_Static_assert(sizeof convert_names / sizeof convert_names[0] == SR_CONVERT_COUNT,
               "converter names");

const char *sr_convert_name(int c)
{
    return c >= 0 && c < SR_CONVERT_COUNT ? convert_names[c] : "?";
}

#define COMMON_DEFAULTS                                                                     \
    "height=256 width=256 fit=resize axis=z crop_y=0 seed=0 n_val=0 n_test=0 fold=0 "      \
    "val_fraction=0 drop_background=none augment=0 max_angle=45 erosion_iterations=10 "    \
    "point_radius=2 box_margin=0 per_component=1 scribble_margin=2 "

static const char *const defaults[SR_CONVERT_COUNT] = {
    COMMON_DEFAULTS "classes=lv n_val=25 weak=erosion,tags",
    COMMON_DEFAULTS "n_val=10 augment=4 weak=points,boxes,tags",
    COMMON_DEFAULTS "n_val=5 n_test=3 crop_y=60 fit=square weak=points,tags",
    COMMON_DEFAULTS "n_val=20 fit=pad weak=boxes,tags",
    COMMON_DEFAULTS "n_val=10 other=background weak=tags",
    COMMON_DEFAULTS "n_val=26 width=208 fit=pad weak=boxes,tags",
    COMMON_DEFAULTS "n_val=1 n_test=6 axis=y height=128 width=256 fit=pad "
                    "drop_background=train weak=tags",
    COMMON_DEFAULTS "val_fraction=0.2 weak=tags",
    COMMON_DEFAULTS "val_fraction=0.2 weak=points,boxes,tags",
    COMMON_DEFAULTS "val_fraction=0.2 fit=none patch=64 stride=64 weak=tags",
    COMMON_DEFAULTS "train_list=train_aug shorten=none scribble_width=3 weak=tags",
};

static const char *const layouts[SR_CONVERT_COUNT] = {
    "SRC/training/patientNNN/patientNNN_frameNN.nii.gz + patientNNN_frameNN_gt.nii.gz "
    "(ACDC 2017 training set)",
    "SRC/**/CaseNN.mhd + CaseNN_segmentation.mhd (+ .raw) (PROMISE12 training parts)",
    "SRC/**/<case>.{nii,nii.gz,mhd} + <case> with 'mask' in the name, e.g. "
    "Case1.nii.gz + Case1_mask.nii.gz (unverified: see doc/datasets.md)",
    "SRC/TRAINING/case_N/SMIR.Brain.XX.O.{CT,CT_CBF,CT_CBV,CT_MTT,CT_Tmax,OT}.ID/*.nii",
    "SRC/<site>/<id>/pre/FLAIR.nii.gz + pre/T1.nii.gz + wmh.nii.gz",
    "SRC/**/<subject>/t01/<subject>_t1w_deface_stx.nii.gz + *_LesionSmooth*_stx.nii.gz",
    "SRC/IBSR_NN/IBSR_NN_ana_strip.{nii.gz,hdr} + IBSR_NN_seg_ana.{nii.gz,hdr}",
    "SRC/ISIC2018_Task1-2_Training_Input/ISIC_N.jpg + "
    "SRC/ISIC2018_Task1_Training_GroundTruth/ISIC_N_segmentation.png",
    "SRC/stage1_train/<id>/images/<id>.png + SRC/stage1_train/<id>/masks/*.png",
    "SRC/[DRIVE/]{training,test}/images/NN_*.tif + {training,test}/1st_manual/NN_manual1.gif",
    "SRC/VOCdevkit/VOC2012/{JPEGImages,SegmentationClass,ImageSets/Segmentation} "
    "[+ SRC/SegmentationClassAug + SRC/train_aug.txt | SRC/benchmark_RELEASE/dataset/"
    "{cls/<id>.mat,img/<id>.jpg,train.txt,val.txt}] [+ SRC/scribble_annotation/pascal_2012/"
    "<id>.xml | SRC/pascal_2012_scribble/<id>.png]",
};

/* ------------------------------------------------------------ parameters */

#define MAX_KV 40

typedef struct opts {
    char key[MAX_KV][32];
    char val[MAX_KV][160];
    int n;
} opts_t;

static int opts_merge(opts_t *o, const char *dsname, const char *s, int allow_new,
                      sr_error_t *err)
{
    while (s && *s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        size_t len = strcspn(s, " ");
        const char *eq = memchr(s, '=', len);
        if (!eq || eq == s)
            return sr_errorf(err, "dataset %s: parameter '%.*s' is not key=value", dsname,
                             (int)len, s);
        size_t kl = (size_t)(eq - s), vl = len - kl - 1;
        if (kl >= 32 || vl >= 160)
            return sr_errorf(err, "dataset %s: parameter '%.*s' too long", dsname, (int)len, s);
        int i = 0;
        while (i < o->n && (strlen(o->key[i]) != kl || strncmp(o->key[i], s, kl)))
            i++;
        if (i == o->n) {
            if (!allow_new)
                return sr_errorf(err, "dataset %s: unknown parameter '%.*s' (see 'segrep "
                                 "dataset convert --help')", dsname, (int)kl, s);
            if (o->n == MAX_KV)
                return sr_errorf(err, "dataset %s: too many parameters", dsname);
            memcpy(o->key[i], s, kl);
            o->key[i][kl] = '\0';
            o->n++;
        }
        memcpy(o->val[i], eq + 1, vl);
        o->val[i][vl] = '\0';
        s += len;
    }
    return 0;
}

static const char *opt(const opts_t *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->key[i], key))
            return o->val[i];
    return "";
}

static int opt_num(const opts_t *o, const char *ds, const char *key, double lo, double hi,
                   int integer, double *out, sr_error_t *err)
{
    const char *v = opt(o, key);
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !(d >= lo && d <= hi) || (integer && d != floor(d)))
        return sr_errorf(err, "dataset %s: invalid value '%s' for %s (expected %s in [%g, %g])",
                         ds, v, key, integer ? "an integer" : "a number", lo, hi);
    *out = d;
    return 0;
}

static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, word, n))
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

enum fit { FIT_RESIZE, FIT_PAD, FIT_SQUARE, FIT_NONE };

typedef struct conf {
    const char *ds;
    int64_t H, W;
    int fit, axis, crop_y;
    uint64_t seed;
    int64_t n_val, n_test;
    int fold;
    double val_fraction;
    int drop_bg; /* 0 none, 1 train, 2 all */
    int augment;
    double max_angle;
    int erosion_iter, point_radius, box_margin, per_component, scribble_margin;
    char weak[160];
    opts_t o;
} conf_t;

static int conf_load(conf_t *c, enum sr_convert which, const char *params, sr_error_t *err)
{
    memset(c, 0, sizeof *c);
    c->ds = convert_names[which];
    if (opts_merge(&c->o, c->ds, defaults[which], 1, err) ||
        opts_merge(&c->o, c->ds, params, 0, err))
        return -1;
    double v[16];
    if (opt_num(&c->o, c->ds, "height", 1, 8192, 1, &v[0], err) ||
        opt_num(&c->o, c->ds, "width", 1, 8192, 1, &v[1], err) ||
        opt_num(&c->o, c->ds, "crop_y", 0, 8192, 1, &v[2], err) ||
        opt_num(&c->o, c->ds, "seed", 0, 9007199254740992.0, 1, &v[3], err) ||
        opt_num(&c->o, c->ds, "n_val", 0, 1e9, 1, &v[4], err) ||
        opt_num(&c->o, c->ds, "n_test", 0, 1e9, 1, &v[5], err) ||
        opt_num(&c->o, c->ds, "fold", 0, 1000, 1, &v[6], err) ||
        opt_num(&c->o, c->ds, "val_fraction", 0, 1, 0, &v[7], err) ||
        opt_num(&c->o, c->ds, "augment", 0, 100, 1, &v[8], err) ||
        opt_num(&c->o, c->ds, "max_angle", 0, 180, 0, &v[9], err) ||
        opt_num(&c->o, c->ds, "erosion_iterations", 0, 1000, 1, &v[10], err) ||
        opt_num(&c->o, c->ds, "point_radius", 0, 1000, 1, &v[11], err) ||
        opt_num(&c->o, c->ds, "box_margin", 0, 10000, 1, &v[12], err) ||
        opt_num(&c->o, c->ds, "per_component", 0, 1, 1, &v[13], err) ||
        opt_num(&c->o, c->ds, "scribble_margin", 0, 1000, 1, &v[14], err))
        return -1;
    c->H = (int64_t)v[0], c->W = (int64_t)v[1], c->crop_y = (int)v[2];
    c->seed = (uint64_t)v[3], c->n_val = (int64_t)v[4], c->n_test = (int64_t)v[5];
    c->fold = (int)v[6], c->val_fraction = v[7], c->augment = (int)v[8];
    c->max_angle = v[9], c->erosion_iter = (int)v[10], c->point_radius = (int)v[11];
    c->box_margin = (int)v[12], c->per_component = (int)v[13];
    c->scribble_margin = (int)v[14];
    const char *fit = opt(&c->o, "fit"), *axis = opt(&c->o, "axis");
    const char *drop = opt(&c->o, "drop_background");
    c->fit = !strcmp(fit, "resize") ? FIT_RESIZE
             : !strcmp(fit, "pad")  ? FIT_PAD
             : !strcmp(fit, "square") ? FIT_SQUARE
             : !strcmp(fit, "none") ? FIT_NONE
                                    : -1;
    c->axis = !strcmp(axis, "z") ? 0 : !strcmp(axis, "y") ? 1 : !strcmp(axis, "x") ? 2 : -1;
    c->drop_bg = !strcmp(drop, "none") ? 0 : !strcmp(drop, "train") ? 1 : !strcmp(drop, "all") ? 2 : -1;
    if (c->fit < 0)
        return sr_errorf(err, "dataset %s: invalid value '%s' for fit (expected resize, pad, "
                         "square or none)", c->ds, fit);
    if (c->axis < 0)
        return sr_errorf(err, "dataset %s: invalid value '%s' for axis (expected z, y or x)",
                         c->ds, axis);
    if (c->drop_bg < 0)
        return sr_errorf(err, "dataset %s: invalid value '%s' for drop_background (expected "
                         "none, train or all)", c->ds, drop);
    pathf(c->weak, sizeof c->weak, "%s", opt(&c->o, "weak"));
    const char *known[] = {"erosion", "points", "boxes", "tags", "scribbles", "none"};
    for (const char *p = c->weak; *p;) {
        size_t len = strcspn(p, ",");
        int ok = 0;
        for (int i = 0; i < 6; i++)
            ok |= strlen(known[i]) == len && !strncmp(p, known[i], len);
        if (!ok)
            return sr_errorf(err, "dataset %s: unknown weak label '%.*s' (expected erosion, "
                             "points, boxes, tags, scribbles or none)", c->ds, (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* ---------------------------------------------------------------- files */

typedef struct strlist {
    char **s;
    int64_t n, cap;
} strlist_t;

static int sl_add(strlist_t *l, const char *s)
{
    if (l->n == l->cap) {
        int64_t cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->s, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        l->s = p;
        l->cap = cap;
    }
    size_t n = strlen(s) + 1;
    l->s[l->n] = malloc(n);
    if (!l->s[l->n])
        return -1;
    memcpy(l->s[l->n++], s, n);
    return 0;
}

static void sl_free(strlist_t *l)
{
    for (int64_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Entries of 'dir' whose name matches 'pattern' (fnmatch), as full paths,
 * sorted; recursive if 'depth' > 0 (depth levels below 'dir'). */
static int find(const char *dir, const char *pattern, int depth, int want_dirs, strlist_t *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    strlist_t names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && sl_add(&names, e->d_name)) {
            closedir(d);
            sl_free(&names);
            return -1;
        }
    closedir(d);
    if (names.n > 1)
        qsort(names.s, (size_t)names.n, sizeof *names.s, cmp_str);
    int rc = 0;
    char path[4096];
    for (int64_t i = 0; i < names.n && rc == 0; i++) {
        pathf(path, sizeof path, "%s/%s", dir, names.s[i]);
        int isd = is_dir(path);
        if (fnmatch(pattern, names.s[i], 0) == 0 && isd == want_dirs)
            rc = sl_add(out, path);
        if (rc == 0 && isd && depth > 0)
            rc = find(path, pattern, depth - 1, want_dirs, out);
    }
    sl_free(&names);
    return rc;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* First existing path among "prefix + suffixes[i]". */
static int first_existing(char *out, size_t size, const char *prefix, const char *const *suffixes)
{
    for (int i = 0; suffixes[i]; i++) {
        pathf(out, size, "%s%s", prefix, suffixes[i]);
        if (is_file(out))
            return 1;
    }
    return 0;
}

static const char *const vol_ext[] = {".nii.gz", ".nii", ".hdr", ".mhd", ".mha", NULL};

/* -------------------------------------------------------------- builder */

/* Memory accounting (a test hook, sr_convert_peak_bytes): bytes of the
 * dataset-sized buffers this file holds (the builder's arrays, row buffers,
 * volumes and decoded images, weak-label buffers). Library internals (HDF5's
 * chunk cache, libpng's rows) are not counted. */
static int64_t acct_cur, acct_peak;

static void acct(int64_t delta)
{
    acct_cur += delta;
    if (acct_cur > acct_peak)
        acct_peak = acct_cur;
}

int64_t sr_convert_peak_bytes(void)
{
    return acct_peak;
}

#define MAX_SHORTEN 8

/* The builder grows a dataset image by image. In memory (f == NULL) it
 * holds every array; streaming (f != NULL) it holds the per-image metadata
 * (volume, slice, split, spacing: tens of bytes per image) and one row of
 * each per-image array, and appends each finished row to the file. */
typedef struct builder {
    sr_dataset_t ds;
    int64_t cap;
    strlist_t volumes; /* names, index = volume id */
    strlist_t groups;  /* group (patient) names */
    int32_t *group;    /* (n_volumes) group of each volume */
    int64_t gcap;
    sr_h5file_t *f;    /* streaming output, or NULL */
    float *row_img;    /* streaming: (C,H,W) of the image being added */
    uint8_t *row_lab;  /* streaming: (H,W) */
    uint8_t *row_scr;  /* streaming: (H,W) ScribbleSup map, if has_scr */
    uint8_t *row_tmp;  /* streaming: (H,W) scratch */
    uint8_t *bg;       /* (cap) 1 if the image's labels are all 0 */
    int has_scr;       /* a per-image "scribbles" map comes with the images */
    uint8_t *scr;      /* in memory: (cap,H,W) scribbles */
    char scr_params[160]; /* the weak map's params: its source */
    int n_short;       /* shortened scribble maps (VOC shorten=...) */
    char short_tok[MAX_SHORTEN][32];
    double short_ratio[MAX_SHORTEN];
} builder_t;

static int64_t b_meta_bytes(void)
{
    return 2 * sizeof(int32_t) + 2 + 3 * sizeof(double);
}

static int b_init(builder_t *b, const char *name, int64_t C, int64_t H, int64_t W, int K,
                  const char *const *classes, sr_error_t *err)
{
    if (sr_dataset_init(&b->ds, name, 0, C, H, W, K, classes, err))
        return -1;
    if (!b->f)
        return 0;
    size_t HW = (size_t)(H * W);
    b->row_img = malloc((size_t)C * HW * sizeof(float));
    b->row_lab = malloc(HW);
    b->row_scr = malloc(HW);
    b->row_tmp = malloc(HW);
    if (!b->row_img || !b->row_lab || !b->row_scr || !b->row_tmp)
        return sr_errorf(err, "dataset %s: out of memory", name);
    acct((int64_t)((size_t)C * HW * sizeof(float) + 3 * HW));
    int64_t d3[3] = {C, H, W}, d2[2] = {H, W};
    return sr_h5_rows_create(b->f, "/images", SR_H5_F32, 4, d3, 1, err) ||
                   sr_h5_rows_create(b->f, "/labels", SR_H5_U8, 3, d2, 1, err)
               ? -1
               : 0;
}

static int64_t b_row_bytes(const builder_t *b)
{
    int64_t HW = b->ds.H * b->ds.W;
    return b->f ? 0 : b->ds.C * HW * (int64_t)sizeof(float) + HW + (b->has_scr ? HW : 0);
}

static void b_free(builder_t *b)
{
    acct(-b->cap * (b_meta_bytes() + b_row_bytes(b)));
    if (b->row_img)
        acct(-(int64_t)(b->ds.C * b->ds.H * b->ds.W * (int64_t)sizeof(float) +
                        3 * b->ds.H * b->ds.W));
    sr_dataset_free(&b->ds);
    sl_free(&b->volumes);
    sl_free(&b->groups);
    free(b->group);
    free(b->row_img), free(b->row_lab), free(b->row_scr), free(b->row_tmp);
    free(b->bg), free(b->scr);
}

/* Room for 'n' more images (metadata always; rows only in memory). */
static int b_reserve(builder_t *b, int64_t n, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    if (ds->N + n <= b->cap)
        return 0;
    int64_t cap = b->cap ? b->cap : 16;
    while (cap < ds->N + n)
        cap *= 2;
    size_t HW = (size_t)(ds->H * ds->W);
    int ok = 1;
    if (!b->f) {
        float *im = realloc(ds->images, (size_t)cap * (size_t)ds->C * HW * sizeof(float));
        if (im)
            ds->images = im;
        uint8_t *lab = realloc(ds->labels, (size_t)cap * HW);
        if (lab)
            ds->labels = lab;
        ok = im && lab;
        if (ok && b->has_scr) {
            uint8_t *s = realloc(b->scr, (size_t)cap * HW);
            if (s)
                b->scr = s;
            ok = s != NULL;
        }
    }
    int32_t *vol = realloc(ds->volume, (size_t)cap * sizeof(int32_t));
    if (vol)
        ds->volume = vol;
    int32_t *sl = realloc(ds->slice, (size_t)cap * sizeof(int32_t));
    if (sl)
        ds->slice = sl;
    uint8_t *sp = realloc(ds->split, (size_t)cap);
    if (sp)
        ds->split = sp;
    double *spc = realloc(ds->spacing, (size_t)cap * 3 * sizeof(double));
    if (spc)
        ds->spacing = spc;
    uint8_t *bg = realloc(b->bg, (size_t)cap);
    if (bg)
        b->bg = bg;
    if (!ok || !vol || !sl || !sp || !spc || !bg)
        return sr_errorf(err, "dataset %s: out of memory for %lld images", ds->name,
                         (long long)cap);
    acct((cap - b->cap) * (b_meta_bytes() + b_row_bytes(b)));
    b->cap = cap;
    return 0;
}

/* Where the image being added (index ds.N) goes: call b_reserve(b, 1) first. */
static float *b_img(builder_t *b)
{
    return b->f ? b->row_img : b->ds.images + b->ds.N * b->ds.C * b->ds.H * b->ds.W;
}

static uint8_t *b_lab(builder_t *b)
{
    return b->f ? b->row_lab : b->ds.labels + b->ds.N * b->ds.H * b->ds.W;
}

static uint8_t *b_scr(builder_t *b)
{
    return b->f ? b->row_scr : b->scr + b->ds.N * b->ds.H * b->ds.W;
}

static int weak_path(char *buf, size_t size, const char *name);

/* The image being added is complete (rows filled, metadata set): note if it
 * is background only and, streaming, check it as sr_dataset_validate would
 * and append its rows. */
static int b_push(builder_t *b, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    int64_t n = ds->N, HW = ds->H * ds->W, CHW = ds->C * HW;
    const float *img = b_img(b);
    const uint8_t *lab = b_lab(b);
    int any = 0;
    for (int64_t i = 0; i < HW && !any; i++)
        any = lab[i] != 0;
    b->bg[n] = !any;
    if (b->f) {
        for (int64_t i = 0; i < HW; i++)
            if (lab[i] >= ds->K && lab[i] != SR_LABEL_IGNORE)
                return sr_errorf(err, "dataset %s: labels value %lld = %d, expected 0..%d or "
                                 "%d", ds->name, (long long)(n * HW + i), lab[i], ds->K - 1,
                                 SR_LABEL_IGNORE);
        for (int64_t i = 0; i < CHW; i++)
            if (!isfinite(img[i]))
                return sr_errorf(err, "dataset %s: images value %lld is not finite", ds->name,
                                 (long long)(n * CHW + i));
        if (sr_h5_rows_append(b->f, "/images", SR_H5_F32, 1, img, err) ||
            sr_h5_rows_append(b->f, "/labels", SR_H5_U8, 1, lab, err))
            return -1;
        if (b->has_scr) {
            for (int64_t i = 0; i < HW; i++)
                if (b->row_scr[i] >= ds->K && b->row_scr[i] != SR_WEAK_UNLABELED)
                    return sr_errorf(err, "dataset %s: weak/scribbles[%lld] = %d, expected "
                                     "0..%d or 255", ds->name, (long long)(n * HW + i),
                                     b->row_scr[i], ds->K - 1);
            if (sr_h5_rows_append(b->f, "/weak/scribbles", SR_H5_U8, 1, b->row_scr, err))
                return -1;
            for (int s = 0; s < b->n_short; s++) {
                char p[64], name[32];
                pathf(name, sizeof name, "scribbles_%s", b->short_tok[s]);
                weak_path(p, sizeof p, name);
                if (sr_weak_scribble_shorten(b->row_scr, 1, ds->H, ds->W, b->short_ratio[s],
                                             b->row_tmp, err) ||
                    sr_h5_rows_append(b->f, p, SR_H5_U8, 1, b->row_tmp, err))
                    return -1;
            }
        }
    }
    ds->N++;
    return 0;
}

/* Register volume 'name' of group 'group'; returns its index or -1. */
static int32_t b_volume(builder_t *b, const char *name, const char *group, sr_error_t *err)
{
    int64_t g = 0;
    while (g < b->groups.n && strcmp(b->groups.s[g], group))
        g++;
    if (g == b->groups.n && sl_add(&b->groups, group))
        return (int32_t)sr_errorf(err, "out of memory");
    if (b->volumes.n == b->gcap) {
        int64_t cap = b->gcap ? 2 * b->gcap : 64;
        int32_t *p = realloc(b->group, (size_t)cap * sizeof *p);
        if (!p)
            return (int32_t)sr_errorf(err, "out of memory");
        b->group = p;
        b->gcap = cap;
    }
    if (sl_add(&b->volumes, name))
        return (int32_t)sr_errorf(err, "out of memory");
    b->group[b->volumes.n - 1] = (int32_t)g;
    return (int32_t)(b->volumes.n - 1);
}

/* Fit one plane (h,w) to the dataset's (H,W): image bilinear, labels nearest. */
static void fit_plane(const conf_t *c, const float *img, const uint8_t *lab, int64_t h,
                      int64_t w, float *oimg, uint8_t *olab, int64_t H, int64_t W,
                      double *sy, double *sx)
{
    *sy = *sx = 1.0;
    if (c->fit == FIT_PAD || c->fit == FIT_NONE) {
        if (img)
            sr_crop_pad_f32(img, h, w, oimg, H, W, 0.0f);
        if (lab)
            sr_crop_pad_u8(lab, h, w, olab, H, W, 0);
        return;
    }
    if (c->fit == FIT_SQUARE && h != w) {
        int64_t s = h > w ? h : w;
        float *ti = img ? malloc((size_t)(s * s) * sizeof *ti) : NULL;
        uint8_t *tl = lab ? malloc((size_t)(s * s)) : NULL;
        SR_ASSERT((!img || ti) && (!lab || tl));
        if (img)
            sr_crop_pad_f32(img, h, w, ti, s, s, 0.0f);
        if (lab)
            sr_crop_pad_u8(lab, h, w, tl, s, s, 0);
        fit_plane(c, ti, tl, s, s, oimg, olab, H, W, sy, sx);
        free(ti);
        free(tl);
        return;
    }
    if (img)
        sr_resize_bilinear(img, h, w, oimg, H, W);
    if (lab)
        sr_resize_nearest_u8(lab, h, w, olab, H, W);
    *sy = (double)h / (double)H;
    *sx = (double)w / (double)W;
}

/* Labels: float volume values -> uint8 through 'map' (255 = unexpected),
 * or binarised (> 0) when 'map' is NULL. */
static int convert_labels(const float *v, size_t n, const uint8_t *map, const char *path,
                          int K, uint8_t *out, sr_error_t *err)
{
    for (size_t i = 0; i < n; i++) {
        float x = v[i];
        if (!map) {
            out[i] = x > 0;
            continue;
        }
        if (x != floorf(x) || x < 0 || x > 255 || map[(int)x] == 255) {
            char expect[256] = "";
            for (int k = 0; k < 256; k++)
                if (map[k] != 255 && strlen(expect) < 200)
                    pathf(expect + strlen(expect), sizeof expect - strlen(expect), "%s%d",
                             expect[0] ? "," : "", k);
            return sr_errorf(err, "%s: label value %g at voxel %zu outside the class range "
                             "(expected one of %s for %d classes)", path, (double)x, i, expect,
                             K);
        }
        out[i] = map[(int)x];
    }
    return 0;
}

/* ---------------------------------------------------- volume pipeline */

/* Read one case (nchan image volumes + label volumes), normalise, slice
 * along the configured axis, fit, and append. With nlab > 1 the label
 * volumes are binarised and united (ATLAS's several lesion masks; 'map'
 * must then be NULL). Holds one case in memory. */
static int add_volume_case(builder_t *b, const conf_t *c, const char *vname, const char *group,
                           char *const *chan, int nchan, char *const *labels, int nlab,
                           const uint8_t *map, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    const char *label = labels[0];
    sr_volume_t vols[8], lv;
    int nread = 0, rc = 0;
    memset(&lv, 0, sizeof lv);
    for (; nread < nchan && rc == 0; nread++) {
        rc = sr_volume_read(chan[nread], &vols[nread], err);
        if (rc == 0)
            acct(vols[nread].Z * vols[nread].Y * vols[nread].X * (int64_t)sizeof(float));
    }
    if (rc)
        nread--;
    if (rc == 0)
        rc = sr_volume_read(label, &lv, err);
    int64_t lvbytes = rc == 0 ? lv.Z * lv.Y * lv.X * (int64_t)sizeof(float) : 0;
    acct(lvbytes);
    for (int i = 0; rc == 0 && i < nchan; i++) {
        sr_volume_t *v = &vols[i];
        if (v->Z != lv.Z || v->Y != lv.Y || v->X != lv.X)
            rc = sr_errorf(err, "%s: size %lldx%lldx%lld differs from its labels %s "
                           "(%lldx%lldx%lld)", chan[i], (long long)v->X, (long long)v->Y,
                           (long long)v->Z, label, (long long)lv.X, (long long)lv.Y,
                           (long long)lv.Z);
    }
    int64_t Z = lv.Z, Y = lv.Y, X = lv.X, HW = ds->H * ds->W;
    uint8_t *lab = NULL;
    if (rc == 0) {
        lab = malloc((size_t)(Z * Y * X));
        rc = lab ? convert_labels(lv.data, (size_t)(Z * Y * X), map, label, ds->K, lab, err)
                 : sr_errorf(err, "%s: out of memory", label);
        acct(Z * Y * X);
    }
    for (int l = 1; rc == 0 && l < nlab; l++) {
        sr_volume_t ov;
        memset(&ov, 0, sizeof ov);
        if (sr_volume_read(labels[l], &ov, err))
            rc = -1;
        else
            acct(ov.Z * ov.Y * ov.X * (int64_t)sizeof(float));
        if (rc)
            ;
        else if (ov.Z != Z || ov.Y != Y || ov.X != X)
            rc = sr_errorf(err, "%s: size %lldx%lldx%lld differs from %s (%lldx%lldx%lld)",
                           labels[l], (long long)ov.X, (long long)ov.Y, (long long)ov.Z, label,
                           (long long)X, (long long)Y, (long long)Z);
        else
            for (int64_t i = 0; i < Z * Y * X; i++)
                lab[i] |= ov.data[i] > 0;
        acct(-ov.Z * ov.Y * ov.X * (int64_t)sizeof(float));
        sr_volume_free(&ov);
    }
    for (int i = 0; rc == 0 && i < nchan; i++)
        sr_minmax_normalise(vols[i].data, (size_t)(Z * Y * X), 0.0f, 1.0f);
    int32_t vid = rc == 0 ? b_volume(b, vname, group, err) : -1;
    if (vid < 0)
        rc = -1;
    // Plane geometry for the slicing axis: (n slices, h rows, w cols).
    int64_t ns = c->axis == 0 ? Z : c->axis == 1 ? Y : X;
    int64_t h = c->axis == 0 ? Y : Z, w = c->axis == 2 ? Y : X;
    double sp_s = lv.spacing[c->axis], sp_h = c->axis == 0 ? lv.spacing[1] : lv.spacing[0];
    double sp_w = c->axis == 2 ? lv.spacing[1] : lv.spacing[2];
    int64_t y0 = c->crop_y, h2 = h - 2 * (int64_t)c->crop_y;
    if (rc == 0 && h2 < 1)
        rc = sr_errorf(err, "%s: crop_y=%d removes all %lld rows", label, c->crop_y,
                       (long long)h);
    float *pi = rc == 0 ? malloc((size_t)(h * w) * sizeof *pi) : NULL;
    uint8_t *pl = rc == 0 ? malloc((size_t)(h * w)) : NULL;
    if (rc == 0 && (!pi || !pl))
        rc = sr_errorf(err, "%s: out of memory", label);
    if (rc == 0 && c->fit == FIT_NONE && (h2 != ds->H || w != ds->W))
        rc = sr_errorf(err, "%s: slices are %lldx%lld, expected %lldx%lld (fit=none)", label,
                       (long long)h2, (long long)w, (long long)ds->H, (long long)ds->W);
    if (rc == 0)
        rc = b_reserve(b, ns, err);
    for (int64_t s = 0; rc == 0 && s < ns; s++) {
        int64_t n = ds->N;
        double sy = 1, sx = 1;
        float *oimg = b_img(b);
        uint8_t *olab = b_lab(b);
        for (int ch = 0; ch <= nchan; ch++) {
            // ch == nchan: the labels
            for (int64_t r = 0; r < h2; r++)
                for (int64_t q = 0; q < w; q++) {
                    int64_t rr = r + y0, z, y, x;
                    if (c->axis == 0)
                        z = s, y = rr, x = q;
                    else if (c->axis == 1)
                        z = rr, y = s, x = q;
                    else
                        z = rr, y = q, x = s;
                    int64_t i = (z * Y + y) * X + x;
                    if (ch < nchan)
                        pi[r * w + q] = vols[ch].data[i];
                    else
                        pl[r * w + q] = lab[i];
                }
            if (ch < nchan)
                fit_plane(c, pi, NULL, h2, w, oimg + ch * HW, NULL, ds->H, ds->W, &sy, &sx);
            else
                fit_plane(c, NULL, pl, h2, w, NULL, olab, ds->H, ds->W, &sy, &sx);
        }
        ds->volume[n] = vid;
        ds->slice[n] = (int32_t)s;
        ds->split[n] = SR_SPLIT_TRAIN;
        ds->spacing[3 * n] = sp_s;
        ds->spacing[3 * n + 1] = sp_h * sy;
        ds->spacing[3 * n + 2] = sp_w * sx;
        rc = b_push(b, err);
    }
    for (int i = 0; i < nread; i++) {
        acct(-vols[i].Z * vols[i].Y * vols[i].X * (int64_t)sizeof(float));
        sr_volume_free(&vols[i]);
    }
    acct(-lvbytes);
    sr_volume_free(&lv);
    if (lab)
        acct(-Z * Y * X);
    free(lab), free(pi), free(pl);
    return rc;
}

/* ------------------------------------------------------ image pipeline */

enum labmode { LAB_BIN255, LAB_THRESH, LAB_INDEX };

/* sr_image_free, for an image read by read_rgb or read_label (accounted). */
static void img_free(sr_image_t *im)
{
    if (im->data)
        acct(-im->C * im->H * im->W * (int64_t)sizeof(float));
    sr_image_free(im);
}

/* Read an image and scale it to [0,1] with ds->C channels (gray is
 * replicated, alpha dropped). */
static int read_rgb(const char *path, int64_t C, sr_image_t *im, sr_error_t *err)
{
    if (sr_image_read(path, im, err))
        return -1;
    int64_t c0 = im->C;
    acct(c0 * im->H * im->W * (int64_t)sizeof(float));
    if (sr_image_expand(im, err)) {
        im->C = c0; // img_free releases what was counted
        return -1;
    }
    acct((C - c0) * im->H * im->W * (int64_t)sizeof(float)); // im->C becomes C below
    double mx = im->bits == 16 ? 65535.0 : 255.0;
    int64_t HW = im->H * im->W;
    float *d = malloc((size_t)(C * HW) * sizeof *d);
    if (!d)
        return sr_errorf(err, "%s: out of memory", path);
    for (int64_t c = 0; c < C; c++) {
        int64_t src = im->C >= C ? c : 0;
        for (int64_t i = 0; i < HW; i++)
            d[c * HW + i] = (float)(im->data[src * HW + i] / mx);
    }
    free(im->data);
    im->data = d;
    im->C = C;
    return 0;
}

/* Read a label image into 'out' (H*W of the file) by 'mode'; 'K' classes. */
static int read_label(const char *path, enum labmode mode, int K, sr_image_t *im,
                      uint8_t **out, sr_error_t *err)
{
    if (sr_image_read(path, im, err))
        return -1;
    acct(im->C * im->H * im->W * (int64_t)sizeof(float));
    if (mode != LAB_INDEX && sr_image_expand(im, err))
        return -1;
    int64_t HW = im->H * im->W;
    uint8_t *l = malloc((size_t)HW);
    if (!l)
        return sr_errorf(err, "%s: out of memory", path);
    for (int64_t i = 0; i < HW; i++) {
        float v = im->data[i]; // first channel: label images are gray or indexed
        if (mode == LAB_BIN255) {
            if (v != 0 && v != 255) {
                free(l);
                return sr_errorf(err, "%s: label value %g at pixel (%lld,%lld) outside the "
                                 "class range (expected 0 or 255)", path, (double)v,
                                 (long long)(i / im->W), (long long)(i % im->W));
            }
            l[i] = v == 255;
        } else if (mode == LAB_THRESH) {
            l[i] = v > 127;
        } else {
            if (!(v < K || v == 255)) {
                free(l);
                return sr_errorf(err, "%s: label value %g at pixel (%lld,%lld) outside the "
                                 "class range (expected 0..%d or 255)", path, (double)v,
                                 (long long)(i / im->W), (long long)(i % im->W), K - 1);
            }
            l[i] = (uint8_t)v;
        }
    }
    *out = l;
    return 0;
}

/* Append one 2D image with labels 'lab' (h,w), fitted to the dataset size. */
static int add_image_vid(builder_t *b, const conf_t *c, const sr_image_t *im,
                         const uint8_t *lab, int32_t vid, int32_t slice, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    if (b_reserve(b, 1, err))
        return -1;
    int64_t n = ds->N, HW = ds->H * ds->W;
    double sy = 1, sx = 1;
    float *oimg = b_img(b);
    for (int64_t ch = 0; ch < ds->C; ch++)
        fit_plane(c, im->data + ch * im->H * im->W, NULL, im->H, im->W, oimg + ch * HW, NULL,
                  ds->H, ds->W, &sy, &sx);
    fit_plane(c, NULL, lab, im->H, im->W, NULL, b_lab(b), ds->H, ds->W, &sy, &sx);
    ds->volume[n] = vid;
    ds->slice[n] = slice;
    ds->split[n] = SR_SPLIT_TRAIN;
    ds->spacing[3 * n] = 1;
    ds->spacing[3 * n + 1] = sy;
    ds->spacing[3 * n + 2] = sx;
    return b_push(b, err);
}

/* Append one image as its own volume 'name'. */
static int add_image(builder_t *b, const conf_t *c, const sr_image_t *im, const uint8_t *lab,
                     const char *name, int32_t slice, sr_error_t *err)
{
    int32_t vid = b_volume(b, name, name, err);
    return vid < 0 ? -1 : add_image_vid(b, c, im, lab, vid, slice, err);
}

/* ---------------------------------------------------------- finishing */

static int add_weak(sr_dataset_t *ds, const conf_t *c, sr_error_t *err)
{
    int64_t N = ds->N, H = ds->H, W = ds->W;
    size_t sz = (size_t)((N > 0 ? N : 1) * H * W);
    char p[160];
    if (has_word(c->weak, "erosion")) {
        uint8_t *m = malloc(sz);
        if (!m)
            return sr_errorf(err, "out of memory");
        sr_weak_erosion(ds->labels, N, H, W, ds->K, c->erosion_iter, m);
        pathf(p, sizeof p, "kind=erosion structure=3x3 iterations=%d fallback=fewer",
                 c->erosion_iter);
        if (!sr_dataset_add_weak_map(ds, "erosion", m, p, err))
            return -1;
    }
    if (has_word(c->weak, "points")) {
        uint8_t *m = malloc(sz);
        if (!m)
            return sr_errorf(err, "out of memory");
        sr_weak_points(ds->labels, N, H, W, ds->K, c->point_radius, 0, c->seed, m);
        pathf(p, sizeof p, "kind=points radius=%d per_component=0 seed=%llu",
                 c->point_radius, (unsigned long long)c->seed);
        if (!sr_dataset_add_weak_map(ds, "points", m, p, err))
            return -1;
    }
    if (has_word(c->weak, "boxes")) {
        int64_t nr = 0;
        int32_t *rows = sr_weak_boxes(ds->labels, N, H, W, ds->K, c->box_margin,
                                      c->per_component, &nr, err);
        if (!rows)
            return -1;
        pathf(p, sizeof p, "kind=boxes columns=index,class,y0,x0,y1,x1 margin=%d "
                 "per_component=%d connectivity=4", c->box_margin, c->per_component);
        if (!sr_dataset_add_weak_rows(ds, "boxes", rows, nr, 6, p, err))
            return -1;
    }
    if (has_word(c->weak, "tags")) {
        uint8_t *t = malloc((size_t)((N > 0 ? N : 1) * ds->K));
        if (!t)
            return sr_errorf(err, "out of memory");
        sr_weak_tags(ds->labels, N, H, W, ds->K, t);
        int32_t *rows = malloc((size_t)((N > 0 ? N : 1) * ds->K) * sizeof *rows);
        if (!rows) {
            free(t);
            return sr_errorf(err, "out of memory");
        }
        for (int64_t i = 0; i < N * ds->K; i++)
            rows[i] = t[i];
        free(t);
        if (!sr_dataset_add_weak_rows(ds, "tags", rows, N, ds->K, "kind=tags columns=classes",
                                      err))
            return -1;
    }
    if (has_word(c->weak, "scribbles") && !sr_dataset_weak(ds, "scribbles")) {
        uint8_t *m = malloc(sz);
        if (!m)
            return sr_errorf(err, "out of memory");
        sr_weak_scribbles(ds->labels, N, H, W, ds->K, c->scribble_margin, 1, c->seed, m);
        pathf(p, sizeof p, "kind=scribbles generator=synthetic margin=%d background=1 "
                 "seed=%llu", c->scribble_margin, (unsigned long long)c->seed);
        if (!sr_dataset_add_weak_map(ds, "scribbles", m, p, err))
            return -1;
    }
    return 0;
}

/* Splits by group (patient), with the papers' counts. */
static int assign_split(builder_t *b, const conf_t *c, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    int64_t G = b->groups.n, n_val = c->n_val, n_test = c->n_test;
    if (c->val_fraction > 0)
        n_val = (int64_t)floor(c->val_fraction * (double)G + 0.5);
    uint8_t *gs = malloc((size_t)(G > 0 ? G : 1));
    if (!gs)
        return sr_errorf(err, "out of memory");
    int rc = !strcmp(c->ds, "ibsr")
                 ? sr_split_volumes_fold(G, n_val, n_test, c->fold, c->seed, gs, err)
                 : sr_split_volumes(G, n_val, n_test, c->seed, gs, err);
    if (rc) {
        free(gs);
        return sr_error_prefix(err, "dataset %s: ", c->ds);
    }
    for (int64_t n = 0; n < ds->N; n++)
        ds->split[n] = gs[b->group[ds->volume[n]]];
    free(gs);
    return 0;
}

/* The parameter record: converter name and every final k=v. */
static int set_record(sr_dataset_t *ds, const conf_t *c, sr_error_t *err)
{
    char rec[4096] = "";
    pathf(rec, sizeof rec, "converter=%s", c->ds);
    for (int i = 0; i < c->o.n; i++)
        pathf(rec + strlen(rec), sizeof rec - strlen(rec), " %s=%s", c->o.key[i], c->o.val[i]);
    return sr_dataset_set_params(ds, rec, err);
}

/* In memory: the ScribbleSup map and its shortened versions as weak maps. */
static int add_scribble_maps(builder_t *b, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    if (!b->has_scr)
        return 0;
    int64_t sz = ds->N * ds->H * ds->W;
    uint8_t *m = realloc(b->scr, (size_t)(sz > 0 ? sz : 1));
    if (m)
        b->scr = m;
    if (!sr_dataset_add_weak_map(ds, "scribbles", b->scr, b->scr_params, err))
        return -1;
    b->scr = NULL;
    for (int s = 0; s < b->n_short; s++) {
        char name[48], wp[96];
        uint8_t *o = malloc((size_t)(sz > 0 ? sz : 1));
        if (!o)
            return sr_errorf(err, "out of memory");
        acct(sz);
        sr_weak_scribble_shorten(sr_dataset_weak(ds, "scribbles")->map, ds->N, ds->H, ds->W,
                                 b->short_ratio[s], o, err);
        pathf(name, sizeof name, "scribbles_%s", b->short_tok[s]);
        pathf(wp, sizeof wp, "kind=scribbles source=scribbles ratio=%s", b->short_tok[s]);
        if (!sr_dataset_add_weak_map(ds, name, o, wp, err))
            return -1;
    }
    return 0;
}

/* In memory: splits, background-slice removal, augmentation, weak labels,
 * names and the parameter record. Moves the dataset to 'out'. */
static int finish(builder_t *b, const conf_t *c, int split_done, sr_dataset_t *out,
                  sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    if (ds->N == 0)
        return sr_errorf(err, "dataset %s: no images found", c->ds);
    if (!split_done && assign_split(b, c, err))
        return -1;
    if (add_scribble_maps(b, err))
        return -1;
    if (c->drop_bg) {
        uint8_t *keep = malloc((size_t)ds->N);
        if (!keep)
            return sr_errorf(err, "out of memory");
        memset(keep, 1, (size_t)ds->N);
        sr_mark_background_only(ds, c->drop_bg == 1 ? SR_SPLIT_TRAIN : -1, keep);
        int rc = sr_dataset_select(ds, keep, err);
        free(keep);
        if (rc)
            return -1;
    }
    if (c->augment > 0) {
        int64_t n_train = 0, HW = ds->H * ds->W;
        for (int64_t n = 0; n < ds->N; n++)
            n_train += ds->split[n] == SR_SPLIT_TRAIN;
        acct(c->augment * n_train * (ds->C * HW * 4 + HW * (1 + ds->n_weak)));
        if (sr_dataset_augment(ds, c->augment, c->max_angle, c->seed, err))
            return -1;
    }
    acct(ds->N * ds->H * ds->W * 3); // at most three weak maps
    if (add_weak(ds, c, err))
        return -1;
    if (sr_dataset_set_volume_names(ds, b->volumes.n, (const char *const *)b->volumes.s, err))
        return -1;
    if (set_record(ds, c, err))
        return -1;
    *out = *ds;
    memset(ds, 0, sizeof *ds);
    return 0;
}

/* ------------------------------------------------------ streaming finish */

static uint64_t fnv_more(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL

static int weak_path(char *buf, size_t size, const char *name)
{
    return pathf(buf, size, "/weak/%s", name);
}

/* The per-image arrays in the file: images, labels and the weak maps. */
typedef struct rowsets {
    int n;
    char path[SR_DATASET_MAX_WEAK + 2][64];
    int is_img[SR_DATASET_MAX_WEAK + 2];
} rowsets_t;

static void rowsets_add(rowsets_t *r, const char *path, int is_img)
{
    pathf(r->path[r->n], sizeof r->path[r->n], "%s", path);
    r->is_img[r->n++] = is_img;
}

/* Grow the metadata arrays (and augment) to hold 'M' images. */
static int meta_grow(builder_t *b, int64_t M, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    if (M <= b->cap)
        return 0;
    int32_t *vol = realloc(ds->volume, (size_t)M * sizeof(int32_t));
    if (vol)
        ds->volume = vol;
    int32_t *sl = realloc(ds->slice, (size_t)M * sizeof(int32_t));
    if (sl)
        ds->slice = sl;
    uint8_t *sp = realloc(ds->split, (size_t)M);
    if (sp)
        ds->split = sp;
    double *spc = realloc(ds->spacing, (size_t)M * 3 * sizeof(double));
    if (spc)
        ds->spacing = spc;
    if (!vol || !sl || !sp || !spc)
        return sr_errorf(err, "dataset %s: out of memory for %lld images", ds->name,
                         (long long)M);
    acct((M - b->cap) * b_meta_bytes());
    b->cap = M;
    return 0;
}

/* Hash rows of 'path' (N rows of 'row_bytes') into '*h' and return the
 * array's own FNV-1a. Reads 'block' rows at a time into 'buf'. */
static int hash_rows(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t N,
                     size_t row_bytes, void *buf, int64_t block, uint64_t *h, uint64_t *own,
                     sr_error_t *err)
{
    *own = FNV_OFFSET;
    for (int64_t n = 0; n < N; n += block) {
        int64_t m = N - n < block ? N - n : block;
        if (sr_h5_rows_read(f, path, type, n, m, buf, err))
            return -1;
        *h = fnv_more(*h, buf, (size_t)m * row_bytes);
        *own = fnv_more(*own, buf, (size_t)m * row_bytes);
    }
    return 0;
}

static int attr_hash(sr_h5file_t *f, const char *path, uint64_t h, sr_error_t *err)
{
    char s[32];
    pathf(s, sizeof s, "%016" PRIx64, h);
    return sr_h5_attr_write_str(f, path, "hash", s, err);
}

static int cmp_weak_name(const void *a, const void *b)
{
    return strcmp(((const sr_weak_t *)a)->name, ((const sr_weak_t *)b)->name);
}

/* Streaming: the same steps as finish() on the rows already in the file,
 * one image at a time, then the metadata, hashes and attributes as
 * sr_ds_write writes them. The file is committed by the caller. */
static int finish_stream(builder_t *b, const conf_t *c, int split_done, sr_error_t *err)
{
    sr_dataset_t *ds = &b->ds;
    sr_h5file_t *f = b->f;
    if (ds->N == 0)
        return sr_errorf(err, "dataset %s: no images found", c->ds);
    if (!split_done && assign_split(b, c, err))
        return -1;
    int64_t H = ds->H, W = ds->W, HW = H * W, CHW = ds->C * HW;
    // Weak-map entries (no data in memory: map == NULL, rows == NULL).
    sr_weak_t maps[SR_DATASET_MAX_WEAK];
    int n_maps = 0;
    rowsets_t rs = {0};
    rowsets_add(&rs, "/images", 1);
    rowsets_add(&rs, "/labels", 0);
    if (b->has_scr) {
        memset(&maps[n_maps], 0, sizeof maps[0]);
        pathf(maps[n_maps].name, sizeof maps[0].name, "scribbles");
        pathf(maps[n_maps++].params, sizeof maps[0].params, "%s", b->scr_params);
        rowsets_add(&rs, "/weak/scribbles", 0);
        for (int s = 0; s < b->n_short; s++) {
            char p[64];
            memset(&maps[n_maps], 0, sizeof maps[0]);
            pathf(maps[n_maps].name, sizeof maps[0].name, "scribbles_%s", b->short_tok[s]);
            pathf(maps[n_maps].params, sizeof maps[0].params,
                  "kind=scribbles source=scribbles ratio=%s", b->short_tok[s]);
            weak_path(p, sizeof p, maps[n_maps++].name);
            rowsets_add(&rs, p, 0);
        }
    }
    // Two row buffers (one image each) for copying and transforming.
    float *bi = malloc((size_t)CHW * sizeof(float)), *bo = malloc((size_t)CHW * sizeof(float));
    if (!bi || !bo) {
        free(bi), free(bo);
        return sr_errorf(err, "out of memory");
    }
    int64_t held = 2 * CHW * (int64_t)sizeof(float);
    acct(held);
    uint8_t *li = (uint8_t *)bi, *lo = (uint8_t *)bo;
    int rc = 0;
    // Background-only images out (the rows move down in the file).
    if (c->drop_bg) {
        int64_t j = 0;
        for (int64_t i = 0; rc == 0 && i < ds->N; i++) {
            int drop = b->bg[i] && (c->drop_bg == 2 || ds->split[i] == SR_SPLIT_TRAIN);
            if (drop)
                continue;
            for (int r = 0; rc == 0 && r < rs.n && i != j; r++) {
                enum sr_h5_type t = rs.is_img[r] ? SR_H5_F32 : SR_H5_U8;
                rc = sr_h5_rows_read(f, rs.path[r], t, i, 1, bi, err) ||
                     sr_h5_rows_write(f, rs.path[r], t, j, 1, bi, err);
            }
            ds->volume[j] = ds->volume[i], ds->slice[j] = ds->slice[i];
            ds->split[j] = ds->split[i];
            memmove(ds->spacing + 3 * j, ds->spacing + 3 * i, 3 * sizeof(double));
            j++;
        }
        for (int r = 0; rc == 0 && r < rs.n; r++)
            rc = sr_h5_rows_resize(f, rs.path[r], j, err);
        ds->N = j;
    }
    // Offline augmentation: copies of the training images appended.
    if (rc == 0 && c->augment > 0) {
        int64_t N = ds->N, n_train = 0;
        for (int64_t n = 0; n < N; n++)
            n_train += ds->split[n] == SR_SPLIT_TRAIN;
        int64_t M = N + (int64_t)c->augment * n_train;
        rc = meta_grow(b, M, err);
        ds->augment = rc == 0 ? malloc((size_t)M * 4 * sizeof(float)) : NULL;
        if (rc == 0 && !ds->augment)
            rc = sr_errorf(err, "out of memory");
        for (int64_t n = 0; rc == 0 && n < N; n++) {
            ds->augment[4 * n] = (float)n;
            ds->augment[4 * n + 1] = ds->augment[4 * n + 2] = ds->augment[4 * n + 3] = 0;
        }
        int64_t out = N, copy = 0;
        for (int a = 0; rc == 0 && a < c->augment; a++)
            for (int64_t n = 0; rc == 0 && n < N; n++) {
                if (ds->split[n] != SR_SPLIT_TRAIN)
                    continue;
                int flip, mirror;
                double angle;
                sr_augment_draw(c->seed, copy++, c->max_angle, &flip, &mirror, &angle);
                for (int r = 0; rc == 0 && r < rs.n; r++) {
                    enum sr_h5_type t = rs.is_img[r] ? SR_H5_F32 : SR_H5_U8;
                    rc = sr_h5_rows_read(f, rs.path[r], t, n, 1, bi, err);
                    if (rc == 0 && rs.is_img[r])
                        for (int64_t ch = 0; ch < ds->C; ch++)
                            sr_augment_plane_f32(bi + ch * HW, bo + ch * HW, H, W, flip,
                                                 mirror, angle);
                    else if (rc == 0)
                        sr_augment_plane_u8(li, lo, H, W, flip, mirror, angle,
                                            r == 1 ? 0 : SR_WEAK_UNLABELED);
                    if (rc == 0)
                        rc = sr_h5_rows_append(f, rs.path[r], t, 1, bo, err);
                }
                ds->volume[out] = ds->volume[n];
                ds->slice[out] = ds->slice[n];
                ds->split[out] = SR_SPLIT_TRAIN;
                memcpy(ds->spacing + 3 * out, ds->spacing + 3 * n, 3 * sizeof(double));
                ds->augment[4 * out] = (float)n;
                ds->augment[4 * out + 1] = (float)flip;
                ds->augment[4 * out + 2] = (float)mirror;
                ds->augment[4 * out + 3] = (float)angle;
                out++;
            }
        ds->N = M;
    }
    // Weak labels, image by image from the stored labels.
    int64_t N = ds->N;
    int want_ero = has_word(c->weak, "erosion"), want_pts = has_word(c->weak, "points");
    int want_box = has_word(c->weak, "boxes"), want_tag = has_word(c->weak, "tags");
    int want_scr = has_word(c->weak, "scribbles") && !b->has_scr;
    const char *new_maps[3];
    int n_new = 0;
    if (want_ero)
        new_maps[n_new++] = "erosion";
    if (want_pts)
        new_maps[n_new++] = "points";
    if (want_scr)
        new_maps[n_new++] = "scribbles";
    for (int m = 0; rc == 0 && m < n_new; m++) {
        char p[64];
        int64_t d2[2] = {H, W};
        memset(&maps[n_maps], 0, sizeof maps[0]);
        pathf(maps[n_maps].name, sizeof maps[0].name, "%s", new_maps[m]);
        if (!strcmp(new_maps[m], "erosion"))
            pathf(maps[n_maps].params, sizeof maps[0].params,
                  "kind=erosion structure=3x3 iterations=%d fallback=fewer", c->erosion_iter);
        else if (!strcmp(new_maps[m], "points"))
            pathf(maps[n_maps].params, sizeof maps[0].params,
                  "kind=points radius=%d per_component=0 seed=%llu", c->point_radius,
                  (unsigned long long)c->seed);
        else
            pathf(maps[n_maps].params, sizeof maps[0].params,
                  "kind=scribbles generator=synthetic margin=%d background=1 seed=%llu",
                  c->scribble_margin, (unsigned long long)c->seed);
        weak_path(p, sizeof p, maps[n_maps++].name);
        rc = sr_h5_rows_create(f, p, SR_H5_U8, 3, d2, 1, err);
    }
    int32_t *boxes = NULL, *tags = NULL;
    int64_t n_boxes = 0, box_cap = 0;
    if (rc == 0 && want_tag) {
        tags = malloc((size_t)(N * ds->K) * sizeof *tags);
        if (!tags)
            rc = sr_errorf(err, "out of memory");
    }
    uint8_t *t = rc == 0 ? malloc((size_t)ds->K) : NULL;
    if (rc == 0 && !t)
        rc = sr_errorf(err, "out of memory");
    for (int64_t n = 0; rc == 0 && n < N; n++) {
        if (!n_new && !want_box && !want_tag)
            break;
        rc = sr_h5_rows_read(f, "/labels", SR_H5_U8, n, 1, li, err);
        if (rc == 0 && want_ero) {
            sr_weak_erosion(li, 1, H, W, ds->K, c->erosion_iter, lo);
            rc = sr_h5_rows_append(f, "/weak/erosion", SR_H5_U8, 1, lo, err);
        }
        if (rc == 0 && want_pts) {
            sr_weak_points_from(li, 1, H, W, ds->K, c->point_radius, 0, c->seed, n, lo);
            rc = sr_h5_rows_append(f, "/weak/points", SR_H5_U8, 1, lo, err);
        }
        if (rc == 0 && want_scr) {
            sr_weak_scribbles_from(li, 1, H, W, ds->K, c->scribble_margin, 1, c->seed, n, lo);
            rc = sr_h5_rows_append(f, "/weak/scribbles", SR_H5_U8, 1, lo, err);
        }
        if (rc == 0 && want_box) {
            int64_t nr = 0;
            int32_t *r = sr_weak_boxes_from(li, 1, H, W, ds->K, c->box_margin,
                                            c->per_component, n, &nr, err);
            if (!r)
                rc = -1;
            if (rc == 0 && n_boxes + nr > box_cap) {
                int64_t cap = box_cap ? 2 * box_cap : 256;
                while (cap < n_boxes + nr)
                    cap *= 2;
                int32_t *nb = realloc(boxes, (size_t)cap * 6 * sizeof *nb);
                if (!nb)
                    rc = sr_errorf(err, "out of memory");
                else
                    boxes = nb, box_cap = cap;
            }
            if (rc == 0)
                memcpy(boxes + 6 * n_boxes, r, (size_t)nr * 6 * sizeof *r);
            n_boxes += rc == 0 ? nr : 0;
            free(r);
        }
        if (rc == 0 && want_tag) {
            sr_weak_tags(li, 1, H, W, ds->K, t);
            for (int k = 0; k < ds->K; k++)
                tags[n * ds->K + k] = t[k];
        }
    }
    free(t);
    if (rc == 0 && want_box) {
        int32_t *rows = boxes ? boxes : malloc(6 * sizeof *rows);
        boxes = NULL;
        char bp[160];
        pathf(bp, sizeof bp, "kind=boxes columns=index,class,y0,x0,y1,x1 margin=%d "
              "per_component=%d connectivity=4", c->box_margin, c->per_component);
        if (!rows)
            rc = sr_errorf(err, "out of memory");
        else if (!sr_dataset_add_weak_rows(ds, "boxes", rows, n_boxes, 6, bp, err))
            rc = -1;
    }
    free(boxes);
    if (rc == 0 && want_tag) {
        if (!sr_dataset_add_weak_rows(ds, "tags", tags, N, ds->K, "kind=tags columns=classes",
                                      err))
            rc = -1;
        tags = NULL;
    }
    free(tags);
    if (rc == 0)
        rc = sr_dataset_set_volume_names(ds, b->volumes.n, (const char *const *)b->volumes.s,
                                         err) ||
                     set_record(ds, c, err)
                 ? -1
                 : 0;
    // Metadata, hashes (the root hash in sr_dataset_hash's order) and attributes.
    uint64_t h = FNV_OFFSET, own;
    int64_t block = CHW * 4 >= (1 << 18) ? 1 : (1 << 18) / (CHW * 4); // rows of bi
    if (block > 1) { // a bigger read buffer for hashing, ~256 KiB
        free(bi);
        bi = malloc((size_t)(block * CHW) * sizeof(float));
        li = (uint8_t *)bi;
        if (!bi)
            rc = rc ? rc : sr_errorf(err, "out of memory");
        acct((block - 1) * CHW * (int64_t)sizeof(float));
        held += (block - 1) * CHW * (int64_t)sizeof(float);
    }
    if (rc == 0)
        rc = hash_rows(f, "/images", SR_H5_F32, N, (size_t)CHW * sizeof(float), bi, block, &h,
                       &own, err) ||
             attr_hash(f, "/images", own, err) ||
             hash_rows(f, "/labels", SR_H5_U8, N, (size_t)HW, li, block, &h, &own, err) ||
             attr_hash(f, "/labels", own, err);
    int64_t d1[1] = {N}, d2[2] = {N, 3}, da[2] = {N, 4};
    struct {
        const char *path;
        enum sr_h5_type type;
        int rank;
        const int64_t *dims;
        const void *data;
        size_t bytes;
    } meta[] = {
        {"/volume", SR_H5_I32, 1, d1, ds->volume, (size_t)N * sizeof(int32_t)},
        {"/slice", SR_H5_I32, 1, d1, ds->slice, (size_t)N * sizeof(int32_t)},
        {"/split", SR_H5_U8, 1, d1, ds->split, (size_t)N},
        {"/spacing", SR_H5_F64, 2, d2, ds->spacing, (size_t)N * 3 * sizeof(double)},
        {"/augment", SR_H5_F32, 2, da, ds->augment, (size_t)N * 4 * sizeof(float)},
    };
    for (size_t a = 0; rc == 0 && a < sizeof meta / sizeof meta[0]; a++) {
        if (!meta[a].data)
            continue;
        h = fnv_more(h, meta[a].data, meta[a].bytes);
        rc = sr_h5_write(f, meta[a].path, meta[a].type, meta[a].rank, meta[a].dims,
                         meta[a].data, 0, err) ||
             attr_hash(f, meta[a].path, fnv_more(FNV_OFFSET, meta[a].data, meta[a].bytes),
                       err);
    }
    // Weak labels in name order: maps from the file, tables from memory.
    sr_weak_t all[SR_DATASET_MAX_WEAK * 2];
    int n_all = 0;
    for (int m = 0; m < n_maps; m++)
        all[n_all++] = maps[m];
    for (int w = 0; w < ds->n_weak; w++)
        all[n_all++] = ds->weak[w];
    qsort(all, (size_t)n_all, sizeof all[0], cmp_weak_name);
    for (int w = 0; rc == 0 && w < n_all; w++) {
        char p[64];
        weak_path(p, sizeof p, all[w].name);
        h = fnv_more(h, all[w].name, strlen(all[w].name));
        if (all[w].rows) {
            size_t bytes = (size_t)(all[w].nrows * all[w].ncols) * sizeof(int32_t);
            int64_t dr[2] = {all[w].nrows, all[w].ncols};
            h = fnv_more(h, all[w].rows, bytes);
            rc = sr_h5_write(f, p, SR_H5_I32, 2, dr, all[w].rows, 0, err) ||
                 attr_hash(f, p, fnv_more(FNV_OFFSET, all[w].rows, bytes), err);
        } else {
            rc = hash_rows(f, p, SR_H5_U8, N, (size_t)HW, li, block, &h, &own, err) ||
                 attr_hash(f, p, own, err);
        }
        if (rc == 0)
            rc = sr_h5_attr_write_str(f, p, "params", all[w].params, err);
    }
    acct(-held);
    free(bi), free(bo);
    if (rc)
        return -1;
    return sr_ds_write_attrs(f, ds, h, err);
}

/* -------------------------------------------------------------- layouts */

static int no_match(const char *src, enum sr_convert c, const char *what, sr_error_t *err)
{
    return sr_errorf(err, "%s: unexpected layout for %s: %s not found (expected %s)", src,
                     convert_names[c], what, layouts[c]);
}

/* ACDC: patients in SRC/training (or SRC); frames with a _gt sibling. */
static int conv_acdc(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *cls = opt(&c->o, "classes");
    uint8_t map[256];
    memset(map, 255, sizeof map);
    int all = !strcmp(cls, "all");
    if (!all && strcmp(cls, "lv"))
        return sr_errorf(err, "dataset acdc: invalid value '%s' for classes (expected lv or "
                         "all)", cls);
    const char *names_all[] = {"background", "rv", "myocardium", "lv"};
    const char *names_lv[] = {"background", "lv"};
    for (int k = 0; k < 4; k++)
        map[k] = all ? (uint8_t)k : k == 3;
    if (b_init(b, "acdc", 1, c->H, c->W, all ? 4 : 2, all ? names_all : names_lv, err))
        return -1;
    char root[4096];
    pathf(root, sizeof root, "%s/training", src);
    if (!is_dir(root))
        pathf(root, sizeof root, "%s", src);
    strlist_t pats = {0};
    if (find(root, "patient[0-9][0-9][0-9]", 0, 1, &pats) || pats.n == 0) {
        sl_free(&pats);
        return no_match(src, SR_CONVERT_ACDC, "training/patientNNN/", err);
    }
    int rc = 0;
    for (int64_t p = 0; p < pats.n && rc == 0; p++) {
        strlist_t gts = {0};
        find(pats.s[p], "patient*_frame[0-9][0-9]_gt.nii*", 0, 0, &gts);
        if (gts.n == 0)
            rc = no_match(pats.s[p], SR_CONVERT_ACDC, "patientNNN_frameNN_gt.nii.gz", err);
        for (int64_t g = 0; g < gts.n && rc == 0; g++) {
            char img[4096], vname[256];
            const char *gt = gts.s[g];
            const char *cut = strstr(gt + strlen(pats.s[p]), "_gt.nii");
            pathf(img, sizeof img, "%.*s%s", (int)(cut - gt), gt, cut + 3);
            pathf(vname, sizeof vname, "%.*s", (int)(cut - gt - strlen(pats.s[p]) - 1),
                     gt + strlen(pats.s[p]) + 1);
            if (!is_file(img))
                rc = sr_errorf(err, "%s: missing (the image of %s)", img, gt);
            else
                rc = add_volume_case(b, c, vname, base_name(pats.s[p]), (char *const[]){img},
                                     1, (char *const[]){(char *)gt}, 1, map, err);
        }
        sl_free(&gts);
    }
    sl_free(&pats);
    return rc;
}

static int conv_promise12(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "prostate"};
    uint8_t map[256];
    memset(map, 255, sizeof map);
    map[0] = 0, map[1] = 1;
    if (b_init(b, "promise12", 1, c->H, c->W, 2, names, err))
        return -1;
    strlist_t cases = {0};
    find(src, "Case[0-9][0-9].mhd", 3, 0, &cases);
    if (cases.n == 0) {
        sl_free(&cases);
        return no_match(src, SR_CONVERT_PROMISE12, "CaseNN.mhd", err);
    }
    int rc = 0;
    for (int64_t i = 0; i < cases.n && rc == 0; i++) {
        char seg[4096], vname[64];
        pathf(seg, sizeof seg, "%.*s_segmentation.mhd", (int)(strlen(cases.s[i]) - 4),
                 cases.s[i]);
        pathf(vname, sizeof vname, "%.*s", (int)(strlen(base_name(cases.s[i])) - 4),
                 base_name(cases.s[i]));
        if (!is_file(seg))
            rc = sr_errorf(err, "%s: missing (the segmentation of %s)", seg, cases.s[i]);
        else
            rc = add_volume_case(b, c, vname, vname, &cases.s[i], 1, (char *const[]){seg}, 1, map, err);
    }
    sl_free(&cases);
    return rc;
}

static int conv_vb(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "vertebral_body"};
    if (b_init(b, "vb", 1, c->H, c->W, 2, names, err))
        return -1;
    strlist_t masks = {0};
    find(src, "*[Mm]ask*", 3, 0, &masks);
    int rc = 0, found = 0;
    for (int64_t i = 0; i < masks.n && rc == 0; i++) {
        const char *m = masks.s[i], *bn = base_name(m);
        if (!strstr(bn, ".nii") && !strstr(bn, ".mhd") && !strstr(bn, ".hdr"))
            continue;
        // The image: the same name with "_mask" (or "mask_") removed.
        char img[4096], vname[256];
        static const char *const tokens[] = {"_mask", "_Mask", "mask_", "Mask_"};
        const char *t = NULL;
        for (int k = 0; k < 4 && !t; k++)
            t = strstr(bn, tokens[k]);
        if (!t)
            continue;
        pathf(img, sizeof img, "%.*s%s", (int)(t - m), m, t + 5);
        const char *ibn = base_name(img);
        pathf(vname, sizeof vname, "%.*s", (int)strcspn(ibn, "."), ibn);
        if (!is_file(img)) {
            rc = sr_errorf(err, "%s: missing (the image of mask %s)", img, m);
            break;
        }
        rc = add_volume_case(b, c, vname, vname, (char *const[]){img}, 1, (char *const[]){(char *)m}, 1, NULL,
                             err);
        found++;
    }
    sl_free(&masks);
    if (rc == 0 && !found)
        return no_match(src, SR_CONVERT_VB, "<case>_mask volumes", err);
    return rc;
}

static int conv_isles(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "lesion"};
    const char *mods[] = {"CT", "CT_CBF", "CT_CBV", "CT_MTT", "CT_Tmax"};
    uint8_t map[256];
    memset(map, 255, sizeof map);
    map[0] = 0, map[1] = 1;
    if (b_init(b, "isles2018", 5, c->H, c->W, 2, names, err))
        return -1;
    char root[4096];
    pathf(root, sizeof root, "%s/TRAINING", src);
    if (!is_dir(root))
        pathf(root, sizeof root, "%s", src);
    strlist_t cases = {0};
    find(root, "case_*", 0, 1, &cases);
    if (cases.n == 0) {
        sl_free(&cases);
        return no_match(src, SR_CONVERT_ISLES2018, "TRAINING/case_N/", err);
    }
    int rc = 0;
    for (int64_t i = 0; i < cases.n && rc == 0; i++) {
        char *chan[5] = {0}, *lab = NULL;
        strlist_t files = {0};
        find(cases.s[i], "*.nii*", 1, 0, &files);
        for (int64_t f = 0; f < files.n; f++) {
            const char *bn = base_name(files.s[f]);
            const char *o = strstr(bn, ".O.");
            if (!o)
                continue;
            o += 3;
            size_t len = strcspn(o, ".");
            if (len == 2 && !strncmp(o, "OT", 2))
                lab = files.s[f];
            for (int m = 0; m < 5; m++)
                if (strlen(mods[m]) == len && !strncmp(o, mods[m], len))
                    chan[m] = files.s[f];
        }
        for (int m = 0; m < 5 && rc == 0; m++)
            if (!chan[m])
                rc = sr_errorf(err, "%s: no SMIR.Brain.XX.O.%s.*.nii (expected modalities CT, "
                               "CT_CBF, CT_CBV, CT_MTT, CT_Tmax and OT)", cases.s[i], mods[m]);
        if (rc == 0 && !lab)
            rc = sr_errorf(err, "%s: no SMIR.Brain.XX.O.OT.*.nii ground truth", cases.s[i]);
        if (rc == 0)
            rc = add_volume_case(b, c, base_name(cases.s[i]), base_name(cases.s[i]), chan, 5,
                                 (char *const[]){lab}, 1, map, err);
        sl_free(&files);
    }
    sl_free(&cases);
    return rc;
}

static int conv_wmh(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *other = opt(&c->o, "other");
    int keep = !strcmp(other, "class");
    if (!keep && strcmp(other, "background"))
        return sr_errorf(err, "dataset wmh2017: invalid value '%s' for other (expected "
                         "background or class)", other);
    const char *n2[] = {"background", "wmh"}, *n3[] = {"background", "wmh", "other_pathology"};
    uint8_t map[256];
    memset(map, 255, sizeof map);
    map[0] = 0, map[1] = 1, map[2] = keep ? 2 : 0;
    if (b_init(b, "wmh2017", 2, c->H, c->W, keep ? 3 : 2, keep ? n3 : n2, err))
        return -1;
    strlist_t gts = {0};
    find(src, "wmh.nii*", 3, 0, &gts);
    if (gts.n == 0) {
        sl_free(&gts);
        return no_match(src, SR_CONVERT_WMH2017, "<site>/<id>/wmh.nii.gz", err);
    }
    int rc = 0;
    for (int64_t i = 0; i < gts.n && rc == 0; i++) {
        char dir[4096], pre[4096], fl[4096], t1[4096], vname[256];
        pathf(dir, sizeof dir, "%.*s", (int)(base_name(gts.s[i]) - gts.s[i] - 1), gts.s[i]);
        pathf(pre, sizeof pre, "%s/pre/FLAIR", dir);
        const char *ext[] = {".nii.gz", ".nii", NULL};
        if (!first_existing(fl, sizeof fl, pre, ext)) {
            rc = sr_errorf(err, "%s/pre/FLAIR.nii.gz: missing (expected beside %s)", dir,
                           gts.s[i]);
            break;
        }
        pathf(pre, sizeof pre, "%s/pre/T1", dir);
        if (!first_existing(t1, sizeof t1, pre, ext)) {
            rc = sr_errorf(err, "%s/pre/T1.nii.gz: missing (expected beside %s)", dir, gts.s[i]);
            break;
        }
        // Volume name: site/id (the two directories above wmh.nii.gz).
        const char *p = dir + strlen(dir);
        int slashes = 0;
        while (p > dir && slashes < 2)
            if (*--p == '/')
                slashes++;
        pathf(vname, sizeof vname, "%s", *p == '/' ? p + 1 : p);
        rc = add_volume_case(b, c, vname, vname, (char *const[]){fl, t1}, 2, &gts.s[i], 1, map,
                             err);
    }
    sl_free(&gts);
    return rc;
}

static int conv_atlas(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "lesion"};
    if (b_init(b, "atlas", 1, c->H, c->W, 2, names, err))
        return -1;
    strlist_t t1s = {0};
    find(src, "*_t1w_deface_stx.nii*", 4, 0, &t1s);
    if (t1s.n == 0) {
        sl_free(&t1s);
        return no_match(src, SR_CONVERT_ATLAS, "<subject>/t01/<subject>_t1w_deface_stx.nii.gz",
                        err);
    }
    int rc = 0;
    for (int64_t i = 0; i < t1s.n && rc == 0; i++) {
        char dir[4096], subj[256];
        const char *bn = base_name(t1s.s[i]);
        pathf(dir, sizeof dir, "%.*s", (int)(bn - t1s.s[i] - 1), t1s.s[i]);
        pathf(subj, sizeof subj, "%.*s", (int)(strstr(bn, "_t1w") - bn), bn);
        strlist_t les = {0};
        find(dir, "*_LesionSmooth*_stx.nii*", 0, 0, &les);
        if (les.n == 0) {
            rc = sr_errorf(err, "%s: no *_LesionSmooth*_stx.nii.gz beside %s", dir, t1s.s[i]);
            sl_free(&les);
            break;
        }
        // Several lesion masks: their union.
        rc = add_volume_case(b, c, subj, subj, &t1s.s[i], 1, les.s, (int)les.n, NULL, err);
        sl_free(&les);
    }
    sl_free(&t1s);
    return rc;
}

static int conv_ibsr(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    // CMA labels of the 8 subcortical structures (Lovasz supplementary B).
    static const int cma[8] = {10, 49, 11, 50, 12, 51, 13, 52};
    const char *names[] = {"background",   "left_thalamus", "right_thalamus",
                           "left_caudate", "right_caudate", "left_putamen",
                           "right_putamen", "left_pallidum", "right_pallidum"};
    uint8_t map[256];
    memset(map, 0, sizeof map); // every other structure is background
    for (int k = 0; k < 8; k++)
        map[cma[k]] = (uint8_t)(k + 1);
    if (b_init(b, "ibsr", 1, c->H, c->W, 9, names, err))
        return -1;
    strlist_t subj = {0};
    find(src, "IBSR_[0-9][0-9]", 1, 1, &subj);
    if (subj.n == 0) {
        sl_free(&subj);
        return no_match(src, SR_CONVERT_IBSR, "IBSR_NN/", err);
    }
    int rc = 0;
    for (int64_t i = 0; i < subj.n && rc == 0; i++) {
        char pre[4096], img[4096], seg[4096];
        const char *bn = base_name(subj.s[i]);
        pathf(pre, sizeof pre, "%s/%s_ana_strip", subj.s[i], bn);
        if (!first_existing(img, sizeof img, pre, vol_ext)) {
            rc = sr_errorf(err, "%s.nii.gz: missing (or .hdr/.img)", pre);
            break;
        }
        pathf(pre, sizeof pre, "%s/%s_seg_ana", subj.s[i], bn);
        if (!first_existing(seg, sizeof seg, pre, vol_ext)) {
            rc = sr_errorf(err, "%s.nii.gz: missing (or .hdr/.img)", pre);
            break;
        }
        rc = add_volume_case(b, c, bn, bn, (char *const[]){img}, 1, (char *const[]){seg}, 1, map,
                             err);
    }
    sl_free(&subj);
    return rc;
}

static int conv_isic(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "lesion"};
    if (b_init(b, "isic2018", 3, c->H, c->W, 2, names, err))
        return -1;
    char in[4096], gt[4096];
    pathf(in, sizeof in, "%s/ISIC2018_Task1-2_Training_Input", src);
    pathf(gt, sizeof gt, "%s/ISIC2018_Task1_Training_GroundTruth", src);
    strlist_t imgs = {0};
    find(in, "ISIC_*.jpg", 0, 0, &imgs);
    if (imgs.n == 0) {
        sl_free(&imgs);
        return no_match(src, SR_CONVERT_ISIC2018, "ISIC2018_Task1-2_Training_Input/ISIC_*.jpg",
                        err);
    }
    int rc = 0;
    for (int64_t i = 0; i < imgs.n && rc == 0; i++) {
        char lab[4096], id[64];
        pathf(id, sizeof id, "%.*s", (int)(strlen(base_name(imgs.s[i])) - 4),
                 base_name(imgs.s[i]));
        pathf(lab, sizeof lab, "%s/%s_segmentation.png", gt, id);
        sr_image_t im, li;
        uint8_t *l = NULL;
        memset(&li, 0, sizeof li);
        rc = read_rgb(imgs.s[i], 3, &im, err);
        if (rc == 0 && !is_file(lab))
            rc = sr_errorf(err, "%s: missing (the ground truth of %s)", lab, imgs.s[i]);
        if (rc == 0)
            rc = read_label(lab, LAB_BIN255, 2, &li, &l, err);
        if (rc == 0 && (li.H != im.H || li.W != im.W))
            rc = sr_errorf(err, "%s: %lldx%lld, expected the size of %s (%lldx%lld)", lab,
                           (long long)li.W, (long long)li.H, imgs.s[i], (long long)im.W,
                           (long long)im.H);
        if (rc == 0)
            rc = add_image(b, c, &im, l, id, 0, err);
        img_free(&im), img_free(&li), free(l);
    }
    sl_free(&imgs);
    return rc;
}

static int conv_dsb(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "nucleus"};
    if (b_init(b, "dsb2018", 3, c->H, c->W, 2, names, err))
        return -1;
    char root[4096];
    pathf(root, sizeof root, "%s/stage1_train", src);
    if (!is_dir(root))
        pathf(root, sizeof root, "%s", src);
    strlist_t ids = {0};
    find(root, "*", 0, 1, &ids);
    int rc = 0, found = 0;
    for (int64_t i = 0; i < ids.n && rc == 0; i++) {
        const char *id = base_name(ids.s[i]);
        char img[4096], mdir[4096];
        pathf(img, sizeof img, "%s/images/%s.png", ids.s[i], id);
        pathf(mdir, sizeof mdir, "%s/masks", ids.s[i]);
        if (!is_file(img))
            continue;
        found++;
        sr_image_t im;
        rc = read_rgb(img, 3, &im, err);
        strlist_t masks = {0};
        find(mdir, "*.png", 0, 0, &masks);
        if (rc == 0 && masks.n == 0)
            rc = sr_errorf(err, "%s: no mask PNGs (expected masks/*.png beside %s)", mdir, img);
        uint8_t *u = rc == 0 ? calloc((size_t)(im.H * im.W), 1) : NULL;
        for (int64_t m = 0; rc == 0 && m < masks.n; m++) {
            sr_image_t mi;
            uint8_t *l = NULL;
            memset(&mi, 0, sizeof mi);
            rc = read_label(masks.s[m], LAB_BIN255, 2, &mi, &l, err);
            if (rc == 0 && (mi.H != im.H || mi.W != im.W))
                rc = sr_errorf(err, "%s: %lldx%lld, expected the size of %s", masks.s[m],
                               (long long)mi.W, (long long)mi.H, img);
            for (int64_t j = 0; rc == 0 && j < im.H * im.W; j++)
                u[j] |= l[j];
            img_free(&mi);
            free(l);
        }
        if (rc == 0)
            rc = add_image(b, c, &im, u, id, 0, err);
        free(u);
        sl_free(&masks);
        img_free(&im);
    }
    sl_free(&ids);
    if (rc == 0 && !found)
        return no_match(src, SR_CONVERT_DSB2018, "stage1_train/<id>/images/<id>.png", err);
    return rc;
}

static int conv_drive(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    double pd, sd;
    if (opt_num(&c->o, "drive", "patch", 0, 4096, 1, &pd, err) ||
        opt_num(&c->o, "drive", "stride", 1, 4096, 1, &sd, err))
        return -1;
    int64_t patch = (int64_t)pd, stride = (int64_t)sd;
    const char *names[] = {"background", "vessel"};
    if (patch > 0)
        c->H = c->W = patch;
    if (b_init(b, "drive", 3, c->H, c->W, 2, names, err))
        return -1;
    char root[4096];
    pathf(root, sizeof root, "%s/DRIVE", src);
    if (!is_dir(root))
        pathf(root, sizeof root, "%s", src);
    int rc = 0, found = 0;
    const char *parts[] = {"training", "test"};
    for (int part = 0; part < 2 && rc == 0; part++) {
        char idir[4096];
        pathf(idir, sizeof idir, "%s/%s/images", root, parts[part]);
        strlist_t imgs = {0};
        find(idir, "[0-9][0-9]_*.tif", 0, 0, &imgs);
        for (int64_t i = 0; i < imgs.n && rc == 0; i++) {
            const char *bn = base_name(imgs.s[i]);
            char lab[4096], id[64];
            pathf(id, sizeof id, "%.2s_%s", bn, parts[part]);
            pathf(lab, sizeof lab, "%s/%s/1st_manual/%.2s_manual1.gif", root, parts[part], bn);
            if (!is_file(lab))
                continue; // the test part of some releases has no manual labels
            found++;
            sr_image_t im, li;
            uint8_t *l = NULL;
            memset(&li, 0, sizeof li);
            rc = read_rgb(imgs.s[i], 3, &im, err);
            if (rc == 0)
                rc = read_label(lab, LAB_THRESH, 2, &li, &l, err);
            if (rc == 0 && (li.H != im.H || li.W != im.W))
                rc = sr_errorf(err, "%s: %lldx%lld, expected the size of %s", lab,
                               (long long)li.W, (long long)li.H, imgs.s[i]);
            if (rc == 0 && patch == 0) {
                rc = add_image(b, c, &im, l, id, 0, err);
            } else if (rc == 0) {
                // Patches on a regular grid (the last row/column of patches
                // is aligned to the border so every pixel is covered).
                sr_image_t pim = {.C = 3, .H = patch, .W = patch, .bits = 8};
                pim.data = malloc((size_t)(3 * patch * patch) * sizeof(float));
                uint8_t *pl = malloc((size_t)(patch * patch));
                int32_t idx = 0;
                int32_t vid = -1;
                if (!pim.data || !pl || im.H < patch || im.W < patch)
                    rc = sr_errorf(err, "%s: smaller than patch=%lld or out of memory",
                                   imgs.s[i], (long long)patch);
                for (int64_t y0 = 0; rc == 0 && y0 < im.H; y0 += stride) {
                    int64_t yy = y0 + patch > im.H ? im.H - patch : y0;
                    for (int64_t x0 = 0; rc == 0 && x0 < im.W; x0 += stride) {
                        int64_t xx = x0 + patch > im.W ? im.W - patch : x0;
                        for (int64_t ch = 0; ch < 3; ch++)
                            for (int64_t y = 0; y < patch; y++)
                                memcpy(pim.data + (ch * patch + y) * patch,
                                       im.data + (ch * im.H + yy + y) * im.W + xx,
                                       (size_t)patch * sizeof(float));
                        for (int64_t y = 0; y < patch; y++)
                            memcpy(pl + y * patch, l + (yy + y) * im.W + xx, (size_t)patch);
                        conf_t pc = *c;
                        pc.fit = FIT_NONE;
                        if (vid < 0)
                            vid = b_volume(b, id, id, err);
                        rc = vid < 0 ? -1 : add_image_vid(b, &pc, &pim, pl, vid, idx++, err);
                        if (x0 + patch >= im.W)
                            break;
                    }
                    if (y0 + patch >= im.H)
                        break;
                }
                free(pim.data);
                free(pl);
            }
            img_free(&im), img_free(&li), free(l);
        }
        sl_free(&imgs);
    }
    if (rc == 0 && !found)
        return no_match(src, SR_CONVERT_DRIVE, "training/images/NN_training.tif with "
                        "training/1st_manual/NN_manual1.gif", err);
    return rc;
}

static int read_list(const char *path, strlist_t *out, sr_error_t *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return sr_errorf(err, "%s: missing (an image list)", path);
    char line[512];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        line[strcspn(line, " \r\n")] = '\0';
        // SBD-style lists may hold "/JPEGImages/x.jpg /SegmentationClassAug/x.png".
        char *s = strrchr(line, '/');
        char *id = s ? s + 1 : line;
        char *dot = strrchr(id, '.');
        if (dot)
            *dot = '\0';
        if (*id && sl_add(out, id))
            rc = sr_errorf(err, "out of memory");
    }
    fclose(fp);
    return rc;
}

/* SBD's cls/<id>.mat: struct GTcls, field Segmentation (HxW class map,
 * column-major) -> 'out' (H*W, row-major). Values must be classes 0..K-1 or
 * 255 (void). */
static int read_sbd_label(const char *path, int K, int64_t *H, int64_t *W, uint8_t **out,
                          sr_error_t *err)
{
    sr_mat_file_t mf;
    if (sr_mat_read(path, &mf, err))
        return -1;
    const sr_mat_var_t *g = sr_mat_find(&mf, "GTcls"), *seg = NULL;
    int rc = 0;
    if (!g)
        rc = sr_errorf(err, "%s: no variable GTcls (expected SBD's struct GTcls with field "
                       "Segmentation)", path);
    else if (g->cls != SR_MAT_STRUCT || g->numel != 1)
        rc = sr_errorf(err, "%s: GTcls is a %lld-element %s array, expected a 1x1 struct with "
                       "field Segmentation", path, (long long)g->numel,
                       sr_mat_class_name(g->cls));
    else if (!(seg = sr_mat_field(g, 0, "Segmentation")))
        rc = sr_errorf(err, "%s: GTcls has no field Segmentation (expected SBD's cls layout)",
                       path);
    else if (!seg->data || seg->rank != 2 || seg->numel == 0)
        rc = sr_errorf(err, "%s: GTcls.Segmentation is a %s array of rank %d with %lld "
                       "elements, expected a non-empty numeric HxW map", path,
                       sr_mat_class_name(seg->cls), seg->rank, (long long)seg->numel);
    uint8_t *l = NULL;
    if (rc == 0) {
        *H = seg->dims[0], *W = seg->dims[1];
        l = malloc((size_t)seg->numel);
        if (!l)
            rc = sr_errorf(err, "%s: out of memory", path);
    }
    for (int64_t x = 0; rc == 0 && x < *W; x++)
        for (int64_t y = 0; rc == 0 && y < *H; y++) {
            double v = seg->data[y + x * *H];
            if (!(v == floor(v) && ((v >= 0 && v < K) || v == 255)))
                rc = sr_errorf(err, "%s: label value %g at pixel (%lld,%lld) outside the class "
                               "range (expected 0..%d or 255)", path, v, (long long)y,
                               (long long)x, K - 1);
            else
                l[y * *W + x] = (uint8_t)v;
        }
    sr_mat_free(&mf);
    if (rc) {
        free(l);
        return -1;
    }
    *out = l;
    return 0;
}

/* Append the ids of list file 'path' to 'out', keeping it sorted and unique. */
static int merge_list(const char *path, strlist_t *out, sr_error_t *err)
{
    if (read_list(path, out, err))
        return -1;
    if (out->n > 1)
        qsort(out->s, (size_t)out->n, sizeof *out->s, cmp_str);
    int64_t j = 0;
    for (int64_t i = 0; i < out->n; i++) {
        if (j > 0 && !strcmp(out->s[j - 1], out->s[i])) {
            free(out->s[i]);
            continue;
        }
        out->s[j++] = out->s[i];
    }
    out->n = j;
    return 0;
}

/* Parse shorten=r1,r2 (ratios in [0,1]) into the builder. */
static int parse_shorten(builder_t *b, const conf_t *c, sr_error_t *err)
{
    const char *sh = opt(&c->o, "shorten");
    b->n_short = 0;
    if (!strcmp(sh, "none"))
        return 0;
    for (const char *p = sh; *p;) {
        size_t len = strcspn(p, ",");
        char tok[32];
        pathf(tok, sizeof tok, "%.*s", (int)len, p);
        char *end;
        double r = strtod(tok, &end);
        if (end == tok || *end || r < 0 || r > 1)
            return sr_errorf(err, "dataset voc2012: invalid ratio '%s' in shorten (expected "
                             "numbers in [0,1] separated by commas)", tok);
        if (b->n_short == MAX_SHORTEN)
            return sr_errorf(err, "dataset voc2012: more than %d ratios in shorten",
                             MAX_SHORTEN);
        pathf(b->short_tok[b->n_short], sizeof b->short_tok[0], "%s", tok);
        b->short_ratio[b->n_short++] = r;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int conv_voc(const char *src, conf_t *c, builder_t *b, sr_error_t *err)
{
    const char *names[] = {"background", "aeroplane", "bicycle", "bird", "boat", "bottle",
                           "bus", "car", "cat", "chair", "cow", "diningtable", "dog",
                           "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
                           "train", "tvmonitor"};
    char voc[4096], path[4096];
    pathf(voc, sizeof voc, "%s/VOCdevkit/VOC2012", src);
    if (!is_dir(voc))
        return no_match(src, SR_CONVERT_VOC2012, "VOCdevkit/VOC2012/", err);
    // Scribbles: ScribbleSup's XML (scribble_annotation/pascal_2012, or
    // pascal_2012), else the PNGs converted by rloss (pascal_2012_scribble).
    char scr[4096], sxml[4096];
    pathf(sxml, sizeof sxml, "%s/scribble_annotation/pascal_2012", src);
    if (!is_dir(sxml))
        pathf(sxml, sizeof sxml, "%s/pascal_2012", src);
    pathf(scr, sizeof scr, "%s/pascal_2012_scribble", src);
    int have_xml = is_dir(sxml);
    b->has_scr = have_xml || is_dir(scr);
    double swidth;
    if (opt_num(&c->o, "voc2012", "scribble_width", 1, 100, 0, &swidth, err) ||
        parse_shorten(b, c, err))
        return -1;
    if (have_xml)
        pathf(b->scr_params, sizeof b->scr_params, "kind=scribbles source=ScribbleSup "
              "(%s, XML) width=%g", sxml + strlen(src) + 1, swidth);
    else
        pathf(b->scr_params, sizeof b->scr_params, "kind=scribbles source=ScribbleSup "
              "(pascal_2012_scribble, PNG)");
    if (b_init(b, "voc2012", 3, c->H, c->W, 21, names, err))
        return -1;
    if (b->f && b->has_scr) {
        int64_t d2[2] = {c->H, c->W};
        if (sr_h5_rows_create(b->f, "/weak/scribbles", SR_H5_U8, 3, d2, 1, err))
            return -1;
        for (int s = 0; s < b->n_short; s++) {
            char p[64];
            pathf(p, sizeof p, "/weak/scribbles_%s", b->short_tok[s]);
            if (sr_h5_rows_create(b->f, p, SR_H5_U8, 3, d2, 1, err))
                return -1;
        }
    }
    const char *tl = opt(&c->o, "train_list");
    if (strcmp(tl, "train_aug") && strcmp(tl, "train"))
        return sr_errorf(err, "dataset voc2012: invalid value '%s' for train_list (expected "
                         "train_aug or train)", tl);
    strlist_t lists[2] = {{0}, {0}};
    char aug[4096], sbd[4096];
    pathf(aug, sizeof aug, "%s/SegmentationClassAug", src);
    pathf(sbd, sizeof sbd, "%s/benchmark_RELEASE/dataset", src);
    // The augmented training set: the SegmentationClassAug release with its
    // train_aug.txt, else SBD as released (cls/*.mat with train.txt and
    // val.txt; their union with VOC's train list), else VOC's train list.
    int use_aug = !strcmp(tl, "train_aug") && is_dir(aug);
    int use_sbd = !strcmp(tl, "train_aug") && !use_aug && is_dir(sbd);
    int rc = 0;
    if (use_aug) {
        pathf(path, sizeof path, "%s/train_aug.txt", src);
        rc = read_list(path, &lists[0], err);
    } else if (use_sbd) {
        for (int i = 0; i < 2 && rc == 0; i++) {
            char lp[4200];
            pathf(lp, sizeof lp, i ? "%s/val.txt" : "%s/train.txt", sbd);
            rc = merge_list(lp, &lists[0], err);
        }
        pathf(path, sizeof path, "%s/ImageSets/Segmentation/train.txt", voc);
        if (rc == 0)
            rc = merge_list(path, &lists[0], err);
    } else {
        pathf(path, sizeof path, "%s/ImageSets/Segmentation/train.txt", voc);
        rc = read_list(path, &lists[0], err);
    }
    pathf(path, sizeof path, "%s/ImageSets/Segmentation/val.txt", voc);
    if (rc == 0)
        rc = read_list(path, &lists[1], err);
    for (int part = 0; part < 2 && rc == 0; part++) {
        // train_aug contains val images in some releases: never train on val.
        for (int64_t i = 0; i < lists[part].n && rc == 0; i++) {
            const char *id = lists[part].s[i];
            if (part == 0) {
                int in_val = 0;
                for (int64_t j = 0; j < lists[1].n && !in_val; j++)
                    in_val = !strcmp(lists[1].s[j], id);
                if (in_val)
                    continue;
            }
            // Images from VOC (else SBD's img/); labels from VOC's own
            // SegmentationClass when it has the image (it marks the void
            // band), else the augmented release, else SBD's cls/<id>.mat.
            char img[4096], lab[4096];
            pathf(img, sizeof img, "%s/JPEGImages/%s.jpg", voc, id);
            if (!is_file(img) && use_sbd)
                pathf(img, sizeof img, "%s/img/%s.jpg", sbd, id);
            pathf(lab, sizeof lab, "%s/SegmentationClass/%s.png", voc, id);
            int from_mat = 0;
            if (!is_file(lab) && use_aug)
                pathf(lab, sizeof lab, "%s/%s.png", aug, id);
            else if (!is_file(lab) && use_sbd)
                pathf(lab, sizeof lab, "%s/cls/%s.mat", sbd, id), from_mat = 1;
            sr_image_t im, li;
            uint8_t *l = NULL;
            memset(&li, 0, sizeof li);
            rc = read_rgb(img, 3, &im, err);
            if (rc == 0 && from_mat)
                rc = read_sbd_label(lab, 21, &li.H, &li.W, &l, err);
            else if (rc == 0)
                rc = read_label(lab, LAB_INDEX, 21, &li, &l, err);
            if (rc == 0 && (li.H != im.H || li.W != im.W))
                rc = sr_errorf(err, "%s: %lldx%lld, expected the size of %s", lab,
                               (long long)li.W, (long long)li.H, img);
            if (rc == 0)
                rc = b_reserve(b, 1, err);
            if (rc == 0 && b->has_scr) {
                // The scribble map of this image (before it is pushed).
                int64_t HW = b->ds.H * b->ds.W;
                char sp[4096], xp[4200];
                pathf(sp, sizeof sp, "%s/%s.png", scr, id);
                pathf(xp, sizeof xp, "%s/%s.xml", sxml, id);
                if (have_xml && is_file(xp)) {
                    // Drawn at the image's size, then fitted like the labels.
                    uint8_t *sl = malloc((size_t)(im.H * im.W));
                    const char *const *cn = (const char *const *)b->ds.class_names;
                    double sy, sx;
                    rc = !sl ? sr_errorf(err, "%s: out of memory", xp)
                             : sr_scribble_xml_read(xp, cn, b->ds.K, im.H, im.W, swidth, sl,
                                                    err);
                    if (rc == 0)
                        fit_plane(c, NULL, sl, im.H, im.W, NULL, b_scr(b), b->ds.H, b->ds.W,
                                  &sy, &sx);
                    free(sl);
                } else if (!have_xml && is_file(sp)) {
                    sr_image_t si;
                    uint8_t *sl = NULL;
                    memset(&si, 0, sizeof si);
                    rc = read_label(sp, LAB_INDEX, 21, &si, &sl, err);
                    if (rc == 0 && (si.H != im.H || si.W != im.W))
                        rc = sr_errorf(err, "%s: %lldx%lld, expected the size of %s", sp,
                                       (long long)si.W, (long long)si.H, img);
                    double sy, sx;
                    if (rc == 0)
                        fit_plane(c, NULL, sl, si.H, si.W, NULL, b_scr(b), b->ds.H, b->ds.W,
                                  &sy, &sx);
                    img_free(&si);
                    free(sl);
                } else {
                    memset(b_scr(b), SR_WEAK_UNLABELED, (size_t)HW);
                }
            }
            if (rc == 0) {
                // VOC's void (255) must survive resizing: nearest keeps it.
                rc = add_image(b, c, &im, l, id, 0, err);
                if (rc == 0)
                    b->ds.split[b->ds.N - 1] = part == 0 ? SR_SPLIT_TRAIN : SR_SPLIT_VAL;
            }
            img_free(&im), img_free(&li), free(l);
        }
    }
    sl_free(&lists[0]);
    sl_free(&lists[1]);
    return rc;
}

/* ------------------------------------------------------------------- API */

int sr_convert_lookup(const char *name)
{
    for (int c = 0; c < SR_CONVERT_COUNT; c++)
        if (!strcmp(convert_names[c], name))
            return c;
    return -1;
}

const char *sr_convert_defaults(enum sr_convert c)
{
    return (unsigned)c < SR_CONVERT_COUNT ? defaults[c] : "";
}

const char *sr_convert_layout(enum sr_convert c)
{
    return (unsigned)c < SR_CONVERT_COUNT ? layouts[c] : "";
}

/* Run converter 'which': in memory into 'ds' (f == NULL), or streaming
 * into the open file 'f' (ds unused). */
static int convert(enum sr_convert which, const char *src, const char *params,
                   sr_h5file_t *f, sr_dataset_t *ds, sr_error_t *err)
{
    acct_cur = acct_peak = 0;
    if ((unsigned)which >= SR_CONVERT_COUNT)
        return sr_errorf(err, "converter %d unknown", (int)which);
    if (!is_dir(src))
        return sr_errorf(err, "%s: not a directory (expected the unpacked %s archive: %s)", src,
                         convert_names[which], layouts[which]);
    conf_t *c = malloc(sizeof *c);
    if (!c)
        return sr_errorf(err, "out of memory");
    builder_t b;
    memset(&b, 0, sizeof b);
    b.f = f;
    int rc = conf_load(c, which, params, err);
    if (rc == 0) {
        typedef int (*conv_f)(const char *, conf_t *, builder_t *, sr_error_t *);
        static const conv_f fns[SR_CONVERT_COUNT] = {
            conv_acdc, conv_promise12, conv_vb,  conv_isles, conv_wmh,  conv_atlas,
            conv_ibsr, conv_isic,      conv_dsb, conv_drive, conv_voc};
        rc = fns[which](src, c, &b, err);
    }
    int split_done = which == SR_CONVERT_VOC2012;
    if (rc == 0)
        rc = f ? finish_stream(&b, c, split_done, err) : finish(&b, c, split_done, ds, err);
    b_free(&b);
    free(c);
    return rc;
}

int sr_convert_run(enum sr_convert which, const char *src, const char *params, sr_dataset_t *ds,
                   sr_error_t *err)
{
    memset(ds, 0, sizeof *ds);
    return convert(which, src, params, NULL, ds, err);
}

int sr_convert_file(enum sr_convert c, const char *src, const char *dest, const char *params,
                    sr_error_t *err)
{
    // Check the source before creating the (temporary) output file.
    if ((unsigned)c < SR_CONVERT_COUNT && !is_dir(src))
        return sr_errorf(err, "%s: not a directory (expected the unpacked %s archive: %s)", src,
                         convert_names[c], layouts[c]);
    sr_h5file_t *f = sr_h5_open(dest, SR_H5_CREATE_ATOMIC, err);
    if (!f)
        return -1;
    int rc = convert(c, src, params, f, NULL, err);
    if (rc) {
        sr_h5_close(f, 0, NULL);
        return -1;
    }
    return sr_h5_close(f, 1, err);
}
