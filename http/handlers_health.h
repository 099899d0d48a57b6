/* Health endpoints: /health (liveness, no dependency touched),
 * /health/live and /health/ready (readiness of this worker and of each
 * configured dependency). */
#ifndef SF_HTTP_HANDLERS_HEALTH_H
#define SF_HTTP_HANDLERS_HEALTH_H

#include <stddef.h>

#include "http/router.h"

/* One dependency's state: writes a JSON object describing it into buf
 * (len bytes, e.g. {"status":"ok"}) and returns its status word: "ok",
 * "degraded", "down" or "disabled". */
typedef const char *(*http_health_check_fn)(void *data, char *buf, size_t len);

typedef struct http_health_check {
    const char *name; /* the key in "checks" */
    http_health_check_fn fn;
    void *data;
} http_health_check_t;

/* Adds the three routes. checks (n of them, kept by pointer) are reported
 * by /health/ready: a dependency that is not "ok" makes the answer
 * "degraded", still 200, since scifind keeps answering without it; only a
 * draining worker is not ready (503). Returns 0, or -1 when out of memory. */
int http_health_register(http_router_t *r, const http_health_check_t *checks, size_t n);

#endif
