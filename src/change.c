// SPDX-License-Identifier: GPL-2.0-or-later
/* The one way iptmon's kernel objects change (see change.h). */
#include "change.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "journal.h"
#include "plan.h"

int change_lock(const struct config *c)
{
	int fd = open(c->lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int ret = -errno;

			close(fd);
			return ret;
		}
	return fd;
}

int change_commit(const struct config *c, const struct backend_ops *ops, struct backend *be,
		  const struct hostset *old, const struct hostset *want)
{
	struct plan p;
	int ret = plan_make(&p, old, want);

	if (ret)
		return ret;
	ret = ops->commit(be, FAMS_ALL, &p);
	if (!ret)
		journal_commit(c, &p);
	plan_free(&p);
	return ret;
}

static int apply_once(const struct config *c, const struct backend_ops *ops, struct backend *be,
		      int (*fn)(void *ctx, const struct hostset *old, struct hostset *want),
		      void *ctx)
{
	struct hostset old = { 0 }, want = { 0 };
	int ret = ops->read(be, FAMS_ALL, &old);

	if (!ret)
		ret = hostset_copy(&want, &old);
	if (!ret) {
		hostset_prune_empty(&want); /* counters without addresses (nft): left over, go */
		ret = fn(ctx, &old, &want);
	}
	if (ret == 0 && !hostset_same(&old, &want)) {
		ret = change_commit(c, ops, be, &old, &want);
		if (!ret)
			ret = 1;
	} else if (ret == 1) {
		ret = 0;
	}
	hostset_free(&old);
	hostset_free(&want);
	return ret;
}

int change_apply(const struct config *c, const struct backend_ops *ops, struct backend *be,
		 int (*fn)(void *ctx, const struct hostset *old, struct hostset *want), void *ctx)
{
	int fd = change_lock(c), ret = -ERESTART;

	if (fd < 0)
		return fd;
	for (int i = 0; i < CHANGE_TRIES && ret == -ERESTART; i++)
		ret = apply_once(c, ops, be, fn, ctx);
	close(fd);
	return ret;
}
