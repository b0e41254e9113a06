/*
 * Small macros and helpers every module may use.
 */
#ifndef PBXAPI_UTIL_H
#define PBXAPI_UTIL_H

#include <stdint.h>
#include <time.h>

/* The number of elements of the array a (an array, never a pointer). */
#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The monotonic clock in milliseconds (intervals, deadlines, ages). */
static inline uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
