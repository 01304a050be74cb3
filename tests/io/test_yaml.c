/* test_yaml.c - the YAML node tree: positions, scalar types, canonical
 * text, editing, merging, emitting, and malformed input. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/yaml.h"
#include "tap.h"

static sr_ynode_t *parse(const char *text, sr_error_t *err)
{
    sr_error_clear(err);
    return sr_yaml_load_string(text, strlen(text), "t.yaml", err);
}

static void test_positions(void)
{
    sr_error_t err;
    sr_ynode_t *n = parse("a: 1\nb:\n  c: [x, 'y']\n  d: {e: 2.5}\n", &err);
    ok(n != NULL, "parses");
    if (!n)
        return;
    sr_ynode_t *c = sr_ynode_get_path(n, "b.c");
    ok(c && c->kind == SR_YNODE_SEQ && c->n == 2, "b.c is a 2-item sequence");
    is_int(c->line, 3, "b.c line");
    is_int(c->col, 6, "b.c column");
    is_int(c->items[1]->col, 10, "'y' column");
    ok(c->items[1]->quoted, "'y' is quoted");
    sr_ynode_t *e = sr_ynode_get_path(n, "b.d.e");
    is_int(e->line, 4, "b.d.e line");
    is_int(e->col, 10, "b.d.e column");
    is_str(e->file, "t.yaml", "file name kept");
    is_int(sr_ynode_map_key(n, "b")->line, 2, "key position");
    sr_ynode_free(n);
}

static void test_scalar_types(void)
{
    sr_error_t err;
    sr_ynode_t *n = parse("[~, null, '', true, False, 12, -3, 1.5, 1e-3, .inf, .nan, abc, '12', "
                          "0x1F, 1_000, 1.2.3]",
                          &err);
    enum sr_yscalar_type want[] = {
        SR_YSCALAR_NULL,   SR_YSCALAR_NULL,   SR_YSCALAR_STRING, SR_YSCALAR_BOOL,
        SR_YSCALAR_BOOL,   SR_YSCALAR_INT,    SR_YSCALAR_INT,    SR_YSCALAR_FLOAT,
        SR_YSCALAR_FLOAT,  SR_YSCALAR_FLOAT,  SR_YSCALAR_FLOAT,  SR_YSCALAR_STRING,
        SR_YSCALAR_STRING, SR_YSCALAR_STRING, SR_YSCALAR_STRING, SR_YSCALAR_STRING};
    ok(n && n->n == 16, "16 scalars");
    for (int i = 0; n && i < n->n; i++)
        is_str(sr_yscalar_type_name(sr_ynode_scalar_type(n->items[i])),
               sr_yscalar_type_name(want[i]), "type of '%s'", n->items[i]->text);
    int64_t iv;
    double dv;
    int bv;
    ok(sr_ynode_as_int(n->items[6], &iv) == 0 && iv == -3, "as_int -3");
    ok(sr_ynode_as_double(n->items[5], &dv) == 0 && dv == 12.0, "an int reads as a double");
    ok(sr_ynode_as_double(n->items[8], &dv) == 0 && dv == 1e-3, "1e-3");
    ok(sr_ynode_as_double(n->items[9], &dv) == 0 && isinf(dv), ".inf");
    ok(sr_ynode_as_int(n->items[7], &iv) != 0, "1.5 is not an int");
    ok(sr_ynode_as_int(n->items[12], &iv) != 0, "'12' (quoted) is not an int");
    ok(sr_ynode_as_bool(n->items[4], &bv) == 0 && bv == 0, "False");
    sr_ynode_free(n);
}

static void test_canonical(void)
{
    sr_error_t err;
    sr_ynode_t *a = parse("{b: 1e1, a: [1, 'x', true, ~], c: {z: 0.1, y: -0}}", &err);
    sr_ynode_t *b = parse("c:\n  y: 0\n  z: 1.0e-1\na: [+1, \"x\", TRUE, null]\nb: 10.0\n", &err);
    char *ca = sr_ynode_canonical(a), *cb = sr_ynode_canonical(b);
    is_str(ca, "{\"a\":[1,\"x\",true,null],\"b\":10.0,\"c\":{\"y\":0,\"z\":0.1}}",
           "canonical text: sorted keys, normalised scalars");
    is_str(cb, ca, "same values written differently have the same canonical text");
    ok(sr_ynode_equal(a, b), "equal");
    sr_ynode_t *c = parse("{b: 10, a: [1, 'x', true, ~], c: {z: 0.1, y: 0}}", &err);
    ok(!sr_ynode_equal(a, c), "10 (int) differs from 10.0 (float)");
    sr_ynode_t *d = parse("['1', 1, 0.30000000000000004, 0.3]", &err);
    char *cd = sr_ynode_canonical(d);
    is_str(cd, "[\"1\",1,0.30000000000000004,0.3]", "shortest round-trip floats");
    free(ca);
    free(cb);
    free(cd);
    sr_ynode_free(a);
    sr_ynode_free(b);
    sr_ynode_free(c);
    sr_ynode_free(d);
}

static void test_edit_merge(void)
{
    sr_error_t err;
    sr_ynode_t *base = parse("a: {x: 1, y: 2}\nl: [1, 2]\n", &err);
    sr_ynode_t *over = parse("a: {y: 3, z: 4}\nl: [9]\nn: new\n", &err);
    ok(sr_ynode_merge(base, over) == 0, "merge");
    char *c = sr_ynode_canonical(base);
    is_str(c, "{\"a\":{\"x\":1,\"y\":3,\"z\":4},\"l\":[9],\"n\":\"new\"}",
           "mappings merge key by key, lists are replaced");
    free(c);
    sr_error_clear(&err);
    ok(sr_ynode_set_path(base, "p.q.r", sr_ynode_new_scalar("5", 0), &err) == 0,
       "set_path creates mappings");
    ok(sr_ynode_get_path(base, "p.q.r") != NULL, "get_path finds it");
    sr_error_clear(&err);
    ok(sr_ynode_set_path(base, "n.x", sr_ynode_new_scalar("5", 0), &err) != 0,
       "set_path below a scalar fails");
    {
        ok(strstr(err.text, "'n' is a scalar") != NULL, "error names the scalar: %s", err.text);
    }
    ok(sr_ynode_map_remove(base, "l") == 1 && !sr_ynode_map_get(base, "l"), "remove");
    sr_ynode_t *cl = sr_ynode_clone(base);
    ok(sr_ynode_equal(cl, base), "clone is equal");
    sr_ynode_free(cl);
    sr_ynode_free(base);
    sr_ynode_free(over);
}

static void test_emit_roundtrip(void)
{
    sr_error_t err;
    const char *text = "kind: echo-metrics\nconfig:\n  s: '12'\n  t: 'a: b'\n  e: ''\n"
                       "  l: [1, {x: -2}, [3]]\n  m: {}\n  neg: -1.5\n  dash: '-'\n";
    sr_ynode_t *a = parse(text, &err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sr_yaml_emit(f, a, 0);
    fclose(f);
    sr_ynode_t *b = sr_yaml_load_string(buf, len, "emitted", &err);
    ok(b != NULL, "emitted YAML parses: %s", b ? "" : err.text);
    ok(b && sr_ynode_equal(a, b), "emit then parse gives equal values");
    free(buf);
    sr_ynode_free(a);
    sr_ynode_free(b);
}

static void test_malformed(void)
{
    struct {
        const char *text, *want;
    } cases[] = {
        {"a: 1\na: 2\n", "t.yaml:2:1: duplicate key 'a' (first at line 1)"},
        {"a: &x 1\nb: *x\n", "t.yaml:1:4: anchors (&x) are not supported"},
        {"a: [1, 2\n", "t.yaml:2:1:"},
        {"a: 1\n b: 2\n", "t.yaml:2:3:"},
        {"? [1]\n: 2\n", "t.yaml:1:3: mapping keys must be scalars, not a sequence"},
        {"a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document per file"},
        {"a: !!str 1\n", "t.yaml:1:4: tags (tag:yaml.org,2002:str) are not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sr_error_t err;
        sr_ynode_t *n = parse(cases[i].text, &err);
        ok(n == NULL, "malformed case %zu fails", i);
        ok(strncmp(err.text, cases[i].want, strlen(cases[i].want)) == 0,
           "case %zu: '%s' starts with '%s'", i, err.text, cases[i].want);
        ok(strchr(err.text, '\n') == NULL, "case %zu: one line", i);
        sr_ynode_free(n);
    }
    sr_error_t err;
    sr_error_clear(&err);
    ok(sr_yaml_load_file("/nonexistent/x.yaml", &err) == NULL &&
           strstr(err.text, "/nonexistent/x.yaml: cannot open") == err.text,
       "missing file: %s", err.text);
    sr_ynode_t *e = parse("", &err);
    ok(e && e->kind == SR_YNODE_MAP && e->n == 0, "empty document is an empty mapping");
    sr_ynode_free(e);
}

int main(void)
{
    test_positions();
    test_scalar_types();
    test_canonical();
    test_edit_merge();
    test_emit_roundtrip();
    test_malformed();
    return done_testing();
}
