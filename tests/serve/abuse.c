// SPDX-License-Identifier: GPL-2.0
/*
 * abuse: the clients a /metrics exporter must survive, and a well-behaved
 * one to time it (tests/serve/abuse-test.sh; static aarch64, in the test
 * bed's initramfs).  127.0.0.1:PORT, for SECONDS:
 *
 *   abuse slow PORT N SECONDS       N connections, each sending one byte of a
 *                                   head that never ends every 0.4 s
 *   abuse idle PORT N SECONDS       N connections that send nothing (one that
 *                                   is closed is opened again a second later)
 *   abuse malformed PORT SECONDS    a request that is not HTTP every 0.2 s
 *   abuse scrape PORT N MS OUT      N scrapes of GET /metrics, one every MS:
 *                                   "SCRAPE i STATUS MS BYTES" each, the last
 *                                   body into OUT, then "SCRAPES ok=N of=N max_ms=N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define MAX_CONNS 256

static int port;

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* True if the server closed @fd (EOF or reset); never waits. */
static int gone(int fd)
{
	char buf[4096];
	ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	return k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* slow / idle: hold @n connections for @secs, (re)opening closed ones after 1 s. */
static int hold(int n, int secs, int slow)
{
	static const char head[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	int fd[MAX_CONNS];
	size_t pos[MAX_CONNS] = { 0 };
	uint64_t end = ms_now() + secs * 1000ull, reopen[MAX_CONNS] = { 0 };
	unsigned long opened = 0, closed = 0;

	if (n > MAX_CONNS)
		n = MAX_CONNS;
	for (int i = 0; i < n; i++)
		fd[i] = -1;
	while (ms_now() < end) {
		for (int i = 0; i < n; i++) {
			if (fd[i] < 0 && ms_now() >= reopen[i]) {
				fd[i] = dial();
				pos[i] = 0;
				opened += fd[i] >= 0;
			}
			if (fd[i] < 0)
				continue;
			if (gone(fd[i])) {
				close(fd[i]);
				fd[i] = -1;
				closed++;
				reopen[i] = ms_now() + 1000;
				continue;
			}
			if (slow) {
				char c = pos[i] < sizeof(head) - 1 ? head[pos[i]] : 'a';

				if (send(fd[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
					pos[i]++;
			}
		}
		usleep(slow ? 400000 : 100000);
	}
	printf("%s: opened %lu, closed by the server %lu\n", slow ? "slow" : "idle", opened,
	       closed);
	return 0;
}

static int malformed(int secs)
{
	static const char *const bad[] = {
		"\x16\x03\x01\x02\x05\x01\r\n\r\n", "GET\r\n\r\n", "get /metrics HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n", "GET /metrics SPDY/3\r\n\r\n",
	};
	uint64_t end = ms_now() + secs * 1000ull;
	unsigned long sent = 0, answered400 = 0;

	while (ms_now() < end) {
		int fd = dial();
		char buf[256] = "";
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (fd >= 0) {
			const char *r = bad[sent++ % (sizeof(bad) / sizeof(bad[0]))];

			if (write(fd, r, strlen(r)) == (ssize_t)strlen(r) && poll(&p, 1, 2000) == 1 &&
			    recv(fd, buf, sizeof(buf) - 1, 0) > 0 && !strncmp(buf, "HTTP/1.1 400", 12))
				answered400++;
			close(fd);
		}
		usleep(200000);
	}
	printf("malformed: sent %lu, answered 400 %lu\n", sent, answered400);
	return 0;
}

/* One scrape: its status (0: none) and time; the body into @out. */
static int scrape1(FILE *out, uint64_t *ms, size_t *bytes)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Accept: text/plain\r\n\r\n";
	static char buf[1 << 20];
	uint64_t t0 = ms_now();
	size_t got = 0;
	int fd = dial(), status = 0;
	char *body;

	*bytes = 0;
	if (fd < 0 || write(fd, req, sizeof(req) - 1) != sizeof(req) - 1)
		goto out;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t k;

		/* A scrape gives up after 10 s, as Prometheus's default timeout. */
		if (poll(&p, 1, 10000 - (int)(ms_now() - t0)) != 1)
			goto out;
		k = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (k <= 0)
			break;
		got += k;
	}
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.1 %d", &status) != 1)
		status = 0;
	body = strstr(buf, "\r\n\r\n");
	if (body && out) {
		fputs(body + 4, out);
		*bytes = strlen(body + 4);
	}
out:
	*ms = ms_now() - t0;
	if (fd >= 0)
		close(fd);
	return status;
}

static int scrape(int n, int every_ms, const char *path)
{
	uint64_t max = 0;
	int ok = 0;

	for (int i = 0; i < n; i++) {
		FILE *out = fopen(path, "w");
		uint64_t ms;
		size_t bytes;
		int st = scrape1(out, &ms, &bytes);

		if (out)
			fclose(out);
		printf("SCRAPE %d %d %llu %zu\n", i, st, (unsigned long long)ms, bytes);
		fflush(stdout);
		ok += st == 200 && bytes > 0;
		if (ms > max)
			max = ms;
		if (ms < (uint64_t)every_ms)
			usleep((every_ms - ms) * 1000);
	}
	printf("SCRAPES ok=%d of=%d max_ms=%llu\n", ok, n, (unsigned long long)max);
	return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		goto usage;
	port = atoi(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "slow") && argc == 5)
		return hold(atoi(argv[3]), atoi(argv[4]), 1);
	if (!strcmp(argv[1], "idle") && argc == 5)
		return hold(atoi(argv[3]), atoi(argv[4]), 0);
	if (!strcmp(argv[1], "malformed") && argc == 4)
		return malformed(atoi(argv[3]));
	if (!strcmp(argv[1], "scrape") && argc == 6)
		return scrape(atoi(argv[3]), atoi(argv[4]), argv[5]);
usage:
	fprintf(stderr, "usage: abuse slow|idle PORT N SECONDS | malformed PORT SECONDS | "
		"scrape PORT N MS OUT\n");
	return 2;
}
