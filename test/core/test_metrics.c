/* Metrics: slots claimed by pid, sums across workers, the text format
 * (checked with promtool when it is installed). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/shm.h"
#include "test/test.h"

static char *render(void)
{
    size_t len;
    char *t = metrics_render(&len);
    if (t) ASSERT_EQ(strlen(t), len);
    return t;
}

TEST(render_without_region_has_every_family)
{
    metrics_http_request("/v1/search", 200, 12.5);
    metrics_provider_call(SRC_ARXIV, PSTAT_OK, 300);
    metrics_cache_hit(METRICS_TIER_L1);
    char *t = render();
    ASSERT_NOT_NULL(t);
    ASSERT_STR_CONTAINS(t, "# TYPE scifind_search_requests_total counter");
    ASSERT_STR_CONTAINS(t, "scifind_search_requests_total{provider=\"arxiv\",status=\"ok\"} 1\n");
    ASSERT_STR_CONTAINS(t, "# TYPE scifind_provider_response_time_seconds histogram");
    ASSERT_STR_CONTAINS(
        t, "scifind_provider_response_time_seconds_bucket{provider=\"arxiv\",le=\"0.25\"} 0\n");
    ASSERT_STR_CONTAINS(
        t, "scifind_provider_response_time_seconds_bucket{provider=\"arxiv\",le=\"0.5\"} 1\n");
    ASSERT_STR_CONTAINS(t, "scifind_search_duration_seconds_count{provider=\"arxiv\"} 1\n");
    ASSERT_STR_CONTAINS(t, "scifind_http_requests_total{route=\"/v1/search\",status=\"200\"} 1\n");
    ASSERT_STR_CONTAINS(t, "scifind_cache_hits_total{tier=\"l1\"} 1\n");
    ASSERT_STR_CONTAINS(t, "scifind_db_connections{status=\"idle\"} 0\n");
    ASSERT_STR_CONTAINS(t, "scifind_process_resident_memory_bytes{worker=\"0\"}");
    free(t);
}

TEST(slots_are_summed_across_processes)
{
    ASSERT_NOT_NULL(shm_create());
    ASSERT_EQ(metrics_attach(), 0);
    metrics_http_request("/v1/search", 200, 1);
    metrics_http_request(NULL, 404, 1);
    for (int w = 0; w < 3; w++) {
        pid_t pid = fork();
        if (pid == 0) {
            int slot = metrics_attach();
            if (slot <= 0) _exit(1);
            metrics_http_request("/v1/search", 200, 1);
            metrics_count(METRIC_SHED);
            metrics_http_in_flight(5); /* a gauge: gone with the process */
            metrics_detach();
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    char *t = render();
    ASSERT_STR_CONTAINS(t, "scifind_http_requests_total{route=\"/v1/search\",status=\"200\"} 4\n");
    ASSERT_STR_CONTAINS(t, "scifind_http_requests_total{route=\"none\",status=\"404\"} 1\n");
    ASSERT_STR_CONTAINS(t, "scifind_shed_requests_total 3\n");
    ASSERT_STR_CONTAINS(t, "scifind_http_requests_in_flight 0\n");
    ASSERT_STR_CONTAINS(t, "scifind_workers 1\n");
    free(t);
    metrics_detach();
    shm_destroy();
}

TEST(slot_of_a_dead_worker_is_reclaimed_with_its_counters)
{
    shm_region_t *r = shm_create();
    ASSERT_NOT_NULL(r);
    /* Every slot held by a process that is gone (pid 1 is alive: use
     * pids that cannot exist). */
    for (int i = 0; i < SHM_MAX_WORKERS; i++)
        r->workers[i].pid = 0x3ffffff0 + i;
    r->metrics[7].used = 1;
    r->metrics[7].shed = 40;
    r->metrics[7].http_in_flight = 9;
    int slot = metrics_attach();
    ASSERT_GE(slot, 0);
    ASSERT_EQ(r->workers[slot].pid, getpid());
    char *t = render();
    ASSERT_STR_CONTAINS(t, "scifind_shed_requests_total 40\n");
    ASSERT_STR_CONTAINS(t, "scifind_http_requests_in_flight 0\n");
    free(t);
    metrics_detach();
    shm_destroy();
}

TEST(output_passes_promtool)
{
    if (access("/usr/bin/promtool", X_OK) != 0) TEST_SKIP("promtool not installed");
    ASSERT_NOT_NULL(shm_create());
    metrics_attach();
    metrics_http_request("/v1/papers/{id}", 200, 3);
    metrics_http_request("/v1/search", 503, 0.2);
    metrics_http_request("/weird\"route", 999, 0.2);
    metrics_provider_call(SRC_CROSSREF, PSTAT_TIMEOUT, 4000);
    metrics_db_connections(2, 1, 0, 0);
    char *t = render();
    FILE *p = popen("promtool check metrics > /tmp/sf_promtool.out 2>&1", "w");
    ASSERT_NOT_NULL(p);
    fputs(t, p);
    int rc = pclose(p);
    free(t);
    if (rc != 0) {
        system("cat /tmp/sf_promtool.out");
        ASSERT_EQ(rc, 0);
    }
    metrics_detach();
    shm_destroy();
}

TEST_MAIN()
