/*
 * The common parameter validators (declared in dispatch.h), apart from
 * dispatch so that a parser or a fuzz target can use them without the
 * routing tables.
 */
#include <stddef.h>

#include "dispatch.h"
#include "str.h"

int
v_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	return 0;
}

int
v_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			s[i] == '.' || s[i] == '-'))
			return -1;
	return 0;
}

int
v_printable(const char *s, size_t n)
{
	return str_has_ctl(s, n) ? -1 : 0;
}
