/* traceparent: parsing by the W3C rules, starting, formatting. */
#include <string.h>

#include "http/trace.h"
#include "test/test.h"

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static int parse(const char *s, http_trace_t *t)
{
    return http_trace_parse(s, strlen(s), t);
}

TEST(valid_traceparent_is_parsed)
{
    http_trace_t t;
    ASSERT_EQ(parse(TP, &t), 0);
    ASSERT_STR_EQ(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    ASSERT_STR_EQ(t.parent_id, "00f067aa0ba902b7");
    ASSERT_EQ(t.flags, 1);
    char out[HTTP_TRACEPARENT_LEN + 1];
    http_trace_format(&t, out);
    ASSERT_STR_EQ(out, TP);
}

TEST(invalid_traceparents_are_refused)
{
    http_trace_t t;
    ASSERT_EQ(parse("", &t), -1);
    ASSERT_EQ(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", &t), -1);
    ASSERT_EQ(parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01", &t), -1);
    ASSERT_EQ(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", &t), -1);
    ASSERT_EQ(parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", &t), -1);
    ASSERT_EQ(parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &t), -1);
    ASSERT_EQ(parse("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &t), -1);
    ASSERT_EQ(parse(TP "-extra", &t), -1); /* version 00 has exactly four fields */
    ASSERT_EQ(parse("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &t), -1);
}

TEST(future_versions_may_carry_more)
{
    http_trace_t t;
    ASSERT_EQ(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", &t), 0);
    ASSERT_EQ(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01what", &t), -1);
}

TEST(started_traces_are_valid_and_distinct)
{
    http_trace_t a, b, c;
    http_trace_start(&a);
    http_trace_start(&b);
    char out[HTTP_TRACEPARENT_LEN + 1];
    http_trace_format(&a, out);
    ASSERT_EQ(strlen(out), HTTP_TRACEPARENT_LEN);
    ASSERT_EQ(parse(out, &c), 0);
    ASSERT_STR_NE(a.trace_id, b.trace_id);
    char old[17];
    memcpy(old, a.parent_id, sizeof old);
    http_trace_new_span(&a);
    ASSERT_STR_NE(old, a.parent_id);
}

TEST(apply_keeps_the_trace_and_adds_a_span)
{
    arena_t *ar = arena_new(0);
    http_header_t hs[1] = {{"traceparent", TP, 11, strlen(TP)}};
    http_req_t req = {.arena = ar, .headers = hs, .nheaders = 1};
    ASSERT_EQ(http_trace_apply(&req), 0);
    const char *v = http_req_header(&req, "traceparent");
    ASSERT_NOT_NULL(v);
    ASSERT_EQ(strncmp(v, TP, 36), 0); /* version and trace id */
    ASSERT_STR_NE(v, TP);             /* our span */
    ASSERT_STR_EQ(v + 52, "-01");
    http_req_t bare = {.arena = ar};
    ASSERT_EQ(http_trace_apply(&bare), 0);
    ASSERT_EQ(bare.nheaders, 1);
    http_trace_t t;
    v = http_req_header(&bare, "traceparent");
    ASSERT_EQ(http_trace_parse(v, strlen(v), &t), 0);
    arena_free(ar);
}

TEST_MAIN()
