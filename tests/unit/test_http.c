// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics server (output/http.c) against slow, idle, many, malformed
 * and non-reading clients on 127.0.0.1: every http_server_step() returns
 * at once (the event loop it runs in must keep draining the ring buffer and
 * seeing signals), a well-behaved scrape next to them is answered in a
 * bounded time, and each abusive client is dropped and counted by reason.
 * Single-threaded: the clients are non-blocking sockets driven between steps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "output/http.h"
#include "unit.h"

/*
 * A step may take this long (it only does non-blocking I/O; slack for a
 * loaded machine).  Under ASan, rendering the 8 MiB answer of
 * http_client_that_never_reads alone took 139 ms on a 2-core CI machine: a
 * write that blocked would take the client's whole timeout, seconds.
 */
#if defined(__SANITIZE_ADDRESS__)
#define STEP_MAX_NS (400 * 1000000ull)
#else
#define STEP_MAX_NS (100 * 1000000ull)
#endif
/* A scrape next to abusive clients is answered within this. */
#define SCRAPE_MAX_NS (1000 * 1000000ull)

static const struct http_limits test_limits = {
	.max_clients = 8, .request_ms = 300, .response_ms = 300, .max_request = 1024,
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct body {
	size_t size;	/* bytes of body to render */
	int renders;
};

static void render(void *ctx, FILE *f)
{
	struct body *b = ctx;

	static char pad[4096];

	b->renders++;
	fputs("kvmsr_test 1\n", f);
	if (!pad[0])
		for (size_t i = 0; i < sizeof(pad); i++)
			pad[i] = i % 64 == 63 ? '\n' : i % 64 ? ' ' : '#';
	for (size_t i = 13; i < b->size; i += sizeof(pad))
		fwrite(pad, 1, sizeof(pad), f);
}

struct world {
	struct http_server *h;
	int port;
	struct body body;
	uint64_t steps, slowest_ns;
	int slow[4], nr_slow;	/* trickling clients: a byte every 20 ms */
	size_t slow_sent[4];
	uint64_t next_trickle;
};

static struct http_server *server(struct world *w, const struct http_limits *lim)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(w, 0, sizeof(*w));
	w->body.size = 100;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		return NULL;
	w->port = ntohs(a.sin_port);
	w->h = http_server_new(fd, lim);
	return w->h;
}

/* A connected client socket, non-blocking; @rcvbuf > 0: that receive buffer. */
static int client(const struct world *w, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(w->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* Loopback: the kernel completes the handshake from the backlog. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* One step of the server, timed; the trickling clients send their byte. */
static void pump(struct world *w)
{
	static const char trickle[] = "GET /metrics HTTP/1.1\r\nX-Slow: ";
	uint64_t t = mono_ns(), d;

	http_server_step(w->h, render, &w->body);
	d = mono_ns() - t;
	w->steps++;
	if (d > w->slowest_ns)
		w->slowest_ns = d;
	if (w->nr_slow && mono_ns() >= w->next_trickle) {
		for (int i = 0; i < w->nr_slow; i++) {
			/* The head never ends: the request line, then a header forever. */
			size_t *pos = &w->slow_sent[i];
			char c = *pos < sizeof(trickle) - 1 ? trickle[*pos] : 'a';

			if (send(w->slow[i], &c, 1, MSG_NOSIGNAL) == 1)
				(*pos)++;
		}
		w->next_trickle = mono_ns() + 20 * 1000000ull;
	}
	usleep(1000);
}

/* Step for @ms. */
static void pump_for(struct world *w, int ms)
{
	uint64_t end = mono_ns() + ms * 1000000ull;

	while (mono_ns() < end)
		pump(w);
}

/* Read what is there into @buf; true once the server closed (EOF or reset). */
static bool drain(int fd, char *buf, size_t size, size_t *got)
{
	for (;;) {
		char scratch[65536];
		bool keep = *got + 1 < size;
		ssize_t k = read(fd, keep ? buf + *got : scratch,
				 keep ? size - 1 - *got : sizeof(scratch));

		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (k <= 0)
			return true;
		if (keep) {
			*got += k;
			buf[*got] = '\0';
		}
	}
}

/*
 * Send @req on @n fresh connections at once and step until every answer is
 * complete or SCRAPE_MAX_NS passed; each answer's first bytes into resp[i].
 * Returns how many were answered completely; *took the time of the last.
 */
static int scrape_n(struct world *w, const char *req, int n, char resp[][512], uint64_t *took)
{
	int fd[8], done = 0;
	size_t got[8] = { 0 };
	bool closed[8] = { false };
	uint64_t t0 = mono_ns();

	for (int i = 0; i < n; i++) {
		fd[i] = client(w, 0);
		resp[i][0] = '\0';
		if (fd[i] < 0 || write(fd[i], req, strlen(req)) != (ssize_t)strlen(req))
			closed[i] = true;
	}
	while (done < n && mono_ns() - t0 < SCRAPE_MAX_NS) {
		pump(w);
		for (int i = 0; i < n; i++)
			if (!closed[i] && drain(fd[i], resp[i], 512, &got[i])) {
				closed[i] = true;
				done++;
			}
	}
	*took = mono_ns() - t0;
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return done;
}

static const char get[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";

/* One well-behaved scrape: a 200 with the body, in time. */
static bool scrape_ok(struct world *w)
{
	char resp[1][512];
	uint64_t took;

	return scrape_n(w, get, 1, resp, &took) == 1 && took < SCRAPE_MAX_NS &&
	       !strncmp(resp[0], "HTTP/1.1 200 OK\r\n", 17) && strstr(resp[0], "kvmsr_test 1\n");
}

/* True once the server has closed @fd (EOF or reset). */
static bool closed_by_server(int fd)
{
	char buf[4096];
	size_t got = 0;

	return drain(fd, buf, sizeof(buf), &got);
}

TEST(http_answers_get_head_and_errors)
{
	struct world w;
	char resp[3][512];
	uint64_t took;

	if (!server(&w, &test_limits)) {
		CHECK(!"a listening socket on 127.0.0.1:0");
		return;
	}
	CHECK(scrape_ok(&w));
	CHECK_EQ(scrape_n(&w, "HEAD /metrics HTTP/1.1\r\n\r\n", 1, resp, &took), 1);
	CHECK(!strncmp(resp[0], "HTTP/1.1 200 OK\r\n", 17));
	CHECK(strstr(resp[0], "\r\n\r\n") && !strstr(resp[0], "kvmsr_test"));
	CHECK_EQ(scrape_n(&w, "GET /other HTTP/1.1\r\n\r\n", 1, resp, &took), 1);
	CHECK(!strncmp(resp[0], "HTTP/1.1 404 ", 13));
	CHECK_EQ(scrape_n(&w, "POST /metrics HTTP/1.1\r\n\r\n", 1, resp, &took), 1);
	CHECK(!strncmp(resp[0], "HTTP/1.1 405 ", 13));
	CHECK_EQ(scrape_n(&w, "GET /metrics?x=1\n\n", 1, resp, &took), 1);
	CHECK(!strncmp(resp[0], "HTTP/1.1 200 OK\r\n", 17));
	/* Three at once: all answered, the body rendered once per step at most. */
	w.body.renders = 0;
	w.steps = 0;
	CHECK_EQ(scrape_n(&w, get, 3, resp, &took), 3);
	for (int i = 0; i < 3; i++)
		CHECK(strstr(resp[i], "kvmsr_test 1\n") != NULL);
	CHECK(w.body.renders >= 1 && (uint64_t)w.body.renders <= w.steps);
	CHECK(w.slowest_ns < STEP_MAX_NS);
	for (int r = 0; r < HTTP_DROP__MAX; r++)
		CHECK_EQ(http_server_stats(w.h)->dropped[r], 0);
	CHECK_EQ(http_server_stats(w.h)->served, 8);
	http_server_free(w.h);
}

/* One byte every 20 ms, a head that never ends (one byte every 0.4 s stalled the loop 40 s). */
TEST(http_slow_clients_cannot_stall_the_loop)
{
	struct world w;
	char resp[3][512];
	uint64_t took, t0;

	if (!server(&w, &test_limits)) {
		CHECK(!"a listening socket on 127.0.0.1:0");
		return;
	}
	w.nr_slow = 2;
	for (int i = 0; i < w.nr_slow; i++)
		w.slow[i] = client(&w, 0);
	t0 = mono_ns();
	pump_for(&w, 50);
	/* Three concurrent scrapes next to them: every one answered, at once. */
	CHECK_EQ(scrape_n(&w, get, 3, resp, &took), 3);
	CHECK(took < SCRAPE_MAX_NS);
	for (int i = 0; i < 3; i++)
		CHECK(!strncmp(resp[i], "HTTP/1.1 200 OK\r\n", 17));
	/* Past the request deadline both are gone and counted as slow. */
	while (mono_ns() - t0 < 600 * 1000000ull)
		pump(&w);
	for (int i = 0; i < w.nr_slow; i++) {
		CHECK(closed_by_server(w.slow[i]));
		close(w.slow[i]);
	}
	w.nr_slow = 0;
	CHECK_EQ(http_server_stats(w.h)->dropped[HTTP_DROP_SLOW], 2);
	CHECK(w.slowest_ns < STEP_MAX_NS);
	http_server_free(w.h);
}

/* Many idle connections: the cap drops the oldest at once, the rest time out. */
TEST(http_idle_and_many_clients)
{
	struct world w;
	int idle[20];
	uint64_t t0;

	if (!server(&w, &test_limits)) {
		CHECK(!"a listening socket on 127.0.0.1:0");
		return;
	}
	for (int i = 0; i < 20; i++)
		idle[i] = client(&w, 0);
	t0 = mono_ns();
	pump(&w);
	/* 20 on a cap of 8: 12 closed in the first step, the oldest first. */
	CHECK_EQ(http_server_stats(w.h)->dropped[HTTP_DROP_CAP], 12);
	for (int i = 0; i < 12; i++)
		CHECK(closed_by_server(idle[i]));
	CHECK(!closed_by_server(idle[12]));
	/* A scrape still gets in: it takes the place of the oldest idle one. */
	CHECK(scrape_ok(&w));
	CHECK_EQ(http_server_stats(w.h)->dropped[HTTP_DROP_CAP], 13);
	CHECK(mono_ns() - t0 < 250 * 1000000ull);
	pump_for(&w, 400);
	CHECK_EQ(http_server_stats(w.h)->dropped[HTTP_DROP_IDLE], 7);
	for (int i = 0; i < 20; i++) {
		CHECK(closed_by_server(idle[i]));
		close(idle[i]);
	}
	CHECK(w.slowest_ns < STEP_MAX_NS);
	http_server_free(w.h);
}

TEST(http_malformed_and_oversized_requests)
{
	static const char *const bad[] = {
		"\x16\x03\x01\x02\x05 \x01\r\n\r\n",	/* a TLS hello, or so */
		"GET\r\n\r\n",
		"get /metrics HTTP/1.1\r\n\r\n",
		"GET metrics HTTP/1.1\r\n\r\n",
		"GET /metrics SPDY/3\r\n\r\n",
	};
	struct world w;
	char resp[1][512], big[2000];
	uint64_t took;
	int fd;

	if (!server(&w, &test_limits)) {
		CHECK(!"a listening socket on 127.0.0.1:0");
		return;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(scrape_n(&w, bad[i], 1, resp, &took), 1);
		CHECK(!strncmp(resp[0], "HTTP/1.1 400 ", 13));
	}
	/* A head longer than max_request, still going: answered 431 and closed. */
	fd = client(&w, 0);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	CHECK_EQ(write(fd, big, sizeof(big)), sizeof(big));
	pump_for(&w, 20);
	CHECK(closed_by_server(fd));
	close(fd);
	CHECK_EQ(http_server_stats(w.h)->dropped[HTTP_DROP_MALFORMED], 6);
	CHECK(scrape_ok(&w));
	CHECK(w.slowest_ns < STEP_MAX_NS);
	http_server_free(w.h);
}

/* A client that asks for a big answer and never reads it: the write must not block. */
TEST(http_client_that_never_reads)
{
	struct world w;
	int fd;

	if (!server(&w, &test_limits)) {
		CHECK(!"a listening socket on 127.0.0.1:0");
		return;
	}
	w.body.size = 8 << 20;
	fd = client(&w, 4096);
	CHECK_EQ(write(fd, get, strlen(get)), strlen(get));
	pump_for(&w, 50);
	w.body.size = 100;
	CHECK(scrape_ok(&w));
	pump_for(&w, 400);
	CHECK_EQ(http_server_stats(w.h)->dropped[HTTP_DROP_SLOW], 1);
	CHECK(w.slowest_ns < STEP_MAX_NS);
	close(fd);
	http_server_free(w.h);
}
