/* GET /metrics: the group's metrics in the Prometheus text format
 * (core/metrics.h), gzip when asked. */
#ifndef SF_HTTP_HANDLERS_METRICS_H
#define SF_HTTP_HANDLERS_METRICS_H

#include "http/router.h"

/* Adds the route. Returns 0 or -1. */
int http_metrics_register(http_router_t *r);

#endif
