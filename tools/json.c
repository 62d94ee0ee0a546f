/* json.c - JSON string output. Anchor paths are arbitrary bytes, JSON text
 * must be UTF-8: valid sequences pass through, anything else is replaced
 * by U+FFFD so the output always parses. */
#include "config.h"

#include <stdio.h>

#include "tool.h"

/* Length of the valid UTF-8 sequence at @s, or 0 (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	unsigned cp = c & (0x3fu >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_string(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	fputc('"', out);
	while (*s) {
		size_t len = utf8_sequence(s);
		if (len == 0) {
			fputs("\\ufffd", out);
			s++;
		} else if (len > 1) {
			fwrite(s, 1, len, out);
			s += len;
		} else {
			switch (*s) {
			case '"':
				fputs("\\\"", out);
				break;
			case '\\':
				fputs("\\\\", out);
				break;
			case '\n':
				fputs("\\n", out);
				break;
			case '\t':
				fputs("\\t", out);
				break;
			default:
				if (*s < 0x20 || *s == 0x7f)
					fprintf(out, "\\u%04x", *s);
				else
					fputc(*s, out);
			}
			s++;
		}
	}
	fputc('"', out);
}
