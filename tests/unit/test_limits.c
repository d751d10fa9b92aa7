/*
 * Limits on what a server can make us hold (issue 8, item 3): "responses
 * larger than a configured cap are refused, not buffered without bound".
 *
 *  - doc.h: a JSON answer of DOC_MAX_BODY bytes parses, one byte more is
 *    refused with a reason that names the limit (the bodies are valid
 *    documents padded with white space, so only the size can refuse them);
 *    the same for XML, whose accepted size is smaller (see below);
 *  - http.h: with max_body set, an answer of exactly max_body bytes is
 *    taken, one of max_body + 1 is refused with EIO and not asked again, and
 *    an endless answer with no Content-Length is cut off at the cap rather
 *    than read to its end. The server is a thread of this test on 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "core/stats.h"
#include "providers/doc.h"
#include "providers/http.h"

/* ---- doc.h ---------------------------------------------------------------- */

/* A valid document of exactly size bytes: text, then white space. */
static char *padded_document(const char *text, size_t size)
{
	char *body = malloc(size);

	if (!body)
		return NULL;
	memset(body, ' ', size);
	memcpy(body, text, strlen(text));
	body[size - 1] = '\n';
	return body;
}

static void test_json_answer_over_the_cap_is_refused(void)
{
	char reason[256] = "";
	char *body = padded_document("{\"totalRows\": 1}", DOC_MAX_BODY + 1);
	json_t *tree;

	CHECK(body != NULL);
	if (!body)
		return;
	tree = doc_parse_json(body, DOC_MAX_BODY, reason, sizeof(reason));
	CHECK(tree != NULL);
	json_decref(tree);
	tree = doc_parse_json(body, DOC_MAX_BODY + 1, reason, sizeof(reason));
	CHECK(tree == NULL);
	CHECK(strstr(reason, "limit") != NULL);
	json_decref(tree);
	free(body);
}

#define XML_WELL_UNDER_LIBXML2_BOUND (4 * 1024 * 1024)

static void test_xml_answer_over_the_cap_is_refused(void)
{
	char reason[256] = "";
	char *body = padded_document("<?xml version=\"1.0\"?><r><totalRows>1</totalRows></r>",
				     DOC_MAX_BODY + 1);
	json_t *tree;

	CHECK(body != NULL);
	if (!body)
		return;
	/* libxml2 has a bound of its own (10,000,000 bytes of input without
	 * XML_PARSE_HUGE), below DOC_MAX_BODY: a padded document under it
	 * parses, one over DOC_MAX_BODY is refused by doc.c's own check. */
	body[XML_WELL_UNDER_LIBXML2_BOUND - 1] = '\n';
	tree = doc_parse_xml(body, XML_WELL_UNDER_LIBXML2_BOUND, reason, sizeof(reason));
	CHECK(tree != NULL);
	json_decref(tree);
	body[XML_WELL_UNDER_LIBXML2_BOUND - 1] = ' ';
	tree = doc_parse_xml(body, DOC_MAX_BODY + 1, reason, sizeof(reason));
	CHECK(tree == NULL);
	CHECK(strstr(reason, "limit") != NULL);
	json_decref(tree);
	free(body);
}

/* ---- http.h --------------------------------------------------------------- */

#define CAP (64 * 1024)
/* What the endless answer would send at most if nobody hung up. */
#define ENDLESS_LIMIT (1024 * CAP)

struct server {
	int listener;
	int port;
	pthread_t thread;
	int stopping;                /* atomic */
	int requests;                /* atomic */
	size_t endless_sent;         /* written by the server thread only */
};

static bool send_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t n = send(fd, data, length, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		data += n;
		length -= (size_t)n;
	}
	return true;
}

/* Reads the request head; returns the path's first letter ('e', 'o', 'x'). */
static char read_request(int fd)
{
	char head[4096];
	size_t used = 0;
	char *path;

	while (used < sizeof(head) - 1) {
		ssize_t n = recv(fd, head + used, sizeof(head) - 1 - used, 0);

		if (n <= 0)
			return 0;
		used += (size_t)n;
		head[used] = '\0';
		if (strstr(head, "\r\n\r\n"))
			break;
	}
	path = strchr(head, '/');
	return path ? path[1] : 0;
}

static void answer(struct server *s, int fd, char kind)
{
	static char block[8192];
	char header[256];
	size_t length = kind == 'o' ? CAP + 1 : CAP;

	memset(block, 'x', sizeof(block));
	if (kind == 'e') {
		/* No Content-Length: the body ends when the connection does. */
		snprintf(header, sizeof(header), "HTTP/1.1 200 OK\r\nContent-Type: "
			 "application/octet-stream\r\nConnection: close\r\n\r\n");
		if (!send_all(fd, header, strlen(header)))
			return;
		while (s->endless_sent < ENDLESS_LIMIT &&
		       send_all(fd, block, sizeof(block)))
			s->endless_sent += sizeof(block);
		return;
	}
	snprintf(header, sizeof(header), "HTTP/1.1 200 OK\r\nContent-Type: "
		 "application/octet-stream\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		 length);
	if (!send_all(fd, header, strlen(header)))
		return;
	while (length > 0) {
		size_t n = length < sizeof(block) ? length : sizeof(block);

		if (!send_all(fd, block, n))
			return;
		length -= n;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;

	while (!__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		struct pollfd p = { .fd = s->listener, .events = POLLIN };
		int fd;
		char kind;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(s->listener, NULL, NULL);
		if (fd < 0)
			continue;
		kind = read_request(fd);
		if (kind) {
			__atomic_add_fetch(&s->requests, 1, __ATOMIC_ACQ_REL);
			answer(s, fd, kind);
		}
		close(fd);
	}
	return NULL;
}

static bool server_start(struct server *s)
{
	struct sockaddr_in address = { .sin_family = AF_INET };
	socklen_t length = sizeof(address);

	memset(s, 0, sizeof(*s));
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listener < 0 ||
	    bind(s->listener, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(s->listener, 16) < 0 ||
	    getsockname(s->listener, (struct sockaddr *)&address, &length) < 0)
		return false;
	s->port = ntohs(address.sin_port);
	return pthread_create(&s->thread, NULL, serve, s) == 0;
}

static void server_stop(struct server *s)
{
	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	close(s->listener);
}

/* One GET of path; returns http_perform's result, the body length in *got. */
static int get(struct http_client *client, const struct server *s, const char *path,
	       size_t *got, struct dbb_error *err)
{
	char url[64];
	struct http_request req = {
		.operation = "Get",
		.method = "GET",
		.url = url,
		.target = path,
		.idempotent = true,
	};
	struct http_response resp;
	int result;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
	memset(&resp, 0, sizeof(resp));
	dbb_error_clear(err);
	*got = 0;
	result = http_perform(client, &req, &resp, err);
	if (result == 0) {
		*got = resp.length;
		http_response_destroy(&resp);
	}
	return result;
}

static void test_http_answers_over_max_body_are_refused(void)
{
	struct stats stats;
	struct http_settings settings = {
		.profile = "limits",
		.connect_timeout_ms = 5000,
		.timeout_ms = 20000,
		.retries = 2,
		.max_rps = 1000,
		.max_body = CAP,
		.stats = &stats,
	};
	struct http_client *client;
	struct dbb_error err;
	struct server s;
	size_t got;
	int requests;

	stats_init(&stats);
	CHECK(server_start(&s));
	client = http_client_new(&settings);
	CHECK(client != NULL);
	if (!client)
		goto out;

	CHECK_INT(get(client, &s, "/x-exact", &got, &err), 0);
	CHECK_INT(got, CAP);

	requests = __atomic_load_n(&s.requests, __ATOMIC_ACQUIRE);
	CHECK_INT(get(client, &s, "/over", &got, &err), -EIO);
	CHECK(strstr(err.message, "larger than") != NULL);
	/* Asking again would get the same answer: it is not retried. */
	CHECK_INT(__atomic_load_n(&s.requests, __ATOMIC_ACQUIRE) - requests, 1);

	CHECK_INT(get(client, &s, "/endless", &got, &err), -EIO);
	CHECK(strstr(err.message, "larger than") != NULL);
	http_client_free(client);
out:
	server_stop(&s);
	/* The client hung up long before the server ran out of patience. */
	CHECK(s.endless_sent < ENDLESS_LIMIT);
	stats_destroy(&stats);
}

int main(void)
{
	if (http_global_init() < 0)
		return 1;
	RUN(test_json_answer_over_the_cap_is_refused);
	RUN(test_xml_answer_over_the_cap_is_refused);
	RUN(test_http_answers_over_max_body_are_refused);
	http_global_cleanup();
	return CHECK_DONE();
}
