/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IPTMON_DL_H
#define IPTMON_DL_H

#include <curl/curl.h>
#include <microhttpd.h>
#include <stddef.h>
#include <zlib.h>

/*
 * libmicrohttpd, libcurl and zlib are loaded with dlopen() when the daemon needs them, never
 * at start-up: dnsmasq starts iptmon for every lease event, and linking them (with their TLS
 * stacks) made every start 8 times slower. It also makes them optional on a router: without
 * libcurl there is no https:// InfluxDB push, without libmicrohttpd no HTTP, without zlib
 * the InfluxDB batches go uncompressed, and the daemon says so.
 */
struct mhd_api {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_create_response_from_callback) *create_response_from_callback;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_get_connection_info) *get_connection_info;
};

struct curl_api {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_reset) *easy_reset;
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

/* zlib, for the InfluxDB batches (membuf.c): deflateInit2() is a macro for deflateInit2_(). */
struct z_api {
	__typeof__(deflateInit2_) *deflate_init2;
	__typeof__(deflate) *deflate;
	__typeof__(deflateEnd) *deflate_end;
};

/* Loaded once; NULL with err set when the library or a symbol is missing. */
const struct mhd_api *mhd_api(char *err, size_t errlen);
const struct curl_api *curl_api(char *err, size_t errlen);
const struct z_api *z_api(char *err, size_t errlen);

#endif
