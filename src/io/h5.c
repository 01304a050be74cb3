/* h5.c - HDF5 files behind segrep's interface (see h5.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/h5.h"

#include <assert.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sr_h5file {
    hid_t id;
    enum sr_h5_mode mode;
    char *path;      /* final name */
    char *tmp_path;  /* temporary name (atomic mode), else NULL */
};

static const char *const type_names[] = {"float32", "float64", "int32", "int64", "uint8"};
static const size_t type_sizes[] = {4, 8, 4, 8, 1};
static_assert(sizeof type_names / sizeof type_names[0] == SR_H5_TYPE_COUNT, "type names");
static_assert(sizeof type_sizes / sizeof type_sizes[0] == SR_H5_TYPE_COUNT, "type sizes");

size_t sr_h5_type_size(enum sr_h5_type type)
{
    return (unsigned)type < SR_H5_TYPE_COUNT ? type_sizes[type] : 0;
}

const char *sr_h5_type_name(enum sr_h5_type type)
{
    return (unsigned)type < SR_H5_TYPE_COUNT ? type_names[type] : "?";
}

static hid_t mem_type(enum sr_h5_type type)
{
    switch (type) {
    case SR_H5_F32: return H5T_NATIVE_FLOAT;
    case SR_H5_F64: return H5T_NATIVE_DOUBLE;
    case SR_H5_I32: return H5T_NATIVE_INT32;
    case SR_H5_I64: return H5T_NATIVE_INT64;
    case SR_H5_U8: return H5T_NATIVE_UINT8;
    default: return H5I_INVALID_HID;
    }
}

// Stored files use little-endian IEEE/two's-complement types on every host.
static hid_t file_type(enum sr_h5_type type)
{
    switch (type) {
    case SR_H5_F32: return H5T_IEEE_F32LE;
    case SR_H5_F64: return H5T_IEEE_F64LE;
    case SR_H5_I32: return H5T_STD_I32LE;
    case SR_H5_I64: return H5T_STD_I64LE;
    case SR_H5_U8: return H5T_STD_U8LE;
    default: return H5I_INVALID_HID;
    }
}

static void quiet(void)
{
    static int done;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void sr_h5_temp_name(const char *path, long pid, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    snprintf(buf, n, "%.*s.%s.tmp.%ld", (int)dirlen, path, path + dirlen, pid);
}

sr_h5file_t *sr_h5_open(const char *path, enum sr_h5_mode mode, sr_error_t *err)
{
    quiet();
    sr_h5file_t *f = calloc(1, sizeof *f);
    if (!f || !(f->path = dup_str(path))) {
        free(f);
        sr_errorf(err, "%s: out of memory", path);
        return NULL;
    }
    f->mode = mode;
    f->id = H5I_INVALID_HID;
    if (mode == SR_H5_READ || mode == SR_H5_RDWR) {
        if (access(path, F_OK) != 0) {
            sr_errorf(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (H5Fis_hdf5(path) <= 0) {
            sr_errorf(err, "%s: not an HDF5 file", path);
            goto fail;
        }
        f->id = H5Fopen(path, mode == SR_H5_READ ? H5F_ACC_RDONLY : H5F_ACC_RDWR, H5P_DEFAULT);
        if (f->id < 0) {
            sr_errorf(err, "%s: cannot open (truncated or corrupt HDF5 file?)", path);
            goto fail;
        }
        return f;
    }
    const char *target = path;
    if (mode == SR_H5_CREATE_ATOMIC) {
        size_t n = strlen(path) + 64;
        f->tmp_path = malloc(n);
        if (!f->tmp_path) {
            sr_errorf(err, "%s: out of memory", path);
            goto fail;
        }
        sr_h5_temp_name(path, (long)getpid(), f->tmp_path, n);
        target = f->tmp_path;
    }
    f->id = H5Fcreate(target, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f->id < 0) {
        sr_errorf(err, "%s: cannot create file (%s)", target, strerror(errno));
        goto fail;
    }
    return f;
fail:
    free(f->tmp_path);
    free(f->path);
    free(f);
    return NULL;
}

int sr_h5_close(sr_h5file_t *f, int commit, sr_error_t *err)
{
    if (!f)
        return 0;
    int rc = 0;
    if (f->id >= 0) {
        if (f->mode != SR_H5_READ && H5Fflush(f->id, H5F_SCOPE_GLOBAL) < 0)
            rc = sr_errorf(err, "%s: flush failed", f->path);
        if (H5Fclose(f->id) < 0)
            rc = sr_errorf(err, "%s: close failed", f->path);
    }
    if (f->tmp_path) {
        if (commit && rc == 0) {
            if (rename(f->tmp_path, f->path) != 0)
                rc = sr_errorf(err, "%s: cannot rename from %s (%s)", f->path, f->tmp_path,
                               strerror(errno));
        }
        if (!commit || rc != 0)
            unlink(f->tmp_path);
    }
    free(f->tmp_path);
    free(f->path);
    free(f);
    return rc;
}

const char *sr_h5_path(const sr_h5file_t *f)
{
    return f->path;
}

int sr_h5_exists(sr_h5file_t *f, const char *path)
{
    if (strcmp(path, "/") == 0)
        return 1;
    // Check each prefix: H5Lexists fails on a missing intermediate group.
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (H5Lexists(f->id, buf, H5P_DEFAULT) <= 0)
                return 0;
            if (c == '\0')
                return 1;
            *p = c;
        }
    }
}

int sr_h5_mkgroup(sr_h5file_t *f, const char *path, sr_error_t *err)
{
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return sr_errorf(err, "%s: path too long: %s", f->path, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (buf[1] != '\0' && H5Lexists(f->id, buf, H5P_DEFAULT) <= 0) {
                hid_t g = H5Gcreate2(f->id, buf, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                if (g < 0)
                    return sr_errorf(err, "%s: cannot create group %s", f->path, buf);
                H5Gclose(g);
            }
            if (c == '\0')
                return 0;
            *p = c;
        }
    }
}

static int mkparent(sr_h5file_t *f, const char *path, sr_error_t *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return 0;
    char parent[1024];
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - path), path);
    return sr_h5_mkgroup(f, parent, err);
}

int sr_h5_write(sr_h5file_t *f, const char *path, enum sr_h5_type type, int rank,
                const int64_t *dims, const void *data, int compress, sr_error_t *err)
{
    if (rank < 0 || rank > SR_H5_MAX_RANK)
        return sr_errorf(err, "%s: %s: rank %d out of range", f->path, path, rank);
    if (mkparent(f, path, err) < 0)
        return -1;
    if (sr_h5_exists(f, path) && H5Ldelete(f->id, path, H5P_DEFAULT) < 0)
        return sr_errorf(err, "%s: cannot replace %s", f->path, path);
    hsize_t hd[SR_H5_MAX_RANK];
    hsize_t total = 1;
    for (int i = 0; i < rank; i++) {
        hd[i] = (hsize_t)dims[i];
        total *= hd[i];
    }
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, hd, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (compress && rank > 0 && total > 0) {
        // Chunks of at most ~1 MiB along the leading dims, whole trailing dims.
        hsize_t chunk[SR_H5_MAX_RANK];
        hsize_t elems = 1;
        for (int i = rank - 1; i >= 0; i--) {
            hsize_t c = hd[i];
            size_t budget = (1u << 20) / sr_h5_type_size(type);
            if (elems * c > budget)
                c = budget / elems ? budget / elems : 1;
            chunk[i] = c ? c : 1;
            elems *= chunk[i];
        }
        H5Pset_chunk(dcpl, rank, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    hid_t ds = H5Dcreate2(f->id, path, file_type(type), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = 0;
    if (ds < 0)
        rc = sr_errorf(err, "%s: cannot create dataset %s", f->path, path);
    else if (total > 0 && H5Dwrite(ds, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = sr_errorf(err, "%s: cannot write dataset %s", f->path, path);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    return rc;
}

static int stored_type(hid_t t)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t);
    if (cls == H5T_FLOAT)
        return size <= 4 ? SR_H5_F32 : SR_H5_F64;
    if (cls == H5T_INTEGER) {
        if (size == 1 && H5Tget_sign(t) == H5T_SGN_NONE)
            return SR_H5_U8;
        return size <= 4 ? SR_H5_I32 : SR_H5_I64;
    }
    return -1;
}

static hid_t open_dataset(sr_h5file_t *f, const char *path, sr_error_t *err)
{
    if (!sr_h5_exists(f, path)) {
        sr_errorf(err, "%s: no dataset %s", f->path, path);
        return H5I_INVALID_HID;
    }
    hid_t ds = H5Dopen2(f->id, path, H5P_DEFAULT);
    if (ds < 0)
        sr_errorf(err, "%s: %s is not a dataset", f->path, path);
    return ds;
}

int sr_h5_shape(sr_h5file_t *f, const char *path, int *rank, int64_t dims[SR_H5_MAX_RANK],
                int *stored, sr_error_t *err)
{
    hid_t ds = open_dataset(f, path, err);
    if (ds < 0)
        return -1;
    hid_t space = H5Dget_space(ds);
    int r = H5Sget_simple_extent_ndims(space);
    int rc = 0;
    if (r < 0 || r > SR_H5_MAX_RANK) {
        rc = sr_errorf(err, "%s: %s: unsupported rank %d", f->path, path, r);
    } else {
        hsize_t hd[SR_H5_MAX_RANK];
        H5Sget_simple_extent_dims(space, hd, NULL);
        *rank = r;
        for (int i = 0; i < r; i++)
            dims[i] = (int64_t)hd[i];
        if (stored) {
            hid_t t = H5Dget_type(ds);
            *stored = stored_type(t);
            H5Tclose(t);
        }
    }
    H5Sclose(space);
    H5Dclose(ds);
    return rc;
}

int sr_h5_read(sr_h5file_t *f, const char *path, enum sr_h5_type type, void *buf,
               size_t capacity, sr_error_t *err)
{
    int rank, st;
    int64_t dims[SR_H5_MAX_RANK];
    if (sr_h5_shape(f, path, &rank, dims, &st, err) < 0)
        return -1;
    if (st < 0)
        return sr_errorf(err, "%s: %s is not a numeric dataset", f->path, path);
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    if (n != capacity)
        return sr_errorf(err, "%s: %s has %zu elements, expected %zu", f->path, path, n,
                         capacity);
    hid_t ds = H5Dopen2(f->id, path, H5P_DEFAULT);
    int rc = 0;
    if (n > 0 && H5Dread(ds, mem_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = sr_errorf(err, "%s: cannot read %s as %s (truncated file or impossible conversion)",
                       f->path, path, sr_h5_type_name(type));
    H5Dclose(ds);
    return rc;
}

void *sr_h5_read_alloc(sr_h5file_t *f, const char *path, enum sr_h5_type type, int *rank,
                       int64_t dims[SR_H5_MAX_RANK], sr_error_t *err)
{
    if (sr_h5_shape(f, path, rank, dims, NULL, err) < 0)
        return NULL;
    size_t n = 1;
    for (int i = 0; i < *rank; i++)
        n *= (size_t)dims[i];
    void *buf = malloc(n ? n * sr_h5_type_size(type) : 1);
    if (!buf) {
        sr_errorf(err, "%s: %s: out of memory", f->path, path);
        return NULL;
    }
    if (sr_h5_read(f, path, type, buf, n, err) < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static hid_t open_object(sr_h5file_t *f, const char *obj, int create, sr_error_t *err)
{
    if (!sr_h5_exists(f, obj)) {
        if (!create) {
            sr_errorf(err, "%s: no object %s", f->path, obj);
            return H5I_INVALID_HID;
        }
        if (sr_h5_mkgroup(f, obj, err) < 0)
            return H5I_INVALID_HID;
    }
    hid_t o = H5Oopen(f->id, obj, H5P_DEFAULT);
    if (o < 0)
        sr_errorf(err, "%s: cannot open %s", f->path, obj);
    return o;
}

static int attr_write(sr_h5file_t *f, const char *obj, const char *name, hid_t ftype,
                      hid_t mtype, const void *value, sr_error_t *err)
{
    hid_t o = open_object(f, obj, 1, err);
    if (o < 0)
        return -1;
    if (H5Aexists(o, name) > 0)
        H5Adelete(o, name);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(o, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (a < 0 || H5Awrite(a, mtype, value) < 0)
        rc = sr_errorf(err, "%s: cannot write attribute %s of %s", f->path, name, obj);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(space);
    H5Oclose(o);
    return rc;
}

int sr_h5_attr_write_str(sr_h5file_t *f, const char *obj, const char *name, const char *value,
                         sr_error_t *err)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    int rc = attr_write(f, obj, name, t, t, &value, err);
    H5Tclose(t);
    return rc;
}

int sr_h5_attr_write_f64(sr_h5file_t *f, const char *obj, const char *name, double value,
                         sr_error_t *err)
{
    return attr_write(f, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, err);
}

int sr_h5_attr_write_i64(sr_h5file_t *f, const char *obj, const char *name, int64_t value,
                         sr_error_t *err)
{
    return attr_write(f, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, err);
}

int sr_h5_attr_exists(sr_h5file_t *f, const char *obj, const char *name)
{
    if (!sr_h5_exists(f, obj))
        return 0;
    return H5Aexists_by_name(f->id, obj, name, H5P_DEFAULT) > 0;
}

static hid_t attr_open(sr_h5file_t *f, const char *obj, const char *name, sr_error_t *err)
{
    if (!sr_h5_attr_exists(f, obj, name)) {
        sr_errorf(err, "%s: no attribute %s on %s", f->path, name, obj);
        return H5I_INVALID_HID;
    }
    hid_t a = H5Aopen_by_name(f->id, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0)
        sr_errorf(err, "%s: cannot open attribute %s on %s", f->path, name, obj);
    return a;
}

int sr_h5_attr_read_str(sr_h5file_t *f, const char *obj, const char *name, char **out,
                        sr_error_t *err)
{
    hid_t a = attr_open(f, obj, name, err);
    if (a < 0)
        return -1;
    hid_t ft = H5Aget_type(a);
    int rc = 0;
    *out = NULL;
    if (H5Tget_class(ft) != H5T_STRING) {
        rc = sr_errorf(err, "%s: attribute %s of %s is not a string", f->path, name, obj);
    } else if (H5Tis_variable_str(ft) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5Tget_cset(ft));
        char *v = NULL;
        if (H5Aread(a, mt, &v) < 0 || !v) {
            rc = sr_errorf(err, "%s: cannot read attribute %s of %s", f->path, name, obj);
        } else {
            *out = dup_str(v);
            hid_t space = H5Aget_space(a);
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, &v);
            H5Sclose(space);
        }
        H5Tclose(mt);
    } else {
        // Fixed-length strings (as h5py writes numpy bytes).
        size_t n = H5Tget_size(ft);
        char *v = calloc(n + 1, 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, n);
        if (!v || H5Aread(a, mt, v) < 0) {
            free(v);
            rc = sr_errorf(err, "%s: cannot read attribute %s of %s", f->path, name, obj);
        } else {
            *out = v;
        }
        H5Tclose(mt);
    }
    if (rc == 0 && !*out)
        rc = sr_errorf(err, "%s: out of memory", f->path);
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

static int attr_read_num(sr_h5file_t *f, const char *obj, const char *name, hid_t mtype,
                         void *out, sr_error_t *err)
{
    hid_t a = attr_open(f, obj, name, err);
    if (a < 0)
        return -1;
    hid_t ft = H5Aget_type(a);
    H5T_class_t cls = H5Tget_class(ft);
    int rc = 0;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        rc = sr_errorf(err, "%s: attribute %s of %s is not numeric", f->path, name, obj);
    else if (H5Aread(a, mtype, out) < 0)
        rc = sr_errorf(err, "%s: cannot read attribute %s of %s", f->path, name, obj);
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

int sr_h5_attr_read_f64(sr_h5file_t *f, const char *obj, const char *name, double *out,
                        sr_error_t *err)
{
    return attr_read_num(f, obj, name, H5T_NATIVE_DOUBLE, out, err);
}

int sr_h5_attr_read_i64(sr_h5file_t *f, const char *obj, const char *name, int64_t *out,
                        sr_error_t *err)
{
    return attr_read_num(f, obj, name, H5T_NATIVE_INT64, out, err);
}

typedef struct {
    sr_h5file_t *f;
    sr_h5_member_f fn;
    void *ctx;
    int stopped;
} list_ctx_t;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    list_ctx_t *c = data;
    H5O_info_t oi;
    int is_group = 0;
    if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) >= 0)
        is_group = oi.type == H5O_TYPE_GROUP;
    if (c->fn(name, is_group, c->ctx)) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

int sr_h5_list(sr_h5file_t *f, const char *group, sr_h5_member_f fn, void *ctx,
               sr_error_t *err)
{
    if (!sr_h5_exists(f, group))
        return sr_errorf(err, "%s: no group %s", f->path, group);
    hid_t g = H5Gopen2(f->id, group, H5P_DEFAULT);
    if (g < 0)
        return sr_errorf(err, "%s: %s is not a group", f->path, group);
    list_ctx_t c = {f, fn, ctx, 0};
    hsize_t idx = 0;
    herr_t r = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &c);
    H5Gclose(g);
    if (r < 0)
        return sr_errorf(err, "%s: cannot list %s", f->path, group);
    return 0;
}

void sr_h5_library_version(char *buf, size_t size)
{
    unsigned maj = 0, min = 0, rel = 0;
    if (H5get_libversion(&maj, &min, &rel) < 0)
        snprintf(buf, size, "unknown");
    else
        snprintf(buf, size, "%u.%u.%u", maj, min, rel);
}

/* ------------------------------------------------- row-extendable datasets */

int sr_h5_rows_create(sr_h5file_t *f, const char *path, enum sr_h5_type type, int rank,
                      const int64_t *row_dims, int compress, sr_error_t *err)
{
    if (rank < 1 || rank > SR_H5_MAX_RANK || (unsigned)type >= SR_H5_TYPE_COUNT)
        return sr_errorf(err, "%s: %s: rank %d or type out of range", f->path, path, rank);
    if (mkparent(f, path, err) < 0)
        return -1;
    if (sr_h5_exists(f, path) && H5Ldelete(f->id, path, H5P_DEFAULT) < 0)
        return sr_errorf(err, "%s: cannot replace %s", f->path, path);
    hsize_t hd[SR_H5_MAX_RANK], mx[SR_H5_MAX_RANK], chunk[SR_H5_MAX_RANK];
    hd[0] = 0, mx[0] = H5S_UNLIMITED;
    for (int i = 1; i < rank; i++) {
        hd[i] = mx[i] = (hsize_t)row_dims[i - 1];
        if (row_dims[i - 1] < 1)
            return sr_errorf(err, "%s: %s: row dim %d is %lld (must be >= 1)", f->path, path,
                             i, (long long)row_dims[i - 1]);
    }
    // One row per chunk, at most ~1 MiB: split the leading trailing dims.
    size_t budget = (1u << 20) / sr_h5_type_size(type);
    hsize_t elems = 1;
    for (int i = rank - 1; i >= 1; i--) {
        hsize_t c = hd[i];
        if (elems * c > budget)
            c = budget / elems ? budget / elems : 1;
        chunk[i] = c;
        elems *= c;
    }
    chunk[0] = 1;
    hid_t space = H5Screate_simple(rank, hd, mx);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, chunk);
    if (compress) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 4);
    }
    hid_t ds = H5Dcreate2(f->id, path, file_type(type), space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds < 0)
        return sr_errorf(err, "%s: cannot create extendable dataset %s", f->path, path);
    H5Dclose(ds);
    return 0;
}

/* Open 'path' and get its dims; 'rank' out. */
static hid_t rows_open(sr_h5file_t *f, const char *path, int *rank, hsize_t *dims,
                       sr_error_t *err)
{
    hid_t ds = open_dataset(f, path, err);
    if (ds < 0)
        return ds;
    hid_t space = H5Dget_space(ds);
    *rank = H5Sget_simple_extent_ndims(space);
    if (*rank < 1 || *rank > SR_H5_MAX_RANK) {
        H5Sclose(space);
        H5Dclose(ds);
        sr_errorf(err, "%s: %s has rank %d, expected 1..%d", f->path, path, *rank,
                  SR_H5_MAX_RANK);
        return H5I_INVALID_HID;
    }
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    return ds;
}

/* Transfer rows [row0, row0+nrows) of open dataset 'ds' (dims 'dims'). */
static int rows_io(sr_h5file_t *f, const char *path, hid_t ds, int rank, const hsize_t *dims,
                   enum sr_h5_type type, int64_t row0, int64_t nrows, void *buf, int write,
                   sr_error_t *err)
{
    if (row0 < 0 || nrows < 0 || (hsize_t)(row0 + nrows) > dims[0])
        return sr_errorf(err, "%s: %s: rows %lld..%lld outside its %llu rows", f->path, path,
                         (long long)row0, (long long)(row0 + nrows),
                         (unsigned long long)dims[0]);
    if (nrows == 0)
        return 0;
    hsize_t start[SR_H5_MAX_RANK] = {0}, count[SR_H5_MAX_RANK];
    start[0] = (hsize_t)row0;
    count[0] = (hsize_t)nrows;
    for (int i = 1; i < rank; i++)
        count[i] = dims[i];
    hid_t fs = H5Dget_space(ds);
    hid_t ms = H5Screate_simple(rank, count, NULL);
    herr_t st = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    if (st >= 0)
        st = write ? H5Dwrite(ds, mem_type(type), ms, fs, H5P_DEFAULT, buf)
                   : H5Dread(ds, mem_type(type), ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms);
    H5Sclose(fs);
    if (st < 0)
        return sr_errorf(err, "%s: cannot %s rows %lld..%lld of %s", f->path,
                         write ? "write" : "read", (long long)row0, (long long)(row0 + nrows),
                         path);
    return 0;
}

int sr_h5_rows_append(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t nrows,
                      const void *data, sr_error_t *err)
{
    int rank;
    hsize_t dims[SR_H5_MAX_RANK];
    hid_t ds = rows_open(f, path, &rank, dims, err);
    if (ds < 0)
        return -1;
    int64_t row0 = (int64_t)dims[0];
    dims[0] += (hsize_t)nrows;
    int rc = 0;
    if (H5Dset_extent(ds, dims) < 0)
        rc = sr_errorf(err, "%s: cannot extend %s to %llu rows (not extendable?)", f->path,
                       path, (unsigned long long)dims[0]);
    if (rc == 0)
        rc = rows_io(f, path, ds, rank, dims, type, row0, nrows, (void *)data, 1, err);
    H5Dclose(ds);
    return rc;
}

int sr_h5_rows_write(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t row0,
                     int64_t nrows, const void *data, sr_error_t *err)
{
    int rank;
    hsize_t dims[SR_H5_MAX_RANK];
    hid_t ds = rows_open(f, path, &rank, dims, err);
    if (ds < 0)
        return -1;
    int rc = rows_io(f, path, ds, rank, dims, type, row0, nrows, (void *)data, 1, err);
    H5Dclose(ds);
    return rc;
}

int sr_h5_rows_read(sr_h5file_t *f, const char *path, enum sr_h5_type type, int64_t row0,
                    int64_t nrows, void *buf, sr_error_t *err)
{
    int rank;
    hsize_t dims[SR_H5_MAX_RANK];
    hid_t ds = rows_open(f, path, &rank, dims, err);
    if (ds < 0)
        return -1;
    int rc = rows_io(f, path, ds, rank, dims, type, row0, nrows, buf, 0, err);
    H5Dclose(ds);
    return rc;
}

int sr_h5_rows_resize(sr_h5file_t *f, const char *path, int64_t nrows, sr_error_t *err)
{
    int rank;
    hsize_t dims[SR_H5_MAX_RANK];
    hid_t ds = rows_open(f, path, &rank, dims, err);
    if (ds < 0)
        return -1;
    dims[0] = (hsize_t)nrows;
    int rc = H5Dset_extent(ds, dims) < 0
                 ? sr_errorf(err, "%s: cannot resize %s to %lld rows", f->path, path,
                             (long long)nrows)
                 : 0;
    H5Dclose(ds);
    return rc;
}
