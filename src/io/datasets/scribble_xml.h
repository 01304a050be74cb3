/* scribble_xml.h - ScribbleSup's scribble annotations for PASCAL VOC
 * (scribble_annotation/pascal_2012/<id>.xml), read with libxml2 and
 * rasterised into a weak-label map.
 *
 * Layout (as the authors' readspots.m reads it): <annotation> with
 * <size><width>W</width><height>H</height></size> and one <polygon> per
 * scribble: <tag>class name</tag> and <point><X>x</X><Y>y</Y></point>...,
 * coordinates 0-based pixel positions, clamped to the image as the authors
 * do. Each scribble is drawn as the polyline through its points, 'width'
 * pixels wide (sr_weak_draw_polyline; the authors' convertscribbles.m uses
 * MATLAB insertShape with LineWidth 3), in file order so a later scribble
 * overwrites an earlier one; unannotated pixels are SR_WEAK_UNLABELED.
 */
#ifndef SR_IO_DATASETS_SCRIBBLE_XML_H
#define SR_IO_DATASETS_SCRIBBLE_XML_H

#include <stdint.h>

#include "core/error.h"

/* Read 'path' and draw its scribbles into 'out' (H*W, row-major), the class
 * of a scribble being the index of its tag in 'class_names' (K names). The
 * file's size must be W x H. Returns 0, or -1 with 'err' naming the file
 * and what was expected (not well-formed XML with the parser's line and
 * message, a missing element, a class name not among 'class_names', a
 * coordinate that is not a number, a size that differs from the image). */
int sr_scribble_xml_read(const char *path, const char *const *class_names, int K, int64_t H,
                         int64_t W, double width, uint8_t *out, sr_error_t *err);

#endif
