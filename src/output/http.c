// SPDX-License-Identifier: GPL-2.0
/* A /metrics endpoint (http.h). */
#define _GNU_SOURCE		/* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "output/http.h"

/* Numeric addresses only (no resolver: the binary is static). */
int http_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen,
		    char *err, size_t len)
{
	struct sockaddr_in *in4 = (void *)ss;
	struct sockaddr_in6 *in6 = (void *)ss;
	char host[HTTP_ADDR_MAX + 1], *port, *end;
	unsigned long p;

	memset(ss, 0, sizeof(*ss));
	if (strlen(addr) > HTTP_ADDR_MAX) {
		snprintf(err, len, "--listen: longer than %d characters", HTTP_ADDR_MAX);
		return -EINVAL;
	}
	snprintf(host, sizeof(host), "%s", addr);
	port = strrchr(host, ':');
	if (!port || port[1] < '0' || port[1] > '9')
		goto usage;
	*port++ = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || !p || p > 65535)
		goto usage;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		ss->ss_family = AF_INET6;
		in6->sin6_port = htons(p);
		*sslen = sizeof(*in6);
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			goto usage;
	} else {
		ss->ss_family = AF_INET;
		in4->sin_port = htons(p);
		*sslen = sizeof(*in4);
		if (host[0] && inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto usage;
	}
	return 0;
usage:
	snprintf(err, len, "--listen %s: want IPv4:PORT, [IPv6]:PORT or :PORT (port 1 to "
		 "65535), e.g. 127.0.0.1:9464", addr);
	return -EINVAL;
}

int http_listen(const char *addr, char *err, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1, rc;

	rc = http_parse_addr(addr, &ss, &sslen, err, len);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) || listen(fd, 16)) {
		rc = -errno;
		snprintf(err, len, "--listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

static void reply(int c, const char *status, const char *type, const char *body, size_t n)
{
	char head[256];
	int h = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, n);

	/* Scrapes are small: a blocking write with a send timeout is enough. */
	if (write(c, head, h) == h && n && write(c, body, n) < 0)
		return;
}

/* One request: the request line decides, the rest of the header is ignored. */
static void answer(int c, void (*render)(void *ctx, FILE *f), void *ctx)
{
	char req[2048], method[16], path[256];
	struct pollfd p = { .fd = c, .events = POLLIN };
	size_t got = 0;
	char *body = NULL;
	size_t n = 0;
	FILE *m;

	/* Wait a little for the request, never for a slow client. */
	while (got < sizeof(req) - 1 && poll(&p, 1, 500) == 1) {
		ssize_t k = read(c, req + got, sizeof(req) - 1 - got);

		if (k <= 0)
			break;
		got += k;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = '\0';
	if (sscanf(req, "%15s %255s", method, path) != 2) {
		reply(c, "400 Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		reply(c, "405 Method Not Allowed", "text/plain", "GET /metrics only\n", 18);
		return;
	}
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9)) {
		reply(c, "404 Not Found", "text/plain", "GET /metrics only\n", 18);
		return;
	}
	m = open_memstream(&body, &n);
	if (!m) {
		reply(c, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	render(ctx, m);
	fclose(m);
	reply(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
	      strcmp(method, "HEAD") ? n : 0);
	free(body);
}

void http_serve(int fd, void (*render)(void *ctx, FILE *f), void *ctx)
{
	int c;

	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct timeval tv = { .tv_sec = 2 };

		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		answer(c, render, ctx);
		close(c);
	}
}
