/* MCP session ids (http/mcp_session.h): signed, checked without state,
 * expiring, ended for the whole group. */
#include <string.h>

#include "core/shm.h"
#include "http/mcp_session.h"
#include "test/test.h"

#define NOW 1800000000
#define TTL 3600

TEST(a_new_id_checks_with_its_version_time_and_nonce)
{
    char id[HTTP_MCP_SESSION_LEN + 1];
    ASSERT_EQ(http_mcp_session_new("", 2, NOW, id), 0);
    ASSERT_EQ(strlen(id), HTTP_MCP_SESSION_LEN);
    http_mcp_session_t s;
    ASSERT_EQ(http_mcp_session_check("", id, NOW + 10, TTL, &s), 0);
    ASSERT_EQ(s.version, 2);
    ASSERT_EQ(s.issued_s, NOW);
    ASSERT_NE(s.nonce, 0);
    char other[HTTP_MCP_SESSION_LEN + 1];
    ASSERT_EQ(http_mcp_session_new("", 2, NOW, other), 0);
    ASSERT(strcmp(id, other) != 0);
}

TEST(a_changed_byte_or_another_key_is_not_ours)
{
    char id[HTTP_MCP_SESSION_LEN + 1];
    http_mcp_session_t s;
    ASSERT_EQ(http_mcp_session_new("key one", 0, NOW, id), 0);
    ASSERT_EQ(http_mcp_session_check("key one", id, NOW, TTL, &s), 0);
    ASSERT_EQ(http_mcp_session_check("key two", id, NOW, TTL, &s), -1);
    ASSERT_EQ(http_mcp_session_check("", id, NOW, TTL, &s), -1);
    for (size_t i = 0; i < HTTP_MCP_SESSION_LEN; i++) {
        char forged[HTTP_MCP_SESSION_LEN + 1];
        memcpy(forged, id, sizeof forged);
        forged[i] = forged[i] == '0' ? '1' : '0';
        ASSERT_EQ(http_mcp_session_check("key one", forged, NOW, TTL, &s), -1);
    }
    ASSERT_EQ(http_mcp_session_check("key one", "", NOW, TTL, &s), -1);
    ASSERT_EQ(http_mcp_session_check("key one", NULL, NOW, TTL, &s), -1);
    char upper[HTTP_MCP_SESSION_LEN + 1];
    memcpy(upper, id, sizeof upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
    ASSERT_EQ(http_mcp_session_check("key one", upper, NOW, TTL, &s), strcmp(upper, id) ? -1 : 0);
}

TEST(an_id_expires_after_the_ttl)
{
    char id[HTTP_MCP_SESSION_LEN + 1];
    http_mcp_session_t s;
    ASSERT_EQ(http_mcp_session_new("", 1, NOW, id), 0);
    ASSERT_EQ(http_mcp_session_check("", id, NOW + TTL, TTL, &s), 0);
    ASSERT_EQ(http_mcp_session_check("", id, NOW + TTL + 1, TTL, &s), -2);
    ASSERT_EQ(http_mcp_session_check("", id, NOW - 1000, TTL, &s), -2); /* from the future */
}

TEST(an_ended_session_is_refused_and_others_are_not)
{
    ASSERT_NOT_NULL(shm_create());
    char a[HTTP_MCP_SESSION_LEN + 1], b[HTTP_MCP_SESSION_LEN + 1];
    http_mcp_session_t sa, sb;
    ASSERT_EQ(http_mcp_session_new("", 1, NOW, a), 0);
    ASSERT_EQ(http_mcp_session_new("", 1, NOW, b), 0);
    ASSERT_EQ(http_mcp_session_check("", a, NOW, TTL, &sa), 0);
    http_mcp_session_end(&sa, TTL, NOW);
    ASSERT_EQ(http_mcp_session_check("", a, NOW + 1, TTL, &sa), -2);
    ASSERT_EQ(http_mcp_session_check("", b, NOW + 1, TTL, &sb), 0);
    /* Many more ended: the table keeps each until it would have expired. */
    for (int i = 0; i < SHM_MCP_ENDED / 2; i++) {
        char x[HTTP_MCP_SESSION_LEN + 1];
        http_mcp_session_t sx;
        ASSERT_EQ(http_mcp_session_new("", 1, NOW, x), 0);
        ASSERT_EQ(http_mcp_session_check("", x, NOW, TTL, &sx), 0);
        http_mcp_session_end(&sx, TTL, NOW);
    }
    ASSERT_EQ(http_mcp_session_check("", a, NOW + 2, TTL, &sa), -2);
    ASSERT_EQ(http_mcp_session_check("", b, NOW + 2, TTL, &sb), 0);
    shm_destroy();
}

TEST_MAIN()
