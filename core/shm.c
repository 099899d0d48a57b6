#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "core/shm.h"

#define SHM_MAGIC 0x73636966696e6431ull /* "scifind1" */

static shm_region_t *region;

shm_region_t *shm_create(void)
{
    if (region) return region;
    void *p =
        mmap(NULL, sizeof(shm_region_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    shm_region_t *r = p; /* anonymous mappings start zeroed */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    for (int i = 0; i < SRC_COUNT; i++)
        pthread_mutex_init(&r->providers[i].lock, &attr);
    pthread_mutex_init(&r->metrics_lock, &attr);
    pthread_mutex_init(&r->clients_lock, &attr);
    pthread_mutex_init(&r->cache_deletions.lock, &attr);
    pthread_mutex_init(&r->mcp.lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (getrandom(r->mcp.key, sizeof r->mcp.key, 0) != (ssize_t)sizeof r->mcp.key) {
        munmap(p, sizeof(shm_region_t)); /* no key: no MCP session could be trusted */
        return NULL;
    }
    r->magic = SHM_MAGIC;
    region = r;
    return region;
}

shm_region_t *shm_get(void)
{
    return region;
}

void shm_destroy(void)
{
    if (!region) return;
    for (int i = 0; i < SRC_COUNT; i++)
        pthread_mutex_destroy(&region->providers[i].lock);
    pthread_mutex_destroy(&region->metrics_lock);
    pthread_mutex_destroy(&region->clients_lock);
    pthread_mutex_destroy(&region->cache_deletions.lock);
    munmap(region, sizeof(shm_region_t));
    region = NULL;
}

void shm_lock(pthread_mutex_t *lock)
{
    /* The previous holder died inside: what it guarded is counters and
     * timestamps, still usable as they are. */
    if (pthread_mutex_lock(lock) == EOWNERDEAD) pthread_mutex_consistent(lock);
}

void shm_unlock(pthread_mutex_t *lock)
{
    pthread_mutex_unlock(lock);
}

int shm_signing_key(const void **key, size_t *len)
{
    static uint8_t local_key[32];
    static bool local_key_set;
    shm_region_t *r = shm_get();
    if (r) {
        *key = r->mcp.key;
        *len = sizeof r->mcp.key;
        return 0;
    }
    if (!local_key_set) {
        if (getrandom(local_key, sizeof local_key, 0) != (ssize_t)sizeof local_key) return -1;
        local_key_set = true;
    }
    *key = local_key;
    *len = sizeof local_key;
    return 0;
}
