/* What an answer says beyond its status (providers/answers.c): throttling
 * and blocks in disguise, and the provider's own error message. */
#include <string.h>

#include "test/providers/helpers.h"

static prov_answer_kind_t kind(source_t s, long status, const char *body)
{
    return prov_answer_kind(s, status, body, body ? strlen(body) : 0);
}

TEST(arxiv_rate_exceeded_with_200_and_406_is_throttling)
{
    ASSERT_EQ(kind(SRC_ARXIV, 200, "Rate exceeded."), PROV_ANSWER_THROTTLED);
    ASSERT_EQ(kind(SRC_ARXIV, 503, "\nRate exceeded.\n"), PROV_ANSWER_THROTTLED);
    ASSERT_EQ(kind(SRC_ARXIV, 406, ""), PROV_ANSWER_THROTTLED);
    ASSERT_EQ(kind(SRC_ARXIV, 429, "Rate exceeded."), PROV_ANSWER_THROTTLED);
    ASSERT_EQ(kind(SRC_CROSSREF, 406, "{}"), PROV_ANSWER_NORMAL);
    ASSERT_EQ(kind(SRC_ARXIV, 200, "<?xml version='1.0'?><feed/>"), PROV_ANSWER_NORMAL);
    ASSERT_EQ(kind(SRC_OPENALEX, 429, "{}"), PROV_ANSWER_THROTTLED);
}

TEST(refusals_and_challenge_pages_are_blocks)
{
    ASSERT_EQ(kind(SRC_EXA, 402, "{\"error\":\"Payment required\"}"), PROV_ANSWER_BLOCKED);
    ASSERT_EQ(kind(SRC_SEMANTIC_SCHOLAR, 403, "{\"message\":\"Forbidden\"}"), PROV_ANSWER_BLOCKED);
    /* OpenAlex documents its 403 as "Rate limit exceeded; slow down". */
    ASSERT_EQ(kind(SRC_OPENALEX, 403, "{\"error\":\"Rate limit exceeded; slow down\"}"),
              PROV_ANSWER_THROTTLED);
    ASSERT_EQ(kind(SRC_CROSSREF, 200,
                   "<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"),
              PROV_ANSWER_BLOCKED);
    ASSERT_EQ(kind(SRC_ARXIV, 503, "<html><body>Please solve this CAPTCHA</body></html>"),
              PROV_ANSWER_BLOCKED);
    ASSERT_EQ(kind(SRC_CROSSREF, 200, "{\"message\":\"captcha\"}"), PROV_ANSWER_NORMAL);
    ASSERT_EQ(kind(SRC_CROSSREF, 500, NULL), PROV_ANSWER_NORMAL);
}

static const char *text(source_t s, const char *body, char *out, size_t outlen)
{
    prov_error_text(s, body, strlen(body), out, outlen);
    return out;
}

TEST(error_text_is_the_providers_own_message)
{
    char m[160];
    ASSERT_STR_EQ(
        text(SRC_SEMANTIC_SCHOLAR,
             "{\"error\":\"Requested data for this limit and/or offset is not available\"}", m,
             sizeof m),
        "Requested data for this limit and/or offset is not available");
    ASSERT_STR_EQ(text(SRC_OPENALEX,
                       "{\"error\":\"Invalid query parameters error.\",\"message\":\"x is not a "
                       "valid field.\"}",
                       m, sizeof m),
                  "Invalid query parameters error.: x is not a valid field.");
    ASSERT_STR_EQ(
        text(SRC_EXA, "{\"requestId\":\"1\",\"error\":\"Invalid\",\"tag\":\"BAD\"}", m, sizeof m),
        "Invalid (BAD)");
    ASSERT_STR_EQ(text(SRC_CROSSREF,
                       "{\"status\":\"failed\",\"message\":[{\"type\":\"t\",\"message\":\"Integer "
                       "specified as x\"}]}",
                       m, sizeof m),
                  "Integer specified as x");
    ASSERT_STR_EQ(text(SRC_CROSSREF, "Resource not found.\nmore", m, sizeof m),
                  "Resource not found.");
    ASSERT_STR_EQ(text(SRC_ARXIV, "<!DOCTYPE html><title>Just a moment...</title>", m, sizeof m),
                  "Just a moment...");
    ASSERT_STR_EQ(text(SRC_SEMANTIC_SCHOLAR, "{\"data\": []}", m, sizeof m), "");
}

TEST(error_text_of_the_real_arxiv_error_feed)
{
    size_t len;
    char *body = fixture_read("arxiv/error.xml", &len); /* recorded: id_list=abc, HTTP 400 */
    char m[160];
    prov_error_text(SRC_ARXIV, body, len, m, sizeof m);
    ASSERT_STR_EQ(m, "incorrect id format for abc");
    free(body);
}

TEST(error_text_is_bounded_and_safe)
{
    char m[16];
    ASSERT_STR_EQ(
        text(SRC_SEMANTIC_SCHOLAR, "{\"error\":\"a\\u0000b\\n\\tc\\u001bd\"}", m, sizeof m),
        "a b c d");
    /* Cut at a character boundary: 6 x "\xc3\xa9" = 12 bytes, room for 15. */
    ASSERT_STR_EQ(
        text(SRC_SEMANTIC_SCHOLAR,
             "{\"error\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", m,
             sizeof m),
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    char one[1];
    prov_error_text(SRC_EXA, "{\"error\":\"x\"}", 13, one, sizeof one);
    ASSERT_STR_EQ(one, "");
}

TEST_MAIN()
