/*
 * error.c: filling struct dbb_error, and errno names for logs and .stats.
 */
#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void dbb_error_clear(struct dbb_error *err)
{
	memset(err, 0, sizeof(*err));
}

int dbb_error_set(struct dbb_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	err->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -errnum;
}

int dbb_error_recast(struct dbb_error *err, int errnum)
{
	err->errnum = errnum;
	return -errnum;
}

void dbb_error_set_code(struct dbb_error *err, const char *code)
{
	snprintf(err->code, sizeof(err->code), "%s", code ? code : "");
}

void dbb_error_set_remedy(struct dbb_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->remedy, sizeof(err->remedy), fmt, ap);
	va_end(ap);
}

const char *dbb_errno_name(int errnum)
{
	switch (errnum) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EEXIST: return "EEXIST";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EAGAIN: return "EAGAIN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENODATA: return "ENODATA";
	case EIO: return "EIO";
	case ENOMEM: return "ENOMEM";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case ERANGE: return "ERANGE";
	default: return "EOTHER";
	}
}
