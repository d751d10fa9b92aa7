/*
 * config.h: the configuration file (DESIGN section 8), read without FUSE.
 *
 * The file is INI: "[section]" headers, one per profile, and "key = value"
 * lines. config_load() only checks the syntax; what keys a section may or
 * must hold is the provider's business, so it asks with config_check_keys()
 * and config_require(), and reads typed values with config_get_*(). Every
 * error names the file, the line and the key, so that the user can go
 * straight to the mistake, and none ever quotes a secret.
 *
 * Syntax, in full:
 *   - "# ..." and "; ..." are comments, on a line of their own only: a '#'
 *     after a value is part of the value (secrets may contain it).
 *   - "[name]": name is non-empty, has no '/' and no control character, is
 *     not "." or "..", and is unique in the file (it is a directory name).
 *   - "key = value": key is [a-z0-9_]+ and unique within its section; white
 *     space around key and value is dropped; a value wrapped in double quotes
 *     loses them (and keeps the white space inside). There are no escapes.
 *   - Blank lines, CRLF line ends and a leading UTF-8 byte order mark are
 *     accepted.
 *
 * Every function that can fail takes a struct dbb_error (never NULL), fills it
 * afresh (no field of an earlier error survives) with errnum EINVAL (bad
 * content), ENOENT (missing file), EACCES (permission, or a secret exposed to
 * other users), ENOMEM, or EIO (a failing read), and returns -errnum.
 */
#ifndef DBB_CONFIG_H
#define DBB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct config_entry {
	char *key;
	char *value;          /* never NULL; "" for "key =" */
	int line;             /* 1-based line of the key in the file */
};

struct config_section {
	char *name;
	int line;             /* line of the "[name]" header */
	struct config_entry *entries;   /* in file order */
	size_t count;
};

struct config {
	char *path;           /* absolute: as given, or joined to the cwd */
	struct config_section *sections; /* in file order */
	size_t count;
	/* The file's mode lets group or others read it: a secret written in it
	 * is refused (config_read_secret). */
	int group_or_other_readable;
};

/*
 * Reads and parses the file at path. On success *out is a new config that
 * the caller owns and releases with config_free(); on failure *out is NULL.
 */
int config_load(const char *path, struct config **out, struct dbb_error *err);

/* Wipes the values of secret keys, then frees everything. NULL is a no-op. */
void config_free(struct config *c);

/*
 * $XDG_CONFIG_HOME/dbbackupfs/config when XDG_CONFIG_HOME is an absolute
 * path, else $HOME/.config/dbbackupfs/config; NULL when neither is set (or
 * the result would not fit PATH_MAX). Points to a static buffer that the
 * next call overwrites: call it once, at start-up.
 */
const char *config_default_path(void);

/* The section called name, or NULL. */
const struct config_section *config_section_find(const struct config *c,
						 const char *name);

/* The entry for key in s, or NULL. */
const struct config_entry *config_find(const struct config_section *s,
				       const char *key);

/* The value of key in s (owned by the config), or NULL when absent. */
const char *config_get(const struct config_section *s, const char *key);

/*
 * Fails on the first key of s that is not in allowed (a NULL-terminated
 * list): "FILE:LINE: unknown key 'cache_tll' in [prod-pg]", with a "did you
 * mean" remedy when an allowed key is one typo away.
 */
int config_check_keys(const struct config *c, const struct config_section *s,
		      const char *const *allowed, struct dbb_error *err);

/*
 * Fails when key is absent from s ("FILE:LINE: [prod-pg] lacks required key
 * 'region'", LINE being the section header's) or has an empty value.
 */
int config_require(const struct config *c, const struct config_section *s,
		   const char *key, struct dbb_error *err);

/*
 * Typed getters. An absent key gives dflt (not checked against the bounds);
 * a present one must parse and lie in [min, max], else EINVAL naming the
 * file, line, key and the accepted range. *out is written only on success.
 */
int config_get_uint(const struct config *c, const struct config_section *s,
		    const char *key, unsigned long dflt, unsigned long min,
		    unsigned long max, unsigned long *out,
		    struct dbb_error *err);

/*
 * A duration: "30" (seconds), "30s", "500ms", "5m" or "1h"; a whole number
 * and a unit, no space, no fraction. dflt, min, max and *out are in
 * milliseconds.
 */
int config_get_duration_ms(const struct config *c,
			   const struct config_section *s, const char *key,
			   unsigned long dflt, unsigned long min,
			   unsigned long max, unsigned long *out,
			   struct dbb_error *err);

/* yes/no, true/false, on/off, 1/0, in any case. */
int config_get_bool(const struct config *c, const struct config_section *s,
		    const char *key, bool dflt, bool *out,
		    struct dbb_error *err);

/*
 * path as a config value means it: "~" and "~/..." start at $HOME, a relative
 * path starts at the config file's directory, an absolute one is kept.
 * Returns a malloc'd string the caller frees, or NULL when out of memory or
 * when the path needs $HOME and HOME is unset or relative.
 */
char *config_expand_path(const struct config *c, const char *path);

/* Where a secret came from, for logs and --check; never the secret itself. */
#define CONFIG_SOURCE_MAX (PATH_MAX + 64)

struct config_secret {
	char *value;          /* malloc'd; NULL when no source had the secret */
	/* "config file", "secret_key_file /abs/path" or "environment
	 * NCLOUD_SECRET_KEY"; "" when value is NULL. */
	char source[CONFIG_SOURCE_MAX];
};

/*
 * Finds the secret called key for section s, trying in order:
 *   1. key itself in the file, which must then not be readable by group or
 *      others (EACCES, remedy "chmod 600 FILE");
 *   2. "<key>_file" in the file: a path (see config_expand_path) to a file
 *      that must exist (ENOENT), be a regular file and not be readable by
 *      group or others (EACCES, remedy "chmod 600 PATH"); its content, less
 *      surrounding white space, is the secret: one line, not empty;
 *   3. the environment variables in env_names (NULL-terminated, may be NULL
 *      itself), the first non-empty one winning.
 * Setting both key and key_file is an error. When no source has the secret,
 * out->value is NULL and 0 is returned: the caller decides whether it is
 * required. out is the caller's (usually on the stack); release the value
 * with config_secret_free(), also after a failure.
 */
int config_read_secret(const struct config *c, const struct config_section *s,
		       const char *key, const char *const *env_names,
		       struct config_secret *out, struct dbb_error *err);

/* Wipes and frees secret->value and clears the source. */
void config_secret_free(struct config_secret *secret);

#endif
