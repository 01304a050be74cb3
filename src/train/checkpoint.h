/* checkpoint.h - the byte stream that trainer checkpoints are made of.
 *
 * A checkpoint (train.h: sr_trainer_checkpoint_write / _read) is one flat
 * native-endian binary file: magic "SRTRCKPT", format version, byte-order
 * mark, payload length, the payload, and an FNV-1a checksum of the payload.
 * The payload holds the caller's key (the run id), a fingerprint of the
 * network, optimiser and term list, the trainer's own state, one
 * length-prefixed state blob per term (each term's ops->save / ops->load,
 * next to the term: train/terms.c, train/adm.c, runner/kind_train.c's
 * gates) and an opaque blob of the caller's (a run's metric history).
 *
 * sr_ckpt_buf_t is a growable byte buffer with a read cursor: terms append
 * their state with the put functions and read it back with the get
 * functions, which fail with "truncated" instead of reading past the end.
 * Checkpoints are for resuming on the same kind of machine with the same
 * build, not for archiving (results go to HDF5 through io/).
 * See doc/train.md ("Checkpoints").
 */
#ifndef SR_TRAIN_CHECKPOINT_H
#define SR_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SR_CKPT_MAGIC "SRTRCKPT"
#define SR_CKPT_VERSION 2u

typedef struct sr_ckpt_buf {
    uint8_t *data;  /* owned (or borrowed for sr_ckpt_buf_view) */
    size_t len, cap;
    size_t pos;     /* read cursor */
    int borrowed;
} sr_ckpt_buf_t;

/* A read-only view of 'len' bytes at 'data' (not copied, not freed). */
void sr_ckpt_buf_view(sr_ckpt_buf_t *b, const void *data, size_t len);

/* Free an owned buffer; reset the struct. Safe on a zeroed struct. */
void sr_ckpt_buf_free(sr_ckpt_buf_t *b);

/* Append 'n' bytes. Returns 0, or -1 with 'err' set (out of memory). */
int sr_ckpt_put(sr_ckpt_buf_t *b, const void *p, size_t n, sr_error_t *err);
int sr_ckpt_put_i64(sr_ckpt_buf_t *b, int64_t v, sr_error_t *err);
int sr_ckpt_put_f64(sr_ckpt_buf_t *b, double v, sr_error_t *err);
/* A string: its length (int64) and bytes. */
int sr_ckpt_put_str(sr_ckpt_buf_t *b, const char *s, sr_error_t *err);
/* A blob: its length (int64) and bytes. */
int sr_ckpt_put_blob(sr_ckpt_buf_t *b, const void *p, size_t n, sr_error_t *err);

/* Read 'n' bytes at the cursor into 'p' and advance. Returns 0, or -1 with
 * 'err' = "checkpoint: truncated (<what>)" when fewer remain. */
int sr_ckpt_get(sr_ckpt_buf_t *b, void *p, size_t n, const char *what, sr_error_t *err);
int sr_ckpt_get_i64(sr_ckpt_buf_t *b, int64_t *v, const char *what, sr_error_t *err);
int sr_ckpt_get_f64(sr_ckpt_buf_t *b, double *v, const char *what, sr_error_t *err);
/* An i64 that must lie in [min, max] (a length or a count). */
int sr_ckpt_get_count(sr_ckpt_buf_t *b, int64_t min, int64_t max, int64_t *v, const char *what,
                      sr_error_t *err);
/* A string into 'out' (size 'size'; longer strings are an error). */
int sr_ckpt_get_str(sr_ckpt_buf_t *b, char *out, size_t size, const char *what,
                    sr_error_t *err);
/* A blob: '*p' points into the buffer (valid while it lives), '*n' bytes. */
int sr_ckpt_get_blob(sr_ckpt_buf_t *b, const void **p, size_t *n, const char *what,
                     sr_error_t *err);

/* Write 'payload' as a checkpoint file at 'path' atomically: 'path'.tmp is
 * written, flushed and renamed over 'path'. Returns 0, or -1 with 'err'
 * set (no file at 'path' changed then). */
int sr_ckpt_file_write(const char *path, const sr_ckpt_buf_t *payload, sr_error_t *err);

/* Read the checkpoint file at 'path' into 'payload' (owned; free with
 * sr_ckpt_buf_free), checking magic, version, byte order, length and
 * checksum. Returns 0, or -1 with a one-line 'err' naming the file and
 * what is wrong ("bad magic", "version", "truncated", "checksum"). */
int sr_ckpt_file_read(const char *path, sr_ckpt_buf_t *payload, sr_error_t *err);

#endif
