/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the libFuzzer harnesses in tests/fuzz/: each compiles against the real sources
 * (all of src/ but main.c) and checks properties of what the parser returns, not only that it
 * does not crash. A broken property aborts with a message: libFuzzer saves the input.
 */
#ifndef IPTMON_FUZZ_H
#define IPTMON_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond, ...)                                                                    \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz property broken at %s:%d: %s: ", __FILE__, __LINE__, \
				#cond);                                                        \
			fprintf(stderr, __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                   \
			abort();                                                               \
		}                                                                              \
	} while (0)

/* The input as a C string (malloc'd; cut at its first NUL byte, as C callers see it). */
static inline char *fz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Splits the input at NUL bytes into at most max malloc'd strings (one block: free(v[0]));
 * returns how many. The first fields of a harness's input are its arguments.
 */
static inline int fz_split(const uint8_t *data, size_t size, char **v, int max)
{
	char *s = fz_str(data, size);
	int n = 0;
	size_t i = 0;

	while (n < max) {
		v[n++] = s + i;
		while (i < size && s[i])
			i++;
		if (i >= size)
			break;
		i++;
	}
	for (int k = n; k < max; k++)
		v[k] = NULL;
	return n;
}

/*
 * A file the parsers can open by path, holding the input: a memfd, rewritten for every input
 * (no disk, nothing left behind). Returns its /proc path.
 */
static inline const char *fz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("iptmon-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

/* Whether s is a lower-case "xx:xx:xx:xx:xx:xx", the only MAC form the code keeps. */
static inline bool fz_mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		char c = s[i];

		if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

#endif
