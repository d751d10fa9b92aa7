/*
 * doc.c: provider answers (JSON or XML) to one jansson tree, scalar
 * accessors that read both shapes, and the compact flattening kept for
 * user.api.* extended attributes. The rules are written down in doc.h.
 *
 * Safety of the XML side: libxml2 is asked for no network, no DTD loading,
 * no entity substitution and no "huge" limits, and a DOCTYPE stops the parse
 * before its internal subset is even read, so entity declarations (billion
 * laughs, external entities) never reach libxml2's entity code.
 *
 * Depth: every recursion here is bounded by DOC_MAX_DEPTH, which the parsers
 * enforce, and doc_flatten checks again for trees built elsewhere.
 */
#include "providers/doc.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>

static void set_reason(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_reason(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

static int body_size_ok(size_t len, char *errbuf, size_t errlen)
{
	if (len <= DOC_MAX_BODY)
		return 1;
	set_reason(errbuf, errlen, "answer of %zu bytes is over the %zu-byte limit",
		   len, DOC_MAX_BODY);
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

/* depth is the nesting level of v when v is a container (the top is 1). */
static int json_depth_within_cap(const json_t *v, int depth)
{
	const char *key;
	json_t *child;
	size_t index;

	if (!json_is_object(v) && !json_is_array(v))
		return 1;
	if (depth > DOC_MAX_DEPTH)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
			if (!json_depth_within_cap(child, depth + 1))
				return 0;
	} else {
		json_array_foreach(v, index, child)
			if (!json_depth_within_cap(child, depth + 1))
				return 0;
	}
	return 1;
}

json_t *doc_parse_json(const char *body, size_t len, char *errbuf, size_t errlen)
{
	json_error_t error;
	json_t *root;

	if (!body_size_ok(len, errbuf, errlen))
		return NULL;
	root = json_loadb(body ? body : "", body ? len : 0, 0, &error);
	if (!root) {
		set_reason(errbuf, errlen, "invalid JSON at line %d, column %d: %s",
			   error.line, error.column, error.text);
		return NULL;
	}
	if (!json_depth_within_cap(root, 1)) {
		json_decref(root);
		set_reason(errbuf, errlen, "JSON nested deeper than %d levels",
			   DOC_MAX_DEPTH);
		return NULL;
	}
	return root;
}

/* ---- XML ----------------------------------------------------------------- */

/*
 * No network, no errors printed on stderr (we report them ourselves), and
 * none of XML_PARSE_NOENT, XML_PARSE_DTDLOAD, XML_PARSE_HUGE.
 */
#if LIBXML_VERSION >= 21300
#define DOC_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING | XML_PARSE_NO_XXE)
#else
#define DOC_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING)
#endif

struct xml_converter {
	char *errbuf;
	size_t errlen;
};

/* Hung on the parser context's _private while one body is parsed. */
struct xml_parse_state {
	int saw_doctype;
};

static pthread_once_t xml_init_once = PTHREAD_ONCE_INIT;

/* libxml2 wants its globals set up once before threads share it. */
static void xml_init(void)
{
	xmlInitParser();
}

/* SAX callback for <!DOCTYPE: stop before the internal subset is parsed. */
static void refuse_doctype(void *user_data, const xmlChar *name,
			   const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = user_data;
	struct xml_parse_state *state = ctxt->_private;

	state->saw_doctype = 1;
	xmlStopParser(ctxt);
}

static int is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_blank_text(const char *text)
{
	for (; text && *text; text++)
		if (!is_xml_space(*text))
			return 0;
	return 1;
}

static int name_ends_in_list(const xmlChar *name)
{
	size_t len = strlen((const char *)name);

	return len >= 4 && strcmp((const char *)name + len - 4, "List") == 0;
}

static int has_child_elements(const xmlNode *element)
{
	const xmlNode *child;

	for (child = element->children; child; child = child->next)
		if (child->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

/*
 * Between child elements only white space may appear; comments and
 * processing instructions are skipped. Returns 0 when the node may be
 * ignored, -1 (with a reason) when it carries text we would lose.
 */
static int check_ignorable(const xmlNode *parent, const xmlNode *node,
			   struct xml_converter *cv)
{
	switch (node->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (is_blank_text((const char *)node->content))
			return 0;
		set_reason(cv->errbuf, cv->errlen,
			   "XML element <%s> mixes text and elements",
			   (const char *)parent->name);
		return -1;
	case XML_COMMENT_NODE:
	case XML_PI_NODE:
		return 0;
	default:
		set_reason(cv->errbuf, cv->errlen,
			   "XML element <%s> holds an unsupported node (type %d)",
			   (const char *)parent->name, (int)node->type);
		return -1;
	}
}

/* The text of an element that has no child elements: text and CDATA. */
static json_t *element_text(const xmlNode *element, struct xml_converter *cv)
{
	xmlChar *text = xmlNodeGetContent(element);
	json_t *string;

	string = json_string(text ? (const char *)text : "");
	xmlFree(text);
	if (!string)
		set_reason(cv->errbuf, cv->errlen,
			   "XML element <%s>: text is not valid UTF-8 or out of memory",
			   (const char *)element->name);
	return string;
}

static json_t *convert_element(const xmlNode *element, int depth,
			       struct xml_converter *cv);

static json_t *convert_list(const xmlNode *element, int depth,
			    struct xml_converter *cv)
{
	json_t *array = json_array();
	const xmlNode *child;

	if (!array)
		goto out_of_memory;
	for (child = element->children; child; child = child->next) {
		json_t *item;

		if (child->type != XML_ELEMENT_NODE) {
			if (check_ignorable(element, child, cv) < 0)
				goto fail;
			continue;
		}
		item = convert_element(child, depth + 1, cv);
		if (!item)
			goto fail;
		if (json_array_append_new(array, item) < 0)
			goto out_of_memory;
	}
	return array;
out_of_memory:
	set_reason(cv->errbuf, cv->errlen, "out of memory");
fail:
	json_decref(array);
	return NULL;
}

/* How many times each child element name occurs: {"name": count}. */
static json_t *count_child_names(const xmlNode *element)
{
	json_t *counts = json_object();
	const xmlNode *child;

	for (child = element->children; counts && child; child = child->next) {
		const char *name = (const char *)child->name;
		json_int_t seen;

		if (child->type != XML_ELEMENT_NODE)
			continue;
		seen = json_integer_value(json_object_get(counts, name));
		if (json_object_set_new(counts, name, json_integer(seen + 1)) < 0) {
			json_decref(counts);
			return NULL;
		}
	}
	return counts;
}

/* Sets object[name] = value, or appends to the array of a repeated name. */
static int add_member(json_t *object, const char *name, json_t *value,
		      int repeated)
{
	json_t *values;

	if (!repeated)
		return json_object_set_new(object, name, value);
	values = json_object_get(object, name);
	if (!values) {
		values = json_array();
		if (json_object_set_new(object, name, values) < 0) {
			json_decref(value);
			return -1;
		}
	}
	return json_array_append_new(values, value);
}

static json_t *convert_object(const xmlNode *element, int depth,
			      struct xml_converter *cv)
{
	json_t *object = json_object();
	json_t *counts = count_child_names(element);
	const xmlNode *child;

	if (!object || !counts)
		goto out_of_memory;
	for (child = element->children; child; child = child->next) {
		const char *name = (const char *)child->name;
		int repeated;
		json_t *value;

		if (child->type != XML_ELEMENT_NODE) {
			if (check_ignorable(element, child, cv) < 0)
				goto fail;
			continue;
		}
		value = convert_element(child, depth + 1, cv);
		if (!value)
			goto fail;
		repeated = json_integer_value(json_object_get(counts, name)) > 1;
		if (add_member(object, name, value, repeated) < 0)
			goto out_of_memory;
	}
	json_decref(counts);
	return object;
out_of_memory:
	set_reason(cv->errbuf, cv->errlen, "out of memory");
fail:
	json_decref(counts);
	json_decref(object);
	return NULL;
}

/* depth: the nesting level the value would have if it is a container. */
static json_t *convert_element(const xmlNode *element, int depth,
			       struct xml_converter *cv)
{
	int is_list = name_ends_in_list(element->name);
	int is_container = has_child_elements(element);

	if (!is_container) {
		json_t *text = element_text(element, cv);

		if (text && is_list && is_blank_text(json_string_value(text))) {
			json_decref(text);
			return json_array();
		}
		return text;
	}
	if (depth > DOC_MAX_DEPTH) {
		set_reason(cv->errbuf, cv->errlen,
			   "XML nested deeper than %d levels", DOC_MAX_DEPTH);
		return NULL;
	}
	return is_list ? convert_list(element, depth, cv)
		       : convert_object(element, depth, cv);
}

static json_t *convert_document(const xmlDoc *xml, struct xml_converter *cv)
{
	const xmlNode *root = xmlDocGetRootElement(xml);
	json_t *document, *value;

	if (!root) {
		set_reason(cv->errbuf, cv->errlen, "XML has no root element");
		return NULL;
	}
	value = convert_element(root, 2, cv);
	if (!value)
		return NULL;
	document = json_object();
	if (!document ||
	    json_object_set_new(document, (const char *)root->name, value) < 0) {
		json_decref(document);
		set_reason(cv->errbuf, cv->errlen, "out of memory");
		return NULL;
	}
	return document;
}

static void report_xml_error(xmlParserCtxtPtr ctxt, char *errbuf, size_t errlen)
{
	const xmlError *error = xmlCtxtGetLastError(ctxt);
	char message[256] = "not well-formed";
	size_t n;

	if (error && error->message) {
		snprintf(message, sizeof(message), "%s", error->message);
		n = strlen(message);
		while (n > 0 && is_xml_space(message[n - 1]))
			message[--n] = '\0';
	}
	set_reason(errbuf, errlen, "invalid XML at line %d: %s",
		   error ? error->line : 0, message);
}

json_t *doc_parse_xml(const char *body, size_t len, char *errbuf, size_t errlen)
{
	struct xml_converter cv = { errbuf, errlen };
	struct xml_parse_state state = { 0 };
	xmlParserCtxtPtr ctxt;
	json_t *document = NULL;

	if (!body_size_ok(len, errbuf, errlen))
		return NULL;
	if (!body || len == 0) {
		set_reason(errbuf, errlen, "empty XML answer");
		return NULL;
	}
	pthread_once(&xml_init_once, xml_init);
	/* The size fits an int: DOC_MAX_BODY is far below INT_MAX. */
	ctxt = xmlCreateMemoryParserCtxt(body, (int)len);
	if (!ctxt) {
		set_reason(errbuf, errlen, "cannot start the XML parser");
		return NULL;
	}
	xmlCtxtUseOptions(ctxt, DOC_XML_OPTIONS);
	ctxt->_private = &state;
	ctxt->sax->internalSubset = refuse_doctype;	/* this context's own copy */
	xmlParseDocument(ctxt);
	if (state.saw_doctype)
		set_reason(errbuf, errlen,
			   "XML with a DOCTYPE is refused (entities are never expanded)");
	else if (!ctxt->wellFormed || !ctxt->myDoc)
		report_xml_error(ctxt, errbuf, errlen);
	else
		document = convert_document(ctxt->myDoc, &cv);
	xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	xmlFreeParserCtxt(ctxt);
	return document;
}

/* ---- scalar accessors ---------------------------------------------------- */

/*
 * The shortest "%.*g" that reads back as the same double, so that 0.1 is
 * "0.1" as a person (and the XML form) would write it. snprintf and strtod
 * follow LC_NUMERIC, which the daemon leaves at "C".
 */
static void format_real(double value, char out[DOC_SCALAR_TEXT_MAX])
{
	int precision;

	for (precision = 1; precision < 17; precision++) {
		snprintf(out, DOC_SCALAR_TEXT_MAX, "%.*g", precision, value);
		if (strtod(out, NULL) == value)
			return;
	}
	snprintf(out, DOC_SCALAR_TEXT_MAX, "%.17g", value);
}

/*
 * The canonical text of a scalar: a pointer into the tree for strings, into
 * number_text otherwise; NULL for containers. *len excludes the NUL.
 */
static const char *scalar_text(const json_t *v,
			       char number_text[DOC_SCALAR_TEXT_MAX], size_t *len)
{
	const char *text;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(number_text, DOC_SCALAR_TEXT_MAX, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		text = number_text;
		break;
	case JSON_REAL:
		format_real(json_real_value(v), number_text);
		text = number_text;
		break;
	case JSON_TRUE:
		text = "true";
		break;
	case JSON_FALSE:
		text = "false";
		break;
	case JSON_NULL:
		text = "";
		break;
	default:
		return NULL;
	}
	*len = strlen(text);
	return text;
}

int doc_text(const json_t *v, char *buf, size_t len)
{
	char number_text[DOC_SCALAR_TEXT_MAX];
	const char *text;
	size_t text_len;

	if (!v)
		return -ENOENT;
	text = scalar_text(v, number_text, &text_len);
	if (!text)
		return -EINVAL;
	if (len == 0)
		return -ERANGE;
	if (text_len >= len) {
		memcpy(buf, text, len - 1);
		buf[len - 1] = '\0';
		return -ERANGE;
	}
	memcpy(buf, text, text_len + 1);
	return 0;
}

int doc_field_text(const json_t *obj, const char *key, char *buf, size_t len)
{
	return doc_text(json_object_get(obj, key), buf, len);
}

const char *doc_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Decimal digits with an optional leading '-', nothing else. */
static int parse_decimal_int64(const char *text, size_t len, int64_t *out)
{
	const uint64_t positive_limit = INT64_MAX;
	uint64_t magnitude = 0, limit;
	int negative = len > 0 && text[0] == '-';
	size_t i = negative ? 1 : 0;

	if (i == len)
		return -EINVAL;
	limit = negative ? positive_limit + 1 : positive_limit;
	for (; i < len; i++) {
		unsigned digit;

		if (text[i] < '0' || text[i] > '9')
			return -EINVAL;
		digit = (unsigned)(text[i] - '0');
		if (magnitude > (limit - digit) / 10)
			return -ERANGE;
		magnitude = magnitude * 10 + digit;
	}
	/* Negating in unsigned arithmetic is defined even for INT64_MIN. */
	*out = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	return 0;
}

static int real_to_int64(double value, int64_t *out)
{
	/* 2^63 is exact as a double; the range check comes before the cast. */
	const double two_to_63 = 9223372036854775808.0;

	/* jansson never holds NaN or infinities, so this is a range test. */
	if (!(value >= -two_to_63 && value < two_to_63))
		return -ERANGE;
	if ((double)(int64_t)value != value)
		return -EINVAL;
	*out = (int64_t)value;
	return 0;
}

int doc_int64(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return -ENOENT;
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*out = json_integer_value(v);
		return 0;
	case JSON_REAL:
		return real_to_int64(json_real_value(v), out);
	case JSON_STRING:
		return parse_decimal_int64(json_string_value(v),
					   json_string_length(v), out);
	default:
		return -EINVAL;
	}
}

int doc_bool(const json_t *obj, const char *key, bool *out)
{
	const json_t *v = json_object_get(obj, key);
	const char *text;

	if (!v || json_is_null(v))
		return -ENOENT;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	text = json_string_value(v);
	if (text && strcasecmp(text, "true") == 0)
		*out = true;
	else if (text && strcasecmp(text, "false") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* ---- paths and lists ----------------------------------------------------- */

/* One path step: a key of an object, or a decimal index into an array. */
static json_t *path_step(const json_t *v, const char *segment, size_t len)
{
	size_t index = 0, i;

	if (json_is_object(v))
		return json_object_getn(v, segment, len);
	if (!json_is_array(v) || len == 0 || len > 9)
		return NULL;
	for (i = 0; i < len; i++) {
		if (segment[i] < '0' || segment[i] > '9')
			return NULL;
		index = index * 10 + (size_t)(segment[i] - '0');
	}
	return json_array_get(v, index);
}

json_t *doc_path(const json_t *root, const char *dotted_path)
{
	const json_t *v = root;
	const char *segment = dotted_path;

	if (!segment || !*segment)
		return (json_t *)root;
	while (v) {
		const char *dot = strchr(segment, '.');
		size_t len = dot ? (size_t)(dot - segment) : strlen(segment);

		v = path_step(v, segment, len);
		if (!dot)
			break;
		segment = dot + 1;
	}
	return (json_t *)v;
}

/* The value inside a one-key wrapper object {"x": value}, as a list. */
static json_t *unwrap_list(json_t *wrapped)
{
	json_t *array;

	if (json_is_array(wrapped))
		return json_incref(wrapped);
	if (json_is_null(wrapped))
		return json_array();
	array = json_array();
	if (array && json_array_append(array, wrapped) < 0) {
		json_decref(array);
		return NULL;
	}
	return array;
}

json_t *doc_list(const json_t *obj, const char *list_key)
{
	json_t *v = json_object_get(obj, list_key);

	if (!v || json_is_null(v))
		return json_array();
	if (json_is_array(v))
		return json_incref(v);
	if (json_is_string(v))
		return json_string_length(v) == 0 ? json_array() : NULL;
	if (!json_is_object(v) || json_object_size(v) > 1)
		return NULL;
	if (json_object_size(v) == 0)
		return json_array();
	return unwrap_list(json_object_iter_value(json_object_iter(v)));
}

/* ---- flattening ---------------------------------------------------------- */

struct flat_builder {
	char *out;		/* "key\0value\0..." being built */
	size_t out_len, out_cap;
	char *path;		/* the current dotted key, NUL-terminated */
	size_t path_len, path_cap;
	const char *const *exclude;
};

/* Makes room for need bytes in a buffer that grows by doubling. */
static int reserve(char **buf, size_t *cap, size_t need)
{
	size_t new_cap = *cap ? *cap : 128;
	char *grown;

	if (need <= *cap)
		return 0;
	while (new_cap < need)
		new_cap *= 2;
	grown = realloc(*buf, new_cap);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	*cap = new_cap;
	return 0;
}

static int append_bytes(struct flat_builder *b, const char *bytes, size_t len)
{
	if (reserve(&b->out, &b->out_cap, b->out_len + len + 1) < 0)
		return -ENOMEM;
	memcpy(b->out + b->out_len, bytes, len);
	b->out[b->out_len + len] = '\0';
	b->out_len += len + 1;
	return 0;
}

static int emit_pair(struct flat_builder *b, const char *value, size_t len)
{
	if (memchr(value, '\0', len))
		return -EINVAL;
	if (append_bytes(b, b->path, b->path_len) < 0 ||
	    append_bytes(b, value, len) < 0)
		return -ENOMEM;
	return 0;
}

/* Appends ".segment" (or "segment" at the top) to the current key. */
static int push_segment(struct flat_builder *b, const char *segment, size_t len)
{
	size_t dot = b->path_len > 0;

	if (memchr(segment, '\0', len))
		return -EINVAL;
	if (reserve(&b->path, &b->path_cap, b->path_len + dot + len + 1) < 0)
		return -ENOMEM;
	if (dot)
		b->path[b->path_len++] = '.';
	memcpy(b->path + b->path_len, segment, len);
	b->path_len += len;
	b->path[b->path_len] = '\0';
	return 0;
}

static void pop_segment(struct flat_builder *b, size_t saved_len)
{
	b->path_len = saved_len;
	b->path[saved_len] = '\0';
}

static int is_excluded(const struct flat_builder *b)
{
	const char *const *name;

	for (name = b->exclude; name && *name; name++)
		if (strcmp(*name, b->path) == 0)
			return 1;
	return 0;
}

static int flatten_value(struct flat_builder *b, const json_t *v, int depth);

static int flatten_member(struct flat_builder *b, const char *segment,
			  size_t len, const json_t *v, int depth)
{
	size_t saved_len = b->path_len;
	int ret = push_segment(b, segment, len);

	if (ret == 0 && !is_excluded(b))
		ret = flatten_value(b, v, depth);
	pop_segment(b, saved_len);
	return ret;
}

static int flatten_object(struct flat_builder *b, const json_t *object, int depth)
{
	const char *key;
	size_t key_len;
	json_t *child;
	int ret;

	json_object_keylen_foreach((json_t *)object, key, key_len, child) {
		ret = flatten_member(b, key, key_len, child, depth + 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int flatten_array(struct flat_builder *b, const json_t *array, int depth)
{
	char index_text[24];
	size_t index;
	json_t *child;
	int ret, len;

	json_array_foreach(array, index, child) {
		len = snprintf(index_text, sizeof(index_text), "%zu", index);
		ret = flatten_member(b, index_text, (size_t)len, child, depth + 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* depth: the nesting level of v when v is a container (the record is 1). */
static int flatten_value(struct flat_builder *b, const json_t *v, int depth)
{
	char number_text[DOC_SCALAR_TEXT_MAX];
	const char *text;
	size_t len;
	int empty;

	if (json_is_object(v) || json_is_array(v)) {
		if (depth > DOC_MAX_DEPTH)
			return -ELOOP;
		empty = json_is_object(v) ? json_object_size(v) == 0
					  : json_array_size(v) == 0;
		/* An empty container still shows its key, as <x/> would. */
		if (empty)
			return b->path_len > 0 ? emit_pair(b, "", 0) : 0;
		return json_is_object(v) ? flatten_object(b, v, depth)
					 : flatten_array(b, v, depth);
	}
	text = scalar_text(v, number_text, &len);
	if (!text)
		return -EINVAL;
	return emit_pair(b, text, len);
}

int doc_flatten(const json_t *record, const char *const *exclude,
		struct doc_flat *out)
{
	struct flat_builder b = { .exclude = exclude };
	char *shrunk;
	int ret;

	out->buf = NULL;
	out->len = 0;
	if (!json_is_object(record) && !json_is_array(record))
		return -EINVAL;
	ret = reserve(&b.path, &b.path_cap, 1);
	if (ret == 0) {
		b.path[0] = '\0';
		ret = flatten_value(&b, record, 1);
	}
	free(b.path);
	if (ret < 0 || b.out_len == 0) {
		free(b.out);
		return ret;
	}
	/* Kept for every backup: give back the slack of the doubling. */
	shrunk = realloc(b.out, b.out_len);
	out->buf = shrunk ? shrunk : b.out;
	out->len = b.out_len;
	return 0;
}

void doc_flat_free(struct doc_flat *flat)
{
	free(flat->buf);
	flat->buf = NULL;
	flat->len = 0;
}

int doc_flat_next(const char *buf, size_t len, size_t *pos, const char **key,
		  const char **value)
{
	const char *key_end, *value_start, *value_end, *end;

	/* An empty flattening has no buffer: NULL + 0 is undefined, so the
	 * end is computed only after the check. */
	if (!buf || *pos >= len)
		return 0;
	end = buf + len;
	key_end = memchr(buf + *pos, '\0', len - *pos);
	if (!key_end || key_end + 1 >= end)
		return 0;
	value_start = key_end + 1;
	value_end = memchr(value_start, '\0', (size_t)(end - value_start));
	if (!value_end)
		return 0;
	*key = buf + *pos;
	*value = value_start;
	*pos = (size_t)(value_end - buf) + 1;
	return 1;
}

const char *doc_flat_get(const char *buf, size_t len, const char *key)
{
	const char *k, *v;
	size_t pos = 0;

	while (doc_flat_next(buf, len, &pos, &k, &v))
		if (strcmp(k, key) == 0)
			return v;
	return NULL;
}
