/* core/decimal.h: integers as text, checked against printf. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/decimal.h"
#include "test/test.h"

static void same_as_printf(long long v)
{
    char want[32], got[DECIMAL_MAX + 1];
    snprintf(want, sizeof want, "%lld", v);
    char *end = decimal_put(got, v);
    ASSERT(end - got <= DECIMAL_MAX);
    *end = '\0';
    ASSERT_STR_EQ(got, want);
}

TEST(small_and_signed)
{
    same_as_printf(0);
    same_as_printf(7);
    same_as_printf(-7);
    same_as_printf(10);
    same_as_printf(2021);
    same_as_printf(-1000);
}

TEST(the_extremes)
{
    same_as_printf(LLONG_MAX);
    same_as_printf(LLONG_MIN);
    same_as_printf(INT_MAX);
    same_as_printf(INT_MIN);
}

TEST(powers_of_ten_and_their_neighbours)
{
    for (long long p = 1; p <= LLONG_MAX / 10; p *= 10) {
        same_as_printf(p - 1);
        same_as_printf(p);
        same_as_printf(-p - 1);
    }
}

TEST_MAIN()
