/* Doubles in JSON: the shortest text that reads back, and the jansson
 * writer that uses it. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_num.h"
#include "test/test.h"

static const char *fmt(double v)
{
    static char buf[JSON_NUM_MAX];
    size_t n = json_num_format(v, buf);
    ASSERT_EQ(n, strlen(buf));
    return buf;
}

TEST(json_num_is_the_shortest_that_reads_back)
{
    ASSERT_STR_EQ(fmt(4.302), "4.302"); /* "%.17g": 4.3019999999999996 */
    ASSERT_STR_EQ(fmt(0.1), "0.1");
    ASSERT_STR_EQ(fmt(0.123456), "0.123456");
    ASSERT_STR_EQ(fmt(5), "5");
    ASSERT_STR_EQ(fmt(-2.5), "-2.5");
    ASSERT_STR_EQ(fmt(1e-7), "1e-07");
    ASSERT_STR_EQ(fmt(0.1 + 0.2), "0.30000000000000004"); /* needs 17 */
    ASSERT_STR_EQ(fmt(1.0 / 3), "0.3333333333333333");    /* needs 16 */
    ASSERT_STR_EQ(fmt(NAN), "null");
    ASSERT_STR_EQ(fmt(INFINITY), "null");
    double hard[] = {4.302, 1.0 / 3, 2.0 / 3, 0.1 + 0.2, 1e300, 5e-324, 123456.789, M_PI};
    for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++)
        ASSERT(strtod(fmt(hard[i]), NULL) == hard[i]);
}

TEST(json_num_dumps_writes_what_json_dumps_does_but_the_reals)
{
    json_t *o = json_pack("{s:f,s:f,s:i,s:s,s:[b,b,n],s:{s:f}}", "p50_ms", 4.302, "whole", 5.0,
                          "calls", 3, "s", "a\"b\\c\n\x01é", "list", 1, 0, "nested", "x", 0.1);
    ASSERT_NOT_NULL(o);
    char *mine = json_num_dumps(o);
    ASSERT_NOT_NULL(mine);
    ASSERT_STR_EQ(mine, "{\"p50_ms\":4.302,\"whole\":5.0,\"calls\":3,"
                        "\"s\":\"a\\\"b\\\\c\\n\\u0001é\",\"list\":[true,false,null],"
                        "\"nested\":{\"x\":0.1}}");
    /* Without reals, byte for byte what jansson writes. */
    json_object_del(o, "p50_ms");
    json_object_del(o, "whole");
    json_object_del(o, "nested");
    char *theirs = json_dumps(o, JSON_COMPACT);
    free(mine);
    mine = json_num_dumps(o);
    ASSERT_STR_EQ(mine, theirs);
    free(theirs);
    free(mine);
    json_decref(o);
    json_t *arr = json_pack("[f,s,[]]", 0.30000000000000004, "");
    mine = json_num_dumps(arr);
    ASSERT_STR_EQ(mine, "[0.30000000000000004,\"\",[]]");
    free(mine);
    json_decref(arr);
    ASSERT_NULL(json_num_dumps(NULL));
}

TEST_MAIN()
