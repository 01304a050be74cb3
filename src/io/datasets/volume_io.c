/* volume_io.c - NIfTI-1/Analyze 7.5 through niftilib and MetaImage by a
 * small reader/writer of our own (see volume_io.h).
 *
 * MetaImage: we read the keys segmentation archives use (NDims, DimSize,
 * ElementSpacing/ElementSize, ElementType, ElementDataFile, HeaderSize,
 * BinaryDataByteOrderMSB/ElementByteOrderMSB, CompressedData,
 * ElementNumberOfChannels = 1) and ignore orientation keys. Not handled:
 * ElementDataFile lists and patterns (LIST, %d), multi-channel elements.
 */
#include "io/datasets/volume_io.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <nifti1_io.h>
#include <zlib.h>

static const char *const format_names[] = {"NIfTI-1", "Analyze 7.5", "MetaImage"};
_Static_assert(sizeof format_names / sizeof format_names[0] == SR_VOLUME_FORMAT_COUNT,
               "volume format names");

const char *sr_volume_format_name(int f)
{
    return f >= 0 && f < SR_VOLUME_FORMAT_COUNT ? format_names[f] : "?";
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* ----------------------------------------------------------------- NIfTI */

/* Uncompressed length of the gzip file 'path', or -1 if the stream is
 * truncated or damaged. */
static long long gz_length(const char *path)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return -1;
    unsigned char buf[65536];
    long long total = 0;
    int n;
    while ((n = gzread(g, buf, sizeof buf)) > 0)
        total += n;
    int errnum = Z_OK;
    gzerror(g, &errnum);
    gzclose(g);
    return n < 0 || errnum != Z_OK ? -1 : total;
}

static int to_float(const void *src, int datatype, size_t n, double slope, double inter,
                    float *dst)
{
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (datatype) {
        case DT_UINT8: v = ((const uint8_t *)src)[i]; break;
        case DT_INT8: v = ((const int8_t *)src)[i]; break;
        case DT_INT16: v = ((const int16_t *)src)[i]; break;
        case DT_UINT16: v = ((const uint16_t *)src)[i]; break;
        case DT_INT32: v = ((const int32_t *)src)[i]; break;
        case DT_UINT32: v = ((const uint32_t *)src)[i]; break;
        case DT_INT64: v = (double)((const int64_t *)src)[i]; break;
        case DT_UINT64: v = (double)((const uint64_t *)src)[i]; break;
        case DT_FLOAT32: v = ((const float *)src)[i]; break;
        case DT_FLOAT64: v = ((const double *)src)[i]; break;
        default: return -1;
        }
        dst[i] = (float)(slope != 0 ? v * slope + inter : v);
    }
    return 0;
}

static int read_nifti(const char *path, sr_volume_t *vol, sr_error_t *err)
{
    nifti_set_debug_level(0);
    if (file_size(path) < 0)
        return sr_errorf(err, "%s: no such file or not readable", path);
    nifti_image *nim = nifti_image_read(path, 0);
    if (!nim)
        return sr_errorf(err, "%s: not a NIfTI-1 or Analyze 7.5 header", path);
    const char *what = nim->nifti_type == NIFTI_FTYPE_ANALYZE ? "Analyze 7.5" : "NIfTI-1";
    if (nim->nt > 1 || nim->nu > 1 || nim->nv > 1 || nim->nw > 1) {
        sr_errorf(err, "%s: %s volume has %d dimensions (%dx%dx%dx%d), expected 3", path,
                  what, nim->ndim, nim->nx, nim->ny, nim->nz, nim->nt);
        nifti_image_free(nim);
        return -1;
    }
    // Uncompressed data: check the size first so a truncated file is named
    // as such (niftilib's own message would only go to stderr).
    if (nim->iname && !nifti_is_gzfile(nim->iname)) {
        long long need = (long long)nim->iname_offset + (long long)nim->nvox * nim->nbyper;
        long long have = file_size(nim->iname);
        if (have < need) {
            sr_errorf(err, "%s: truncated %s data: expected %lld bytes, found %lld", nim->iname,
                      what, need, have);
            nifti_image_free(nim);
            return -1;
        }
    }
    // Compressed data: zlib may hand back a short stream without complaint,
    // so read the whole stream once and check its length and trailer.
    if (nim->iname && nifti_is_gzfile(nim->iname)) {
        long long need = (long long)nim->iname_offset + (long long)nim->nvox * nim->nbyper;
        long long got = gz_length(nim->iname);
        if (got < need) {
            sr_errorf(err, "%s: truncated or corrupt compressed %s data: expected %lld bytes, "
                      "found %s", nim->iname, what, need, got < 0 ? "a damaged stream" : "fewer");
            nifti_image_free(nim);
            return -1;
        }
    }
    if (nifti_image_load(nim) != 0 || !nim->data) {
        sr_errorf(err, "%s: bad or truncated %s data (expected %lld voxels of %d bytes)",
                  nim->iname ? nim->iname : path, what, (long long)nim->nvox, nim->nbyper);
        nifti_image_free(nim);
        return -1;
    }
    int nz = nim->nz > 0 ? nim->nz : 1;
    if (sr_volume_init(vol, nz, nim->ny, nim->nx, err)) {
        nifti_image_free(nim);
        return sr_error_prefix(err, "%s: ", path);
    }
    if (to_float(nim->data, nim->datatype, (size_t)nim->nvox, nim->scl_slope, nim->scl_inter,
                 vol->data)) {
        sr_errorf(err, "%s: %s datatype %d (%s) not supported, expected an integer or real "
                  "type", path, what, nim->datatype, nifti_datatype_string(nim->datatype));
        nifti_image_free(nim);
        sr_volume_free(vol);
        return -1;
    }
    vol->spacing[0] = nim->dz > 0 ? nim->dz : 1.0;
    vol->spacing[1] = nim->dy > 0 ? nim->dy : 1.0;
    vol->spacing[2] = nim->dx > 0 ? nim->dx : 1.0;
    nifti_image_free(nim);
    return 0;
}

static int write_nifti(const char *path, const sr_volume_t *vol, int as_u8, sr_error_t *err)
{
    nifti_set_debug_level(0);
    int dims[8] = {3, (int)vol->X, (int)vol->Y, (int)vol->Z, 1, 1, 1, 1};
    nifti_image *nim = nifti_make_new_nim(dims, as_u8 ? DT_UINT8 : DT_INT16, 1);
    if (!nim)
        return sr_errorf(err, "%s: cannot make a NIfTI image", path);
    nim->dx = nim->pixdim[1] = (float)vol->spacing[2];
    nim->dy = nim->pixdim[2] = (float)vol->spacing[1];
    nim->dz = nim->pixdim[3] = (float)vol->spacing[0];
    for (size_t i = 0; i < nim->nvox; i++) {
        double v = vol->data[i];
        v = v < 0 ? v - 0.5 : v + 0.5;
        if (as_u8)
            ((uint8_t *)nim->data)[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        else
            ((int16_t *)nim->data)[i] = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
    }
    if (nifti_set_filenames(nim, path, 0, 1) != 0) {
        nifti_image_free(nim);
        return sr_errorf(err, "%s: name not usable for NIfTI/Analyze", path);
    }
    if (ends_with(path, ".hdr") || ends_with(path, ".img"))
        nim->nifti_type = NIFTI_FTYPE_ANALYZE;
    nifti_image_write(nim);
    int ok = file_size(nim->fname) > 0;
    nifti_image_free(nim);
    return ok ? 0 : sr_errorf(err, "%s: cannot write", path);
}

/* ------------------------------------------------------------- MetaImage */

typedef struct mhd {
    int ndims;
    long long dim[3];
    double spacing[3];
    char type[32];
    char datafile[1024];
    long long header_size;
    int msb;
    int compressed;
    int channels;
    long data_offset; /* for LOCAL: where the header ended */
} mhd_t;

static int mhd_elem_size(const char *t)
{
    if (!strcmp(t, "MET_UCHAR") || !strcmp(t, "MET_CHAR"))
        return 1;
    if (!strcmp(t, "MET_SHORT") || !strcmp(t, "MET_USHORT"))
        return 2;
    if (!strcmp(t, "MET_INT") || !strcmp(t, "MET_UINT") || !strcmp(t, "MET_FLOAT"))
        return 4;
    if (!strcmp(t, "MET_DOUBLE") || !strcmp(t, "MET_LONG_LONG") || !strcmp(t, "MET_ULONG_LONG"))
        return 8;
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int parse_mhd(const char *path, FILE *fp, mhd_t *h, sr_error_t *err)
{
    memset(h, 0, sizeof *h);
    h->ndims = -1;
    h->header_size = 0;
    h->channels = 1;
    for (int i = 0; i < 3; i++)
        h->spacing[i] = 1.0;
    char line[2048];
    int lineno = 0, have_data = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        char *eq = strchr(line, '=');
        if (!eq)
            return sr_errorf(err, "%s:%d: expected 'Key = Value'", path, lineno);
        *eq = '\0';
        char *key = trim(line), *val = trim(eq + 1);
        if (!strcmp(key, "NDims")) {
            h->ndims = atoi(val);
            if (h->ndims < 2 || h->ndims > 3)
                return sr_errorf(err, "%s:%d: NDims = %s, expected 2 or 3", path, lineno, val);
        } else if (!strcmp(key, "DimSize")) {
            int n = sscanf(val, "%lld %lld %lld", &h->dim[0], &h->dim[1], &h->dim[2]);
            if (n < 2)
                return sr_errorf(err, "%s:%d: DimSize '%s' needs 2 or 3 sizes", path, lineno,
                                 val);
            if (n == 2)
                h->dim[2] = 1;
        } else if (!strcmp(key, "ElementSpacing") || !strcmp(key, "ElementSize")) {
            sscanf(val, "%lf %lf %lf", &h->spacing[0], &h->spacing[1], &h->spacing[2]);
        } else if (!strcmp(key, "ElementType")) {
            snprintf(h->type, sizeof h->type, "%s", val);
        } else if (!strcmp(key, "HeaderSize")) {
            h->header_size = atoll(val);
        } else if (!strcmp(key, "BinaryDataByteOrderMSB") || !strcmp(key, "ElementByteOrderMSB")) {
            h->msb = !strcmp(val, "True") || !strcmp(val, "true") || !strcmp(val, "1");
        } else if (!strcmp(key, "CompressedData")) {
            h->compressed = !strcmp(val, "True") || !strcmp(val, "true") || !strcmp(val, "1");
        } else if (!strcmp(key, "ElementNumberOfChannels")) {
            h->channels = atoi(val);
        } else if (!strcmp(key, "ElementDataFile")) {
            snprintf(h->datafile, sizeof h->datafile, "%s", val);
            have_data = 1;
            h->data_offset = ftell(fp);
            break; // ElementDataFile is the last key by definition
        }
    }
    if (!have_data)
        return sr_errorf(err, "%s: MetaImage header without ElementDataFile", path);
    if (h->ndims < 0)
        return sr_errorf(err, "%s: MetaImage header without NDims", path);
    if (!mhd_elem_size(h->type))
        return sr_errorf(err, "%s: ElementType '%s' not supported, expected MET_UCHAR, "
                         "MET_CHAR, MET_SHORT, MET_USHORT, MET_INT, MET_UINT, MET_FLOAT or "
                         "MET_DOUBLE", path, h->type);
    if (h->channels != 1)
        return sr_errorf(err, "%s: ElementNumberOfChannels = %d, expected 1", path, h->channels);
    for (int i = 0; i < 3; i++)
        if (h->dim[i] < 1 || h->dim[i] > 1 << 20)
            return sr_errorf(err, "%s: DimSize[%d] = %lld out of range", path, i, h->dim[i]);
    if (strstr(h->datafile, "LIST") == h->datafile || strchr(h->datafile, '%'))
        return sr_errorf(err, "%s: ElementDataFile '%s': lists and patterns not supported",
                         path, h->datafile);
    return 0;
}

static double mhd_value(const unsigned char *p, const char *t, int msb)
{
    unsigned char b[8];
    int n = mhd_elem_size(t);
    for (int i = 0; i < n; i++)
        b[i] = msb ? p[n - 1 - i] : p[i]; // to little-endian
    // Assemble little-endian bytes into the host value portably.
    uint64_t u = 0;
    for (int i = n - 1; i >= 0; i--)
        u = u << 8 | b[i];
    if (!strcmp(t, "MET_UCHAR")) return (double)(uint8_t)u;
    if (!strcmp(t, "MET_CHAR")) return (double)(int8_t)(uint8_t)u;
    if (!strcmp(t, "MET_SHORT")) return (double)(int16_t)(uint16_t)u;
    if (!strcmp(t, "MET_USHORT")) return (double)(uint16_t)u;
    if (!strcmp(t, "MET_INT")) return (double)(int32_t)(uint32_t)u;
    if (!strcmp(t, "MET_UINT")) return (double)(uint32_t)u;
    if (!strcmp(t, "MET_LONG_LONG")) return (double)(int64_t)u;
    if (!strcmp(t, "MET_ULONG_LONG")) return (double)u;
    if (!strcmp(t, "MET_FLOAT")) {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, 4);
        return f;
    }
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static int read_mhd(const char *path, sr_volume_t *vol, sr_error_t *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return sr_errorf(err, "%s: no such file or not readable", path);
    mhd_t h;
    if (parse_mhd(path, fp, &h, err)) {
        fclose(fp);
        return -1;
    }
    fclose(fp);
    char raw[2048];
    long long offset = h.header_size > 0 ? h.header_size : 0;
    if (!strcmp(h.datafile, "LOCAL")) {
        snprintf(raw, sizeof raw, "%s", path);
        offset = h.data_offset;
    } else if (h.datafile[0] == '/') {
        snprintf(raw, sizeof raw, "%s", h.datafile);
    } else {
        const char *slash = strrchr(path, '/');
        int dl = slash ? (int)(slash - path + 1) : 0;
        snprintf(raw, sizeof raw, "%.*s%s", dl, path, h.datafile);
    }
    int es = mhd_elem_size(h.type);
    long long nvox = h.dim[0] * h.dim[1] * h.dim[2];
    long long need = nvox * es, have = file_size(raw);
    if (have < 0)
        return sr_errorf(err, "%s: data file %s named by %s not found", raw, h.datafile, path);
    if (h.header_size == -1)
        offset = have - need; // data at the end of the file
    unsigned char *buf = malloc((size_t)need > 0 ? (size_t)need : 1);
    if (!buf)
        return sr_errorf(err, "%s: out of memory for %lld bytes", raw, need);
    fp = fopen(raw, "rb");
    if (!fp) {
        free(buf);
        return sr_errorf(err, "%s: not readable", raw);
    }
    int rc = 0;
    if (h.compressed) {
        long long csize = have - offset;
        unsigned char *cbuf = malloc((size_t)(csize > 0 ? csize : 1));
        uLongf out = (uLongf)need;
        if (!cbuf || fseek(fp, (long)offset, SEEK_SET) ||
            fread(cbuf, 1, (size_t)csize, fp) != (size_t)csize ||
            uncompress(buf, &out, cbuf, (uLong)csize) != Z_OK || (long long)out != need)
            rc = sr_errorf(err, "%s: bad or truncated compressed MetaImage data (expected %lld "
                           "bytes of %s)", raw, need, h.type);
        free(cbuf);
    } else if (have - offset < need) {
        rc = sr_errorf(err, "%s: truncated MetaImage data: expected %lld bytes of %s "
                       "(%lldx%lldx%lld), found %lld", raw, need, h.type, h.dim[0], h.dim[1],
                       h.dim[2], have - offset < 0 ? 0 : have - offset);
    } else if (fseek(fp, (long)offset, SEEK_SET) || fread(buf, 1, (size_t)need, fp) != (size_t)need) {
        rc = sr_errorf(err, "%s: read error", raw);
    }
    fclose(fp);
    if (rc == 0 && sr_volume_init(vol, h.dim[2], h.dim[1], h.dim[0], err))
        rc = sr_error_prefix(err, "%s: ", path);
    if (rc == 0) {
        for (long long i = 0; i < nvox; i++)
            vol->data[i] = (float)mhd_value(buf + i * es, h.type, h.msb);
        vol->spacing[0] = h.ndims == 3 ? h.spacing[2] : 1.0;
        vol->spacing[1] = h.spacing[1];
        vol->spacing[2] = h.spacing[0];
    }
    free(buf);
    return rc;
}

static int write_mhd(const char *path, const sr_volume_t *vol, int as_u8, sr_error_t *err)
{
    if (!ends_with(path, ".mhd"))
        return sr_errorf(err, "%s: MetaImage writer wants a .mhd name", path);
    char raw[2048];
    snprintf(raw, sizeof raw, "%.*s.raw", (int)(strlen(path) - 4), path);
    const char *base = strrchr(raw, '/') ? strrchr(raw, '/') + 1 : raw;
    FILE *fp = fopen(path, "w");
    if (!fp)
        return sr_errorf(err, "%s: cannot create", path);
    fprintf(fp,
            "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n"
            "CompressedData = False\nTransformMatrix = 1 0 0 0 1 0 0 0 1\n"
            "Offset = 0 0 0\nElementSpacing = %g %g %g\nDimSize = %lld %lld %lld\n"
            "ElementType = %s\nElementDataFile = %s\n",
            vol->spacing[2], vol->spacing[1], vol->spacing[0], (long long)vol->X,
            (long long)vol->Y, (long long)vol->Z, as_u8 ? "MET_UCHAR" : "MET_SHORT", base);
    if (fclose(fp))
        return sr_errorf(err, "%s: write failed", path);
    fp = fopen(raw, "wb");
    if (!fp)
        return sr_errorf(err, "%s: cannot create", raw);
    int rc = 0;
    for (int64_t i = 0; i < vol->Z * vol->Y * vol->X && rc == 0; i++) {
        double v = vol->data[i];
        v = v < 0 ? v - 0.5 : v + 0.5;
        unsigned char b[2];
        size_t n;
        if (as_u8) {
            b[0] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            n = 1;
        } else {
            int16_t s = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
            uint16_t u = (uint16_t)s;
            b[0] = (unsigned char)(u & 255);
            b[1] = (unsigned char)(u >> 8);
            n = 2;
        }
        if (fwrite(b, 1, n, fp) != n)
            rc = sr_errorf(err, "%s: write failed", raw);
    }
    if (fclose(fp) && rc == 0)
        rc = sr_errorf(err, "%s: write failed", raw);
    return rc;
}

/* ------------------------------------------------------------------- API */

static int format_of(const char *path)
{
    if (ends_with(path, ".nii") || ends_with(path, ".nii.gz"))
        return SR_VOLUME_NIFTI;
    if (ends_with(path, ".hdr") || ends_with(path, ".img") || ends_with(path, ".hdr.gz") ||
        ends_with(path, ".img.gz"))
        return SR_VOLUME_ANALYZE;
    if (ends_with(path, ".mhd") || ends_with(path, ".mha"))
        return SR_VOLUME_METAIMAGE;
    return -1;
}

int sr_volume_read(const char *path, sr_volume_t *vol, sr_error_t *err)
{
    memset(vol, 0, sizeof *vol);
    switch (format_of(path)) {
    case SR_VOLUME_NIFTI:
    case SR_VOLUME_ANALYZE:
        return read_nifti(path, vol, err);
    case SR_VOLUME_METAIMAGE:
        return read_mhd(path, vol, err);
    default:
        return sr_errorf(err, "%s: unknown volume format, expected .nii, .nii.gz, .hdr/.img, "
                         ".mhd or .mha", path);
    }
}

int sr_volume_write(const char *path, const sr_volume_t *vol, int as_u8, sr_error_t *err)
{
    switch (format_of(path)) {
    case SR_VOLUME_NIFTI:
    case SR_VOLUME_ANALYZE:
        return write_nifti(path, vol, as_u8, err);
    case SR_VOLUME_METAIMAGE:
        return write_mhd(path, vol, as_u8, err);
    default:
        return sr_errorf(err, "%s: unknown volume format, expected .nii, .nii.gz, .hdr/.img "
                         "or .mhd", path);
    }
}
