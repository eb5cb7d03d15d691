/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest HTTP/1.x server that Prometheus can scrape: GET /metrics
 * only, one short request per connection, served from the event loop
 * (non-blocking accept), no threads.
 */
#ifndef KVMSR_HTTP_H
#define KVMSR_HTTP_H

#include <stdio.h>

/* "127.0.0.1:9464", "[::1]:9464" or ":9464" (all IPv4): a listening socket, or -errno. */
int http_listen(const char *addr, char *err, size_t len);
/* Answer every pending connection; @render writes the /metrics body. */
void http_serve(int fd, void (*render)(void *ctx, FILE *f), void *ctx);

#endif /* KVMSR_HTTP_H */
