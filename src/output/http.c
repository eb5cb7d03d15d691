// SPDX-License-Identifier: GPL-2.0
/* A /metrics endpoint (http.h). */
#define _GNU_SOURCE		/* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

const char *http_drop_name(enum http_drop r)
{
	static const char *const names[HTTP_DROP__MAX] = {
		[HTTP_DROP_SLOW] = "slow", [HTTP_DROP_IDLE] = "idle",
		[HTTP_DROP_CAP] = "cap", [HTTP_DROP_MALFORMED] = "malformed",
	};

	return r < HTTP_DROP__MAX ? names[r] : "?";
}

/* A connection: reading its request head, then writing its answer. */
struct conn {
	int fd;
	bool writing;
	bool wants_body;	/* a complete GET/HEAD of /metrics: render, then write */
	bool head_only;		/* HEAD */
	bool is_malformed;	/* the answer is a 400: count it once written or dropped */
	uint64_t seq;		/* accept order: the oldest goes first at the cap */
	uint64_t deadline_ns;
	size_t got;		/* bytes of the request head */
	char *req;		/* max_request + 1 */
	char *out;		/* the answer, head and body */
	size_t out_len, out_off;
};

struct http_server {
	int fd;
	struct http_limits lim;
	struct http_stats stats;
	unsigned int nr;
	uint64_t seq;
	struct conn *c;		/* lim.max_clients */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct http_server *http_server_new(int fd, const struct http_limits *lim)
{
	static const struct http_limits def = HTTP_LIMITS_DEFAULT;
	struct http_server *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->fd = fd;
	h->lim = lim ? *lim : def;
	if (!h->lim.max_clients)
		h->lim.max_clients = 1;
	if (h->lim.max_request < 64)
		h->lim.max_request = 64;
	h->c = calloc(h->lim.max_clients, sizeof(*h->c));
	if (!h->c) {
		free(h);
		return NULL;
	}
	/* The loop must never wait on it, whoever made it; a backlog deep enough
	 * that a flood of connections between two steps does not keep a
	 * scrape's SYN out (listen() again only resizes it). */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	listen(fd, SOMAXCONN);
	return h;
}

const struct http_stats *http_server_stats(const struct http_server *h)
{
	return &h->stats;
}

/* Close connection @i (the last one takes its place); count @why if >= 0. */
static void conn_close(struct http_server *h, unsigned int i, int why)
{
	struct conn *c = &h->c[i];

	if (why >= 0)
		h->stats.dropped[why]++;
	close(c->fd);
	free(c->req);
	free(c->out);
	*c = h->c[--h->nr];
	memset(&h->c[h->nr], 0, sizeof(*c));
}

/* The answer to write, head and body (NULL body: none). */
static int conn_answer(struct conn *c, const char *status, const char *type,
		       const char *body, size_t n, uint64_t deadline_ns)
{
	char head[256];
	int hl = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, n);
	size_t len = hl + (c->head_only ? 0 : n);

	c->out = malloc(len);
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, head, hl);
	if (!c->head_only && n)
		memcpy(c->out + hl, body, n);
	c->out_len = len;
	c->out_off = 0;
	c->writing = true;
	c->deadline_ns = deadline_ns;
	return 0;
}

static void conn_text(struct conn *c, const char *status, const char *text, uint64_t deadline)
{
	conn_answer(c, status, "text/plain", text, strlen(text), deadline);
}

/* The request line decides, the rest of the head is ignored. */
int http_parse_request(const char *buf, size_t len, bool *head)
{
	char method[16], path[256], version[16], line[300];
	size_t n = 0;
	int k;

	*head = false;
	/* The request line alone: METHOD /TARGET [HTTP/x.y]; anything else is a 400. */
	while (n < len && n < sizeof(line) - 1 && buf[n] && buf[n] != '\r' && buf[n] != '\n')
		n++;
	memcpy(line, buf, n);
	line[n] = '\0';
	k = sscanf(line, "%15s %255s %15s", method, path, version);
	if (k < 2 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method) ||
	    path[0] != '/' || (k == 3 && strncmp(version, "HTTP/", 5)))
		return 400;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return 405;
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9))
		return 404;
	*head = !strcmp(method, "HEAD");
	return 200;
}

static void conn_parse(struct http_server *h, struct conn *c, uint64_t now)
{
	uint64_t deadline = now + h->lim.response_ms * 1000000ull;
	bool head;

	switch (http_parse_request(c->req, c->got, &head)) {
	case 400:
		c->is_malformed = true;
		conn_text(c, "400 Bad Request", "bad request\n", deadline);
		return;
	case 405:
		conn_text(c, "405 Method Not Allowed", "GET /metrics only\n", deadline);
		return;
	case 404:
		conn_text(c, "404 Not Found", "GET /metrics only\n", deadline);
		return;
	}
	c->head_only = head;
	c->wants_body = true;	/* rendered once for all, at the end of the step */
	c->writing = true;
	c->deadline_ns = deadline;
}

/* Read what is there; false: the connection is gone (closed, not counted). */
static bool conn_read(struct http_server *h, struct conn *c, uint64_t now)
{
	while (!c->writing) {
		size_t room = h->lim.max_request - c->got;
		ssize_t k;

		if (!room) {
			c->is_malformed = true;
			conn_text(c, "431 Request Header Fields Too Large",
				  "request head too long\n", now + h->lim.response_ms * 1000000ull);
			return true;
		}
		k = read(c->fd, c->req + c->got, room);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;	/* the client left */
		c->got += k;
		c->req[c->got] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
			conn_parse(h, c, now);
	}
	return true;
}

/* Write what the socket takes; false: finished or failed (closed by the caller). */
static bool conn_write(struct conn *c, bool *done)
{
	*done = false;
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		c->out_off += k;
	}
	shutdown(c->fd, SHUT_WR);
	*done = true;
	return false;
}

/* Room for one more: drop the oldest connection still waiting for its request, else the oldest. */
static void make_room(struct http_server *h)
{
	unsigned int victim = 0;

	for (unsigned int i = 1; i < h->nr; i++) {
		const struct conn *c = &h->c[i], *v = &h->c[victim];

		if (c->writing != v->writing ? !c->writing : c->seq < v->seq)
			victim = i;
	}
	conn_close(h, victim, HTTP_DROP_CAP);
}

/* Take what waits in the backlog, a bounded number per step; read each at once. */
static void accept_new(struct http_server *h, uint64_t now)
{
	for (unsigned int n = 0; n < 2 * h->lim.max_clients + 16; n++) {
		int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;	/* EAGAIN, or out of descriptors: next step */
		if (h->nr == h->lim.max_clients)
			make_room(h);
		c = &h->c[h->nr];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->seq = h->seq++;
		c->deadline_ns = now + h->lim.request_ms * 1000000ull;
		c->req = malloc(h->lim.max_request + 1);
		if (!c->req) {
			close(fd);
			continue;
		}
		c->req[0] = '\0';
		h->nr++;
		if (!conn_read(h, c, now))
			conn_close(h, h->nr - 1, -1);
	}
}

/* The body once for every connection that asked for it in this step. */
static void render_bodies(struct http_server *h, void (*render)(void *ctx, FILE *f), void *ctx)
{
	char *body = NULL;
	size_t n = 0;
	FILE *m = NULL;

	for (unsigned int i = 0; i < h->nr; i++) {
		struct conn *c = &h->c[i];

		if (!c->wants_body || c->out)
			continue;
		if (!m && !body) {
			m = open_memstream(&body, &n);
			if (m) {
				render(ctx, m);
				if (fclose(m)) {
					free(body);
					body = NULL;
				}
			}
		}
		if (body)
			conn_answer(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
				    body, n, c->deadline_ns);
		else
			conn_text(c, "500 Internal Server Error", "out of memory\n",
				  c->deadline_ns);
	}
	free(body);
}

void http_server_step(struct http_server *h, void (*render)(void *ctx, FILE *f), void *ctx)
{
	uint64_t now = mono_ns();
	unsigned int i;

	for (i = 0; i < h->nr;)
		if (h->c[i].writing || conn_read(h, &h->c[i], now))
			i++;
		else
			conn_close(h, i, -1);
	accept_new(h, now);
	render_bodies(h, render, ctx);
	for (i = 0; i < h->nr;) {
		struct conn *c = &h->c[i];
		bool done;

		if (c->out && !conn_write(c, &done)) {
			/* A 400 answered is still a malformed client dropped. */
			if (done && !c->is_malformed)
				h->stats.served++;
			conn_close(h, i, c->is_malformed ? HTTP_DROP_MALFORMED : -1);
			continue;
		}
		if (now >= c->deadline_ns) {
			conn_close(h, i, c->is_malformed ? HTTP_DROP_MALFORMED :
				   c->writing || c->got ? HTTP_DROP_SLOW : HTTP_DROP_IDLE);
			continue;
		}
		i++;
	}
}

void http_server_free(struct http_server *h)
{
	if (!h)
		return;
	while (h->nr)
		conn_close(h, h->nr - 1, -1);
	close(h->fd);
	free(h->c);
	free(h);
}
