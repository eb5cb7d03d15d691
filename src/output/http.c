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
int http_listen(const char *addr, char *err, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	char host[128], *port, *end;
	int fd, one = 1, rc;
	unsigned long p;

	snprintf(host, sizeof(host), "%s", addr);
	port = strrchr(host, ':');
	if (!port || !port[1])
		goto usage;
	*port++ = '\0';
	p = strtoul(port, &end, 10);
	if (*end || !p || p > 65535)
		goto usage;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		ss.ss_family = AF_INET6;
		in6->sin6_port = htons(p);
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			goto usage;
	} else {
		ss.ss_family = AF_INET;
		in4->sin_port = htons(p);
		if (host[0] && inet_pton(AF_INET, host, &in4->sin_addr) != 1)
			goto usage;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET6 ? sizeof(*in6) :
	    sizeof(*in4)) || listen(fd, 16)) {
		rc = -errno;
		snprintf(err, len, "--listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
usage:
	snprintf(err, len, "--listen %s: want IPv4:PORT, [IPv6]:PORT or :PORT, e.g. "
		 "127.0.0.1:9464", addr);
	return -EINVAL;
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

#define HTTP_REQ_MAX 2048

int http_parse_request(const char *buf, size_t len, bool *head)
{
	char req[HTTP_REQ_MAX], method[16], path[256];

	*head = false;
	if (len > sizeof(req) - 1)
		len = sizeof(req) - 1;
	memcpy(req, buf, len);
	req[len] = '\0';
	if (sscanf(req, "%15s %255s", method, path) != 2)
		return 400;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return 405;
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9))
		return 404;
	*head = !strcmp(method, "HEAD");
	return 200;
}

/* One request: the request line decides, the rest of the header is ignored. */
static void answer(int c, void (*render)(void *ctx, FILE *f), void *ctx)
{
	char req[HTTP_REQ_MAX];
	struct pollfd p = { .fd = c, .events = POLLIN };
	bool head;
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
	switch (http_parse_request(req, got, &head)) {
	case 400:
		reply(c, "400 Bad Request", "text/plain", "bad request\n", 12);
		return;
	case 405:
		reply(c, "405 Method Not Allowed", "text/plain", "GET /metrics only\n", 18);
		return;
	case 404:
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
	reply(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, head ? 0 : n);
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
