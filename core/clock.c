#include "core/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
    bool on;
    uint64_t now_ns;
    int64_t wall_ms;
} fake;

uint64_t clock_now_ns(void)
{
    if (fake.on) return fake.now_ns;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t clock_wall_ms(void)
{
    if (fake.on) return fake.wall_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_fake_start(uint64_t now_ns, int64_t wall_ms)
{
    fake.on = true;
    fake.now_ns = now_ns;
    fake.wall_ms = wall_ms;
}

void clock_fake_advance_ms(int64_t ms)
{
    fake.now_ns += (uint64_t)ms * 1000000u;
    fake.wall_ms += ms;
}

void clock_fake_stop(void)
{
    fake.on = false;
}

bool clock_fake_on(void)
{
    return fake.on;
}

const char *clock_http_date(void)
{
    static char cached[32];
    static time_t cached_sec = -1;
    /* CLOCK_REALTIME_COARSE is a vDSO read: cheap enough for every response. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof cached, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        cached_sec = ts.tv_sec;
    }
    return cached;
}
