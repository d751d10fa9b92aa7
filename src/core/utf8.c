/*
 * utf8.c: one strict decoder.
 */
#include "core/utf8.h"

size_t utf8_decode(const unsigned char *s, uint32_t *code_point)
{
	static const uint32_t minimum[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t length = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 :
		(s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t value;

	if (length == 0)
		return 0;
	value = length == 1 ? s[0] : s[0] & (0x7f >> length);
	for (size_t i = 1; i < length; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		value = value << 6 | (s[i] & 0x3f);
	}
	if (value < minimum[length] || value > 0x10ffff ||
	    (value >= 0xd800 && value <= 0xdfff))
		return 0;
	*code_point = value;
	return length;
}
