#include "core/pstatus.h"

static const char *const names[PSTAT_COUNT] = {
    [PSTAT_PENDING] = "pending",           [PSTAT_OK] = "ok",
    [PSTAT_TIMEOUT] = "timeout",           [PSTAT_ERROR] = "error",
    [PSTAT_RATE_LIMITED] = "rate_limited", [PSTAT_CIRCUIT_OPEN] = "circuit_open",
    [PSTAT_DISABLED] = "disabled",         [PSTAT_CACHED] = "cached",
    [PSTAT_CANCELLED] = "cancelled",       [PSTAT_NOT_ASKED] = "not_asked",
};

const char *search_pstatus_name(search_pstatus_t st)
{
    if ((unsigned)st >= PSTAT_COUNT) return "unknown";
    return names[st];
}
