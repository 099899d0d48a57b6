/* Time: a monotonic clock for durations and a cached HTTP Date header value. */
#ifndef SF_CLOCK_H
#define SF_CLOCK_H

#include <stdint.h>

/* Nanoseconds from CLOCK_MONOTONIC. */
uint64_t clock_now_ns(void);

/* The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT",
 * 29 characters), formatted at most once a second. The pointer stays valid
 * until the next call. */
const char *clock_http_date(void);

#endif
