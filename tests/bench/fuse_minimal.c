/*
 * fuse_minimal.c: the least a FUSE daemon can spend serving a file from an
 * HTTP server, as a yardstick for dbbackupfs (content_bench.py runs it
 * beside curl, dbbackupfs and rclone and prints the bound it implies).
 *
 * It mounts one read-only file, "backup", whose bytes are one URL's, and
 * answers each read from a single connection that streams the file from
 * the read's offset to the end: no range planning, no link refresh, no
 * retries, no checks beyond the status line, one thread (so it is not
 * the fastest: nothing overlaps). What its daemon's CPU costs per GiB is
 * what any FUSE daemon pays that fills the page cache: the kernel copies
 * each byte into it in the replying thread's time, which
 * `curl -o /dev/null` never does.
 *
 *   copy    recv(2) into a buffer, fuse_reply_buf(): one copy in the
 *           daemon, as a reader that keeps the bytes must make with libcurl
 *   splice  splice(2) socket to pipe, pipe to /dev/fuse: no copy in the
 *           daemon at all (loopback hands nginx's pages through)
 *
 * Not a filesystem to use: it serves one sequential reader, and a short
 * body is EIO without a retry. Plain http:// only.
 *
 *   fuse_minimal MOUNTPOINT URL SIZE copy|splice
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_MAX (1 << 20)
#define HEADER_MAX 8192

static struct {
	char host[256], port[16];
	const char *target;              /* path and query */
	long long size;
	bool splice;
	size_t read_max;                 /* the largest READ the kernel sends */
	int socket;                      /* -1: none */
	long long position;              /* file offset of the next body byte */
	int pipe[2];
	struct fuse_session *session;
	char buffer[READ_MAX];
} minimal = { .socket = -1, .position = -1 };

static bool parse_url(const char *url)
{
	const char *host = url + strlen("http://"), *slash, *colon;
	size_t length;

	if (strncmp(url, "http://", 7) || !(slash = strchr(host, '/')))
		return false;
	colon = memchr(host, ':', (size_t)(slash - host));
	length = (size_t)((colon ? colon : slash) - host);
	if (length >= sizeof(minimal.host))
		return false;
	memcpy(minimal.host, host, length);
	snprintf(minimal.port, sizeof(minimal.port), "%.*s",
		 colon ? (int)(slash - colon - 1) : 2, colon ? colon + 1 : "80");
	minimal.target = slash;
	return true;
}

static int dial(void)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *found;
	int fd = -1;

	if (getaddrinfo(minimal.host, minimal.port, &hints, &found))
		return -1;
	for (struct addrinfo *a = found; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(found);
	return fd;
}

/* Asks for the file from offset to its end; leaves the socket at the
 * body's first byte (the headers are peeked, then taken exactly). */
static int stream_from(long long offset)
{
	char request[4096], header[HEADER_MAX];
	int length;

	if (minimal.socket >= 0)
		close(minimal.socket);
	minimal.position = -1;
	if ((minimal.socket = dial()) < 0)
		return -EIO;
	length = snprintf(request, sizeof(request),
			  "GET %s HTTP/1.1\r\nHost: %s\r\nRange: bytes=%lld-\r\n\r\n",
			  minimal.target, minimal.host, offset);
	if (send(minimal.socket, request, (size_t)length, MSG_NOSIGNAL) != length)
		return -EIO;
	for (;;) {
		ssize_t got = recv(minimal.socket, header, sizeof(header) - 1, MSG_PEEK);
		char *end;

		if (got <= 0)
			return -EIO;
		header[got] = '\0';
		if ((end = strstr(header, "\r\n\r\n"))) {
			length = (int)(end + 4 - header);
			break;
		}
		if (got == sizeof(header) - 1)
			return -EIO;
	}
	if (strncmp(header, "HTTP/1.1 206", 12) ||
	    recv(minimal.socket, header, (size_t)length, MSG_WAITALL) != length)
		return -EIO;
	minimal.position = offset;
	return 0;
}

/* Moves size body bytes into the pipe; short is an error, never an end. */
static int fill_pipe(size_t size)
{
	for (size_t moved = 0; moved < size;) {
		ssize_t n = splice(minimal.socket, NULL, minimal.pipe[1], NULL, size - moved,
				   SPLICE_F_MOVE);

		if (n <= 0)
			return -EIO;
		moved += (size_t)n;
	}
	return 0;
}

static int fill_buffer(size_t size)
{
	for (size_t got = 0; got < size;) {
		ssize_t n = recv(minimal.socket, minimal.buffer + got, size - got, 0);

		if (n <= 0)
			return -EIO;
		got += (size_t)n;
	}
	return 0;
}

static int make_pipe(void)
{
	if (pipe2(minimal.pipe, O_CLOEXEC) < 0 ||
	    fcntl(minimal.pipe[1], F_SETPIPE_SZ, READ_MAX) < 0)
		return -1;
	return 0;
}

/* After a failure: no connection, and an empty pipe (whatever went into
 * the old one must not become the next read's). */
static int reset(void)
{
	close(minimal.socket);
	minimal.socket = -1;
	minimal.position = -1;
	close(minimal.pipe[0]);
	close(minimal.pipe[1]);
	return make_pipe();
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_nlink = 1;
	st->st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0555 : S_IFREG | 0444;
	st->st_size = ino == FUSE_ROOT_ID ? 0 : minimal.size;
}

static void minimal_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_read = (unsigned)minimal.read_max;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
}

static void minimal_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .ino = 2, .attr_timeout = 3600, .entry_timeout = 3600 };

	if (parent != FUSE_ROOT_ID || strcmp(name, "backup")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void minimal_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}

static void minimal_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fi->keep_cache = 1;
	fuse_reply_open(req, fi);
}

static void minimal_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset,
			 struct fuse_file_info *fi)
{
	struct fuse_bufvec piped = FUSE_BUFVEC_INIT(0);
	int result = 0;

	(void)ino;
	(void)fi;
	if (offset >= minimal.size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if ((long long)size > minimal.size - offset)
		size = (size_t)(minimal.size - offset);
	if (size > minimal.read_max)
		size = minimal.read_max;
	if (offset != minimal.position)
		result = stream_from(offset);
	if (result == 0)
		result = minimal.splice ? fill_pipe(size) : fill_buffer(size);
	if (result < 0) {
		if (reset() < 0)
			fuse_session_exit(minimal.session);
		fuse_reply_err(req, -result);
		return;
	}
	minimal.position = offset + (long long)size;
	if (!minimal.splice) {
		fuse_reply_buf(req, minimal.buffer, size);
		return;
	}
	piped.buf[0].size = size;
	piped.buf[0].flags = FUSE_BUF_IS_FD;
	piped.buf[0].fd = minimal.pipe[0];
	fuse_reply_data(req, &piped, 0);
}

static const struct fuse_lowlevel_ops minimal_operations = {
	.init = minimal_init,
	.lookup = minimal_lookup,
	.getattr = minimal_getattr,
	.open = minimal_open,
	.read = minimal_read,
};

int main(int argc, char **argv)
{
	char options[64];
	char *fuse_argv[] = { argv[0], "-o", options, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
	struct fuse_session *session;
	int status = 1;

	if (argc != 5 || !parse_url(argv[2]) || (minimal.size = atoll(argv[3])) <= 0 ||
	    (strcmp(argv[4], "copy") && strcmp(argv[4], "splice"))) {
		fprintf(stderr, "usage: %s MOUNTPOINT http://HOST[:PORT]/PATH SIZE copy|splice\n",
			argv[0]);
		return 2;
	}
	minimal.splice = !strcmp(argv[4], "splice");
	/* A pipe holds body bytes as the socket's pages, which need not be
	 * full: with 1 MiB reads, 1 MiB of body once took more than the 256
	 * pages of a 1 MiB pipe (the most without CAP_SYS_RESOURCE), and
	 * splice blocked for good. Half of it always fits. */
	minimal.read_max = minimal.splice ? READ_MAX / 2 : READ_MAX;
	snprintf(options, sizeof(options), "ro,max_read=%zu", minimal.read_max);
	if (make_pipe() < 0) {
		perror("pipe");
		return 1;
	}
	session = fuse_session_new(&args, &minimal_operations, sizeof(minimal_operations), NULL);
	if (!session)
		return 1;
	minimal.session = session;
	if (fuse_set_signal_handlers(session) == 0) {
		if (fuse_session_mount(session, argv[1]) == 0) {
			status = fuse_session_loop(session) < 0;
			fuse_session_unmount(session);
		}
		fuse_remove_signal_handlers(session);
	}
	fuse_session_destroy(session);
	fuse_opt_free_args(&args);
	return status;
}
