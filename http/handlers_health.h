/* Health endpoints: /health (liveness, no dependency touched),
 * /health/live and /health/ready (readiness of this worker). */
#ifndef SF_HTTP_HANDLERS_HEALTH_H
#define SF_HTTP_HANDLERS_HEALTH_H

#include "http/router.h"

/* Adds the three routes. Returns 0, or -1 when out of memory. */
int http_health_register(http_router_t *r);

#endif
