/* Unit tests for core/escape.c: hex digits, percent-decoding and JSON
 * string escaping. */
#include "core/escape.h"
#include "test/test.h"

TEST(hex_digit_reads_both_cases_and_refuses_the_rest)
{
    ASSERT_EQ(hex_digit('0'), 0);
    ASSERT_EQ(hex_digit('9'), 9);
    ASSERT_EQ(hex_digit('a'), 10);
    ASSERT_EQ(hex_digit('F'), 15);
    ASSERT_EQ(hex_digit('g'), -1);
    ASSERT_EQ(hex_digit('G'), -1);
    ASSERT_EQ(hex_digit(' '), -1);
    ASSERT_EQ(hex_digit(0xff), -1);
}

TEST(pct_decode_decodes_escapes_and_plus_in_a_query_string)
{
    char out[32];
    const char *s = "a%20b+c%2Bd%e2%80%a6";
    ASSERT_EQ(pct_decode(s, strlen(s), out, true), 10);
    ASSERT_STR_EQ(out, "a b c+d\xe2\x80\xa6");
}

TEST(pct_decode_keeps_plus_in_a_path)
{
    char out[16];
    ASSERT_EQ(pct_decode("doi:10.1/a+b", 12, out, false), 12);
    ASSERT_STR_EQ(out, "doi:10.1/a+b");
}

TEST(pct_decode_refuses_a_cut_or_bad_escape)
{
    char out[16];
    ASSERT_EQ(pct_decode("ab%4", 4, out, true), -1);
    ASSERT_EQ(pct_decode("ab%", 3, out, true), -1);
    ASSERT_EQ(pct_decode("%zz", 3, out, true), -1);
    ASSERT_EQ(pct_decode("%4g", 3, out, true), -1);
    /* the escape must lie inside the n bytes, whatever follows them */
    ASSERT_EQ(pct_decode("%41", 2, out, true), -1);
}

TEST(pct_decode_decodes_nul_for_the_caller_to_judge)
{
    char out[8];
    ASSERT_EQ(pct_decode("a%00b", 5, out, true), 3);
    ASSERT_MEM_EQ(out, "a\0b", 3);
}

TEST(qs_next_walks_the_pairs_and_names_the_bad_side)
{
    const char *qs = "&q=a+b%21&&flag&limit=10&x%00=1&y=%zz&zz=12345678&last=";
    size_t len = strlen(qs), pos = 0, vl;
    char name[8], value[8];
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_PAIR);
    ASSERT_STR_EQ(name, "q");
    ASSERT_STR_EQ(value, "a b!");
    ASSERT_EQ(vl, 4);
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_PAIR);
    ASSERT_STR_EQ(name, "flag");
    ASSERT_EQ(vl, 0);
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_PAIR);
    ASSERT_STR_EQ(value, "10");
    /* a NUL in the name, a bad escape, a value too long: named, then skipped */
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_BAD_NAME);
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_BAD_VALUE);
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_BAD_VALUE);
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_PAIR);
    ASSERT_STR_EQ(name, "last");
    ASSERT_STR_EQ(value, "");
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_END);
    ASSERT_EQ(qs_next(qs, len, &pos, name, sizeof name, value, sizeof value, &vl), QS_END);
}

static const char *esc(const char *s)
{
    static char out[256];
    json_escape_into(out, sizeof out, s);
    return out;
}

TEST(json_escape_uses_short_forms_and_u00xx_for_controls)
{
    ASSERT_STR_EQ(esc("a\"b\\c"), "a\\\"b\\\\c");
    ASSERT_STR_EQ(esc("l1\nl2\r\t"), "l1\\nl2\\r\\t");
    ASSERT_STR_EQ(esc("\x01\x1f\x7f"), "\\u0001\\u001f\\u007f");
}

TEST(json_escape_keeps_valid_utf8_and_replaces_invalid_bytes)
{
    ASSERT_STR_EQ(esc("caf\xc3\xa9 \xf0\x9f\x93\x9a"), "caf\xc3\xa9 \xf0\x9f\x93\x9a");
    ASSERT_STR_EQ(esc("x\xffy"), "x\\ufffdy");
    ASSERT_STR_EQ(esc("\xc0\xaf"), "\\ufffd\\ufffd");            /* overlong */
    ASSERT_STR_EQ(esc("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd"); /* surrogate */
    ASSERT_STR_EQ(esc("\xe2\x80"), "\\ufffd\\ufffd");            /* cut short */
}

TEST(json_escape_escapes_the_javascript_line_separators)
{
    ASSERT_STR_EQ(esc("a\xe2\x80\xa8"
                      "b\xe2\x80\xa9"),
                  "a\\u2028b\\u2029");
}

TEST(json_plain_run_stops_at_what_needs_escaping)
{
    ASSERT_EQ(json_plain_run("abc\"d", 5), 3);
    ASSERT_EQ(json_plain_run("ab\\", 3), 2);
    ASSERT_EQ(json_plain_run("a\xc3\xa9", 3), 1);
    ASSERT_EQ(json_plain_run("ab\x7f", 3), 2);
    ASSERT_EQ(json_plain_run("abc", 3), 3);
}

TEST(json_escape_char_reports_the_bytes_it_stands_for)
{
    char out[JSON_ESCAPE_MAX];
    size_t used;
    ASSERT_EQ(json_escape_char("\xf0\x9f\x93\x9a!", 5, out, &used), 4);
    ASSERT_EQ(used, 4);
    ASSERT_EQ(json_escape_char("\xff!", 2, out, &used), 6);
    ASSERT_EQ(used, 1);
    ASSERT_MEM_EQ(out, "\\ufffd", 6);
}

TEST(json_escape_into_never_cuts_an_escape_or_a_character)
{
    char out[8];
    ASSERT_EQ(json_escape_into(out, sizeof out, "abcdefghij"), 7);
    ASSERT_STR_EQ(out, "abcdefg");
    ASSERT_EQ(json_escape_into(out, sizeof out, "abcd\n\n"), 6);
    ASSERT_STR_EQ(out, "abcd\\n");
    ASSERT_EQ(json_escape_into(out, sizeof out, "abc\x01"), 3); /* \u0001 would pass the end */
    ASSERT_STR_EQ(out, "abc");
    ASSERT_EQ(json_escape_into(out, sizeof out, "abcd\xc3\xa9\xc3\xa9"), 6);
    ASSERT_STR_EQ(out, "abcd\xc3\xa9");
    ASSERT_EQ(json_escape_into(out, 1, "abc"), 0);
    ASSERT_STR_EQ(out, "");
}

TEST_MAIN()
