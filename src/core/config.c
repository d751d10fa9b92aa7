/*
 * config.c: reading the INI configuration file (DESIGN section 8).
 *
 * A configuration file and a secret file may hold secrets, so both are read
 * with read(2) into one buffer that is wiped before it is freed: stdio would
 * leave copies in buffers we cannot reach. The parser works in place on that
 * buffer, one line at a time, and copies keys and values out; config_free()
 * wipes every value again.
 *
 * Error messages start with "FILE:LINE:" and quote keys and section names,
 * never a whole line or a value that could be a secret: a line the parser
 * does not understand may be a key pasted in the wrong place.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Anything larger is not a configuration file or a key: refuse it rather
 * than read gigabytes from a wrongly named device or log. */
#define CONFIG_MAX_FILE_SIZE (1024 * 1024)
#define SECRET_MAX_FILE_SIZE (64 * 1024)

/* Keys are short identifiers: longer ones get no "did you mean", and a
 * secret's key name must leave room for "_file". */
#define KEY_MAX_LENGTH 64

/* Characters a shell leaves alone, so a path made of them needs no quotes. */
#define SHELL_SAFE_CHARS \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+-,:@%="

#define MS_PER_SECOND 1000UL
#define MS_PER_MINUTE (60 * MS_PER_SECOND)
#define MS_PER_HOUR (60 * MS_PER_MINUTE)

/* ---- errors ---- */

/* Every error of this module starts from a clean struct, so that no remedy
 * or code of an earlier failure is shown with it. */
static int fail(struct dbb_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct dbb_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	dbb_error_clear(err);
	err->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -errnum;
}

/* fail() with the "FILE:LINE: " prefix. */
static int fail_at(struct dbb_error *err, int errnum, const struct config *c,
		   int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail_at(struct dbb_error *err, int errnum, const struct config *c,
		   int line, const char *fmt, ...)
{
	char what[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail(err, errnum, "%s:%d: %s", c->path, line, what);
}

/* The remedy is meant to be pasted into a shell, so quote what needs it. A
 * path with a "'" in it is left bare: rare, and not worth an escaper. */
static void set_chmod_remedy(struct dbb_error *err, const char *path)
{
	if (path[strspn(path, SHELL_SAFE_CHARS)] == '\0' || strchr(path, '\''))
		dbb_error_set_remedy(err, "chmod 600 %s", path);
	else
		dbb_error_set_remedy(err, "chmod 600 '%s'", path);
}

/* open(2) errnos folded into those this module reports (config.h). */
static int open_errnum(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
		return ENOENT;
	case EACCES:
	case EPERM:
		return EACCES;
	case ENOMEM:
		return ENOMEM;
	default:
		return EINVAL;
	}
}

/* ---- small helpers ---- */

static void wipe_and_free(char *buffer, size_t length)
{
	if (!buffer)
		return;
	explicit_bzero(buffer, length);
	free(buffer);
}

static void wipe_and_free_string(char *s)
{
	if (s)
		wipe_and_free(s, strlen(s));
}

/* Trims white space (including the '\r' of CRLF files) in place. */
static char *trim(char *s)
{
	size_t length;

	while (isspace((unsigned char)*s))
		s++;
	length = strlen(s);
	while (length > 0 && isspace((unsigned char)s[length - 1]))
		s[--length] = '\0';
	return s;
}

static bool is_valid_key(const char *key)
{
	return key[0] != '\0' &&
	       key[strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0';
}

static bool has_control_character(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

/* HOME, when it can anchor a path; NULL otherwise. */
static const char *home_directory(void)
{
	const char *home = getenv("HOME");

	return home && home[0] == '/' ? home : NULL;
}

static bool path_needs_home(const char *path)
{
	return path[0] == '~' && (path[1] == '\0' || path[1] == '/');
}

/*
 * Reads all of fd into a new NUL-terminated buffer. Returns 0, -EFBIG when
 * the file holds more than max bytes, or -errno. The caller wipes and frees
 * *out (its length is *length).
 */
static int read_whole_file(int fd, size_t max, char **out, size_t *length)
{
	/* One extra byte to notice a file larger than max, one for the NUL. */
	size_t capacity = max + 2, used = 0;
	char *buffer = malloc(capacity);
	ssize_t n;

	*out = NULL;
	*length = 0;
	if (!buffer)
		return -ENOMEM;
	while (used < max + 1) {
		n = read(fd, buffer + used, max + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			wipe_and_free(buffer, used);
			return -saved;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		wipe_and_free(buffer, used);
		return -EFBIG;
	}
	buffer[used] = '\0';
	*out = buffer;
	*length = used;
	return 0;
}

/* The config's own path: absolute, so that relative secret files still
 * resolve after the daemon changes directory. Symbolic links are kept, as
 * the user named them. */
static char *absolute_path(const char *path)
{
	char *cwd, *joined = NULL;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (asprintf(&joined, "%s/%s", cwd, path) < 0)
		joined = NULL;
	free(cwd);
	return joined;
}

/* ---- building the config ---- */

static int add_section(struct config *c, const char *name, int line)
{
	struct config_section *grown, *section;

	grown = realloc(c->sections, (c->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->sections = grown;
	section = &c->sections[c->count];
	memset(section, 0, sizeof(*section));
	section->name = strdup(name);
	if (!section->name)
		return -ENOMEM;
	section->line = line;
	c->count++;
	return 0;
}

static int add_entry(struct config_section *s, const char *key,
		     const char *value, int line)
{
	struct config_entry *grown, *entry;

	grown = realloc(s->entries, (s->count + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->entries = grown;
	entry = &s->entries[s->count];
	entry->key = strdup(key);
	entry->value = strdup(value);
	entry->line = line;
	if (!entry->key || !entry->value) {
		free(entry->key);
		wipe_and_free_string(entry->value);
		return -ENOMEM;
	}
	s->count++;
	return 0;
}

/* ---- parsing ---- */

struct parser {
	struct config *config;
	int line;                 /* of the line being parsed */
	struct dbb_error *err;
};

static struct config_section *current_section(const struct parser *p)
{
	struct config *c = p->config;

	return c->count ? &c->sections[c->count - 1] : NULL;
}

static int parse_error(const struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int parse_error(const struct parser *p, const char *fmt, ...)
{
	char what[sizeof(p->err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fail_at(p->err, EINVAL, p->config, p->line, "%s", what);
}

static int out_of_memory(const struct parser *p)
{
	return fail(p->err, ENOMEM, "%s: out of memory", p->config->path);
}

/* A section name becomes a directory name in the mount. */
static int check_section_name(const struct parser *p, const char *name)
{
	const struct config_section *earlier;

	if (name[0] == '\0')
		return parse_error(p, "empty section name");
	if (strchr(name, '/'))
		return parse_error(p, "section name contains '/', which a directory name cannot");
	if (has_control_character(name))
		return parse_error(p, "section name contains a control character");
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return parse_error(p, "section name '%s' is not a usable directory name", name);
	if (strlen(name) > 255)
		return parse_error(p, "section name is longer than a file name may be (255 bytes)");
	earlier = config_section_find(p->config, name);
	if (earlier)
		return parse_error(p, "section [%s] already appeared on line %d",
				   name, earlier->line);
	return 0;
}

/* line is trimmed and starts with '['. */
static int parse_section_header(struct parser *p, char *line)
{
	size_t length = strlen(line);
	char *name;
	int rc;

	if (length < 2 || line[length - 1] != ']')
		return parse_error(p, "section header does not end with ']'");
	line[length - 1] = '\0';
	name = trim(line + 1);
	rc = check_section_name(p, name);
	if (rc)
		return rc;
	if (add_section(p->config, name, p->line))
		return out_of_memory(p);
	return 0;
}

/* Strips the double quotes around a value, in place. */
static int unquote_value(const struct parser *p, const char *key, char **value)
{
	char *v = *value;
	size_t length = strlen(v);

	if (v[0] != '"')
		return 0;
	if (length < 2 || v[length - 1] != '"')
		return parse_error(p, "the value of '%s' opens a '\"' that it does not close", key);
	v[length - 1] = '\0';
	*value = v + 1;
	return 0;
}

static int parse_key_value(struct parser *p, char *line)
{
	struct config_section *section = current_section(p);
	const struct config_entry *earlier;
	char *equals = strchr(line, '='), *key, *value;
	int rc;

	/* Not quoting the line: it might be a secret pasted on its own. */
	if (!equals)
		return parse_error(p, "expected '[section]', 'key = value' or a comment");
	*equals = '\0';
	key = trim(line);
	value = trim(equals + 1);
	if (key[0] == '\0')
		return parse_error(p, "'=' without a key before it");
	if (!is_valid_key(key))
		return parse_error(p, "bad key name: keys are made of a-z, 0-9 and '_'");
	if (!section)
		return parse_error(p, "key '%s' comes before any [section]", key);
	earlier = config_find(section, key);
	if (earlier)
		return parse_error(p, "key '%s' in [%s] already appeared on line %d",
				   key, section->name, earlier->line);
	rc = unquote_value(p, key, &value);
	if (rc)
		return rc;
	if (add_entry(section, key, value, p->line))
		return out_of_memory(p);
	return 0;
}

/* line is NUL-terminated, without its '\n'. */
static int parse_line(struct parser *p, char *line)
{
	line = trim(line);
	if (line[0] == '\0' || line[0] == '#' || line[0] == ';')
		return 0;
	if (line[0] == '[')
		return parse_section_header(p, line);
	return parse_key_value(p, line);
}

static int parse_text(struct config *c, char *text, size_t length,
		      struct dbb_error *err)
{
	static const char byte_order_mark[] = "\xEF\xBB\xBF";
	struct parser p = { .config = c, .line = 0, .err = err };
	char *line = text, *end = text + length, *newline;
	int rc;

	/* Editors on Windows put one at the start of UTF-8 files. */
	if (length >= 3 && !memcmp(text, byte_order_mark, 3))
		line += 3;
	while (line < end) {
		p.line++;
		newline = memchr(line, '\n', (size_t)(end - line));
		if (!newline)
			newline = end;
		*newline = '\0';
		/* A NUL would silently cut the line short. */
		if (strlen(line) != (size_t)(newline - line))
			return parse_error(&p, "NUL byte in the line: is this a text file?");
		rc = parse_line(&p, line);
		if (rc)
			return rc;
		line = newline + 1;
	}
	return 0;
}

/*
 * Opens path for reading and fills *st. Returns the descriptor, -EISDIR when
 * path is not a regular file (a directory, FIFO or device: O_NONBLOCK keeps
 * a FIFO from hanging us before we can tell), or -errno.
 */
static int open_regular_file(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		int saved = errno;

		close(fd);
		return -saved;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

static int open_config_file(struct config *c, struct dbb_error *err)
{
	struct stat st;
	int fd = open_regular_file(c->path, &st);

	if (fd == -EISDIR)
		return fail(err, EINVAL, "%s: not a regular file", c->path);
	if (fd < 0) {
		int rc = fail(err, open_errnum(-fd), "%s: %s", c->path,
			      strerror(-fd));

		if (fd == -ENOENT)
			dbb_error_set_remedy(err, "create it (see dbbackupfs.conf(5)) or name another with -o config=FILE");
		return rc;
	}
	c->group_or_other_readable = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	return fd;
}

int config_load(const char *path, struct config **out, struct dbb_error *err)
{
	struct config *c;
	char *text = NULL;
	size_t length = 0;
	int fd = -1, rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (c)
		c->path = absolute_path(path);
	if (!c || !c->path) {
		rc = fail(err, ENOMEM, "%s: out of memory", path);
		goto out;
	}
	fd = open_config_file(c, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = read_whole_file(fd, CONFIG_MAX_FILE_SIZE, &text, &length);
	if (rc == -EFBIG)
		rc = fail(err, EINVAL, "%s: larger than %d bytes: not a configuration file",
			  c->path, CONFIG_MAX_FILE_SIZE);
	else if (rc)
		rc = fail(err, rc == -ENOMEM ? ENOMEM : EIO, "%s: %s",
			  c->path, strerror(-rc));
	if (rc)
		goto out;
	rc = parse_text(c, text, length, err);
out:
	if (fd >= 0)
		close(fd);
	wipe_and_free(text, length);
	if (rc) {
		config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void config_free(struct config *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->count; i++) {
		struct config_section *s = &c->sections[i];

		for (j = 0; j < s->count; j++) {
			free(s->entries[j].key);
			/* Every value is wiped: cheaper than keeping a list of
			 * which keys hold secrets in sync with the providers. */
			wipe_and_free_string(s->entries[j].value);
		}
		free(s->entries);
		free(s->name);
	}
	free(c->sections);
	free(c->path);
	free(c);
}

/* ---- lookups ---- */

const char *config_default_path(void)
{
	static char path[PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = home_directory();
	int n;

	/* The XDG spec says to ignore a relative XDG_CONFIG_HOME. */
	if (xdg && xdg[0] == '/')
		n = snprintf(path, sizeof(path), "%s/dbbackupfs/config", xdg);
	else if (home)
		n = snprintf(path, sizeof(path), "%s/.config/dbbackupfs/config", home);
	else
		return NULL;
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return path;
}

const struct config_section *config_section_find(const struct config *c,
						 const char *name)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (!strcmp(c->sections[i].name, name))
			return &c->sections[i];
	return NULL;
}

const struct config_entry *config_find(const struct config_section *s,
				       const char *key)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (!strcmp(s->entries[i].key, key))
			return &s->entries[i];
	return NULL;
}

const char *config_get(const struct config_section *s, const char *key)
{
	const struct config_entry *e = config_find(s, key);

	return e ? e->value : NULL;
}

/* ---- key checks ---- */

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Edits (insert, delete, replace, swap two neighbours) from a to b: the
 * optimal string alignment distance. SIZE_MAX for over-long keys. */
static size_t typo_distance(const char *a, const char *b)
{
	size_t before_previous[KEY_MAX_LENGTH + 1] = { 0 };
	size_t previous[KEY_MAX_LENGTH + 1], current[KEY_MAX_LENGTH + 1];
	size_t a_length = strlen(a), b_length = strlen(b), i, j;

	if (a_length > KEY_MAX_LENGTH || b_length > KEY_MAX_LENGTH)
		return SIZE_MAX;
	for (j = 0; j <= b_length; j++)
		previous[j] = j;
	for (i = 1; i <= a_length; i++) {
		current[0] = i;
		for (j = 1; j <= b_length; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			current[j] = min3(previous[j] + 1, current[j - 1] + 1,
					  previous[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    before_previous[j - 2] + 1 < current[j])
				current[j] = before_previous[j - 2] + 1;
		}
		memcpy(before_previous, previous, sizeof(previous));
		memcpy(previous, current, sizeof(current));
	}
	return previous[b_length];
}

/* The allowed key that key most likely misspells, or NULL. */
static const char *closest_key(const char *const *allowed, const char *key)
{
	const char *best = NULL;
	size_t best_distance = SIZE_MAX, i;

	for (i = 0; allowed[i]; i++) {
		size_t distance = typo_distance(key, allowed[i]);

		/* Two edits in a short word make another word, not a typo. */
		if (distance <= 2 && distance * 3 <= strlen(allowed[i]) &&
		    distance < best_distance) {
			best = allowed[i];
			best_distance = distance;
		}
	}
	return best;
}

static bool is_allowed(const char *const *allowed, const char *key)
{
	size_t i;

	for (i = 0; allowed[i]; i++)
		if (!strcmp(allowed[i], key))
			return true;
	return false;
}

int config_check_keys(const struct config *c, const struct config_section *s,
		      const char *const *allowed, struct dbb_error *err)
{
	const char *suggestion;
	size_t i;

	for (i = 0; i < s->count; i++) {
		const struct config_entry *e = &s->entries[i];

		if (is_allowed(allowed, e->key))
			continue;
		fail_at(err, EINVAL, c, e->line, "unknown key '%s' in [%s]",
			e->key, s->name);
		suggestion = closest_key(allowed, e->key);
		if (suggestion)
			dbb_error_set_remedy(err, "did you mean '%s'?", suggestion);
		return -EINVAL;
	}
	return 0;
}

int config_require(const struct config *c, const struct config_section *s,
		   const char *key, struct dbb_error *err)
{
	const struct config_entry *e = config_find(s, key);

	if (!e)
		return fail_at(err, EINVAL, c, s->line,
			       "[%s] lacks required key '%s'", s->name, key);
	if (e->value[0] == '\0')
		return fail_at(err, EINVAL, c, e->line,
			       "key '%s' in [%s] is empty", key, s->name);
	return 0;
}

/* ---- typed values ---- */

/* Parses the leading decimal digits of text; no sign, no space. */
static int parse_leading_uint(const char *text, unsigned long *value,
			      const char **end)
{
	char *stop;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	*value = strtoul(text, &stop, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*end = stop;
	return 0;
}

static int parse_uint(const char *text, unsigned long *value)
{
	const char *end;

	if (parse_leading_uint(text, value, &end) || *end != '\0')
		return -EINVAL;
	return 0;
}

static int parse_duration_ms(const char *text, unsigned long *ms)
{
	static const struct {
		const char *suffix;
		unsigned long ms;
	} units[] = {
		{ "", MS_PER_SECOND },   /* a plain number is seconds */
		{ "ms", 1 },
		{ "s", MS_PER_SECOND },
		{ "m", MS_PER_MINUTE },
		{ "h", MS_PER_HOUR },
	};
	unsigned long count;
	const char *suffix;
	size_t i;

	if (parse_leading_uint(text, &count, &suffix))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(suffix, units[i].suffix))
			continue;
		if (count > ULONG_MAX / units[i].ms)
			return -ERANGE;
		*ms = count * units[i].ms;
		return 0;
	}
	return -EINVAL;
}

/* A bound of a range in an error message, in the largest exact unit. */
static void format_duration(unsigned long ms, char *buffer, size_t size)
{
	if (ms != 0 && ms % MS_PER_HOUR == 0)
		snprintf(buffer, size, "%luh", ms / MS_PER_HOUR);
	else if (ms != 0 && ms % MS_PER_MINUTE == 0)
		snprintf(buffer, size, "%lum", ms / MS_PER_MINUTE);
	else if (ms % MS_PER_SECOND == 0)
		snprintf(buffer, size, "%lus", ms / MS_PER_SECOND);
	else
		snprintf(buffer, size, "%lums", ms);
}

static int parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = { "yes", "true", "on", "1" };
	static const char *const falsehoods[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(truths) / sizeof(truths[0]); i++) {
		if (!strcasecmp(text, truths[i])) {
			*value = true;
			return 0;
		}
		if (!strcasecmp(text, falsehoods[i])) {
			*value = false;
			return 0;
		}
	}
	return -EINVAL;
}

int config_get_uint(const struct config *c, const struct config_section *s,
		    const char *key, unsigned long dflt, unsigned long min,
		    unsigned long max, unsigned long *out,
		    struct dbb_error *err)
{
	const struct config_entry *e = config_find(s, key);
	unsigned long value;

	if (!e) {
		*out = dflt;
		return 0;
	}
	if (parse_uint(e->value, &value) || value < min || value > max)
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] must be a whole number from %lu to %lu, not '%s'",
			       key, s->name, min, max, e->value);
	*out = value;
	return 0;
}

int config_get_duration_ms(const struct config *c,
			   const struct config_section *s, const char *key,
			   unsigned long dflt, unsigned long min,
			   unsigned long max, unsigned long *out,
			   struct dbb_error *err)
{
	const struct config_entry *e = config_find(s, key);
	char low[32], high[32];
	unsigned long value;

	if (!e) {
		*out = dflt;
		return 0;
	}
	if (parse_duration_ms(e->value, &value) || value < min || value > max) {
		format_duration(min, low, sizeof(low));
		format_duration(max, high, sizeof(high));
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] must be a duration from %s to %s (like 30s, 500ms, 5m, 1h), not '%s'",
			       key, s->name, low, high, e->value);
	}
	*out = value;
	return 0;
}

int config_get_bool(const struct config *c, const struct config_section *s,
		    const char *key, bool dflt, bool *out,
		    struct dbb_error *err)
{
	const struct config_entry *e = config_find(s, key);
	bool value;

	if (!e) {
		*out = dflt;
		return 0;
	}
	if (parse_bool(e->value, &value))
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] must be yes or no (or true/false, on/off, 1/0), not '%s'",
			       key, s->name, e->value);
	*out = value;
	return 0;
}

/* ---- paths and secrets ---- */

char *config_expand_path(const struct config *c, const char *path)
{
	const char *home, *last_slash;
	char *expanded = NULL;
	int rc;

	if (path_needs_home(path)) {
		home = home_directory();
		if (!home)
			return NULL;
		rc = asprintf(&expanded, "%s%s", home, path + 1);
	} else if (path[0] == '/') {
		return strdup(path);
	} else {
		/* c->path is absolute, so it has a '/'. */
		last_slash = strrchr(c->path, '/');
		rc = asprintf(&expanded, "%.*s/%s", (int)(last_slash - c->path),
			      c->path, path);
	}
	return rc < 0 ? NULL : expanded;
}

static int secret_inline(const struct config *c,
			      const struct config_section *s,
			      const struct config_entry *e,
			      struct config_secret *out, struct dbb_error *err)
{
	if (c->group_or_other_readable) {
		fail_at(err, EACCES, c, e->line,
			"[%s] holds '%s' but the file is readable by group or others",
			s->name, e->key);
		set_chmod_remedy(err, c->path);
		return -EACCES;
	}
	if (e->value[0] == '\0')
		return fail_at(err, EINVAL, c, e->line, "'%s' in [%s] is empty",
			       e->key, s->name);
	out->value = strdup(e->value);
	if (!out->value)
		return fail(err, ENOMEM, "%s: out of memory", c->path);
	snprintf(out->source, sizeof(out->source), "config file");
	return 0;
}

/* The secret is the content less surrounding white space: one line, not
 * empty. On success *secret is a new string. */
static int take_secret_line(const struct config *c,
			    const struct config_section *s,
			    const struct config_entry *e, const char *path,
			    char *content, size_t length, char **secret,
			    struct dbb_error *err)
{
	char *line;

	if (strlen(content) != length)
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] names %s, which holds a NUL byte",
			       e->key, s->name, path);
	line = trim(content);
	if (line[0] == '\0')
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] names %s, which is empty",
			       e->key, s->name, path);
	if (strpbrk(line, "\r\n"))
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] names %s, which holds more than one line",
			       e->key, s->name, path);
	*secret = strdup(line);
	if (!*secret)
		return fail(err, ENOMEM, "%s: out of memory", path);
	return 0;
}

/* Opens the secret file and checks that only its owner can read it. */
static int open_secret_file(const struct config *c,
			    const struct config_section *s,
			    const struct config_entry *e, const char *path,
			    struct dbb_error *err)
{
	struct stat st;
	int fd = open_regular_file(path, &st);

	if (fd == -EISDIR)
		return fail_at(err, EINVAL, c, e->line,
			       "'%s' in [%s] names %s, which is not a regular file",
			       e->key, s->name, path);
	if (fd < 0)
		return fail_at(err, open_errnum(-fd), c, e->line,
			       "'%s' in [%s] names %s: %s",
			       e->key, s->name, path, strerror(-fd));
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		close(fd);
		fail_at(err, EACCES, c, e->line,
			"'%s' in [%s] names %s, which is readable by group or others",
			e->key, s->name, path);
		set_chmod_remedy(err, path);
		return -EACCES;
	}
	return fd;
}

static int secret_from_file(const struct config *c,
			    const struct config_section *s,
			    const struct config_entry *e,
			    struct config_secret *out, struct dbb_error *err)
{
	char *path = NULL, *content = NULL;
	size_t length = 0;
	int fd = -1, rc;

	if (e->value[0] == '\0') {
		rc = fail_at(err, EINVAL, c, e->line, "'%s' in [%s] is empty",
			     e->key, s->name);
		goto out;
	}
	path = config_expand_path(c, e->value);
	if (!path) {
		if (path_needs_home(e->value) && !home_directory())
			rc = fail_at(err, EINVAL, c, e->line,
				     "'%s' in [%s] starts with '~' but HOME is not set",
				     e->key, s->name);
		else
			rc = fail(err, ENOMEM, "%s: out of memory", c->path);
		goto out;
	}
	fd = open_secret_file(c, s, e, path, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = read_whole_file(fd, SECRET_MAX_FILE_SIZE, &content, &length);
	if (rc == -EFBIG)
		rc = fail_at(err, EINVAL, c, e->line,
			     "'%s' in [%s] names %s, which is too large to be a key",
			     e->key, s->name, path);
	else if (rc)
		rc = fail_at(err, rc == -ENOMEM ? ENOMEM : EIO, c, e->line,
			     "'%s' in [%s] names %s: %s",
			     e->key, s->name, path, strerror(-rc));
	if (rc)
		goto out;
	rc = take_secret_line(c, s, e, path, content, length, &out->value, err);
	if (rc)
		goto out;
	snprintf(out->source, sizeof(out->source), "%s %s", e->key, path);
out:
	if (fd >= 0)
		close(fd);
	wipe_and_free(content, length);
	free(path);
	return rc;
}

static int secret_from_environment(const char *const *env_names,
				   struct config_secret *out,
				   struct dbb_error *err)
{
	const char *value;
	size_t i;

	for (i = 0; env_names && env_names[i]; i++) {
		value = getenv(env_names[i]);
		if (!value || value[0] == '\0')
			continue;
		out->value = strdup(value);
		if (!out->value)
			return fail(err, ENOMEM, "out of memory");
		snprintf(out->source, sizeof(out->source), "environment %s",
			 env_names[i]);
		return 0;
	}
	return 0;
}

int config_read_secret(const struct config *c, const struct config_section *s,
		       const char *key, const char *const *env_names,
		       struct config_secret *out, struct dbb_error *err)
{
	const struct config_entry *inline_entry, *file_entry;
	char file_key_name[KEY_MAX_LENGTH + sizeof("_file")];

	out->value = NULL;
	out->source[0] = '\0';
	if ((size_t)snprintf(file_key_name, sizeof(file_key_name), "%s_file",
			     key) >= sizeof(file_key_name))
		return fail(err, EINVAL, "secret key name '%s' is too long", key);
	inline_entry = config_find(s, key);
	file_entry = config_find(s, file_key_name);
	if (inline_entry && file_entry)
		return fail_at(err, EINVAL, c, file_entry->line,
			       "[%s] sets both '%s' (line %d) and '%s': keep one",
			       s->name, key, inline_entry->line, file_key_name);
	if (inline_entry)
		return secret_inline(c, s, inline_entry, out, err);
	if (file_entry)
		return secret_from_file(c, s, file_entry, out, err);
	return secret_from_environment(env_names, out, err);
}

void config_secret_free(struct config_secret *secret)
{
	wipe_and_free_string(secret->value);
	secret->value = NULL;
	secret->source[0] = '\0';
}
