/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file's text for a set of totals, for the tests that read it back or look in it. */
#ifndef IPTMON_TEST_STATETEXT_H
#define IPTMON_TEST_STATETEXT_H

#include "testutil.h"
#include "totals.h"

/* totals_write() into a string (free it). */
static inline char *tu_state_text(const struct totals *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(totals_write(f, t, false), 0);
	fclose(f);
	return buf;
}

#endif
