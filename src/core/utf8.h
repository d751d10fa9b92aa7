/*
 * utf8.h: decoding UTF-8 for the providers' name rules, which count
 * characters (ZStack, as Java does) or allow some scripts (TaurusDB).
 */
#ifndef DBB_UTF8_H
#define DBB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the character at s (NUL-terminated): returns its length in
 * bytes and sets *code_point, or returns 0 for invalid UTF-8 (overlong
 * forms, surrogates and values past U+10FFFF included). */
size_t utf8_decode(const unsigned char *s, uint32_t *code_point);

#endif
