/* gzip: Accept-Encoding parsing and a round trip through zlib. */
#include <string.h>
#include <zlib.h>

#include "http/compress.h"
#include "test/test.h"

static bool accepts(const char *ae)
{
    http_header_t h = {"Accept-Encoding", ae, 15, strlen(ae)};
    http_req_t req = {.headers = &h, .nheaders = 1};
    return http_accepts_gzip(&req);
}

TEST(accept_encoding_is_read_with_q_values)
{
    ASSERT(accepts("gzip"));
    ASSERT(accepts("deflate, gzip;q=0.5, br"));
    ASSERT(accepts("GZIP"));
    ASSERT(accepts("*"));
    ASSERT(accepts("x-gzip"));
    ASSERT(!accepts("gzip;q=0"));
    ASSERT(!accepts("br, deflate"));
    ASSERT(!accepts("identity"));
    ASSERT(!accepts("gzipx"));
    ASSERT(accepts("x-gzip;q=0.1"));
    ASSERT(accepts("gzip ; q=0.5"));
    ASSERT(!accepts("gzip ; q=0"));
    ASSERT(!accepts("gzip;q=0.000"));
    ASSERT(accepts("identity, *"));
    http_req_t none = {0};
    ASSERT(!http_accepts_gzip(&none));
}

TEST(accept_encoding_named_gzip_wins_over_the_star)
{
    ASSERT(!accepts("*, gzip;q=0"));
    ASSERT(!accepts("gzip;q=0, *"));
    ASSERT(!accepts("x-gzip;q=0, *;q=1"));
    ASSERT(accepts("*;q=0, gzip"));
    ASSERT(accepts("*;q=0, x-gzip;q=0.2"));
    ASSERT(!accepts("*;q=0"));
    ASSERT(!accepts("br, *;q=0"));
}

TEST(gzip_round_trip)
{
    arena_t *a = arena_new(0);
    char body[5000];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = "scifind "[i % 8];
    size_t zlen;
    unsigned char *z = http_gzip(a, body, sizeof body, 5, &zlen);
    ASSERT_NOT_NULL(z);
    ASSERT_LT(zlen, sizeof body / 10);
    ASSERT_EQ(z[0], 0x1f);
    ASSERT_EQ(z[1], 0x8b);
    char back[6000];
    z_stream s = {0};
    ASSERT_EQ(inflateInit2(&s, 15 + 16), Z_OK);
    s.next_in = z;
    s.avail_in = (uInt)zlen;
    s.next_out = (Bytef *)back;
    s.avail_out = sizeof back;
    ASSERT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END);
    ASSERT_EQ(s.total_out, sizeof body);
    ASSERT_MEM_EQ(back, body, sizeof body);
    inflateEnd(&s);
    arena_free(a);
}

TEST_MAIN()
