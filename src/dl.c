// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's optional libraries, loaded on first use (see dl.h for why). */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* One optional library: its soname, the symbols (in the order of its API struct's pointers). */
struct lib {
	const char *soname;
	const char *const *names;
	size_t n;
	void **api;
	int state; /* 0 not tried, 1 loaded, -1 failed */
	char why[256];
};

/* Loads LIB once (it stays loaded for the process's life); 0, or -1 with err set. */
static int load(struct lib *lib, char *err, size_t errlen)
{
	void *h;

	if (!lib->state) {
		lib->state = -1;
		h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			snprintf(lib->why, sizeof(lib->why), "cannot load %s: %s", lib->soname,
				 dlerror());
		} else {
			size_t i;

			for (i = 0; i < lib->n && (lib->api[i] = dlsym(h, lib->names[i])); i++)
				;
			if (i < lib->n) {
				snprintf(lib->why, sizeof(lib->why), "%s has no %s", lib->soname,
					 lib->names[i]);
				dlclose(h);
			} else {
				lib->state = 1;
			}
		}
	}
	if (lib->state < 0)
		snprintf(err, errlen, "%s", lib->why);
	return lib->state > 0 ? 0 : -1;
}

#define NAMES(a) a, sizeof(a) / sizeof(a[0])

const struct mhd_api *mhd_api(char *err, size_t errlen)
{
	static const char *const names[] = {
		"MHD_start_daemon", "MHD_stop_daemon", "MHD_get_daemon_info", "MHD_get_timeout",
		"MHD_run", "MHD_create_response_from_buffer", "MHD_create_response_from_callback",
		"MHD_add_response_header",
		"MHD_queue_response", "MHD_destroy_response", "MHD_lookup_connection_value",
		"MHD_get_connection_info",
	};
	static struct mhd_api api;
	static struct lib lib = { "libmicrohttpd.so.12", NAMES(names), (void **)&api, 0, "" };

	_Static_assert(sizeof(api) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one name per pointer");
	return load(&lib, err, errlen) ? NULL : &api;
}

const struct curl_api *curl_api(char *err, size_t errlen)
{
	static const char *const names[] = {
		"curl_global_init", "curl_global_cleanup", "curl_easy_init", "curl_easy_cleanup",
		"curl_easy_reset", "curl_easy_setopt", "curl_easy_getinfo", "curl_easy_strerror",
		"curl_multi_init", "curl_multi_cleanup", "curl_multi_add_handle",
		"curl_multi_remove_handle", "curl_multi_perform", "curl_multi_poll",
		"curl_multi_info_read", "curl_slist_append", "curl_slist_free_all",
	};
	static struct curl_api api;
	static struct lib lib = { "libcurl.so.4", NAMES(names), (void **)&api, 0, "" };

	_Static_assert(sizeof(api) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one name per pointer");
	return load(&lib, err, errlen) ? NULL : &api;
}

const struct z_api *z_api(char *err, size_t errlen)
{
	static const char *const names[] = { "deflateInit2_", "deflate", "deflateEnd" };
	static struct z_api api;
	static struct lib lib = { "libz.so.1", NAMES(names), (void **)&api, 0, "" };

	_Static_assert(sizeof(api) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one name per pointer");
	return load(&lib, err, errlen) ? NULL : &api;
}
