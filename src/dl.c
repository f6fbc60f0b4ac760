// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's optional libraries, loaded on first use (see dl.h for why). */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Resolves NAMES[i] into the i-th pointer of API (a struct of function pointers). */
static int load(const char *lib, const char *const *names, size_t n, void **api, char *err,
		size_t errlen)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(err, errlen, "cannot load %s: %s", lib, dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		api[i] = dlsym(h, names[i]);
		if (!api[i]) {
			snprintf(err, errlen, "%s has no %s", lib, names[i]);
			dlclose(h);
			return -1;
		}
	}
	return 0; /* stays loaded for the process's life */
}

const struct mhd_api *mhd_api(char *err, size_t errlen)
{
	static const char *const names[] = {
		"MHD_start_daemon", "MHD_stop_daemon", "MHD_get_daemon_info", "MHD_get_timeout",
		"MHD_run", "MHD_create_response_from_buffer", "MHD_add_response_header",
		"MHD_queue_response", "MHD_destroy_response", "MHD_lookup_connection_value",
	};
	static struct mhd_api api;
	static int state; /* 0 not tried, 1 loaded, -1 failed */
	static char why[256];

	_Static_assert(sizeof(api) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one name per pointer");
	if (!state)
		state = load("libmicrohttpd.so.12", names, sizeof(names) / sizeof(names[0]),
			     (void **)&api, why, sizeof(why)) ? -1 : 1;
	if (state < 0) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	return &api;
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
	static int state;
	static char why[256];

	_Static_assert(sizeof(api) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one name per pointer");
	if (!state)
		state = load("libcurl.so.4", names, sizeof(names) / sizeof(names[0]), (void **)&api,
			     why, sizeof(why)) ? -1 : 1;
	if (state < 0) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	return &api;
}
