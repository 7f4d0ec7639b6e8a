/*
 * iniline.c: iniline_next (see iniline.h).
 */
#include "iniline.h"

#include <string.h>

bool iniline_next(const char *buf, size_t len, size_t *pos, int *lineno, const char **line,
                  size_t *n)
{
	if (*pos >= len)
		return false;
	const char *l = buf + *pos;
	const char *nl = memchr(l, '\n', len - *pos);
	size_t k = nl ? (size_t)(nl - l) : len - *pos;
	*pos += k + (nl ? 1 : 0);
	(*lineno)++;
	if (*lineno == 1 && k >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
		l += 3;
		k -= 3;
	}
	while (k > 0 && (*l == ' ' || *l == '\t' || *l == '\r' || *l == '\f' || *l == '\v')) {
		l++;
		k--;
	}
	*line = l;
	*n = k;
	return true;
}
