/* yaml.c - libyaml helpers (see yaml.h). */
#include "io/yaml.h"

#include <stdio.h>
#include <yaml.h>

void sr_yaml_library_version(char *buf, size_t size)
{
    snprintf(buf, size, "%s", yaml_get_version_string());
}
