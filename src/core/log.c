/*
 * log.c: one formatting path for stderr and syslog, safe from any thread.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static bool log_to_stderr = true;
static bool log_debug;

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
static const int level_priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_init(bool foreground, bool debug)
{
	log_to_stderr = foreground;
	log_debug = debug;
	if (!foreground)
		openlog("dbbackupfs", LOG_PID, LOG_DAEMON);
}

bool log_debug_enabled(void)
{
	return log_debug;
}

static void log_line(enum log_level level, const char *text)
{
	/* Room for log_msg's text (at most 2047 bytes) and the rest. */
	char line[2100];
	ssize_t written;
	int n;

	if (!log_to_stderr) {
		syslog(level_priorities[level], "%s %s", level_names[level], text);
		return;
	}
	n = snprintf(line, sizeof(line), "dbbackupfs: %s %s\n", level_names[level], text);
	/* One write(2) per line, so that lines from different threads never
	 * interleave, and no stdio lock to be left held: under
	 * ThreadSanitizer, stderr's lock was seen held at exit by a thread
	 * already gone, and a line written with fprintf after that would
	 * wait for ever. A failed write has nowhere to be said. */
	written = write(STDERR_FILENO, line, (size_t)n);
	(void)written;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char text[2048];
	size_t length;

	if (level == LOG_LEVEL_DEBUG && !log_debug)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	/* A message that ends with a newline (libfuse's do) gets no second
	 * one: the line adds its own. */
	length = strlen(text);
	if (length && text[length - 1] == '\n')
		text[length - 1] = '\0';
	log_line(level, text);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* Quotes a value for a key=value log line: double quotes and control
 * characters are escaped so that one failure stays one line. */
static void quote(char *out, size_t size, const char *in)
{
	size_t n = 0;

	if (size < 3)
		return;
	out[n++] = '"';
	for (; in && *in && n + 5 < size; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
}

void log_failure(const char *operation, const char *path, const char *profile,
		 const struct dbb_error *err)
{
	char message[1100], remedy[600], code[150];

	quote(message, sizeof(message), err->message);
	quote(remedy, sizeof(remedy), err->remedy);
	quote(code, sizeof(code), err->code);
	log_msg(LOG_LEVEL_WARN,
		"%s %s profile=%s errno=%s http=%d code=%s message=%s request_id=%s ms=%ld%s%s",
		operation, path ? path : "-", profile ? profile : "-",
		dbb_errno_name(err->errnum), err->http_status, code, message,
		err->request_id[0] ? err->request_id : "-", err->duration_ms,
		err->remedy[0] ? " remedy=" : "", err->remedy[0] ? remedy : "");
}
