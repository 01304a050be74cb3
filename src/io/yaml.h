/* yaml.h - libyaml access for segrep's configuration and report files. */
#ifndef SR_IO_YAML_H
#define SR_IO_YAML_H

#include <stddef.h>

/* Write the libyaml version ("0.2.5") into 'buf'. */
void sr_yaml_library_version(char *buf, size_t size);

#endif
