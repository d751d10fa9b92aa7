/*
 * error.h: how every failure travels from the wire to the user.
 *
 * One struct carries what DESIGN section 4 asks a failure log line to hold:
 * the errno the user gets, the HTTP status, the provider's own error code and
 * message, the request id, how long it took, and the remedy where one exists.
 * It never holds a secret: callers put only provider answers and our own
 * explanations in it.
 */
#ifndef DBB_ERROR_H
#define DBB_ERROR_H

struct dbb_error {
	int errnum;           /* errno for the user; 0 means no error */
	int http_status;      /* 0 when no HTTP answer was received */
	char code[64];        /* the provider's error code, "" if none */
	char message[512];    /* the provider's message, or our explanation */
	char request_id[96];  /* the provider's request id, "" if none */
	char remedy[256];     /* what would make it work, "" if unknown */
	long duration_ms;     /* wall time of the failed call, retries included */
};

void dbb_error_clear(struct dbb_error *err);

/* Sets errnum and a printf-style message; keeps the other fields. Returns
 * -errnum so that callers can write "return dbb_error_set(err, ...);". */
int dbb_error_set(struct dbb_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same error reported to the user as errnum: message, code and remedy
 * stay. (dbb_error_set(err, e, "%s", err->message) would read the message
 * while overwriting it.) Returns -errnum. */
int dbb_error_recast(struct dbb_error *err, int errnum);

void dbb_error_set_code(struct dbb_error *err, const char *code);
void dbb_error_set_remedy(struct dbb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "EACCES" for EACCES, used in .stats and log lines. */
const char *dbb_errno_name(int errnum);

#endif
