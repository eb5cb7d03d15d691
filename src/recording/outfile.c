// SPDX-License-Identifier: GPL-2.0
/* Output files written safely (outfile.h). */
#define _GNU_SOURCE		/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "recording/outfile.h"

/* Of a long name, this much goes into the temporary one (NAME_MAX is 255). */
#define TMP_BASE_MAX 200

static void reset(struct outfile *o)
{
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	o->f = NULL;
	o->fd = -1;
}

static int fail(struct outfile *o, int e, char *err, size_t len, const char *what)
{
	snprintf(err, len, "cannot write %s: %s", o->path ? o->path : "?", what ? what :
		 strerror(e));
	reset(o);
	return -e;
}

/* ".NAME.XXXXXX" in the directory of @path. */
static char *tmp_name(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	int dir = slash ? (int)(slash - path + 1) : 0;
	char *t;

	if (asprintf(&t, "%.*s.%.*s.XXXXXX", dir, path, TMP_BASE_MAX, base) < 0)
		return NULL;
	return t;
}

/* A regular file that was there: the new one gets its mode and owner. */
static void keep_attrs(int fd, const char *path)
{
	struct stat st;

	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return;
	if (fchown(fd, st.st_uid, st.st_gid)) {
		/* Only root may give a file away: then it stays ours. */
	}
	if (fchmod(fd, st.st_mode & 0777)) {
		/* Then it stays 0600. */
	}
}

int outfile_open(struct outfile *o, const char *path, int input_fd, char *err, size_t len)
{
	struct stat st, in;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	bool exists;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->path = strdup(path);
	if (!o->path)
		return fail(o, ENOMEM, err, len, NULL);
	exists = !stat(path, &st);
	if (!exists && errno != ENOENT)
		return fail(o, errno, err, len, NULL);
	if (exists && input_fd >= 0 && !fstat(input_fd, &in) && in.st_dev == st.st_dev &&
	    in.st_ino == st.st_ino)
		return fail(o, EEXIST, err, len, "it is the file being read");
	if ((exists && S_ISDIR(st.st_mode)) || !*base)
		return fail(o, EISDIR, err, len, NULL);
	if (exists && !S_ISREG(st.st_mode)) {
		/* A device or FIFO: nothing to replace, nothing to truncate. */
		o->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		return o->fd < 0 ? fail(o, errno, err, len, NULL) : 0;
	}
	o->tmp = tmp_name(path);
	if (!o->tmp)
		return fail(o, ENOMEM, err, len, NULL);
	/* O_CREAT | O_EXCL, mode 0600. */
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0)
		return fail(o, errno, err, len, NULL);
	if (exists)
		keep_attrs(o->fd, path);
	return 0;
}

FILE *outfile_stream(struct outfile *o)
{
	if (!o->f)
		o->f = fdopen(o->fd, "w");
	return o->f;
}

/* Close the file (stream or descriptor): 0 or -errno, the first error kept. */
static int close_out(struct outfile *o)
{
	int e = 0;

	errno = 0;
	if (o->f) {
		if (fflush(o->f) || ferror(o->f))
			e = errno ? -errno : -EIO;
		/* Data on disk before the name: a crash leaves the old file or the new one. */
		if (!e && o->tmp && fsync(fileno(o->f)) && errno != EINVAL)
			e = -errno;
		if (fclose(o->f) && !e)
			e = errno ? -errno : -EIO;
	} else if (o->fd >= 0) {
		if (o->tmp && fsync(o->fd) && errno != EINVAL)
			e = -errno;
		if (close(o->fd) && !e)
			e = -errno;
	}
	o->f = NULL;
	o->fd = -1;
	return e;
}

int outfile_commit(struct outfile *o, int error, char *err, size_t len)
{
	int e = close_out(o);

	if (error)
		e = error < 0 ? error : -EIO;
	if (!e && o->tmp && rename(o->tmp, o->path))
		e = -errno;
	if (!e) {
		reset(o);
		return 0;
	}
	if (o->tmp && o->keep_partial) {
		snprintf(err, len, "writing %s failed: %s; what was written is in %s, %s is "
			 "untouched", o->path, strerror(-e), o->tmp, o->path);
	} else {
		snprintf(err, len, "writing %s failed: %s", o->path, strerror(-e));
		if (o->tmp)
			unlink(o->tmp);
	}
	reset(o);
	return e;
}

void outfile_discard(struct outfile *o)
{
	close_out(o);
	if (o->tmp)
		unlink(o->tmp);
	reset(o);
}
