/* Time: a monotonic clock for durations, the wall clock, and a cached HTTP
 * Date header value; a fake clock for tests. */
#ifndef SF_CLOCK_H
#define SF_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Nanoseconds from CLOCK_MONOTONIC (or the fake clock's). */
uint64_t clock_now_ns(void);

/* Milliseconds since the Unix epoch from CLOCK_REALTIME (or the fake
 * clock's): for times other processes read (the Redis tier's values). */
int64_t clock_wall_ms(void);

/* The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT",
 * 29 characters), formatted at most once a second. The pointer stays valid
 * until the next call. */
const char *clock_http_date(void);

/* ---- the fake clock -------------------------------------------------------
 * For state-machine tests that must not sleep: while on, clock_now_ns()
 * and clock_wall_ms() read it, and it moves only when the test says. Every
 * duration, TTL, backoff and latency of the search, L1, L2, the provider
 * cache and the fan-out is read through them. Loop timers (uv_timer_t)
 * keep the loop's own clock. Not thread-safe: tests only. */

/* Turns the fake clock on at now_ns (monotonic) and wall_ms (epoch). */
void clock_fake_start(uint64_t now_ns, int64_t wall_ms);

/* Moves the fake clock on by ms (both clocks). */
void clock_fake_advance_ms(int64_t ms);

/* Back to the system clocks. */
void clock_fake_stop(void);

bool clock_fake_on(void);

#endif
