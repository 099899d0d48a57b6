/* A tiny unit-test harness, header only.
 *
 * Usage, one test program per .c file:
 *
 *     #include "test/test.h"
 *
 *     TEST(arena_alloc_is_aligned)
 *     {
 *         arena_t *a = arena_new(0);
 *         ASSERT_NOT_NULL(a);
 *         ASSERT_EQ((uintptr_t)arena_alloc(a, 3) % 16, 0);
 *         arena_free(a);
 *     }
 *
 *     TEST_MAIN()
 *
 * Each TEST registers itself; TEST_MAIN() defines main(), which runs every
 * test in order of definition, each in its own forked process with a time
 * limit (a crash or a hang fails that test only), prints `ok NAME`,
 * `FAIL NAME` or `skip NAME`, and exits 1 if any test failed.
 *
 * Assertions print file:line, the expression and both values, then end the
 * test: ASSERT(c), ASSERT_EQ/NE/LT/LE/GT/GE(a, b) (integers, compared as
 * long long, or unsigned long long with the _U variants), ASSERT_PTR_EQ,
 * ASSERT_NULL(p), ASSERT_NOT_NULL(p), ASSERT_STR_EQ(a, b), ASSERT_STR_NE,
 * ASSERT_STR_CONTAINS(hay, needle), ASSERT_MEM_EQ(a, b, n),
 * ASSERT_DBL_EQ(a, b) (within 1e-9). TEST_SKIP("why") skips the test.
 *
 * Environment: TEST_FILTER=substr runs only tests whose name contains it;
 * TEST_NOFORK=1 runs tests in-process (for gdb; the first failure stops
 * the program); TEST_TIMEOUT=seconds (default 10) per test.
 * Fixtures: meson defines TEST_FIXTURES_DIR (test/core/fixtures);
 * test_fixture("config/basic.yaml") returns the full path.
 */
#ifndef SF_TEST_H
#define SF_TEST_H

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TEST_FIXTURES_DIR
#define TEST_FIXTURES_DIR "test/core/fixtures"
#endif

#define TEST_MAX 512
#define TEST__SKIP_CODE 77

typedef struct test__case {
    const char *name;
    void (*fn)(void);
} test__case_t;

static test__case_t test__cases[TEST_MAX] __attribute__((unused));
static int test__count __attribute__((unused));
static int test__forked __attribute__((unused));

static inline void test__register(const char *name, void (*fn)(void))
{
    if (test__count == TEST_MAX) {
        fprintf(stderr, "test.h: more than %d tests\n", TEST_MAX);
        abort();
    }
    test__cases[test__count].name = name;
    test__cases[test__count].fn = fn;
    test__count++;
}

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test__reg_##name(void)                                \
    {                                                                                              \
        test__register(#name, test_##name);                                                        \
    }                                                                                              \
    static void test_##name(void)

/* Ends the current test as failed. */
static inline void test__fail(void)
{
    fflush(stdout);
    fflush(stderr);
    if (test__forked) _exit(1);
    abort();
}

#define TEST_SKIP(why)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: skipped: %s\n", __FILE__, __LINE__, (why));                        \
        fflush(stderr);                                                                            \
        if (test__forked) _exit(TEST__SKIP_CODE);                                                  \
        return;                                                                                    \
    } while (0)

#define ASSERT(c)                                                                                  \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: ASSERT(%s) failed\n", __FILE__, __LINE__, #c);                 \
            test__fail();                                                                          \
        }                                                                                          \
    } while (0)

#define TEST__CMP(name, type, fmt, a, op, b)                                                       \
    do {                                                                                           \
        type test__a = (type)(a);                                                                  \
        type test__b = (type)(b);                                                                  \
        if (!(test__a op test__b)) {                                                               \
            fprintf(stderr, "%s:%d: %s(%s, %s) failed: " fmt " vs " fmt "\n", __FILE__, __LINE__,  \
                    name, #a, #b, test__a, test__b);                                               \
            test__fail();                                                                          \
        }                                                                                          \
    } while (0)

#define ASSERT_EQ(a, b) TEST__CMP("ASSERT_EQ", long long, "%lld", a, ==, b)
#define ASSERT_NE(a, b) TEST__CMP("ASSERT_NE", long long, "%lld", a, !=, b)
#define ASSERT_LT(a, b) TEST__CMP("ASSERT_LT", long long, "%lld", a, <, b)
#define ASSERT_LE(a, b) TEST__CMP("ASSERT_LE", long long, "%lld", a, <=, b)
#define ASSERT_GT(a, b) TEST__CMP("ASSERT_GT", long long, "%lld", a, >, b)
#define ASSERT_GE(a, b) TEST__CMP("ASSERT_GE", long long, "%lld", a, >=, b)
#define ASSERT_EQ_U(a, b) TEST__CMP("ASSERT_EQ_U", unsigned long long, "%llu", a, ==, b)
#define ASSERT_LE_U(a, b) TEST__CMP("ASSERT_LE_U", unsigned long long, "%llu", a, <=, b)
#define ASSERT_PTR_EQ(a, b) TEST__CMP("ASSERT_PTR_EQ", const void *, "%p", a, ==, b)
#define ASSERT_PTR_NE(a, b) TEST__CMP("ASSERT_PTR_NE", const void *, "%p", a, !=, b)
#define ASSERT_NULL(p) TEST__CMP("ASSERT_NULL", const void *, "%p", p, ==, NULL)
#define ASSERT_NOT_NULL(p) TEST__CMP("ASSERT_NOT_NULL", const void *, "%p", p, !=, NULL)

#define ASSERT_DBL_EQ(a, b)                                                                        \
    do {                                                                                           \
        double test__a = (a), test__b = (b);                                                       \
        if (!(fabs(test__a - test__b) <= 1e-9)) {                                                  \
            fprintf(stderr, "%s:%d: ASSERT_DBL_EQ(%s, %s) failed: %.17g vs %.17g\n", __FILE__,     \
                    __LINE__, #a, #b, test__a, test__b);                                           \
            test__fail();                                                                          \
        }                                                                                          \
    } while (0)

#define TEST__STR(name, a, b, pass)                                                                \
    do {                                                                                           \
        const char *test__a = (a);                                                                 \
        const char *test__b = (b);                                                                 \
        if (!(pass)) {                                                                             \
            fprintf(stderr, "%s:%d: %s(%s, %s) failed:\n  \"%s\"\n  \"%s\"\n", __FILE__, __LINE__, \
                    name, #a, #b, test__a ? test__a : "(null)", test__b ? test__b : "(null)");     \
            test__fail();                                                                          \
        }                                                                                          \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    TEST__STR("ASSERT_STR_EQ", a, b, test__a &&test__b &&strcmp(test__a, test__b) == 0)
#define ASSERT_STR_NE(a, b)                                                                        \
    TEST__STR("ASSERT_STR_NE", a, b, !(test__a && test__b && strcmp(test__a, test__b) == 0))
#define ASSERT_STR_CONTAINS(hay, needle)                                                           \
    TEST__STR("ASSERT_STR_CONTAINS", hay, needle,                                                  \
              test__a &&test__b &&strstr(test__a, test__b) != NULL)

#define ASSERT_MEM_EQ(a, b, n)                                                                     \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            fprintf(stderr, "%s:%d: ASSERT_MEM_EQ(%s, %s, %s) failed\n", __FILE__, __LINE__, #a,   \
                    #b, #n);                                                                       \
            test__fail();                                                                          \
        }                                                                                          \
    } while (0)

/* Full path of a fixture file, in a static buffer (one at a time). */
static inline const char *test_fixture(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TEST_FIXTURES_DIR, rel);
    return path;
}

/* Runs one test in a child process; returns 0 ok, 1 failed, 2 skipped. */
static inline int test__run_forked(const test__case_t *t, unsigned timeout)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        test__forked = 1;
        alarm(timeout); /* SIGALRM kills a hung test */
        t->fn();
        fflush(stdout);
        exit(0); /* exit, not _exit: LeakSanitizer checks the test here */
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 0) return 0;
        if (WEXITSTATUS(status) == TEST__SKIP_CODE) return 2;
        return 1;
    }
    if (WIFSIGNALED(status))
        fprintf(stderr, "%s: killed by signal %d%s\n", t->name, WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
    return 1;
}

static inline int test__main(void)
{
    const char *filter = getenv("TEST_FILTER");
    const char *nofork = getenv("TEST_NOFORK");
    const char *tmo = getenv("TEST_TIMEOUT");
    unsigned timeout = tmo != NULL ? (unsigned)atoi(tmo) : 10;
    int failed = 0;
    for (int i = 0; i < test__count; i++) {
        const test__case_t *t = &test__cases[i];
        if (filter != NULL && strstr(t->name, filter) == NULL) continue;
        int r;
        if (nofork != NULL && nofork[0] == '1') {
            t->fn();
            r = 0;
        } else {
            r = test__run_forked(t, timeout);
        }
        printf("%s %s\n", r == 0 ? "ok" : r == 2 ? "skip" : "FAIL", t->name);
        fflush(stdout);
        if (r == 1) failed++;
    }
    if (failed > 0) printf("%d of %d tests failed\n", failed, test__count);
    return failed > 0 ? 1 : 0;
}

#define TEST_MAIN()                                                                                \
    int main(void)                                                                                 \
    {                                                                                              \
        return test__main();                                                                       \
    }

#endif
