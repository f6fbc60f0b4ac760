/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_SHOW_H
#define IPTMON_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include "hosts.h"

/* "1.5 KiB" style, IEC units. */
const char *human_bytes(unsigned long long v, char *buf, size_t len);
void show_table(FILE *f, const char *backend, const struct hostset *s, bool exact);
void show_json(FILE *f, const char *backend, const struct hostset *s);

#endif
