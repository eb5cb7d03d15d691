/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest HTTP/1.x server that Prometheus can scrape: GET /metrics
 * only, one short request per connection, served from the event loop
 * (non-blocking accept), no threads.
 */
#ifndef KVMSR_HTTP_H
#define KVMSR_HTTP_H

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
/* Answer every pending connection; @render writes the /metrics body. */
void http_serve(int fd, void (*render)(void *ctx, FILE *f), void *ctx);

#endif /* KVMSR_HTTP_H */
