/* What became of one provider in a search: the one status the search
 * (core/search.h), its backends, the answer it writes (core/answer_json.h)
 * and the metrics (core/metrics.h) share. */
#ifndef SF_PSTATUS_H
#define SF_PSTATUS_H

typedef enum {
    PSTAT_PENDING = 0,  /* asked, no answer yet (never in a finished answer) */
    PSTAT_OK,           /* answered */
    PSTAT_TIMEOUT,      /* its own timeout or the search deadline came first */
    PSTAT_ERROR,        /* failed: connection, HTTP status, unreadable answer */
    PSTAT_RATE_LIMITED, /* the provider (429) or our own limiter said no */
    PSTAT_CIRCUIT_OPEN, /* the breaker keeps it out after repeated failures */
    PSTAT_DISABLED,     /* off in the configuration */
    PSTAT_CACHED,       /* answered from the per-provider cache */
    PSTAT_CANCELLED,    /* not needed any more (strategy "fastest" or "first") */
    PSTAT_NOT_ASKED,    /* not in the query's provider list */
    PSTAT_COUNT
} search_pstatus_t;

/* "pending", "ok", "timeout", "error", "rate_limited", "circuit_open",
 * "disabled", "cached", "cancelled", "not_asked"; "unknown" out of range.
 * Answers and metrics labels use these names. */
const char *search_pstatus_name(search_pstatus_t st);

#endif
