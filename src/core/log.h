/*
 * log.h: the daemon's log, on stderr in the foreground and syslog otherwise.
 *
 * Every failed operation is one line (DESIGN section 4): operation, path,
 * profile, errno, HTTP status, the provider's code and message, request id,
 * milliseconds and remedy. Callers pass only text that holds no secret; the
 * error struct is filled from provider answers, never from credentials.
 */
#ifndef DBB_LOG_H
#define DBB_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "core/error.h"

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Called once at start-up, before any thread runs. */
void log_init(bool foreground, bool debug);
bool log_debug_enabled(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* The one line for a failed operation. path and profile may be NULL. */
void log_failure(const char *operation, const char *path, const char *profile,
		 const struct dbb_error *err);

#endif
