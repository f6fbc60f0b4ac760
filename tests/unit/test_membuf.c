// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for src/membuf.c: the push buffers, plain and gzip (inflated back with zlib). */
#include "testutil.h"

#include <zlib.h>

#include "membuf.h"

/* N lines of line protocol, as a push writes them (one fwrite a line). */
static char *lines(FILE *f, unsigned int n)
{
	size_t len = 0, cap = (size_t)n * 128 + 1;
	char *want = malloc(cap);

	assert_non_null(want);
	want[0] = '\0';
	for (unsigned int i = 0; i < n; i++) {
		char l[128];
		int k = snprintf(l, sizeof(l),
				 "iptmon,host=host-%u,family=ipv4,direction=%s bytes=%ui,packets=%ui "
				 "1796000000123456789\n",
				 i, i % 2 ? "rx" : "tx", i * 2654435761u, i * 7u);

		if (f)
			assert_int_equal(fwrite(l, 1, (size_t)k, f), (size_t)k);
		memcpy(want + len, l, (size_t)k + 1);
		len += (size_t)k;
	}
	return want;
}

static void test_plain(void **state)
{
	char *buf, *want;
	size_t len;
	bool failed;
	FILE *f = membuf_open(&buf, &len, 1, &failed, false); /* every line grows it */

	(void)state;
	assert_non_null(f);
	want = lines(f, 5000);
	assert_int_equal(fclose(f), 0);
	assert_false(failed);
	assert_int_equal(len, strlen(want));
	assert_string_equal(buf, want);
	free(buf);
	free(want);
}

/* BUF (LEN bytes) inflated: one whole gzip member, NUL-terminated; NULL when it is not. */
static char *gunzip(const char *buf, size_t len, size_t *out)
{
	z_stream z = { 0 };
	size_t cap = 1 << 16;
	char *o = malloc(cap);
	int rc;

	assert_non_null(o);
	assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK); /* + 16: gzip only */
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = (uInt)len;
	*out = 0;
	do {
		if (cap - *out < 4096) {
			cap *= 2;
			o = realloc(o, cap);
			assert_non_null(o);
		}
		z.next_out = (Bytef *)o + *out;
		z.avail_out = (uInt)(cap - 1 - *out);
		rc = inflate(&z, Z_NO_FLUSH);
		*out = (size_t)((char *)z.next_out - o);
	} while (rc == Z_OK);
	o[*out] = '\0';
	/* the member ends exactly at the buffer's end: nothing missing, nothing after */
	if (rc != Z_STREAM_END || z.avail_in) {
		free(o);
		o = NULL;
	}
	inflateEnd(&z);
	return o;
}

static void gz_case(unsigned int n, size_t hint)
{
	char err[256], *buf, *want, *got;
	size_t len, glen;
	bool failed;
	FILE *f;

	assert_true(membuf_gzip_ok(err, sizeof(err)));
	f = membuf_open(&buf, &len, hint, &failed, true);
	assert_non_null(f);
	want = lines(f, n);
	assert_int_equal(fclose(f), 0);
	assert_false(failed);
	got = gunzip(buf, len, &glen);
	assert_non_null(got);
	assert_int_equal(glen, strlen(want));
	assert_string_equal(got, want);
	if (n >= 1000) /* line protocol shrinks well: the point of it */
		assert_true(len * 4 < glen);
	free(got);
	free(buf);
	free(want);
}

static void test_gzip(void **state)
{
	(void)state;
	gz_case(20000, 1);	     /* grown from nothing, many times */
	gz_case(20000, 1 << 20);     /* room from the start (the last push's size) */
	gz_case(1, 0);
	gz_case(0, 0); /* an empty member is still a whole one */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_gzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
