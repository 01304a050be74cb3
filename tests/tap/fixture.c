/* fixture.c - text fixtures for tests (see fixture.h). */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

enum { MAXF = 64 };

static struct {
    char name[64];
    int count;
    double *v;
} fx[MAXF];
static int nfx;

int tap_fixture_load(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    while (nfx < MAXF && fscanf(fp, "%63s %d", fx[nfx].name, &fx[nfx].count) == 2) {
        if (fx[nfx].count < 0) {
            fclose(fp);
            return -1;
        }
        fx[nfx].v = malloc((size_t)fx[nfx].count * sizeof(double) + 1);
        for (int i = 0; i < fx[nfx].count; i++)
            if (fscanf(fp, "%lf", &fx[nfx].v[i]) != 1) {
                fclose(fp);
                return -1;
            }
        nfx++;
    }
    fclose(fp);
    return 0;
}

const double *tap_fixture_get(const char *name, int want)
{
    for (int i = 0; i < nfx; i++)
        if (strcmp(fx[i].name, name) == 0) {
            if (fx[i].count != want)
                bail_out("fixture %s has %d values, expected %d", name, fx[i].count, want);
            return fx[i].v;
        }
    bail_out("fixture has no array '%s'", name);
}

void tap_fixture_free(void)
{
    for (int i = 0; i < nfx; i++)
        free(fx[i].v);
    nfx = 0;
}
