/* The router: literal and {param} segments, 404 versus 405 with Allow,
 * HEAD routed to GET, the matched pattern for metrics. */
#include "http/router.h"
#include "test/test.h"

static void h_a(http_req_t *req)
{
    (void)req;
}

static void h_b(http_req_t *req)
{
    (void)req;
}

typedef struct match {
    http_handler_fn fn;
    const char *params[HTTP_MAX_PARAMS];
    size_t nparams;
    void *data;
    unsigned allowed;
    const char *pattern;
    http_route_class_t cls;
} match_t;

static match_t lookup(http_router_t *r, arena_t *a, unsigned method, const char *path)
{
    http_route_match_t rm;
    match_t m = {0};
    m.fn = http_router_match(r, method, path, strlen(path), a, &rm);
    memcpy(m.params, rm.params, sizeof m.params);
    m.nparams = rm.nparams;
    m.data = rm.data;
    m.allowed = rm.allowed;
    m.pattern = rm.pattern;
    m.cls = rm.cls;
    return m;
}

static http_router_t *sample(void)
{
    http_router_t *r = http_router_new();
    ASSERT_NOT_NULL(r);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/health", HTTP_ROUTE_OPEN, h_a, (void *)1), 0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET | HTTP_M_POST, "/v1/search", HTTP_ROUTE_SEARCH, h_b,
                              (void *)2),
              0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/v1/papers/{id}", HTTP_ROUTE_READ, h_a, (void *)3),
              0);
    ASSERT_EQ(
        http_router_add(r, HTTP_M_PUT, "/v1/providers/{name}", HTTP_ROUTE_ADMIN, h_b, (void *)4),
        0);
    return r;
}

TEST(router_matches_literal_paths)
{
    http_router_t *r = sample();
    arena_t *a = arena_new(0);
    match_t m = lookup(r, a, HTTP_M_GET, "/health");
    ASSERT(m.fn == h_a);
    ASSERT_PTR_EQ(m.data, (void *)1);
    ASSERT_STR_EQ(m.pattern, "/health");
    m = lookup(r, a, HTTP_M_POST, "/v1/search");
    ASSERT(m.fn == h_b);
    arena_free(a);
    http_router_free(r);
}

TEST(router_head_goes_to_get_routes)
{
    http_router_t *r = sample();
    arena_t *a = arena_new(0);
    ASSERT(lookup(r, a, HTTP_M_HEAD, "/health").fn == h_a);
    arena_free(a);
    http_router_free(r);
}

TEST(router_params_take_one_segment)
{
    http_router_t *r = sample();
    arena_t *a = arena_new(0);
    match_t m = lookup(r, a, HTTP_M_GET, "/v1/papers/doi:10.1000%2Fxyz");
    ASSERT(m.fn == h_a);
    ASSERT_EQ(m.nparams, 1);
    ASSERT_STR_EQ(m.params[0], "doi:10.1000%2Fxyz");
    ASSERT_STR_EQ(m.pattern, "/v1/papers/{id}");
    /* an empty segment or a deeper path does not match */
    ASSERT_NULL(lookup(r, a, HTTP_M_GET, "/v1/papers/").fn);
    ASSERT_NULL(lookup(r, a, HTTP_M_GET, "/v1/papers/a/b").fn);
    arena_free(a);
    http_router_free(r);
}

TEST(router_unknown_path_is_404)
{
    http_router_t *r = sample();
    arena_t *a = arena_new(0);
    match_t m = lookup(r, a, HTTP_M_GET, "/nope");
    ASSERT_NULL(m.fn);
    ASSERT_EQ(m.allowed, 0);
    ASSERT_NULL(m.pattern);
    /* prefixes and trailing slashes are other paths */
    ASSERT_NULL(lookup(r, a, HTTP_M_GET, "/healthz").fn);
    ASSERT_NULL(lookup(r, a, HTTP_M_GET, "/health/").fn);
    ASSERT_NULL(lookup(r, a, HTTP_M_GET, "").fn);
    arena_free(a);
    http_router_free(r);
}

TEST(router_other_method_is_405_with_allow)
{
    http_router_t *r = sample();
    arena_t *a = arena_new(0);
    match_t m = lookup(r, a, HTTP_M_DELETE, "/v1/search");
    ASSERT_NULL(m.fn);
    ASSERT_EQ(m.allowed, HTTP_M_GET | HTTP_M_HEAD | HTTP_M_POST);
    ASSERT_STR_EQ(m.pattern, "/v1/search");
    char allow[64];
    http_router_allow_string(m.allowed, allow, sizeof allow);
    ASSERT_STR_EQ(allow, "GET, HEAD, POST");
    m = lookup(r, a, HTTP_M_GET, "/v1/providers/arxiv");
    ASSERT_EQ(m.allowed, HTTP_M_PUT);
    arena_free(a);
    http_router_free(r);
}

TEST(router_refuses_bad_patterns)
{
    http_router_t *r = http_router_new();
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "health", HTTP_ROUTE_READ, h_a, NULL), -1);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/x", HTTP_ROUTE_READ, NULL, NULL), -1);
    ASSERT_EQ(http_router_add(r, 0, "/x", HTTP_ROUTE_READ, h_a, NULL), -1);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/x", (http_route_class_t)9, h_a, NULL), -1);
    http_router_free(r);
}

TEST(router_allow_string_is_bounded)
{
    char small[8];
    http_router_allow_string(HTTP_M_GET | HTTP_M_POST | HTTP_M_DELETE, small, sizeof small);
    ASSERT(strlen(small) < sizeof small);
}

TEST(router_gives_each_route_the_class_it_was_registered_with)
{
    http_router_t *r = sample();
    ASSERT_EQ(http_router_add(r, HTTP_M_DELETE, "/v1/cache", HTTP_ROUTE_ADMIN, h_a, NULL), 0);
    ASSERT_EQ(http_router_add(r, HTTP_M_GET, "/v1/cache/stats", HTTP_ROUTE_READ, h_a, NULL), 0);
    /* A new admin route: closed because it says so, with no list to edit. */
    ASSERT_EQ(http_router_add(r, HTTP_M_POST, "/v1/admin/reindex", HTTP_ROUTE_ADMIN, h_a, NULL), 0);
    arena_t *a = arena_new(0);
    ASSERT_EQ(lookup(r, a, HTTP_M_GET, "/health").cls, HTTP_ROUTE_OPEN);
    ASSERT_EQ(lookup(r, a, HTTP_M_HEAD, "/health").cls, HTTP_ROUTE_OPEN);
    ASSERT_EQ(lookup(r, a, HTTP_M_POST, "/v1/search").cls, HTTP_ROUTE_SEARCH);
    ASSERT_EQ(lookup(r, a, HTTP_M_GET, "/v1/papers/p1").cls, HTTP_ROUTE_READ);
    ASSERT_EQ(lookup(r, a, HTTP_M_PUT, "/v1/providers/arxiv").cls, HTTP_ROUTE_ADMIN);
    ASSERT_EQ(lookup(r, a, HTTP_M_DELETE, "/v1/cache").cls, HTTP_ROUTE_ADMIN);
    ASSERT_EQ(lookup(r, a, HTTP_M_GET, "/v1/cache/stats").cls, HTTP_ROUTE_READ);
    ASSERT_EQ(lookup(r, a, HTTP_M_POST, "/v1/admin/reindex").cls, HTTP_ROUTE_ADMIN);
    /* A method the path does not take (405): the path's class, but no
     * admin handler runs, so an admin route's path reads as READ. */
    match_t m = lookup(r, a, HTTP_M_GET, "/v1/providers/arxiv");
    ASSERT_NULL(m.fn);
    ASSERT_EQ(m.cls, HTTP_ROUTE_READ);
    m = lookup(r, a, HTTP_M_DELETE, "/v1/search");
    ASSERT_NULL(m.fn);
    ASSERT_EQ(m.cls, HTTP_ROUTE_SEARCH);
    /* No route (404): nothing to guard. */
    ASSERT_EQ(lookup(r, a, HTTP_M_GET, "/nowhere").cls, HTTP_ROUTE_OPEN);
    /* Zero is ADMIN: a class left unset is closed. */
    ASSERT_EQ(HTTP_ROUTE_ADMIN, 0);
    ASSERT_STR_EQ(http_route_class_name(HTTP_ROUTE_SEARCH), "search");
    arena_free(a);
    http_router_free(r);
}

TEST_MAIN()
