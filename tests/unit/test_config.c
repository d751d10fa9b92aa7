/*
 * test_config.c: the configuration reader (src/core/config.c).
 *
 * Each test writes its files into one mkdtemp directory with the exact mode
 * it needs (fchmod, so the umask does not matter), loads them, and checks
 * whole error messages: the file:line prefix is the point of most of them.
 * Every secret test also checks that the secret shows up in no message,
 * remedy or source string.
 */
#include "check.h"
#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "S3cr3t-Value/with=chars"

static char test_dir[] = "/tmp/dbb-test-config-XXXXXX";

/* ---- fixtures ---- */

/* Writes length bytes to test_dir/name with exactly mode; path gets the
 * full name (PATH_MAX bytes). The old file goes first: its mode may forbid
 * writing. */
static void write_bytes(char *path, const char *name, const char *content,
			size_t length, mode_t mode)
{
	int fd;

	snprintf(path, PATH_MAX, "%s/%s", test_dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, content, length) == (ssize_t)length);
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static void write_file(char *path, const char *name, const char *content,
		       mode_t mode)
{
	write_bytes(path, name, content, strlen(content), mode);
}

/* Loads path, which must parse. */
static struct config *load_ok(const char *path)
{
	struct dbb_error err = { 0 };
	struct config *c = NULL;
	int rc = config_load(path, &c, &err);

	if (rc)
		fprintf(stderr, "config_load(%s): %s\n", path, err.message);
	CHECK_INT(rc, 0);
	return c;
}

/* Writes content to a config file of the given mode and loads it; NULL
 * unless it parses into that many sections, so tests can index them. */
static struct config *load_text(char *path, const char *content, mode_t mode,
				size_t sections)
{
	struct config *c;

	write_file(path, "test.conf", content, mode);
	c = load_ok(path);
	if (c && c->count != sections) {
		CHECK_INT(c->count, sections);
		config_free(c);
		c = NULL;
	}
	return c;
}

/* "PATH:" followed by rest, the shape of every located message. */
static const char *at(const char *path, const char *rest)
{
	static char expected[PATH_MAX + 512];

	if (snprintf(expected, sizeof(expected), "%s:%s", path, rest) >=
	    (int)sizeof(expected))
		return "(expected message too long)";
	return expected;
}

static void check_no_secret(const struct dbb_error *err,
			    const struct config_secret *secret)
{
	CHECK(!strstr(err->message, SECRET));
	CHECK(!strstr(err->remedy, SECRET));
	CHECK(!strstr(secret->source, SECRET));
	/* Not even a recognisable piece of it. */
	CHECK(!strstr(err->message, "S3cr3t"));
	CHECK(!strstr(secret->source, "S3cr3t"));
}

static void set_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* ---- parsing ---- */

static int line_of(const struct config_section *s, const char *key)
{
	const struct config_entry *e = config_find(s, key);

	return e ? e->line : -1;
}

static void test_parse_good_file(void)
{
	char path[PATH_MAX];
	struct config *c = load_text(path,
		"# comment\n"
		"; another comment\n"
		"\n"
		"[prod-pg]\n"
		"type = ncloud-postgresql\n"
		"  region=KR  \n"
		"\tquoted = \"  spaced value # not a comment \"\n"
		"empty =\n"
		"empty_quoted = \"\"\n"
		"equals = a=b==\n"
		"hash = abc#def ; ghi\n"
		"\n"
		"[ hw-rds ]\n"
		"type = huawei-rds\r\n"
		"region = cn-north-4\n"
		"last = no newline at the end", 0600, 2);
	const struct config_section *s;

	if (!c)
		return;
	CHECK_STR(c->path, path);
	CHECK_INT(c->group_or_other_readable, 0);
	s = &c->sections[0];
	CHECK_STR(s->name, "prod-pg");
	CHECK_INT(s->line, 4);
	CHECK_INT(s->count, 7);
	CHECK_STR(s->entries[0].key, "type");
	CHECK_INT(s->entries[0].line, 5);
	CHECK_STR(config_get(s, "type"), "ncloud-postgresql");
	CHECK_STR(config_get(s, "region"), "KR");
	CHECK_INT(line_of(s, "region"), 6);
	CHECK_STR(config_get(s, "quoted"), "  spaced value # not a comment ");
	CHECK_STR(config_get(s, "empty"), "");
	CHECK_STR(config_get(s, "empty_quoted"), "");
	CHECK_STR(config_get(s, "equals"), "a=b==");
	CHECK_STR(config_get(s, "hash"), "abc#def ; ghi");
	CHECK(config_get(s, "last") == NULL);
	CHECK(config_find(s, "absent") == NULL);

	s = &c->sections[1];
	CHECK(config_section_find(c, "hw-rds") == s);
	CHECK_INT(s->line, 13);
	CHECK_STR(config_get(s, "type"), "huawei-rds");
	CHECK_STR(config_get(s, "region"), "cn-north-4");
	CHECK_STR(config_get(s, "last"), "no newline at the end");
	CHECK_INT(line_of(s, "last"), 16);
	CHECK(config_section_find(c, "prod") == NULL);
	config_free(c);
}

static void test_parse_empty_and_odd_files(void)
{
	char path[PATH_MAX];
	struct config *c;

	c = load_text(path, "", 0600, 0);
	CHECK(c != NULL);
	config_free(c);

	c = load_text(path, "# only comments\n\n   \n", 0600, 0);
	CHECK(c != NULL);
	config_free(c);

	/* A byte order mark, and a section with no keys. */
	c = load_text(path, "\xEF\xBB\xBF[a]\n[b]\nk = v\n", 0600, 2);
	if (c) {
		CHECK_STR(c->sections[0].name, "a");
		CHECK_INT(c->sections[0].count, 0);
		CHECK_STR(config_get(&c->sections[1], "k"), "v");
	}
	config_free(c);

	/* The same key in two sections is two keys. */
	c = load_text(path, "[a]\nk = 1\n[b]\nk = 2\n", 0600, 2);
	if (c) {
		CHECK_STR(config_get(&c->sections[0], "k"), "1");
		CHECK_STR(config_get(&c->sections[1], "k"), "2");
	}
	config_free(c);
}

static void test_parse_errors(void)
{
	static const struct {
		const char *content;
		const char *message;   /* after "PATH:" */
	} cases[] = {
		{ "key = v\n", "1: key 'key' comes before any [section]" },
		{ "# c\n\n[a]\nnot a pair\n",
		  "4: expected '[section]', 'key = value' or a comment" },
		{ "[a]\n = v\n", "2: '=' without a key before it" },
		{ "[a]\nRegion = KR\n",
		  "2: bad key name: keys are made of a-z, 0-9 and '_'" },
		{ "[a]\nsecret-key = x\n",
		  "2: bad key name: keys are made of a-z, 0-9 and '_'" },
		{ "[a]\nmy key = x\n",
		  "2: bad key name: keys are made of a-z, 0-9 and '_'" },
		{ "[]\n", "1: empty section name" },
		{ "[   ]\n", "1: empty section name" },
		{ "[a/b]\n",
		  "1: section name contains '/', which a directory name cannot" },
		{ "[.]\n", "1: section name '.' is not a usable directory name" },
		{ "[..]\n", "1: section name '..' is not a usable directory name" },
		{ "[a\tb]\n", "1: section name contains a control character" },
		{ "[a\n", "1: section header does not end with ']'" },
		{ "[\n", "1: section header does not end with ']'" },
		{ "[a] # comment\n", "1: section header does not end with ']'" },
		{ "[a]\n[b]\n[a]\n", "3: section [a] already appeared on line 1" },
		{ "[a]\nk = 1\n\nk = 2\n",
		  "4: key 'k' in [a] already appeared on line 2" },
		{ "[a]\nk = \"abc\n",
		  "2: the value of 'k' opens a '\"' that it does not close" },
		{ "[a]\nk = \"\n",
		  "2: the value of 'k' opens a '\"' that it does not close" },
		/* A secret pasted on a line of its own is not quoted back. */
		{ "[a]\nk = v\n" SECRET "\n",
		  "3: bad key name: keys are made of a-z, 0-9 and '_'" },
		{ "[a]\nk = v\nS3cr3t\n",
		  "3: expected '[section]', 'key = value' or a comment" },
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dbb_error err = { 0 };
		struct config sentinel, *c = &sentinel;
		int rc;

		write_file(path, "error.conf", cases[i].content, 0600);
		rc = config_load(path, &c, &err);
		CHECK_INT(rc, -EINVAL);
		CHECK_INT(err.errnum, EINVAL);
		CHECK(c == NULL);
		CHECK_STR(err.message, at(path, cases[i].message));
		CHECK(!strstr(err.message, "S3cr3t"));
		if (c != &sentinel)
			config_free(c);
	}
}

static void test_parse_nul_byte(void)
{
	static const char content[] = "[a]\nk = v\0w\n";
	struct dbb_error err = { 0 };
	struct config *c = NULL;
	char path[PATH_MAX];

	write_bytes(path, "nul.conf", content, sizeof(content) - 1, 0600);
	CHECK_INT(config_load(path, &c, &err), -EINVAL);
	CHECK(c == NULL);
	CHECK_STR(err.message,
		  at(path, "2: NUL byte in the line: is this a text file?"));
}

static void test_load_missing_file(void)
{
	struct dbb_error err = { 0 };
	struct config *c = NULL;
	char path[PATH_MAX], expected[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/absent.conf", test_dir);
	snprintf(expected, sizeof(expected), "%s: No such file or directory",
		 path);
	CHECK_INT(config_load(path, &c, &err), -ENOENT);
	CHECK_INT(err.errnum, ENOENT);
	CHECK(c == NULL);
	CHECK_STR(err.message, expected);
	CHECK(err.remedy[0] != '\0');
}

static void test_load_directory(void)
{
	struct dbb_error err = { 0 };
	struct config *c = NULL;
	char expected[PATH_MAX + 64];

	snprintf(expected, sizeof(expected), "%s: not a regular file", test_dir);
	CHECK_INT(config_load(test_dir, &c, &err), -EINVAL);
	CHECK(c == NULL);
	CHECK_STR(err.message, expected);
}

static void test_load_unreadable_file(void)
{
	struct dbb_error err = { 0 };
	struct config *c = NULL;
	char path[PATH_MAX], expected[PATH_MAX + 64];

	/* root reads a mode 000 file all the same. */
	if (geteuid() == 0)
		return;
	write_file(path, "unreadable.conf", "[a]\n", 0000);
	snprintf(expected, sizeof(expected), "%s: Permission denied", path);
	CHECK_INT(config_load(path, &c, &err), -EACCES);
	CHECK_INT(err.errnum, EACCES);
	CHECK_STR(err.message, expected);
}

static void test_load_relative_path(void)
{
	char cwd[PATH_MAX], expected[PATH_MAX + 64];
	struct config *c = load_ok("data/config/design-example.conf");
	const struct config_section *s;

	if (!c)
		return;
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(expected, sizeof(expected),
		 "%s/data/config/design-example.conf", cwd);
	CHECK_STR(c->path, expected);
	CHECK_INT(c->count, 2);
	s = config_section_find(c, "hw-rds");
	CHECK(s != NULL);
	if (s) {
		CHECK_STR(config_get(s, "project_id"),
			  "0483b6b16e954cb88930a360d2c4e663");
		CHECK_STR(config_get(s, "secret_key_file"),
			  "~/.config/dbbackupfs/hw.secret");
	}
	config_free(c);
}

static void test_group_or_other_readable(void)
{
	static const struct {
		mode_t mode;
		int readable;
	} cases[] = {
		{ 0600, 0 }, { 0400, 0 }, { 0700, 0 }, { 0620, 0 },
		{ 0640, 1 }, { 0604, 1 }, { 0644, 1 },
	};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *c = load_text(path, "[a]\n", cases[i].mode, 1);

		CHECK(c != NULL);
		if (c)
			CHECK_INT(c->group_or_other_readable, cases[i].readable);
		config_free(c);
	}
}

/* ---- keys ---- */

static void test_check_keys(void)
{
	static const char *const allowed[] = {
		"type", "region", "cache_ttl", "secret_key", NULL
	};
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config *c = load_text(path,
		"[prod-pg]\n"
		"type = ncloud-postgresql\n"
		"cache_tll = 30\n"
		"[other]\n"
		"region = KR\n"
		"zone = 1\n"
		"[good]\n"
		"type = zstack\n"
		"region = x\n", 0600, 3);

	if (!c)
		return;
	CHECK_INT(config_check_keys(c, &c->sections[0], allowed, &err), -EINVAL);
	CHECK_INT(err.errnum, EINVAL);
	CHECK_STR(err.message,
		  at(path, "3: unknown key 'cache_tll' in [prod-pg]"));
	CHECK_STR(err.remedy, "did you mean 'cache_ttl'?");

	/* No remedy is carried over from the error before. */
	CHECK_INT(config_check_keys(c, &c->sections[1], allowed, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "6: unknown key 'zone' in [other]"));
	CHECK_STR(err.remedy, "");

	CHECK_INT(config_check_keys(c, &c->sections[2], allowed, &err), 0);
	config_free(c);
}

static void test_require(void)
{
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config *c = load_text(path,
		"[a]\n"
		"\n"
		"[prod-pg]\n"
		"type = ncloud-postgresql\n"
		"empty =\n", 0600, 2);
	const struct config_section *s;

	if (!c)
		return;
	s = &c->sections[1];
	CHECK_INT(config_require(c, s, "type", &err), 0);
	CHECK_INT(config_require(c, s, "region", &err), -EINVAL);
	CHECK_INT(err.errnum, EINVAL);
	CHECK_STR(err.message,
		  at(path, "3: [prod-pg] lacks required key 'region'"));
	CHECK_INT(config_require(c, s, "empty", &err), -EINVAL);
	CHECK_STR(err.message, at(path, "5: key 'empty' in [prod-pg] is empty"));
	config_free(c);
}

/* ---- typed values ---- */

static void test_get_uint(void)
{
	static const char *const bad[] = {
		"negative", "plus", "junk", "huge", "spaced", "empty",
	};
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config *c = load_text(path,
		"[p]\n"
		"retries = 4\n"
		"big = 11\n"
		"negative = -1\n"
		"plus = +3\n"
		"junk = 3x\n"
		"huge = 99999999999999999999999\n"
		"spaced = \" 3\"\n"
		"empty =\n"
		"zero = 0\n", 0600, 1);
	const struct config_section *s;
	unsigned long value;
	size_t i;

	if (!c)
		return;
	s = &c->sections[0];
	CHECK_INT(config_get_uint(c, s, "retries", 4, 0, 10, &value, &err), 0);
	CHECK_INT(value, 4);
	CHECK_INT(config_get_uint(c, s, "zero", 4, 0, 10, &value, &err), 0);
	CHECK_INT(value, 0);
	/* The default is the caller's word, bounds or not. */
	CHECK_INT(config_get_uint(c, s, "absent", 99, 0, 10, &value, &err), 0);
	CHECK_INT(value, 99);
	CHECK_INT(config_get_uint(c, s, "retries", 0, 5, 10, &value, &err),
		  -EINVAL);
	CHECK_STR(err.message, at(path,
		"2: 'retries' in [p] must be a whole number from 5 to 10, not '4'"));
	CHECK_INT(config_get_uint(c, s, "big", 0, 0, 10, &value, &err), -EINVAL);
	CHECK_STR(err.message, at(path,
		"3: 'big' in [p] must be a whole number from 0 to 10, not '11'"));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		value = 12345;
		CHECK_INT(config_get_uint(c, s, bad[i], 0, 0, ULONG_MAX, &value,
					  &err), -EINVAL);
		CHECK_INT(err.errnum, EINVAL);
		CHECK_INT(value, 12345);
	}
	config_free(c);
}

static void test_get_duration(void)
{
	static const struct {
		const char *key;
		unsigned long ms;
	} good[] = {
		{ "plain", 30000 }, { "seconds", 30000 }, { "millis", 500 },
		{ "minutes", 300000 }, { "hours", 3600000 }, { "zero", 0 },
	};
	static const char *const bad[] = {
		"fraction", "spaced", "unit_only", "days", "upper", "negative",
		"overflow", "empty", "suffix_junk",
	};
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config *c = load_text(path,
		"[p]\n"
		"plain = 30\n"
		"seconds = 30s\n"
		"millis = 500ms\n"
		"minutes = 5m\n"
		"hours = 1h\n"
		"zero = 0\n"
		"fraction = 1.5h\n"
		"spaced = 30 s\n"
		"unit_only = s\n"
		"days = 5d\n"
		"upper = 30S\n"
		"negative = -1s\n"
		"overflow = 99999999999999999h\n"
		"empty =\n"
		"suffix_junk = 30sec\n"
		"big = 2h\n", 0600, 1);
	const struct config_section *s;
	unsigned long value;
	size_t i;

	if (!c)
		return;
	s = &c->sections[0];
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		value = 12345;
		CHECK_INT(config_get_duration_ms(c, s, good[i].key, 0, 0,
						 ULONG_MAX, &value, &err), 0);
		CHECK_INT(value, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		value = 12345;
		CHECK_INT(config_get_duration_ms(c, s, bad[i], 0, 0, ULONG_MAX,
						 &value, &err), -EINVAL);
		CHECK_INT(value, 12345);
	}
	CHECK_INT(config_get_duration_ms(c, s, "absent", 30000, 0, 1, &value,
					 &err), 0);
	CHECK_INT(value, 30000);

	CHECK_INT(config_get_duration_ms(c, s, "big", 0, 1000, 3600000, &value,
					 &err), -EINVAL);
	CHECK_STR(err.message, at(path, "17: 'big' in [p] must be a duration "
		"from 1s to 1h (like 30s, 500ms, 5m, 1h), not '2h'"));
	CHECK_INT(config_get_duration_ms(c, s, "millis", 0, 1000, 90000,
					 &value, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "4: 'millis' in [p] must be a duration "
		"from 1s to 90s (like 30s, 500ms, 5m, 1h), not '500ms'"));
	CHECK_INT(config_get_duration_ms(c, s, "zero", 0, 250, 120000,
					 &value, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "7: 'zero' in [p] must be a duration "
		"from 250ms to 2m (like 30s, 500ms, 5m, 1h), not '0'"));
	config_free(c);
}

static void test_get_bool(void)
{
	static const struct {
		const char *key;
		bool value;
	} good[] = {
		{ "a", true }, { "b", false }, { "c", true }, { "d", false },
		{ "e", true }, { "f", false }, { "g", true }, { "h", false },
	};
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config *c = load_text(path,
		"[p]\n"
		"a = yes\nb = No\nc = TRUE\nd = false\n"
		"e = on\nf = OFF\ng = 1\nh = 0\n"
		"maybe = maybe\n"
		"empty =\n", 0600, 1);
	const struct config_section *s;
	bool value;
	size_t i;

	if (!c)
		return;
	s = &c->sections[0];
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		value = !good[i].value;
		CHECK_INT(config_get_bool(c, s, good[i].key, false, &value, &err), 0);
		CHECK_INT(value, good[i].value);
	}
	CHECK_INT(config_get_bool(c, s, "absent", true, &value, &err), 0);
	CHECK_INT(value, true);
	CHECK_INT(config_get_bool(c, s, "maybe", true, &value, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "10: 'maybe' in [p] must be yes or no "
		"(or true/false, on/off, 1/0), not 'maybe'"));
	CHECK_INT(config_get_bool(c, s, "empty", true, &value, &err), -EINVAL);
	config_free(c);
}

/* ---- paths ---- */

static void test_default_path(void)
{
	char *saved_xdg = getenv("XDG_CONFIG_HOME");
	char *saved_home = getenv("HOME");

	saved_xdg = saved_xdg ? strdup(saved_xdg) : NULL;
	saved_home = saved_home ? strdup(saved_home) : NULL;

	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	setenv("HOME", "/home/tester", 1);
	CHECK_STR(config_default_path(), "/xdg/dbbackupfs/config");
	setenv("XDG_CONFIG_HOME", "relative", 1);
	CHECK_STR(config_default_path(), "/home/tester/.config/dbbackupfs/config");
	unsetenv("XDG_CONFIG_HOME");
	CHECK_STR(config_default_path(), "/home/tester/.config/dbbackupfs/config");
	unsetenv("HOME");
	CHECK(config_default_path() == NULL);
	setenv("HOME", "", 1);
	CHECK(config_default_path() == NULL);

	set_env("XDG_CONFIG_HOME", saved_xdg);
	set_env("HOME", saved_home);
	free(saved_xdg);
	free(saved_home);
}

static void check_expansion(const struct config *c, const char *path,
			    const char *expected)
{
	char *expanded = config_expand_path(c, path);

	CHECK_STR(expanded, expected);
	free(expanded);
}

static void test_expand_path(void)
{
	char path[PATH_MAX], expected[PATH_MAX + 64];
	char *saved_home = getenv("HOME");
	struct config *c = load_text(path, "[a]\n", 0600, 1);

	if (!c)
		return;
	saved_home = saved_home ? strdup(saved_home) : NULL;
	setenv("HOME", "/home/tester", 1);
	check_expansion(c, "~/keys/x.secret", "/home/tester/keys/x.secret");
	check_expansion(c, "~", "/home/tester");
	check_expansion(c, "/etc/x.secret", "/etc/x.secret");
	snprintf(expected, sizeof(expected), "%s/keys/x.secret", test_dir);
	check_expansion(c, "keys/x.secret", expected);
	snprintf(expected, sizeof(expected), "%s/~other/x", test_dir);
	check_expansion(c, "~other/x", expected);

	unsetenv("HOME");
	CHECK(config_expand_path(c, "~/x") == NULL);
	setenv("HOME", "relative/home", 1);
	CHECK(config_expand_path(c, "~/x") == NULL);

	set_env("HOME", saved_home);
	free(saved_home);
	config_free(c);
}

/* ---- secrets ---- */

static const char *const no_env[] = { NULL };

/* Loads a config whose first section asks for secret_key, and reads it. */
static int read_secret(char *path, const char *content, mode_t mode,
		       const char *const *env_names,
		       struct config_secret *secret, struct dbb_error *err)
{
	struct config *c = load_text(path, content, mode, 1);
	int rc;

	secret->value = NULL;
	if (!c)
		return -1000;
	rc = config_read_secret(c, &c->sections[0], "secret_key", env_names,
				secret, err);
	config_free(c);
	return rc;
}

static void test_secret_inline(void)
{
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config_secret secret;

	CHECK_INT(read_secret(path, "[p]\nsecret_key = " SECRET "\n", 0600,
			      no_env, &secret, &err), 0);
	CHECK_STR(secret.value, SECRET);
	CHECK_STR(secret.source, "config file");
	config_secret_free(&secret);
	CHECK(secret.value == NULL);
	CHECK_STR(secret.source, "");

	/* Quotes keep white space that is part of the secret. */
	CHECK_INT(read_secret(path, "[p]\nsecret_key = \" a b \"\n", 0400,
			      no_env, &secret, &err), 0);
	CHECK_STR(secret.value, " a b ");
	config_secret_free(&secret);

	CHECK_INT(read_secret(path, "[p]\nsecret_key =\n", 0600, no_env,
			      &secret, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "2: 'secret_key' in [p] is empty"));
	CHECK(secret.value == NULL);
}

static void test_secret_inline_in_readable_file(void)
{
	static const mode_t modes[] = { 0644, 0640, 0604 };
	static const char *const env[] = { "DBB_TEST_SECRET", NULL };
	char path[PATH_MAX], remedy[PATH_MAX + 16];
	struct dbb_error err = { 0 };
	struct config_secret secret;
	size_t i;

	/* The environment does not make an exposed file acceptable. */
	setenv("DBB_TEST_SECRET", "from-environment", 1);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		CHECK_INT(read_secret(path, "[p]\ntype = x\nsecret_key = " SECRET "\n",
				      modes[i], env, &secret, &err), -EACCES);
		CHECK_INT(err.errnum, EACCES);
		CHECK_STR(err.message, at(path, "3: [p] holds 'secret_key' but "
			  "the file is readable by group or others"));
		snprintf(remedy, sizeof(remedy), "chmod 600 %s", path);
		CHECK_STR(err.remedy, remedy);
		CHECK(secret.value == NULL);
		check_no_secret(&err, &secret);
	}
	unsetenv("DBB_TEST_SECRET");
}

static void test_secret_file(void)
{
	char path[PATH_MAX], secret_path[PATH_MAX], source[PATH_MAX + 32];
	char *saved_home = getenv("HOME");
	struct dbb_error err = { 0 };
	struct config_secret secret;

	saved_home = saved_home ? strdup(saved_home) : NULL;

	/* Relative to the config file's directory, not to the cwd. */
	write_file(secret_path, "prod.secret", SECRET "\n", 0600);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = prod.secret\n",
			      0644, no_env, &secret, &err), 0);
	CHECK_STR(secret.value, SECRET);
	snprintf(source, sizeof(source), "secret_key_file %s", secret_path);
	CHECK_STR(secret.source, source);
	check_no_secret(&err, &secret);
	config_secret_free(&secret);

	/* In a subdirectory, quoted, read-only for the owner. */
	snprintf(secret_path, sizeof(secret_path), "%s/keys", test_dir);
	CHECK(mkdir(secret_path, 0700) == 0 || errno == EEXIST);
	write_file(secret_path, "keys/sub.secret", SECRET, 0400);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = \"keys/sub.secret\"\n",
			      0600, no_env, &secret, &err), 0);
	CHECK_STR(secret.value, SECRET);
	config_secret_free(&secret);

	/* From the home directory. */
	setenv("HOME", test_dir, 1);
	write_file(secret_path, "home.secret", "  " SECRET " \r\n", 0600);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = ~/home.secret\n",
			      0644, no_env, &secret, &err), 0);
	CHECK_STR(secret.value, SECRET);
	snprintf(source, sizeof(source), "secret_key_file %s", secret_path);
	CHECK_STR(secret.source, source);
	config_secret_free(&secret);

	/* An absolute path. */
	snprintf(source, sizeof(source), "[p]\nsecret_key_file = %s\n",
		 secret_path);
	CHECK_INT(read_secret(path, source, 0644, no_env, &secret, &err), 0);
	CHECK_STR(secret.value, SECRET);
	config_secret_free(&secret);

	unsetenv("HOME");
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = ~/home.secret\n",
			      0644, no_env, &secret, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "2: 'secret_key_file' in [p] starts "
		  "with '~' but HOME is not set"));

	set_env("HOME", saved_home);
	free(saved_home);
}

static void test_secret_file_missing(void)
{
	char path[PATH_MAX], expected[PATH_MAX + 128];
	struct dbb_error err = { 0 };
	struct config_secret secret;

	CHECK_INT(read_secret(path, "[p]\ntype = x\nsecret_key_file = missing.secret\n",
			      0600, no_env, &secret, &err), -ENOENT);
	CHECK_INT(err.errnum, ENOENT);
	snprintf(expected, sizeof(expected), "3: 'secret_key_file' in [p] names "
		 "%s/missing.secret: No such file or directory", test_dir);
	CHECK_STR(err.message, at(path, expected));
	CHECK(secret.value == NULL);
}

static void test_secret_file_readable_by_others(void)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0440 };
	char path[PATH_MAX], secret_path[PATH_MAX];
	char expected[PATH_MAX + 128], remedy[PATH_MAX + 16];
	struct dbb_error err = { 0 };
	struct config_secret secret;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_file(secret_path, "open.secret", SECRET "\n", modes[i]);
		CHECK_INT(read_secret(path, "[p]\nsecret_key_file = open.secret\n",
				      0600, no_env, &secret, &err), -EACCES);
		CHECK_INT(err.errnum, EACCES);
		snprintf(expected, sizeof(expected), "2: 'secret_key_file' in [p] "
			 "names %s, which is readable by group or others",
			 secret_path);
		CHECK_STR(err.message, at(path, expected));
		snprintf(remedy, sizeof(remedy), "chmod 600 %s", secret_path);
		CHECK_STR(err.remedy, remedy);
		CHECK(secret.value == NULL);
		check_no_secret(&err, &secret);
	}

	/* The remedy can be pasted into a shell as it is. */
	write_file(secret_path, "my key.secret", SECRET "\n", 0644);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = my key.secret\n",
			      0600, no_env, &secret, &err), -EACCES);
	snprintf(remedy, sizeof(remedy), "chmod 600 '%s'", secret_path);
	CHECK_STR(err.remedy, remedy);
}

static void test_secret_file_bad_content(void)
{
	static const struct {
		const char *content;
		size_t length;
		const char *problem;
	} cases[] = {
		{ "", 0, "which is empty" },
		{ "\n", 1, "which is empty" },
		{ " \t\r\n\n", 5, "which is empty" },
		{ SECRET "\nsecond line\n", sizeof(SECRET) + 12,
		  "which holds more than one line" },
		{ SECRET "\0tail\n", sizeof(SECRET) + 5, "which holds a NUL byte" },
	};
	char path[PATH_MAX], secret_path[PATH_MAX], expected[PATH_MAX + 128];
	struct dbb_error err = { 0 };
	struct config_secret secret;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_bytes(secret_path, "bad.secret", cases[i].content,
			    cases[i].length, 0600);
		CHECK_INT(read_secret(path, "[p]\nsecret_key_file = bad.secret\n",
				      0600, no_env, &secret, &err), -EINVAL);
		snprintf(expected, sizeof(expected), "2: 'secret_key_file' in "
			 "[p] names %s, %s", secret_path, cases[i].problem);
		CHECK_STR(err.message, at(path, expected));
		CHECK(secret.value == NULL);
		check_no_secret(&err, &secret);
	}
}

static void test_secret_file_not_regular_or_too_large(void)
{
	char path[PATH_MAX], secret_path[PATH_MAX], expected[PATH_MAX + 128];
	struct dbb_error err = { 0 };
	struct config_secret secret;
	static char large[70000];

	snprintf(secret_path, sizeof(secret_path), "%s/keydir", test_dir);
	CHECK(mkdir(secret_path, 0700) == 0 || errno == EEXIST);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = keydir\n", 0600,
			      no_env, &secret, &err), -EINVAL);
	snprintf(expected, sizeof(expected), "2: 'secret_key_file' in [p] "
		 "names %s, which is not a regular file", secret_path);
	CHECK_STR(err.message, at(path, expected));

	memset(large, 'k', sizeof(large));
	write_bytes(secret_path, "large.secret", large, sizeof(large), 0600);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = large.secret\n",
			      0600, no_env, &secret, &err), -EINVAL);
	snprintf(expected, sizeof(expected), "2: 'secret_key_file' in [p] "
		 "names %s, which is too large to be a key", secret_path);
	CHECK_STR(err.message, at(path, expected));

	CHECK_INT(read_secret(path, "[p]\nsecret_key_file =\n", 0600, no_env,
			      &secret, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "2: 'secret_key_file' in [p] is empty"));
}

static void test_secret_in_two_places(void)
{
	char path[PATH_MAX], secret_path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config_secret secret;

	write_file(secret_path, "both.secret", SECRET "\n", 0600);
	CHECK_INT(read_secret(path, "[p]\nsecret_key = " SECRET "\n"
			      "secret_key_file = both.secret\n", 0600, no_env,
			      &secret, &err), -EINVAL);
	CHECK_STR(err.message, at(path, "3: [p] sets both 'secret_key' "
		  "(line 2) and 'secret_key_file': keep one"));
	CHECK(secret.value == NULL);
	check_no_secret(&err, &secret);
}

static void test_secret_environment(void)
{
	static const char *const env[] = {
		"DBB_TEST_FIRST", "DBB_TEST_SECOND", NULL
	};
	char path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config_secret secret;

	unsetenv("DBB_TEST_FIRST");
	unsetenv("DBB_TEST_SECOND");
	CHECK_INT(read_secret(path, "[p]\ntype = x\n", 0644, env, &secret,
			      &err), 0);
	CHECK(secret.value == NULL);
	CHECK_STR(secret.source, "");

	setenv("DBB_TEST_SECOND", "second", 1);
	CHECK_INT(read_secret(path, "[p]\n", 0644, env, &secret, &err), 0);
	CHECK_STR(secret.value, "second");
	CHECK_STR(secret.source, "environment DBB_TEST_SECOND");
	config_secret_free(&secret);

	/* An empty variable is as good as an unset one. */
	setenv("DBB_TEST_FIRST", "", 1);
	CHECK_INT(read_secret(path, "[p]\n", 0644, env, &secret, &err), 0);
	CHECK_STR(secret.value, "second");
	config_secret_free(&secret);

	setenv("DBB_TEST_FIRST", SECRET, 1);
	CHECK_INT(read_secret(path, "[p]\n", 0644, env, &secret, &err), 0);
	CHECK_STR(secret.value, SECRET);
	CHECK_STR(secret.source, "environment DBB_TEST_FIRST");
	check_no_secret(&err, &secret);
	config_secret_free(&secret);

	CHECK_INT(read_secret(path, "[p]\n", 0644, NULL, &secret, &err), 0);
	CHECK(secret.value == NULL);

	unsetenv("DBB_TEST_FIRST");
	unsetenv("DBB_TEST_SECOND");
}

static void test_secret_file_wins_over_environment(void)
{
	static const char *const env[] = { "DBB_TEST_SECRET", NULL };
	char path[PATH_MAX], secret_path[PATH_MAX];
	struct dbb_error err = { 0 };
	struct config_secret secret;

	setenv("DBB_TEST_SECRET", "from-environment", 1);
	CHECK_INT(read_secret(path, "[p]\nsecret_key = inline\n", 0600, env,
			      &secret, &err), 0);
	CHECK_STR(secret.value, "inline");
	config_secret_free(&secret);

	write_file(secret_path, "wins.secret", "from-file\n", 0600);
	CHECK_INT(read_secret(path, "[p]\nsecret_key_file = wins.secret\n",
			      0644, env, &secret, &err), 0);
	CHECK_STR(secret.value, "from-file");
	config_secret_free(&secret);
	unsetenv("DBB_TEST_SECRET");
}

static void test_free_nothing(void)
{
	struct config_secret secret = { .value = NULL };

	config_free(NULL);
	config_secret_free(&secret);
	CHECK(secret.value == NULL);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(test_dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_parse_good_file);
	RUN(test_parse_empty_and_odd_files);
	RUN(test_parse_errors);
	RUN(test_parse_nul_byte);
	RUN(test_load_missing_file);
	RUN(test_load_directory);
	RUN(test_load_unreadable_file);
	RUN(test_load_relative_path);
	RUN(test_group_or_other_readable);
	RUN(test_check_keys);
	RUN(test_require);
	RUN(test_get_uint);
	RUN(test_get_duration);
	RUN(test_get_bool);
	RUN(test_default_path);
	RUN(test_expand_path);
	RUN(test_secret_inline);
	RUN(test_secret_inline_in_readable_file);
	RUN(test_secret_file);
	RUN(test_secret_file_missing);
	RUN(test_secret_file_readable_by_others);
	RUN(test_secret_file_bad_content);
	RUN(test_secret_file_not_regular_or_too_large);
	RUN(test_secret_in_two_places);
	RUN(test_secret_environment);
	RUN(test_secret_file_wins_over_environment);
	RUN(test_free_nothing);
	nftw(test_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	return CHECK_DONE();
}
