/*
 * doc.h: one neutral form for provider answers, so that field mapping is
 * written once.
 *
 * NAVER answers XML by default and JSON on request; Huawei and ZStack answer
 * JSON. Every answer is turned into a jansson tree (json_t) and the providers
 * read fields from that tree only, with accessors that accept both the XML
 * shape (every scalar is a string) and the JSON shape (numbers, booleans).
 *
 * XML to tree, the rules (doc_parse_xml):
 *  - the document <root>...</root> becomes {"root": ...};
 *  - an element with child elements becomes an object keyed by child name, in
 *    document order; text between child elements must be white space (it is
 *    ignored), other text there ("mixed content") is refused;
 *  - an element with only text becomes a string: the text verbatim, entities
 *    and CDATA decoded, white space kept; an empty element becomes "";
 *  - an element whose name ends in "List" becomes an array of its children's
 *    values, whatever the children are called (NAVER's
 *    <xList><x>...</x><x>...</x></xList> is JSON's "xList": [...]); an empty
 *    or white-space-only "...List" element becomes []; one that holds only
 *    text (a scalar field that happens to end in "List") stays a string;
 *  - a child name repeated inside a non-List element becomes an array of the
 *    values, at the position of its first occurrence:
 *    <a><b>1</b><b>2</b></a> is {"a": {"b": ["1", "2"]}};
 *  - attributes, comments, processing instructions and namespace prefixes
 *    are ignored (an element is known by its local name);
 *  - a DOCTYPE is refused: no answer we read has one, and refusing it is the
 *    simplest way to be sure no entity is ever expanded.
 *
 * libxml2 itself refuses a single XML document over about 10 MB ("Huge
 * input lookup"): XML answers are paged far below that (a NAVER page of
 * 1000 backups is about 300 KB), and XML_PARSE_HUGE would lift libxml2's
 * other safety limits too, so the lower limit is kept for XML.
 * Both parsers refuse bodies over DOC_MAX_BODY bytes and trees nested deeper
 * than DOC_MAX_DEPTH levels, so that no later recursion over a tree can run
 * out of stack.
 *
 * Ownership: the parsers and doc_list return a new reference (json_decref
 * it); doc_path and the scalar accessors borrow from the tree they are given.
 * Nothing here keeps state between calls; every function is thread-safe.
 */
#ifndef DBB_DOC_H
#define DBB_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOC_MAX_BODY ((size_t)64 * 1024 * 1024)
#define DOC_MAX_DEPTH 64

/* Enough for the text of any number or boolean, NUL included. */
#define DOC_SCALAR_TEXT_MAX 32

/*
 * Parses a JSON (resp. XML) body of len bytes (body need not be
 * NUL-terminated). Returns a new reference, or NULL with a one-line reason in
 * errbuf (errbuf may be NULL). Invalid UTF-8, a top level that is not an
 * object or array (JSON), and "\u0000" in strings are refused.
 */
json_t *doc_parse_json(const char *body, size_t len, char *errbuf, size_t errlen);
json_t *doc_parse_xml(const char *body, size_t len, char *errbuf, size_t errlen);

/*
 * Writes the canonical text of a scalar into buf: a string verbatim, an
 * integer in decimal, a real in the shortest form that reads back to the same
 * double ("%.17g" trimmed: 0.1 is "0.1", 13107.0 is "13107"), true/false as
 * "true"/"false", null as "". This is the text the XML form of the same
 * answer would hold, so that both forms compare equal.
 * Returns 0, -ENOENT when v is NULL, -EINVAL when v is an object or array,
 * -ERANGE when the text does not fit (buf then holds a truncated copy).
 */
int doc_text(const json_t *v, char *buf, size_t len);

/* doc_text of obj[key]; -ENOENT also when obj is not an object. */
int doc_field_text(const json_t *obj, const char *key, char *buf, size_t len);

/*
 * obj[key] when it is a string, else NULL (absent, null, number, ...). The
 * pointer borrows from the tree and lives as long as it does. For a field
 * that may be a number in JSON and a string in XML use doc_field_text.
 */
const char *doc_str(const json_t *obj, const char *key);

/*
 * obj[key] as a 64-bit integer: a JSON integer, a real with an integral value
 * in range (ZStack's docs print 13107.0), or a string of decimal digits with
 * an optional leading '-' (XML). Returns 0, -ENOENT when absent or null,
 * -EINVAL for any other value or junk ("12 ", "1e3", ""), -ERANGE on
 * overflow. *out is written only on success.
 */
int doc_int64(const json_t *obj, const char *key, int64_t *out);

/*
 * obj[key] as a boolean: JSON true/false or the strings "true"/"false" in
 * any case. Returns 0, -ENOENT when absent or null, -EINVAL otherwise.
 */
int doc_bool(const json_t *obj, const char *key, bool *out);

/*
 * Walks a dotted path from root: "getCloudPostgresqlInstanceListResponse.
 * cloudPostgresqlInstanceList". A segment of decimal digits indexes an array
 * ("inventories.0.uuid"), so flattened keys (doc_flatten) work as paths.
 * Returns a borrowed reference, or NULL when a step is missing. Keys that
 * themselves contain '.' cannot be reached this way.
 */
json_t *doc_path(const json_t *root, const char *dotted_path);

/*
 * The list obj[list_key] as an array, whichever shape the provider used:
 *   "xList": [ {...}, ... ]               the array itself
 *   "xList": {"x": [ {...}, ... ]}        the inner array (XML-shaped JSON)
 *   "xList": {"x": {...}}                 a one-element array
 *   absent, null, "", {} or []            an empty array
 * Returns a NEW reference in every case (json_decref it), or NULL when the
 * value has another shape (a number, an object with several keys), which
 * the caller should report as an unexpected answer.
 */
json_t *doc_list(const json_t *obj, const char *list_key);

/*
 * A record flattened for extended attributes (user.api.<key>), stored
 * compactly because it is kept for every backup in memory: one malloc'd
 * buffer "key\0value\0key\0value\0" of len bytes.
 *
 * Keys: nested object fields joined with '.' ("datastore.version"), array
 * elements by 0-based index ("accessControlGroupNoList.0"). Values: the
 * doc_text of each scalar. An empty object or array, null and "" all give
 * the value "" under their own key, so that <zone/> in XML and "zone": {} in
 * JSON flatten alike and no field the API sent is hidden. Pairs come in the
 * record's own key order (jansson keeps insertion order), so the same record
 * parsed from XML and from JSON flattens to byte-identical buffers.
 */
struct doc_flat {
	char *buf;	/* owned: free with doc_flat_free or free(); NULL if empty */
	size_t len;	/* bytes used in buf */
};

/*
 * Flattens record (an object or array) into out, which the caller then owns.
 * exclude is NULL or a NULL-terminated list of flattened keys to leave out
 * with everything under them ("backups" skips "backups" and "backups.0.id").
 * Returns 0; -EINVAL when record is not an object or array, or a key or
 * string holds a NUL byte; -ELOOP when nested deeper than DOC_MAX_DEPTH;
 * -ENOMEM. On failure *out is empty.
 */
int doc_flatten(const json_t *record, const char *const *exclude,
		struct doc_flat *out);

/* Frees the buffer and empties *flat; safe on an empty or freed one. */
void doc_flat_free(struct doc_flat *flat);

/*
 * Iterates the pairs of a flattened buffer: start with *pos = 0; each call
 * that returns 1 sets *key and *value (pointers into buf) and advances *pos;
 * 0 means the end (or a truncated buffer).
 */
int doc_flat_next(const char *buf, size_t len, size_t *pos, const char **key,
		  const char **value);

/* The value stored under key (a pointer into buf), or NULL. Linear scan. */
const char *doc_flat_get(const char *buf, size_t len, const char *key);

#endif
