/* core/deflate.h: a raw DEFLATE stream and its CRC, at the level asked. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/deflate.h"
#include "test/test.h"

static char body[20000];

static void fill(void)
{
    /* Text with some variety, so that the levels make different streams. */
    unsigned x = 1;
    for (size_t i = 0; i < sizeof body; i++) {
        x = x * 1103515245u + 12345u;
        body[i] = "abcdefgh ijklmnop"[(x >> 16) % 17];
    }
}

/* zlib's own raw stream at level, for comparison. */
static size_t zlib_raw(int level, unsigned char *out, size_t cap)
{
    z_stream s = {0};
    ASSERT_EQ(deflateInit2(&s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    s.next_in = (Bytef *)body;
    s.avail_in = sizeof body;
    s.next_out = out;
    s.avail_out = (uInt)cap;
    ASSERT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
    size_t n = s.total_out;
    deflateEnd(&s);
    return n;
}

TEST(deflate_raw_round_trip_and_crc)
{
    fill();
    size_t n;
    uint32_t crc;
    unsigned char *z = sf_deflate_raw(body, sizeof body, 6, &n, &crc);
    ASSERT_NOT_NULL(z);
    ASSERT_EQ_U(crc, crc32(0L, (const Bytef *)body, sizeof body));
    char back[sizeof body];
    z_stream s = {0};
    ASSERT_EQ(inflateInit2(&s, -15), Z_OK);
    s.next_in = z;
    s.avail_in = (uInt)n;
    s.next_out = (Bytef *)back;
    s.avail_out = sizeof back;
    ASSERT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END);
    ASSERT_EQ(s.total_out, sizeof body);
    ASSERT_MEM_EQ(back, body, sizeof body);
    inflateEnd(&s);
    free(z);
}

TEST(deflate_raw_follows_the_level)
{
    fill();
    static unsigned char want[sizeof body * 2];
    for (int level = 1; level <= 9; level += 8) {
        size_t n, wn = zlib_raw(level, want, sizeof want);
        uint32_t crc;
        unsigned char *z = sf_deflate_raw(body, sizeof body, level, &n, &crc);
        ASSERT_EQ(n, wn);
        ASSERT_MEM_EQ(z, want, n);
        free(z);
    }
    size_t n1 = zlib_raw(1, want, sizeof want), n9 = zlib_raw(9, want, sizeof want);
    ASSERT_NE(n1, n9); /* else the test above says nothing */
}

TEST(deflate_level_out_of_range_is_the_default)
{
    fill();
    static unsigned char want[sizeof body * 2];
    size_t wn = zlib_raw(SF_DEFLATE_LEVEL_DEFAULT, want, sizeof want);
    int levels[] = {0, -1, 10};
    for (size_t i = 0; i < 3; i++) {
        size_t n;
        uint32_t crc;
        unsigned char *z = sf_deflate_raw(body, sizeof body, levels[i], &n, &crc);
        ASSERT_EQ(n, wn);
        ASSERT_MEM_EQ(z, want, n);
        free(z);
    }
}

TEST(gzip_member_in_the_arena)
{
    fill();
    arena_t *a = arena_new(0);
    size_t n;
    unsigned char *z = sf_gzip(a, body, sizeof body, 9, &n);
    ASSERT_NOT_NULL(z);
    ASSERT_EQ(z[0], 0x1f);
    ASSERT_EQ(z[1], 0x8b);
    char back[sizeof body];
    z_stream s = {0};
    ASSERT_EQ(inflateInit2(&s, 15 + 16), Z_OK);
    s.next_in = z;
    s.avail_in = (uInt)n;
    s.next_out = (Bytef *)back;
    s.avail_out = sizeof back;
    ASSERT_EQ(inflate(&s, Z_FINISH), Z_STREAM_END);
    ASSERT_MEM_EQ(back, body, sizeof body);
    inflateEnd(&s);
    arena_free(a);
}

TEST_MAIN()
