/*
 * xattrs.h: the extended attributes of DESIGN section 3, built from records.
 *
 * Attributes are made on demand from the cached records (never stored), as
 * a packed list of name\0value\0 pairs, so that listxattr names exactly what
 * getxattr answers: both read the same list.
 */
#ifndef DBB_XATTRS_H
#define DBB_XATTRS_H

#include <stddef.h>

#include "core/entry.h"

struct xattr_list {
	char *buffer;
	size_t length, capacity;
	int failed;
};

void xattr_list_init(struct xattr_list *x);
void xattr_list_destroy(struct xattr_list *x);
void xattr_list_add(struct xattr_list *x, const char *name, const char *value);

/* exported_to: where this mount exported it, or NULL to use the record's. */
void xattrs_for_backup(struct xattr_list *x, const struct entry *backup,
		       const struct entry *instance, const char *exported_to);
void xattrs_for_instance(struct xattr_list *x, const struct entry *instance);
void xattrs_for_profile(struct xattr_list *x, const char *kind,
			const char *endpoint, const char *region);

/* The value of name, or NULL. */
const char *xattr_list_get(const struct xattr_list *x, const char *name);

/* The names only, NUL-separated, as listxattr(2) wants them; returns the
 * length written, or the length needed when out is NULL. */
size_t xattr_list_names(const struct xattr_list *x, char *out, size_t size);

#endif
