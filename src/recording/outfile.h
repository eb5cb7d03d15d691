/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output files written safely (recordings, --perfetto, --textfile).
 *
 * The new content goes into a temporary file created beside the target,
 * ".NAME.XXXXXX" (O_CREAT|O_EXCL, mode 0600), which is renamed over the
 * target only once it is complete and every write, the fsync and the close
 * succeeded: an existing file is never truncated, nor replaced by a partial
 * one.  A new file is private (0600); a regular file that was there keeps
 * its mode and, where we may, its owner.  A symbolic link at the target is
 * replaced, not followed (rename).  A target that exists and is not a
 * regular file (/dev/stdout, /dev/null, a FIFO) is written in place.
 */
#ifndef KVMSR_OUTFILE_H
#define KVMSR_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

struct outfile {
	char *path;		/* the target */
	char *tmp;		/* the temporary file; NULL: written in place */
	int fd;
	FILE *f;		/* outfile_stream(), on fd */
	bool keep_partial;	/* a failed commit leaves the temporary file */
};

/*
 * Create the temporary file for @path (nothing else is touched yet).
 * @input_fd >= 0 is a file being read: @path naming the same file is
 * refused.  0, or -errno with the reason in @err.
 */
int outfile_open(struct outfile *o, const char *path, int input_fd, char *err, size_t len);
/* A stdio stream on it (owned by @o), NULL if out of memory. */
FILE *outfile_stream(struct outfile *o);
/*
 * Flush, fsync, close and, unless @error (the writer's own -errno) or any of
 * these failed, rename over the target: 0, or -errno with the reason in
 * @err.  On failure the target is untouched and the temporary file removed
 * (kept with keep_partial, and named in @err).
 */
int outfile_commit(struct outfile *o, int error, char *err, size_t len);
/* Give up: close and remove the temporary file. */
void outfile_discard(struct outfile *o);

#endif /* KVMSR_OUTFILE_H */
