/*
 * Small macros every module may use.
 */
#ifndef PBXAPI_UTIL_H
#define PBXAPI_UTIL_H

/* The number of elements of the array a (an array, never a pointer). */
#ifndef nitems
#define nitems(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif
