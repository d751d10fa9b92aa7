/*
 * check.c: one verdict line per profile.
 */
#include "core/check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The reason's kind, in the words a person would use. */
static const char *reason_of(const struct dbb_error *err)
{
	if (strstr(err->message, "clock skew"))
		return "clock skew";
	if (err->errnum == EACCES)
		return "bad credentials";
	if (strstr(err->message, "TLS"))
		return "TLS";
	if (strstr(err->message, "cannot connect") || err->errnum == ETIMEDOUT)
		return "endpoint unreachable";
	if (err->errnum == EAGAIN)
		return "throttled";
	if (err->errnum == ENODATA)
		return "not configured";
	return "error";
}

/* "NAME: [PLACE: ]REASON: MESSAGE [code C]; REMEDY (credentials: SOURCE)". */
static void describe_failure(char *line, size_t size, const struct profile *p,
			     const char *place, const struct dbb_error *err)
{
	const char *reason = reason_of(err);
	/* Messages that already begin with their reason keep it once. */
	bool said = !strncmp(err->message, reason, strlen(reason));

	snprintf(line, size, "%s: %s%s%s%s%s%s%s%s%s%s (credentials: %s)", p->name,
		 place ? place : "", place ? ": " : "",
		 said ? "" : reason, said ? "" : ": ", err->message,
		 err->code[0] ? " [code " : "", err->code, err->code[0] ? "]" : "",
		 err->remedy[0] ? "; " : "", err->remedy,
		 p->credential_source[0] ? p->credential_source : "none");
}

int catalog_check_profile(struct catalog *cat, struct profile *p, char *line,
			  size_t size)
{
	struct entry_list list;
	struct dbb_error err;
	char what[256] = "contents";
	size_t length;
	int result;

	entry_list_init(&list);
	dbb_error_clear(&err);
	result = p->kind->list_instances(p, &list, &err);
	if (result < 0) {
		describe_failure(line, size, p, NULL, &err);
		goto out;
	}
	snprintf(line, size, "%s: ok: %zu instance%s at %s (credentials: %s)",
		 p->name, list.count, list.count == 1 ? "" : "s", p->settings.endpoint,
		 p->credential_source[0] ? p->credential_source : "none needed");
	if (!p->kind->check_content)
		goto out;
	/* Where the bytes come from, when that is another service: a profile
	 * whose listings work but whose backups cannot be read is not ok. */
	dbb_error_clear(&err);
	result = p->kind->check_content(p, what, sizeof(what), &err);
	if (result < 0) {
		describe_failure(line, size, p, what, &err);
		goto out;
	}
	length = strlen(line);
	snprintf(line + length, size - length, "; %s: ok", what);
out:
	entry_list_destroy(&list);
	return result;
}
