/* provenance.c - collect and print the provenance record (see provenance.h). */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "report/provenance.h"

#include <stdarg.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "build_commit.h"
#include "core/blas.h"
#include "io/h5.h"
#include "io/yaml.h"
#include "runner/comm.h"

static sr_prov_entry_t *add(sr_provenance_t *p, const char *key, enum sr_prov_type type)
{
    if (p->count >= SR_PROV_MAX)
        return NULL;
    sr_prov_entry_t *e = &p->entries[p->count++];
    e->key = key;
    e->type = type;
    e->value[0] = '\0';
    return e;
}

__attribute__((format(printf, 3, 4)))
static void addf(sr_provenance_t *p, const char *key, const char *fmt, ...)
{
    sr_prov_entry_t *e = add(p, key, SR_PROV_STRING);
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->value, sizeof e->value, fmt, ap);
    va_end(ap);
}

static void addi(sr_provenance_t *p, const char *key, long v)
{
    sr_prov_entry_t *e = add(p, key, SR_PROV_INT);
    if (e)
        snprintf(e->value, sizeof e->value, "%ld", v);
}

static void addb(sr_provenance_t *p, const char *key, int v)
{
    sr_prov_entry_t *e = add(p, key, SR_PROV_BOOL);
    if (e)
        snprintf(e->value, sizeof e->value, "%s", v ? "true" : "false");
}

static void compiler_name(char *buf, size_t size)
{
#if defined(__clang__)
    snprintf(buf, size, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(buf, size, "gcc %s", __VERSION__);
#else
    snprintf(buf, size, "unknown");
#endif
}

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(buf, size, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

void sr_provenance_collect(sr_provenance_t *p)
{
    memset(p, 0, sizeof *p);
    char tmp[SR_PROV_VALUE_MAX];

    addf(p, "segrep_version", "%s", PACKAGE_VERSION);
    addf(p, "git_commit", "%s", SR_BUILD_COMMIT);
    compiler_name(tmp, sizeof tmp);
    addf(p, "compiler", "%s", tmp);
    addf(p, "compiler_command", "%s", SR_BUILD_CC);
    addf(p, "cflags", "%s", SR_BUILD_CFLAGS);

    sr_blas_info_t bi;
    sr_blas_get_info(&bi);
    addf(p, "blas", "%s", bi.config);
    addf(p, "blas_core", "%s", bi.corename);
    addi(p, "blas_threads", bi.threads);
    addf(p, "blas_parallel", "%s",
         bi.parallel == 0 ? "sequential" : bi.parallel == 1 ? "pthreads" : "openmp");

    sr_h5_library_version(tmp, sizeof tmp);
    addf(p, "hdf5_version", "%s", tmp);
    sr_yaml_library_version(tmp, sizeof tmp);
    addf(p, "libyaml_version", "%s", tmp);
    addb(p, "mpi_enabled", sr_comm_built_with_mpi());
    sr_comm_library_version(tmp, sizeof tmp);
    addf(p, "mpi_library", "%s", tmp);

    char host[256] = "unknown";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    addf(p, "host", "%s", host);
    struct utsname u;
    if (uname(&u) == 0)
        addf(p, "os", "%s %s %s", u.sysname, u.release, u.machine);
    else
        addf(p, "os", "unknown");
    cpu_model(tmp, sizeof tmp);
    addf(p, "cpu_model", "%s", tmp);
    addi(p, "cpu_count", sysconf(_SC_NPROCESSORS_ONLN));

    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    addf(p, "collected_at", "%s", tmp);
}

const char *sr_provenance_get(const sr_provenance_t *p, const char *key)
{
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].key, key) == 0)
            return p->entries[i].value;
    return NULL;
}

static void write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*c < 0x20)
                fprintf(f, "\\u%04x", *c);
            else
                fputc(*c, f);
        }
    }
    fputc('"', f);
}

// JSON and YAML double-quoted scalars share these escapes for the bytes we emit.
void sr_json_write_string(FILE *f, const char *s)
{
    write_escaped(f, s);
}

void sr_yaml_write_string(FILE *f, const char *s)
{
    write_escaped(f, s);
}

void sr_provenance_write_yaml(FILE *f, const sr_provenance_t *p, int indent)
{
    for (int i = 0; i < p->count; i++) {
        const sr_prov_entry_t *e = &p->entries[i];
        fprintf(f, "%*s%s: ", indent, "", e->key);
        if (e->type == SR_PROV_STRING)
            sr_yaml_write_string(f, e->value);
        else
            fputs(e->value, f);
        fputc('\n', f);
    }
}

void sr_provenance_write_json(FILE *f, const sr_provenance_t *p)
{
    fputc('{', f);
    for (int i = 0; i < p->count; i++) {
        const sr_prov_entry_t *e = &p->entries[i];
        fputs(i ? ",\n  " : "\n  ", f);
        sr_json_write_string(f, e->key);
        fputs(": ", f);
        if (e->type == SR_PROV_STRING)
            sr_json_write_string(f, e->value);
        else
            fputs(e->value, f);
    }
    fputs("\n}\n", f);
}
