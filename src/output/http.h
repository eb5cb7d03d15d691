/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest HTTP/1.x server that Prometheus can scrape: GET /metrics
 * only, one short request per connection, served from the event loop, no
 * threads.  No client can stall the loop: every socket is non-blocking and
 * each connection is a small state machine (read the request head, then
 * write the answer) stepped by http_server_step(), which never waits.  A
 * connection has a deadline for its request and one for its answer, their
 * number is capped, the request head is bounded; every connection dropped
 * for breaking one of these is counted by reason (http_server_stats()).
 */
#ifndef KVMSR_HTTP_H
#define KVMSR_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* The longest --listen taken (an IPv6 address with a zone is well below). */
#define HTTP_ADDR_MAX 127

/*
 * "127.0.0.1:9464", "[::1]:9464" or ":9464" (all IPv4), numeric only, port
 * 1 to 65535, at most HTTP_ADDR_MAX characters: 0, or -EINVAL with the
 * reason in @err (main.c checks --listen with it, a usage error).
 */
int http_parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *sslen,
		    char *err, size_t len);
/* http_parse_addr(), then a listening socket, or -errno. */
int http_listen(const char *addr, char *err, size_t len);

/*
 * The request line of @buf (@len bytes from a client, no NUL needed): 200
 * for GET or HEAD of /metrics (a query allowed; *@head says HEAD), 400 for
 * anything that is not METHOD /TARGET [HTTP/x.y], 405 for another method,
 * 404 for another path.  Pure: tests/fuzz/fuzz_http.c fuzzes it.
 */
int http_parse_request(const char *buf, size_t len, bool *head);

/* Why a connection was closed without its answer (or with a 400). */
enum http_drop {
	HTTP_DROP_SLOW,		/* its request or its answer was not done in time */
	HTTP_DROP_IDLE,		/* connected and sent nothing in time */
	HTTP_DROP_CAP,		/* one connection too many: the oldest waiting one goes */
	HTTP_DROP_MALFORMED,	/* not an HTTP request line, or a head too long: 400 */
	HTTP_DROP__MAX
};

/* The label value of @r in kvmsr_http_clients_dropped_total{reason=}. */
const char *http_drop_name(enum http_drop r);

struct http_limits {
	unsigned int max_clients;	/* open connections at once */
	unsigned int request_ms;	/* from accept to a complete request head */
	unsigned int response_ms;	/* from the answer's render to its last byte */
	size_t max_request;		/* bytes of a request head */
};

#define HTTP_LIMITS_DEFAULT { .max_clients = 32, .request_ms = 5000, \
			      .response_ms = 5000, .max_request = 8192 }

struct http_stats {
	uint64_t dropped[HTTP_DROP__MAX];
	uint64_t served;	/* answers written to the last byte */
};

struct http_server;

/* Serve on the listening socket @fd (then owned by the server); NULL @lim: defaults. */
struct http_server *http_server_new(int fd, const struct http_limits *lim);
/*
 * Accept, read and write what the sockets allow now, drop what is late,
 * and return: never blocks.  @render writes the /metrics body; it is
 * called at most once per step, only when a complete GET or HEAD of
 * /metrics is waiting.
 */
void http_server_step(struct http_server *h, void (*render)(void *ctx, FILE *f), void *ctx);
const struct http_stats *http_server_stats(const struct http_server *h);
/* Close every connection and the listening socket. */
void http_server_free(struct http_server *h);

#endif /* KVMSR_HTTP_H */
