/* The connection pool against a real PostgreSQL (run_with_pg.py starts a
 * throwaway cluster and sets SCIFIND_TEST_PG_DSN; without it, skipped):
 * many queries in flight in pipeline mode with one failing in the middle,
 * the statement timeout, cancellation, a pool that cannot connect. */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/log.h"
#include "store/pool.h"
#include "store/pool_internal.h"
#include "test/test.h"

#include <sys/socket.h>
#include <unistd.h>

static const store_stmt_t stmts[] = {
    {"t_echo", "SELECT $1::integer * 2"},
    {"t_div", "SELECT 100 / $1::integer"},
    {"t_sleep", "SELECT pg_sleep($1::float8)"},
    {"t_pid", "SELECT pg_backend_pid() + 0 * $1::integer"},
};

typedef struct outcome {
    int value; /* the result, or -1 */
    char state[6];
    bool called;
    int order;
} outcome_t;

static int done_count, order_next;

static void on_result(PGresult *res, const char *err, void *data)
{
    outcome_t *o = data;
    (void)err;
    o->called = true;
    o->order = order_next++;
    o->value = -1;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        o->value = atoi(PQgetvalue(res, 0, 0));
    } else if (res) {
        const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(o->state, sizeof o->state, "%s", s ? s : "");
    }
    done_count++;
}

#define NEED_DSN(d)                                                                                \
    const char *d = getenv("SCIFIND_TEST_PG_DSN");                                                 \
    if (!d || !*d) TEST_SKIP("SCIFIND_TEST_PG_DSN not set (run through run_with_pg.py)")

static int64_t lifetime_ms = 60000, idle_ms = 60000; /* new_pool()'s, tests may change them */

static store_pool_t *new_pool(uv_loop_t *loop, const char *d, int max, int64_t stmt_ms)
{
    store_pool_opts_t o = {.label = "test",
                           .dsn = d,
                           .min_conns = 1,
                           .max_conns = max,
                           .max_lifetime_ms = lifetime_ms,
                           .idle_timeout_ms = idle_ms,
                           .statement_timeout_ms = stmt_ms,
                           .connect_timeout_ms = 2000,
                           .stmts = stmts,
                           .nstmts = 4};
    return store_pool_new(loop, &o);
}

static void on_closed(void *data)
{
    *(int *)data = 1;
}

static void close_pool(uv_loop_t *loop, store_pool_t *p)
{
    int closed = 0;
    store_pool_close(p, on_closed, &closed);
    while (!closed)
        uv_run(loop, UV_RUN_ONCE);
    store_pool_free(p);
}

/* Runs the loop until n callbacks came or seconds passed. */
static void run_until(uv_loop_t *loop, int n, double seconds)
{
    uint64_t end = uv_hrtime() + (uint64_t)(seconds * 1e9);
    while (done_count < n && uv_hrtime() < end) {
        uv_update_time(loop);
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(200);
    }
}

TEST(pipeline_many_in_flight_one_failing)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_pool_t *p = new_pool(&loop, d, 1, 5000);
    enum { N = 500 };
    static outcome_t out[N];
    done_count = order_next = 0;
    for (int i = 0; i < N; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i == 250 ? 0 : i + 1);
        const char *params[1] = {v};
        /* Query 250 divides by zero: it fails alone. */
        ASSERT_NOT_NULL(store_pool_send(p, i == 250 ? 1 : 0, 1, params, on_result, &out[i]));
    }
    run_until(&loop, N, 10);
    ASSERT_EQ(done_count, N);
    for (int i = 0; i < N; i++) {
        ASSERT(out[i].called);
        ASSERT_EQ(out[i].order, i);
        if (i == 250) {
            ASSERT_EQ(out[i].value, -1);
            ASSERT_STR_EQ(out[i].state, "22012");
        } else {
            ASSERT_EQ(out[i].value, (i + 1) * 2);
        }
    }
    store_pool_stats_t s;
    store_pool_stats(p, &s);
    ASSERT_EQ(s.total, 1);
    close_pool(&loop, p);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

TEST(spreads_over_connections_up_to_max)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_pool_t *p = new_pool(&loop, d, 3, 5000);
    static outcome_t out[40];
    done_count = order_next = 0;
    run_until(&loop, 1, 0.3); /* the first connection */
    for (int i = 0; i < 40; i++) {
        const char *params[1] = {"0.05"};
        ASSERT_NOT_NULL(store_pool_send(p, 2, 1, params, on_result, &out[i]));
        run_until(&loop, 1000, 0.002);
    }
    run_until(&loop, 40, 10);
    ASSERT_EQ(done_count, 40);
    store_pool_stats_t s;
    store_pool_stats(p, &s);
    ASSERT_GT(s.total, 1);
    ASSERT_LE(s.total, 3);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST(idle_connections_above_the_minimum_close)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    idle_ms = 300;
    store_pool_t *p = new_pool(&loop, d, 3, 5000);
    static outcome_t out[40];
    done_count = order_next = 0;
    run_until(&loop, 1, 0.3);
    for (int i = 0; i < 40; i++) {
        const char *params[1] = {"0.05"};
        ASSERT_NOT_NULL(store_pool_send(p, 2, 1, params, on_result, &out[i]));
        run_until(&loop, 1000, 0.002);
    }
    run_until(&loop, 40, 10);
    store_pool_stats_t s;
    store_pool_stats(p, &s);
    ASSERT_GT(s.connects, 1);    /* it did spread */
    run_until(&loop, 1000, 1.0); /* idle past idle_timeout */
    store_pool_stats(p, &s);
    ASSERT_EQ(s.total, 1); /* back to min_connections */
    ASSERT_EQ(s.ready, 1);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST(lifetime_retires_connections_without_losing_queries)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    lifetime_ms = 200;
    store_pool_t *p = new_pool(&loop, d, 1, 5000);
    static outcome_t out[30];
    done_count = order_next = 0;
    for (int i = 0; i < 30; i++) {
        const char *params[1] = {"5"};
        ASSERT_NOT_NULL(store_pool_send(p, 0, 1, params, on_result, &out[i]));
        run_until(&loop, i + 1, 2);
        run_until(&loop, 1000, 0.05);
    }
    ASSERT_EQ(done_count, 30);
    for (int i = 0; i < 30; i++)
        ASSERT_EQ(out[i].value, 10);
    store_pool_stats_t s;
    store_pool_stats(p, &s);
    ASSERT_GE(s.connects, 3); /* 1.5 s of 200 ms lifetimes */
    ASSERT_EQ(s.connect_failures, 0);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST(lifetime_retires_a_connection_that_is_never_idle)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    lifetime_ms = 200;
    store_pool_t *p = new_pool(&loop, d, 1, 5000);
    static outcome_t out[2000];
    done_count = order_next = 0;
    int sent = 0;
    uint64_t end = uv_hrtime() + 1200000000ull;
    while (uv_hrtime() < end && sent < 2000) { /* always something in flight */
        while (sent - done_count < 4 && sent < 2000) {
            const char *params[1] = {"0.01"};
            ASSERT_NOT_NULL(store_pool_send(p, 2, 1, params, on_result, &out[sent]));
            sent++;
        }
        run_until(&loop, done_count + 1, 1);
    }
    run_until(&loop, sent, 5);
    ASSERT_EQ(done_count, sent);
    for (int i = 0; i < sent; i++)
        ASSERT_STR_EQ(out[i].state, "");
    store_pool_stats_t s;
    store_pool_stats(p, &s);
    ASSERT_GE(s.connects, 3);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST(statement_timeout_fails_that_query)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_pool_t *p = new_pool(&loop, d, 1, 200);
    static outcome_t slow, after;
    done_count = order_next = 0;
    const char *sleep_params[1] = {"3"};
    const char *echo_params[1] = {"21"};
    uint64_t t0 = uv_hrtime();
    ASSERT_NOT_NULL(store_pool_send(p, 2, 1, sleep_params, on_result, &slow));
    ASSERT_NOT_NULL(store_pool_send(p, 0, 1, echo_params, on_result, &after));
    run_until(&loop, 2, 5);
    ASSERT_EQ(done_count, 2);
    ASSERT_STR_EQ(slow.state, "57014");
    ASSERT_EQ(after.value, 42);
    ASSERT_LT((uv_hrtime() - t0) / 1000000, 2000);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST(cancelled_query_never_calls_back)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_pool_t *p = new_pool(&loop, d, 1, 5000);
    static outcome_t a, b;
    done_count = order_next = 0;
    const char *params[1] = {"1"};
    store_query_t *qa = store_pool_send(p, 0, 1, params, on_result, &a);
    ASSERT_NOT_NULL(qa);
    ASSERT_NOT_NULL(store_pool_send(p, 0, 1, params, on_result, &b));
    store_pool_cancel(qa);
    run_until(&loop, 1, 5);
    run_until(&loop, 2, 0.2);
    ASSERT(!a.called);
    ASSERT(b.called);
    ASSERT_EQ(b.value, 2);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST(unreachable_server_fails_fast_then_refuses)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    /* A port nobody listens on (1 is privileged and closed on loopback). */
    store_pool_t *p = new_pool(&loop, "host=127.0.0.1 port=1 dbname=x user=x", 1, 1000);
    static outcome_t a;
    done_count = order_next = 0;
    const char *params[1] = {"1"};
    store_query_t *q = store_pool_send(p, 0, 1, params, on_result, &a);
    if (q) run_until(&loop, 1, 3);
    ASSERT(!q || (a.called && a.value == -1));
    run_until(&loop, 1000, 0.3);
    ASSERT(!store_pool_up(p));
    ASSERT(!store_pool_ready(p));
    ASSERT_NULL(store_pool_send(p, 0, 1, params, on_result, &a));
    ASSERT_GE(store_pool_retry_after_s(p), 1);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

static bool other_socket_read;

static void on_other_socket(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    other_socket_read = true;
    uv_poll_stop(h);
}

/* libpq closes its socket by itself when it finds the server gone; the
 * number is free again at once. A socket opened next gets it, and the
 * pool closing its watcher must not silence that socket's watcher. */
TEST(a_socket_libpq_closed_on_its_own_does_not_silence_the_next_one)
{
    NEED_DSN(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    store_pool_t *p = new_pool(&loop, d, 1, 5000);
    static outcome_t a;
    done_count = order_next = 0;
    const char *params[1] = {"1"};
    ASSERT_NOT_NULL(store_pool_send(p, 3, 1, params, on_result, &a));
    run_until(&loop, 1, 5);
    ASSERT_GT(a.value, 0); /* the backend's pid */

    PGconn *admin = PQconnectdb(d);
    ASSERT_EQ(PQstatus(admin), CONNECTION_OK);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", a.value);
    PQclear(PQexec(admin, sql));
    PQfinish(admin);
    usleep(300 * 1000);

    /* libpq reads the end and closes its socket, the watcher still on. */
    ASSERT_EQ(p->nconns, 1);
    PGconn *pg = p->conns[0]->pg;
    int old = PQsocket(pg);
    ASSERT_GE(old, 0);
    /* The FATAL notice first, then the end of the stream. */
    for (int i = 0; i < 50 && PQsocket(pg) >= 0; i++) {
        PQconsumeInput(pg);
        PGresult *r;
        while (!PQisBusy(pg) && (r = PQgetResult(pg)) != NULL)
            PQclear(r);
        usleep(10 * 1000);
    }
    ASSERT_EQ(PQsocket(pg), -1);
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int mine = sv[0] == old ? sv[0] : sv[1] == old ? sv[1] : -1;
    if (mine < 0) TEST_SKIP("the freed socket number was not given again");
    uv_poll_t other;
    other_socket_read = false;
    ASSERT_EQ(uv_poll_init(&loop, &other, mine), 0);
    ASSERT_EQ(uv_poll_start(&other, UV_READABLE, on_other_socket), 0);
    ASSERT_EQ(write(mine == sv[0] ? sv[1] : sv[0], "x", 1), 1);
    uint64_t end = uv_hrtime() + 2000000000u;
    while (!other_socket_read && uv_hrtime() < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    ASSERT(other_socket_read);
    uv_close((uv_handle_t *)&other, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    close(sv[0]);
    close(sv[1]);
    close_pool(&loop, p);
    uv_loop_close(&loop);
}

TEST_MAIN()
