/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest HTTP/1.x server that Prometheus can scrape: GET /metrics
 * only, one short request per connection, served from the event loop
 * (non-blocking accept), no threads.
 */
#ifndef KVMSR_HTTP_H
#define KVMSR_HTTP_H

#include <stdbool.h>
#include <stdio.h>

/* "127.0.0.1:9464", "[::1]:9464" or ":9464" (all IPv4): a listening socket, or -errno. */
int http_listen(const char *addr, char *err, size_t len);
/*
 * The request line of @buf (@len bytes, read from a client; no NUL needed,
 * only its first 2 KiB count): 200 for GET or HEAD of /metrics (with a query
 * or not; *@head says HEAD), 400 for no method and path, 405 for another
 * method, 404 for another path.  Pure: tests/fuzz/fuzz_http.c fuzzes it.
 */
int http_parse_request(const char *buf, size_t len, bool *head);
/* Answer every pending connection; @render writes the /metrics body. */
void http_serve(int fd, void (*render)(void *ctx, FILE *f), void *ctx);

#endif /* KVMSR_HTTP_H */
