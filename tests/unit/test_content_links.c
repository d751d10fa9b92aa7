/* Download links remembered between opens: fresh ones are handed out,
 * near-expiry or over-age ones are not. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/content_links.h"

static struct profile profile_with_ttl(int64_t ttl_ms)
{
	struct profile p;

	memset(&p, 0, sizeof(p));
	p.name = "hw";
	p.settings.cache_ttl_ms = ttl_ms;
	return p;
}

static void put(struct profile *p, const char *backup, const char *url, int64_t expires_at)
{
	struct content_source s;

	memset(&s, 0, sizeof(s));
	http_headers_init(&s.headers);
	s.url = strdup(url);
	s.size = 42;
	s.expires_at = expires_at;
	http_headers_add(&s.headers, "Authorization", "token");
	content_links_put(p, "i1", backup, &s);
	content_source_destroy(&s);
}

static void test_a_fresh_link_is_handed_out_as_a_copy(void)
{
	struct profile p = profile_with_ttl(60000);
	struct content_source out;

	put(&p, "b1", "https://example.invalid/one", (int64_t)time(NULL) + 900);
	CHECK(content_links_get(&p, "i1", "b1", &out));
	CHECK_STR(out.url, "https://example.invalid/one");
	CHECK_INT(out.size, 42);
	CHECK_INT(out.headers.count, 1);
	CHECK_STR(out.headers.lines[0], "Authorization: token");
	content_source_destroy(&out);
	/* Another backup, or another instance, has none. */
	CHECK(!content_links_get(&p, "i1", "b2", &out));
	CHECK(!content_links_get(&p, "i2", "b1", &out));
	content_links_clear();
}

static void test_near_expiry_and_over_age_links_are_not(void)
{
	struct profile p = profile_with_ttl(60000), zero = profile_with_ttl(0);
	struct content_source out;

	put(&p, "soon", "https://example.invalid/soon", (int64_t)time(NULL) + 30);
	CHECK(!content_links_get(&p, "i1", "soon", &out));
	/* No expiry: kept for cache_ttl only, here none. */
	put(&zero, "never", "https://example.invalid/never", 0);
	CHECK(!content_links_get(&zero, "i1", "never", &out));
	content_links_clear();
}

static void test_a_new_answer_replaces_the_old(void)
{
	struct profile p = profile_with_ttl(60000);
	struct content_source out;

	put(&p, "b1", "https://example.invalid/old", 0);
	put(&p, "b1", "https://example.invalid/new", 0);
	CHECK(content_links_get(&p, "i1", "b1", &out));
	CHECK_STR(out.url, "https://example.invalid/new");
	content_source_destroy(&out);
	content_links_clear();
	CHECK(!content_links_get(&p, "i1", "b1", &out));
}

int main(void)
{
	RUN(test_a_fresh_link_is_handed_out_as_a_copy);
	RUN(test_near_expiry_and_over_age_links_are_not);
	RUN(test_a_new_answer_replaces_the_old);
	return CHECK_DONE();
}
