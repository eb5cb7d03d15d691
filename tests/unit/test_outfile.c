// SPDX-License-Identifier: GPL-2.0
/*
 * Output files are written safely (recording/outfile.h): a temporary file
 * beside the target, renamed over it only when complete; an existing file
 * never truncated first; new files 0600; the input never the output.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "recording/file.h"
#include "recording/outfile.h"
#include "unit.h"

static char dir[] = "/tmp/kvmsr-out-XXXXXX";

/* A fresh directory under /tmp; @name's path in it into @buf. */
static const char *fresh(const char *name, char *buf, size_t len)
{
	strcpy(dir, "/tmp/kvmsr-out-XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static bool holds(const char *path, const char *text)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, n);
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (int)(st.st_mode & 07777);
}

/* Files in the test directory (the target and any temporary ones). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4200];

	while (d && (e = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static char *names[4] = { "SCTLR_EL1" };

static void record_into(struct rec_writer *w, const char *path)
{
	struct regnames rn = { .name = names, .count = 1 };
	struct rec_info info = { .release = "7.3", .machine = "aarch64", .start_ns = 1 };
	struct kvmsr_event ev = { .ts_ns = 2, .type = KVMSR_EV_LOAD, .stack_id = -1 };

	CHECK(rec_create(w, path, &info, &rn) == 0);
	rec_put(w, REC_EVENT, &ev, sizeof(ev));
	rec_flush(w);
}

/* record -o EXISTING: the old recording stays whole until the new one is. */
TEST(a_recording_replaces_an_existing_file_only_when_closed)
{
	struct rec_end end = { .end_ns = 3 };
	struct rec_writer w;
	struct rec_reader r;
	struct kvmsr_event ev;
	char path[4200], err[256];
	mode_t old = umask(022);
	int n = 0;

	if (!fresh("run.kvmsr", path, sizeof(path)))
		return (void)unit_fail(__FILE__, __LINE__, "mkdtemp");
	put(path, "the old recording", 0644);
	record_into(&w, path);
	CHECK(holds(path, "the old recording"));	/* not truncated while recording */
	CHECK(rec_close(&w, &end) == 0);
	CHECK(rec_open(&r, path, err, sizeof(err)) == 0);
	while (rec_next_event(&r, &ev, err, sizeof(err)) > 0)
		n++;
	CHECK_EQ(n, 1);
	CHECK(r.ended);
	rec_close_reader(&r);
	CHECK_EQ(entries(), 1);				/* no temporary file left */
	cleanup();
	umask(old);
}

/* A recording holds kernel addresses: readable by its owner only. */
TEST(a_new_recording_is_private)
{
	struct rec_end end = { .end_ns = 3 };
	struct rec_writer w;
	char path[4200];
	mode_t old = umask(022);

	if (!fresh("run.kvmsr", path, sizeof(path)))
		return (void)unit_fail(__FILE__, __LINE__, "mkdtemp");
	record_into(&w, path);
	CHECK(rec_close(&w, &end) == 0);
	CHECK_EQ(mode_of(path), 0600);
	cleanup();
	umask(old);
}

TEST(outfile_renames_only_on_success_and_leaves_no_temporary_file)
{
	struct outfile o;
	char path[4200], err[512];
	FILE *f;

	if (!fresh("out.json", path, sizeof(path)))
		return (void)unit_fail(__FILE__, __LINE__, "mkdtemp");
	put(path, "old", 0640);
	CHECK(outfile_open(&o, path, -1, err, sizeof(err)) == 0);
	CHECK(strncmp(o.tmp, dir, strlen(dir)) == 0);		/* same directory */
	CHECK(strstr(o.tmp, "/.out.json.") != NULL);
	f = outfile_stream(&o);
	CHECK(f && fputs("new", f) >= 0);
	CHECK(holds(path, "old"));
	CHECK_EQ(entries(), 2);
	CHECK(outfile_commit(&o, 0, err, sizeof(err)) == 0);
	CHECK(holds(path, "new"));
	CHECK_EQ(mode_of(path), 0640);		/* an existing file keeps its mode */
	CHECK_EQ(entries(), 1);

	/* The writer failed: the old file stays, the temporary one goes. */
	CHECK(outfile_open(&o, path, -1, err, sizeof(err)) == 0);
	CHECK(write(o.fd, "partial", 7) == 7);
	CHECK(outfile_commit(&o, -28 /* ENOSPC */, err, sizeof(err)) == -28);
	CHECK(strstr(err, "writing") != NULL);
	CHECK(holds(path, "new"));
	CHECK_EQ(entries(), 1);

	/* ... unless the partial file is worth keeping (a recording): named. */
	CHECK(outfile_open(&o, path, -1, err, sizeof(err)) == 0);
	o.keep_partial = true;
	CHECK(outfile_commit(&o, -28, err, sizeof(err)) == -28);
	CHECK(strstr(err, "/.out.json.") != NULL);
	CHECK(holds(path, "new"));
	CHECK_EQ(entries(), 2);

	/* Given up: nothing changes. */
	CHECK(outfile_open(&o, path, -1, err, sizeof(err)) == 0);
	outfile_discard(&o);
	CHECK_EQ(entries(), 2);
	cleanup();
}

TEST(outfile_refuses_the_file_being_read)
{
	struct outfile o;
	char path[4200], link[4300], err[512];
	int in;

	if (!fresh("in.kvmsr", path, sizeof(path)))
		return (void)unit_fail(__FILE__, __LINE__, "mkdtemp");
	put(path, "input", 0600);
	in = open(path, O_RDONLY);
	CHECK(outfile_open(&o, path, in, err, sizeof(err)) < 0);
	CHECK(strstr(err, "being read") != NULL);
	snprintf(link, sizeof(link), "%s/link", dir);
	CHECK(symlink(path, link) == 0);
	CHECK(outfile_open(&o, link, in, err, sizeof(err)) < 0);	/* through a link too */
	CHECK(holds(path, "input"));
	CHECK_EQ(entries(), 2);
	close(in);
	cleanup();
}

TEST(outfile_writes_devices_in_place_and_refuses_directories)
{
	struct outfile o;
	char err[512];

	CHECK(outfile_open(&o, "/dev/null", -1, err, sizeof(err)) == 0);
	CHECK(o.tmp == NULL);
	CHECK(write(o.fd, "x", 1) == 1);
	CHECK(outfile_commit(&o, 0, err, sizeof(err)) == 0);
	CHECK(outfile_open(&o, "/tmp", -1, err, sizeof(err)) < 0);
	CHECK(outfile_open(&o, "/nonexistent-kvmsr-dir/x", -1, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/nonexistent-kvmsr-dir/x") != NULL);
}
