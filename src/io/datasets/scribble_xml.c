/* scribble_xml.c - ScribbleSup XML scribbles (see scribble_xml.h). */
#include "io/datasets/scribble_xml.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "data/dataset.h"
#include "data/weak.h"

/* The first element child of 'n' named 'name', or NULL. */
static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

/* The text of 'n' with surrounding white space removed, into 'buf'. */
static const char *text(xmlNodePtr n, char *buf, size_t size)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = t ? (const char *)t : "";
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= size)
        len = size - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    xmlFree(t);
    return buf;
}

/* The number in element 'name' of 'n'. */
static int number(const char *path, xmlNodePtr n, const char *name, const char *where,
                  double *out, sr_error_t *err)
{
    xmlNodePtr c = child(n, name);
    char buf[64], *end;
    if (!c)
        return sr_errorf(err, "%s: %s has no <%s> (expected a number)", path, where, name);
    text(c, buf, sizeof buf);
    *out = strtod(buf, &end);
    if (end == buf || *end || !isfinite(*out))
        return sr_errorf(err, "%s: %s: <%s> is '%s', expected a number", path, where, name,
                         buf);
    return 0;
}

int sr_scribble_xml_read(const char *path, const char *const *class_names, int K, int64_t H,
                         int64_t W, double width, uint8_t *out, sr_error_t *err)
{
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx)
        return sr_errorf(err, "%s: out of memory for the XML parser", path);
    xmlDocPtr doc = xmlCtxtReadFile(ctx, path, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int rc = 0;
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        char msg[200] = "unreadable";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            msg[strcspn(msg, "\n")] = '\0';
        }
        rc = sr_errorf(err, "%s: not well-formed XML (line %d: %s); expected a ScribbleSup "
                       "annotation", path, e ? e->line : 0, msg);
        xmlFreeParserCtxt(ctx);
        return rc;
    }
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr size = child(root, "size");
    double w = 0, h = 0;
    double *xy = NULL;
    int64_t cap = 0;
    if (!root || strcmp((const char *)root->name, "annotation"))
        rc = sr_errorf(err, "%s: root element <%s>, expected <annotation>", path,
                       root ? (const char *)root->name : "");
    else if (!size)
        rc = sr_errorf(err, "%s: no <size> in <annotation> (expected <size><width>, "
                       "<height>)", path);
    else if (number(path, size, "width", "<size>", &w, err) ||
             number(path, size, "height", "<size>", &h, err))
        rc = -1;
    else if (w != (double)W || h != (double)H)
        rc = sr_errorf(err, "%s: size %gx%g, expected the image's %lldx%lld", path, w, h,
                       (long long)W, (long long)H);
    if (rc == 0)
        memset(out, SR_WEAK_UNLABELED, (size_t)(H * W));
    int np = 0;
    for (xmlNodePtr p = root ? root->children : NULL; rc == 0 && p; p = p->next) {
        if (p->type != XML_ELEMENT_NODE || strcmp((const char *)p->name, "polygon"))
            continue;
        np++;
        char where[64], name[128];
        snprintf(where, sizeof where, "polygon %d", np);
        xmlNodePtr tag = child(p, "tag");
        if (!tag) {
            rc = sr_errorf(err, "%s: %s has no <tag> (expected a class name)", path, where);
            break;
        }
        text(tag, name, sizeof name);
        int k = 0;
        while (k < K && strcmp(class_names[k], name))
            k++;
        if (k == K) {
            char list[600] = "";
            for (int i = 0; i < K && strlen(list) < 500; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         i ? ", " : "", class_names[i]);
            rc = sr_errorf(err, "%s: %s: class '%s' is not one of the %d classes (%s)", path,
                           where, name, K, list);
            break;
        }
        int64_t n = 0;
        for (xmlNodePtr q = p->children; rc == 0 && q; q = q->next) {
            if (q->type != XML_ELEMENT_NODE || strcmp((const char *)q->name, "point"))
                continue;
            if (n == cap) {
                int64_t nc = cap ? 2 * cap : 64;
                double *t = realloc(xy, (size_t)nc * 2 * sizeof *t);
                if (!t) {
                    rc = sr_errorf(err, "%s: out of memory", path);
                    break;
                }
                xy = t, cap = nc;
            }
            char pw[96];
            snprintf(pw, sizeof pw, "%s point %lld", where, (long long)n + 1);
            double x, y;
            if (number(path, q, "X", pw, &x, err) || number(path, q, "Y", pw, &y, err)) {
                rc = -1;
                break;
            }
            // Clamped to the image, as the authors' readspots.m.
            xy[2 * n] = x < 0 ? 0 : x > W - 1 ? (double)(W - 1) : x;
            xy[2 * n + 1] = y < 0 ? 0 : y > H - 1 ? (double)(H - 1) : y;
            n++;
        }
        if (rc == 0 && n == 0)
            rc = sr_errorf(err, "%s: %s ('%s') has no <point>", path, where, name);
        if (rc == 0)
            sr_weak_draw_polyline(out, H, W, xy, n, width, (uint8_t)k);
    }
    free(xy);
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    return rc;
}
