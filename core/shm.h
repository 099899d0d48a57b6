/* The shared-memory region: the only state workers share. The master maps
 * it (MAP_SHARED | MAP_ANONYMOUS) before forking, so every worker sees the
 * same bytes at the same address. It holds, per provider, the group-wide
 * rate limiter, the circuit breaker and recent call statistics, each
 * guarded by a process-shared robust mutex (critical sections are a few
 * instructions; a worker killed while holding one does not wedge the
 * others), and one metrics slot per worker, written only by its worker and
 * summed by whoever reads them. */
#ifndef SF_SHM_H
#define SF_SHM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/paper.h"

#define SHM_MAX_WORKERS 256
#define SHM_LATENCY_WINDOW 256

typedef enum { BREAKER_CLOSED = 0, BREAKER_OPEN, BREAKER_HALF_OPEN } breaker_state_t;

typedef struct shm_provider {
    pthread_mutex_t lock; /* shm_lock()/shm_unlock() */

    /* Token bucket (interval_ns == 0: no limit). Tokens may go below zero:
     * a negative count is calls that reserved a future slot. */
    int64_t interval_ns;
    double burst;
    double tokens;
    int64_t refilled_ns;

    /* Circuit breaker. */
    breaker_state_t breaker;
    int consecutive_failures;
    int openings; /* consecutive openings: the open time grows with them */
    int64_t open_until_ns;
    int64_t probe_started_ns; /* 0: no probe in flight */

    /* Statistics. */
    uint64_t calls, errors, rate_limited, breaker_rejections;
    uint32_t latency_us[SHM_LATENCY_WINDOW]; /* recent successful calls, a ring */
    uint32_t latency_next, latency_count;
} shm_provider_t;

/* Counters a worker publishes (metrics). */
typedef struct shm_worker {
    int pid;
    uint64_t requests, searches, searches_in_flight;
} shm_worker_t;

typedef struct shm_region {
    uint64_t magic;
    shm_provider_t providers[SRC_COUNT];
    shm_worker_t workers[SHM_MAX_WORKERS];
} shm_region_t;

/* Maps the region (once per process group, before fork). Returns it, or
 * NULL when mmap fails. */
shm_region_t *shm_create(void);

/* The region of this process group, or NULL before shm_create(). */
shm_region_t *shm_get(void);

/* Unmaps it (at exit; tests). */
void shm_destroy(void);

void shm_lock(pthread_mutex_t *lock);
void shm_unlock(pthread_mutex_t *lock);

#endif
