/* image.c - PNG/JPEG/TIFF/GIF reading and writing through libpng, libjpeg,
 * libtiff and giflib (see image.h). libpng and libjpeg report errors by
 * longjmp; the handlers below store the library's message and jump back so
 * that every failure becomes one line naming the file. Not handled: TIFF
 * tiles with more than 4 samples, multi-page TIFF/animated GIF (the first
 * page/frame is read).
 */
#include "io/datasets/image.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <png.h>
#include <tiffio.h>

static const char *const format_names[] = {"PNG", "JPEG", "TIFF", "GIF"};
_Static_assert(sizeof format_names / sizeof format_names[0] == SR_IMAGE_FORMAT_COUNT,
               "image format names");

const char *sr_image_format_name(int f)
{
    return f >= 0 && f < SR_IMAGE_FORMAT_COUNT ? format_names[f] : "?";
}

int sr_image_init(sr_image_t *img, int64_t C, int64_t H, int64_t W, sr_error_t *err)
{
    memset(img, 0, sizeof *img);
    if (C < 1 || H < 1 || W < 1 || H > 65535 || W > 65535)
        return sr_errorf(err, "image: invalid size %lldx%lldx%lld", (long long)C,
                         (long long)H, (long long)W);
    img->data = calloc((size_t)(C * H * W), sizeof(float));
    if (!img->data)
        return sr_errorf(err, "image: out of memory for %lldx%lldx%lld", (long long)C,
                         (long long)H, (long long)W);
    img->C = C;
    img->H = H;
    img->W = W;
    img->bits = 8;
    return 0;
}

void sr_image_free(sr_image_t *img)
{
    if (!img)
        return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* ------------------------------------------------------------------- PNG */

typedef struct png_ctx {
    jmp_buf jmp;
    char msg[200];
} png_ctx_t;

static void png_error_fn(png_structp png, png_const_charp msg)
{
    png_ctx_t *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    longjmp(ctx->jmp, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

static int read_png(const char *path, FILE *fp, sr_image_t *img, sr_error_t *err)
{
    png_ctx_t ctx = {.msg = ""};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_fn,
                                             png_warn_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *volatile row = NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        return sr_errorf(err, "%s: out of memory reading PNG", path);
    }
    if (setjmp(ctx.jmp)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(row);
        sr_image_free(img);
        return sr_errorf(err, "%s: bad or truncated PNG data (%s)", path, ctx.msg);
    }
    png_init_io(png, fp);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if (depth < 8)
        png_set_packing(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (interlace != PNG_INTERLACE_NONE)
        png_error(png, "interlaced PNG not supported");
    png_read_update_info(png, info);
    int C = png_get_channels(png, info);
    int bytes = depth == 16 ? 2 : 1;
    if (sr_image_init(img, C, h, w, err)) {
        png_destroy_read_struct(&png, &info, NULL);
        return sr_error_prefix(err, "%s: ", path);
    }
    img->bits = depth == 16 ? 16 : 8;
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_colorp pal;
        int np = 0;
        png_get_PLTE(png, info, &pal, &np);
        img->n_palette = np;
        for (int i = 0; i < np && i < 256; i++) {
            img->palette[i][0] = pal[i].red;
            img->palette[i][1] = pal[i].green;
            img->palette[i][2] = pal[i].blue;
        }
    }
    row = malloc((size_t)w * (size_t)C * (size_t)bytes);
    if (!row)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) {
        png_read_row(png, row, NULL);
        for (png_uint_32 x = 0; x < w; x++)
            for (int c = 0; c < C; c++) {
                size_t o = ((size_t)x * (size_t)C + (size_t)c) * (size_t)bytes;
                float v = bytes == 2 ? (float)(row[o] << 8 | row[o + 1]) : (float)row[o];
                img->data[((int64_t)c * h + y) * w + x] = v;
            }
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(row);
    return 0;
}

static int write_png(const char *path, const sr_image_t *img, sr_error_t *err)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return sr_errorf(err, "%s: cannot create file", path);
    png_ctx_t ctx = {.msg = ""};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, png_error_fn,
                                              png_warn_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *volatile row = NULL;
    if (!png || !info || setjmp(ctx.jmp)) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(fp);
        return sr_errorf(err, "%s: cannot write PNG (%s)", path, ctx.msg);
    }
    int C = (int)img->C;
    int bits = img->bits == 16 && C == 1 && !img->n_palette ? 16 : 8;
    int ctype = img->n_palette ? PNG_COLOR_TYPE_PALETTE
                : C == 1     ? PNG_COLOR_TYPE_GRAY
                : C == 2     ? PNG_COLOR_TYPE_GRAY_ALPHA
                : C == 3     ? PNG_COLOR_TYPE_RGB
                             : PNG_COLOR_TYPE_RGBA;
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)img->W, (png_uint_32)img->H, bits, ctype,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (img->n_palette) {
        png_color pal[256];
        for (int i = 0; i < img->n_palette; i++) {
            pal[i].red = img->palette[i][0];
            pal[i].green = img->palette[i][1];
            pal[i].blue = img->palette[i][2];
        }
        png_set_PLTE(png, info, pal, img->n_palette);
    }
    png_write_info(png, info);
    int bytes = bits / 8;
    row = malloc((size_t)img->W * (size_t)C * (size_t)bytes);
    if (!row)
        png_error(png, "out of memory");
    double mx = bits == 16 ? 65535 : 255;
    for (int64_t y = 0; y < img->H; y++) {
        for (int64_t x = 0; x < img->W; x++)
            for (int c = 0; c < C; c++) {
                double v = img->data[((int64_t)c * img->H + y) * img->W + x] + 0.5;
                unsigned u = (unsigned)(v < 0 ? 0 : v > mx ? mx : v);
                size_t o = ((size_t)x * (size_t)C + (size_t)c) * (size_t)bytes;
                if (bytes == 2) {
                    row[o] = (unsigned char)(u >> 8);
                    row[o + 1] = (unsigned char)(u & 255);
                } else {
                    row[o] = (unsigned char)u;
                }
            }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(fp))
        return sr_errorf(err, "%s: write failed", path);
    return 0;
}

/* ------------------------------------------------------------------ JPEG */

typedef struct jpeg_ctx {
    struct jpeg_error_mgr mgr;
    jmp_buf jmp;
    char msg[JMSG_LENGTH_MAX];
} jpeg_ctx_t;

static void jpeg_error_fn(j_common_ptr cinfo)
{
    jpeg_ctx_t *ctx = (jpeg_ctx_t *)cinfo->err;
    cinfo->err->format_message(cinfo, ctx->msg);
    longjmp(ctx->jmp, 1);
}

static void jpeg_silent(j_common_ptr cinfo, int level)
{
    jpeg_ctx_t *ctx = (jpeg_ctx_t *)cinfo->err;
    // A corrupt-data warning (level -1) means a truncated or damaged file:
    // treat it as an error rather than return a partly grey image.
    if (level < 0) {
        cinfo->err->format_message(cinfo, ctx->msg);
        longjmp(ctx->jmp, 1);
    }
}

static int read_jpeg(const char *path, FILE *fp, sr_image_t *img, sr_error_t *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    cinfo.err = jpeg_std_error(&ctx.mgr);
    ctx.mgr.error_exit = jpeg_error_fn;
    ctx.mgr.emit_message = jpeg_silent;
    unsigned char *volatile row = NULL;
    if (setjmp(ctx.jmp)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        sr_image_free(img);
        return sr_errorf(err, "%s: bad or truncated JPEG data (%s)", path, ctx.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space != JCS_GRAYSCALE)
        cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int C = cinfo.output_components;
    if (sr_image_init(img, C, cinfo.output_height, cinfo.output_width, err)) {
        jpeg_destroy_decompress(&cinfo);
        return sr_error_prefix(err, "%s: ", path);
    }
    row = malloc((size_t)cinfo.output_width * (size_t)C);
    if (!row) {
        snprintf(ctx.msg, sizeof ctx.msg, "out of memory");
        longjmp(ctx.jmp, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        int64_t y = cinfo.output_scanline;
        JSAMPROW rp = row;
        jpeg_read_scanlines(&cinfo, &rp, 1);
        for (int64_t x = 0; x < img->W; x++)
            for (int c = 0; c < C; c++)
                img->data[(c * img->H + y) * img->W + x] = row[x * C + c];
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    return 0;
}

static int write_jpeg(const char *path, const sr_image_t *img, sr_error_t *err)
{
    if (img->C != 1 && img->C != 3)
        return sr_errorf(err, "%s: JPEG needs 1 or 3 channels, got %lld", path,
                         (long long)img->C);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return sr_errorf(err, "%s: cannot create file", path);
    struct jpeg_compress_struct cinfo;
    jpeg_ctx_t ctx;
    memset(&ctx, 0, sizeof ctx);
    cinfo.err = jpeg_std_error(&ctx.mgr);
    ctx.mgr.error_exit = jpeg_error_fn;
    unsigned char *volatile row = NULL;
    if (setjmp(ctx.jmp)) {
        jpeg_destroy_compress(&cinfo);
        free(row);
        fclose(fp);
        return sr_errorf(err, "%s: cannot write JPEG (%s)", path, ctx.msg);
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, fp);
    cinfo.image_width = (JDIMENSION)img->W;
    cinfo.image_height = (JDIMENSION)img->H;
    cinfo.input_components = (int)img->C;
    cinfo.in_color_space = img->C == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 95, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    row = malloc((size_t)(img->W * img->C));
    if (!row) {
        snprintf(ctx.msg, sizeof ctx.msg, "out of memory");
        longjmp(ctx.jmp, 1);
    }
    for (int64_t y = 0; y < img->H; y++) {
        for (int64_t x = 0; x < img->W; x++)
            for (int64_t c = 0; c < img->C; c++) {
                double v = img->data[(c * img->H + y) * img->W + x] + 0.5;
                row[x * img->C + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        JSAMPROW rp = row;
        jpeg_write_scanlines(&cinfo, &rp, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    if (fclose(fp))
        return sr_errorf(err, "%s: write failed", path);
    return 0;
}

/* ------------------------------------------------------------------ TIFF */

static _Thread_local char tiff_msg[256];

static void tiff_error_fn(const char *module, const char *fmt, va_list ap)
{
    (void)module;
    if (!tiff_msg[0])
        vsnprintf(tiff_msg, sizeof tiff_msg, fmt, ap);
}

static void tiff_warn_fn(const char *module, const char *fmt, va_list ap)
{
    (void)module, (void)fmt, (void)ap;
}

static int read_tiff(const char *path, sr_image_t *img, sr_error_t *err)
{
    tiff_msg[0] = '\0';
    TIFFSetErrorHandler(tiff_error_fn);
    TIFFSetWarningHandler(tiff_warn_fn);
    TIFF *tif = TIFFOpen(path, "r");
    if (!tif)
        return sr_errorf(err, "%s: cannot open TIFF (%s)", path, tiff_msg);
    uint32_t w = 0, h = 0;
    uint16_t spp = 1, bps = 8, planar = PLANARCONFIG_CONTIG, photo = 0;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PHOTOMETRIC, &photo);
    int rc = 0;
    if ((bps == 8 || bps == 16) && planar == PLANARCONFIG_CONTIG && spp >= 1 && spp <= 4 &&
        photo != PHOTOMETRIC_PALETTE && !TIFFIsTiled(tif)) {
        if (sr_image_init(img, spp, h, w, err)) {
            TIFFClose(tif);
            return sr_error_prefix(err, "%s: ", path);
        }
        img->bits = bps;
        unsigned char *row = _TIFFmalloc(TIFFScanlineSize(tif));
        for (uint32_t y = 0; row && y < h && rc == 0; y++) {
            if (TIFFReadScanline(tif, row, y, 0) < 0) {
                rc = sr_errorf(err, "%s: bad or truncated TIFF data at row %u (%s)", path, y,
                               tiff_msg);
                break;
            }
            for (uint32_t x = 0; x < w; x++)
                for (int c = 0; c < spp; c++) {
                    size_t o = (size_t)x * spp + (size_t)c;
                    float v = bps == 16 ? (float)((uint16_t *)row)[o] : (float)row[o];
                    img->data[((int64_t)c * h + y) * w + x] = v;
                }
        }
        if (!row)
            rc = sr_errorf(err, "%s: out of memory", path);
        _TIFFfree(row);
    } else {
        // Anything else (palette, tiles, 1-bit, separate planes): libtiff's
        // RGBA path.
        if (sr_image_init(img, 3, h, w, err)) {
            TIFFClose(tif);
            return sr_error_prefix(err, "%s: ", path);
        }
        uint32_t *rgba = _TIFFmalloc((tmsize_t)w * h * sizeof(uint32_t));
        if (!rgba || !TIFFReadRGBAImageOriented(tif, w, h, rgba, ORIENTATION_TOPLEFT, 0))
            rc = sr_errorf(err, "%s: bad or truncated TIFF data (%s)", path, tiff_msg);
        for (size_t i = 0; rc == 0 && i < (size_t)w * h; i++) {
            img->data[i] = (float)TIFFGetR(rgba[i]);
            img->data[(size_t)w * h + i] = (float)TIFFGetG(rgba[i]);
            img->data[2 * (size_t)w * h + i] = (float)TIFFGetB(rgba[i]);
        }
        _TIFFfree(rgba);
    }
    TIFFClose(tif);
    if (rc)
        sr_image_free(img);
    return rc;
}

static int write_tiff(const char *path, const sr_image_t *img, sr_error_t *err)
{
    tiff_msg[0] = '\0';
    TIFFSetErrorHandler(tiff_error_fn);
    TIFFSetWarningHandler(tiff_warn_fn);
    TIFF *tif = TIFFOpen(path, "w");
    if (!tif)
        return sr_errorf(err, "%s: cannot create TIFF (%s)", path, tiff_msg);
    uint16_t spp = (uint16_t)img->C;
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)img->W);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)img->H);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 1);
    unsigned char *row = malloc((size_t)(img->W * img->C));
    int rc = row ? 0 : sr_errorf(err, "%s: out of memory", path);
    for (int64_t y = 0; rc == 0 && y < img->H; y++) {
        for (int64_t x = 0; x < img->W; x++)
            for (int64_t c = 0; c < img->C; c++) {
                double v = img->data[(c * img->H + y) * img->W + x] + 0.5;
                row[x * img->C + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        if (TIFFWriteScanline(tif, row, (uint32_t)y, 0) < 0)
            rc = sr_errorf(err, "%s: cannot write TIFF (%s)", path, tiff_msg);
    }
    free(row);
    TIFFClose(tif);
    return rc;
}

/* ------------------------------------------------------------------- GIF */

static int read_gif(const char *path, sr_image_t *img, sr_error_t *err)
{
    int e = 0;
    GifFileType *g = DGifOpenFileName(path, &e);
    if (!g)
        return sr_errorf(err, "%s: cannot open GIF (%s)", path, GifErrorString(e));
    if (DGifSlurp(g) != GIF_OK || g->ImageCount < 1) {
        const char *m = GifErrorString(g->Error);
        sr_errorf(err, "%s: bad or truncated GIF data (%s)", path, m ? m : "no image");
        DGifCloseFile(g, &e);
        return -1;
    }
    SavedImage *si = &g->SavedImages[0];
    ColorMapObject *cm = si->ImageDesc.ColorMap ? si->ImageDesc.ColorMap : g->SColorMap;
    int64_t W = g->SWidth, H = g->SHeight;
    if (sr_image_init(img, 1, H, W, err)) {
        DGifCloseFile(g, &e);
        return sr_error_prefix(err, "%s: ", path);
    }
    for (int64_t i = 0; i < H * W; i++)
        img->data[i] = (float)g->SBackGroundColor;
    int64_t l = si->ImageDesc.Left, t = si->ImageDesc.Top;
    for (int64_t y = 0; y < si->ImageDesc.Height; y++)
        for (int64_t x = 0; x < si->ImageDesc.Width; x++)
            if (t + y < H && l + x < W)
                img->data[(t + y) * W + l + x] =
                    (float)si->RasterBits[y * si->ImageDesc.Width + x];
    if (cm) {
        img->n_palette = cm->ColorCount > 256 ? 256 : cm->ColorCount;
        for (int i = 0; i < img->n_palette; i++) {
            img->palette[i][0] = cm->Colors[i].Red;
            img->palette[i][1] = cm->Colors[i].Green;
            img->palette[i][2] = cm->Colors[i].Blue;
        }
    }
    DGifCloseFile(g, &e);
    return 0;
}

static int write_gif(const char *path, const sr_image_t *img, sr_error_t *err)
{
    if (img->C != 1)
        return sr_errorf(err, "%s: GIF needs 1 channel of indices, got %lld", path,
                         (long long)img->C);
    int e = 0;
    GifFileType *g = EGifOpenFileName(path, 0, &e);
    if (!g)
        return sr_errorf(err, "%s: cannot create GIF (%s)", path, GifErrorString(e));
    int n = img->n_palette > 0 ? img->n_palette : 256, size = 2;
    while (size < n)
        size *= 2;
    ColorMapObject *cm = GifMakeMapObject(size, NULL);
    int rc = cm ? 0 : sr_errorf(err, "%s: out of memory", path);
    for (int i = 0; rc == 0 && i < size; i++) {
        int gray = i < 256 ? i : 255;
        cm->Colors[i].Red = img->n_palette && i < n ? img->palette[i][0] : (GifByteType)gray;
        cm->Colors[i].Green = img->n_palette && i < n ? img->palette[i][1] : (GifByteType)gray;
        cm->Colors[i].Blue = img->n_palette && i < n ? img->palette[i][2] : (GifByteType)gray;
    }
    GifPixelType *line = malloc((size_t)img->W);
    if (rc == 0 && (!line || EGifPutScreenDesc(g, (int)img->W, (int)img->H, 8, 0, cm) != GIF_OK ||
                    EGifPutImageDesc(g, 0, 0, (int)img->W, (int)img->H, false, NULL) != GIF_OK))
        rc = sr_errorf(err, "%s: cannot write GIF (%s)", path, GifErrorString(g->Error));
    for (int64_t y = 0; rc == 0 && y < img->H; y++) {
        for (int64_t x = 0; x < img->W; x++) {
            double v = img->data[y * img->W + x] + 0.5;
            line[x] = (GifPixelType)(v < 0 ? 0 : v > size - 1 ? size - 1 : v);
        }
        if (EGifPutLine(g, line, (int)img->W) != GIF_OK)
            rc = sr_errorf(err, "%s: cannot write GIF (%s)", path, GifErrorString(g->Error));
    }
    free(line);
    GifFreeMapObject(cm);
    if (EGifCloseFile(g, &e) != GIF_OK && rc == 0)
        rc = sr_errorf(err, "%s: cannot write GIF (%s)", path, GifErrorString(e));
    return rc;
}

/* ------------------------------------------------------------------- API */

int sr_image_read(const char *path, sr_image_t *img, sr_error_t *err)
{
    memset(img, 0, sizeof *img);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sr_errorf(err, "%s: no such file or not readable", path);
    unsigned char m[8] = {0};
    size_t got = fread(m, 1, sizeof m, fp);
    rewind(fp);
    int rc;
    if (got >= 8 && memcmp(m, "\x89PNG\r\n\x1a\n", 8) == 0) {
        rc = read_png(path, fp, img, err);
    } else if (got >= 3 && m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF) {
        rc = read_jpeg(path, fp, img, err);
    } else if (got >= 4 && (memcmp(m, "II*\0", 4) == 0 || memcmp(m, "MM\0*", 4) == 0)) {
        fclose(fp);
        return read_tiff(path, img, err);
    } else if (got >= 6 && (memcmp(m, "GIF87a", 6) == 0 || memcmp(m, "GIF89a", 6) == 0)) {
        fclose(fp);
        return read_gif(path, img, err);
    } else {
        rc = sr_errorf(err, "%s: not a PNG, JPEG, TIFF or GIF file", path);
    }
    fclose(fp);
    return rc;
}

int sr_image_expand(sr_image_t *img, sr_error_t *err)
{
    if (img->n_palette <= 0)
        return 0;
    int gray = 1;
    for (int i = 0; i < img->n_palette; i++)
        gray &= img->palette[i][0] == img->palette[i][1] &&
                img->palette[i][1] == img->palette[i][2];
    int64_t HW = img->H * img->W, C = gray ? 1 : 3;
    float *d = malloc((size_t)(C * HW) * sizeof *d);
    if (!d)
        return sr_errorf(err, "image: out of memory");
    for (int64_t i = 0; i < HW; i++) {
        int idx = (int)img->data[i];
        if (idx < 0 || idx >= img->n_palette)
            idx = 0;
        for (int64_t c = 0; c < C; c++)
            d[c * HW + i] = img->palette[idx][c];
    }
    free(img->data);
    img->data = d;
    img->C = C;
    img->n_palette = 0;
    return 0;
}

int sr_image_write(const char *path, enum sr_image_format format, const sr_image_t *img,
                   sr_error_t *err)
{
    switch (format) {
    case SR_IMAGE_PNG:
        return write_png(path, img, err);
    case SR_IMAGE_JPEG:
        return write_jpeg(path, img, err);
    case SR_IMAGE_TIFF:
        return write_tiff(path, img, err);
    case SR_IMAGE_GIF:
        return write_gif(path, img, err);
    default:
        return sr_errorf(err, "%s: unknown image format %d", path, (int)format);
    }
}
