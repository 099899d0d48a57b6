/* Unit tests for core/config.c. Fixtures: test/core/fixtures/config/. */
#include "core/config.h"
#include "core/paper.h"
#include "test/test.h"

#include <stdint.h>

static char err[512];

static sf_config_t defaults(void)
{
    sf_config_t c;
    config_defaults(&c);
    return c;
}

/* Sets key=value on a default config and returns it; the set must work. */
static sf_config_t set_ok(const char *key, const char *value)
{
    sf_config_t c = defaults();
    err[0] = '\0';
    int rc = config_set(&c, key, value, err, sizeof(err));
    if (rc != 0) fprintf(stderr, "config_set(%s, %s): %s\n", key, value, err);
    ASSERT_EQ(rc, 0);
    return c;
}

/* The set must fail; returns the message. */
static const char *set_bad(const char *key, const char *value)
{
    sf_config_t c = defaults();
    sf_config_t before = c;
    err[0] = '\0';
    ASSERT_EQ(config_set(&c, key, value, err, sizeof(err)), -1);
    ASSERT_MEM_EQ(&c, &before, sizeof(c));
    return err;
}

static const char *load_bad(const char *fixture)
{
    sf_config_t c = defaults();
    sf_config_t before = c;
    err[0] = '\0';
    ASSERT_EQ(config_load_file(&c, test_fixture(fixture), err, sizeof(err)), -1);
    ASSERT_MEM_EQ(&c, &before, sizeof(c)); /* a bad file changes nothing */
    return err;
}

TEST(config_defaults_match_header)
{
    sf_config_t c = defaults();
    ASSERT_STR_EQ(c.listen, "127.0.0.1:8080");
    ASSERT_EQ(c.workers, -1);
    ASSERT_EQ(c.drain_timeout_ms, 10000);
    ASSERT_STR_EQ(c.log.level, "info");
    ASSERT_STR_EQ(c.log.file, "");
    ASSERT(c.log.access);
    ASSERT_DBL_EQ(c.log.access_sample, 1.0);
    ASSERT(c.log.access_skip_health);
    ASSERT_EQ(c.http.max_connections, 10000);
    ASSERT_EQ(c.http.max_url_bytes, 8192);
    ASSERT_EQ(c.http.max_header_bytes, 16384);
    ASSERT_EQ(c.http.max_headers, 64);
    ASSERT_EQ(c.http.max_body_bytes, 1048576);
    ASSERT_EQ(c.http.max_requests_per_conn, 10000);
    ASSERT_EQ(c.http.max_pending_output, 1048576);
    ASSERT_EQ(c.http.header_timeout_ms, 10000);
    ASSERT_EQ(c.http.body_timeout_ms, 30000);
    ASSERT_EQ(c.http.idle_timeout_ms, 60000);
    ASSERT_EQ(c.http.write_timeout_ms, 30000);
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), 0);
}

TEST(config_size_syntax)
{
    ASSERT_EQ(set_ok("http.max_body_bytes", "1048576").http.max_body_bytes, 1048576);
    ASSERT_EQ(set_ok("http.max_body_bytes", "64k").http.max_body_bytes, 65536);
    ASSERT_EQ(set_ok("http.max_body_bytes", "64K").http.max_body_bytes, 65536);
    ASSERT_EQ(set_ok("http.max_body_bytes", "2m").http.max_body_bytes, 2 * 1048576);
    ASSERT_EQ(set_ok("http.max_body_bytes", "1g").http.max_body_bytes, 1073741824);
    ASSERT_STR_EQ(set_bad("http.max_body_bytes", "lots"),
                  "key 'http.max_body_bytes': expected a size like 1048576, 64k or 1m, got 'lots'");
    set_bad("http.max_body_bytes", "");
    set_bad("http.max_body_bytes", "1.5m");
    set_bad("http.max_body_bytes", "-1");
    set_bad("http.max_body_bytes", "1 m");
    set_bad("http.max_body_bytes", "1kb");
    set_bad("http.max_body_bytes", "99999999999999999999");
    set_bad("http.max_body_bytes", "9999999999999g");
    ASSERT_STR_EQ(set_bad("http.max_body_bytes", "2g"),
                  "key 'http.max_body_bytes': must be from 1 to 1g, got '2g'");
    ASSERT_STR_CONTAINS(set_bad("http.max_body_bytes", "0"), "must be from 1 to 1g");
}

TEST(config_duration_syntax)
{
    ASSERT_EQ(set_ok("http.idle_timeout", "250ms").http.idle_timeout_ms, 250);
    ASSERT_EQ(set_ok("http.idle_timeout", "10s").http.idle_timeout_ms, 10000);
    ASSERT_EQ(set_ok("http.idle_timeout", "2m").http.idle_timeout_ms, 120000);
    ASSERT_EQ(set_ok("http.idle_timeout", "1h").http.idle_timeout_ms, 3600000);
    ASSERT_EQ(set_ok("http.idle_timeout", "1500").http.idle_timeout_ms, 1500);
    ASSERT_EQ(set_ok("drain_timeout", "24h").drain_timeout_ms, 86400000);
    ASSERT_EQ(set_ok("drain_timeout", "1ms").drain_timeout_ms, 1);
    ASSERT_STR_EQ(set_bad("drain_timeout", "soon"),
                  "key 'drain_timeout': expected a duration like 250ms, 10s, 2m or 1h, got 'soon'");
    set_bad("drain_timeout", "10 s");
    set_bad("drain_timeout", "1.5s");
    set_bad("drain_timeout", "10S");
    set_bad("drain_timeout", "-5s");
    ASSERT_STR_EQ(set_bad("drain_timeout", "0"),
                  "key 'drain_timeout': must be from 1ms to 24h, got '0'");
    ASSERT_STR_CONTAINS(set_bad("http.write_timeout", "25h"), "must be from 1ms to 24h");
}

TEST(config_int_syntax_and_bounds)
{
    ASSERT_EQ(set_ok("workers", "4").workers, 4);
    ASSERT_EQ(set_ok("workers", "0").workers, 0);
    ASSERT_EQ(set_ok("workers", "-1").workers, -1);
    ASSERT_EQ(set_ok("workers", "256").workers, 256);
    ASSERT_EQ(set_ok("workers", "+3").workers, 3);
    ASSERT_STR_EQ(set_bad("workers", "-2"), "key 'workers': must be from -1 to 256, got '-2'");
    set_bad("workers", "257");
    set_bad("workers", "four");
    set_bad("workers", "4x");
    set_bad("workers", "");
    set_bad("workers", "-");
    ASSERT_STR_EQ(set_bad("workers", "1.5"), "key 'workers': expected an integer, got '1.5'");
    ASSERT_EQ(set_ok("http.max_connections", "1000000").http.max_connections, 1000000);
    set_bad("http.max_connections", "1000001");
    set_bad("http.max_connections", "0");
    ASSERT_EQ(set_ok("http.max_headers", "10000").http.max_headers, 10000);
    set_bad("http.max_headers", "10001");
}

TEST(config_bool_syntax)
{
    const char *yes[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
    const char *no[] = {"false", "no", "off", "0", "False", "OFF"};
    for (size_t i = 0; i < 6; i++) {
        sf_config_t c = set_ok("log.access", no[i]);
        ASSERT(!c.log.access);
        c = set_ok("log.access_skip_health", no[i]);
        ASSERT(!c.log.access_skip_health);
        c = set_ok("log.access", "false");
        ASSERT_EQ(config_set(&c, "log.access", yes[i], err, sizeof(err)), 0);
        ASSERT(c.log.access);
    }
    ASSERT_STR_EQ(set_bad("log.access", "maybe"),
                  "key 'log.access': expected true or false (also yes/no, on/off, 1/0), got "
                  "'maybe'");
    set_bad("log.access", "");
    set_bad("log.access", "2");
}

TEST(config_ratio_syntax)
{
    ASSERT_DBL_EQ(set_ok("log.access_sample", "0").log.access_sample, 0);
    ASSERT_DBL_EQ(set_ok("log.access_sample", "0.1").log.access_sample, 0.1);
    ASSERT_DBL_EQ(set_ok("log.access_sample", ".5").log.access_sample, 0.5);
    ASSERT_DBL_EQ(set_ok("log.access_sample", "1.0").log.access_sample, 1);
    ASSERT_STR_EQ(set_bad("log.access_sample", "1.5"),
                  "key 'log.access_sample': expected a number from 0 to 1, got '1.5'");
    set_bad("log.access_sample", "-0.1");
    set_bad("log.access_sample", "half");
    set_bad("log.access_sample", "nan");
    set_bad("log.access_sample", "");
    set_bad("log.access_sample", " 0.5");
    set_bad("log.access_sample", "0.5 ");
}

TEST(config_enum_and_string)
{
    ASSERT_STR_EQ(set_ok("log.level", "debug").log.level, "debug");
    ASSERT_STR_EQ(set_ok("log.level", "error").log.level, "error");
    ASSERT_STR_EQ(set_bad("log.level", "verbose"),
                  "key 'log.level': expected one of debug, info, warn, error, got 'verbose'");
    set_bad("log.level", "INFO");
    set_bad("log.level", "");
    set_bad("log.level", "info|warn");
    ASSERT_STR_EQ(set_ok("log.file", "/tmp/x.log").log.file, "/tmp/x.log");
    ASSERT_STR_EQ(set_ok("log.file", "").log.file, "");
    char longv[CONFIG_STR_MAX + 1];
    memset(longv, 'a', CONFIG_STR_MAX);
    longv[CONFIG_STR_MAX] = '\0';
    ASSERT_STR_CONTAINS(set_bad("log.file", longv), "too long");
    longv[CONFIG_STR_MAX - 1] = '\0';
    ASSERT_EQ(strlen(set_ok("log.file", longv).log.file), CONFIG_STR_MAX - 1);
}

TEST(config_set_unknown_key)
{
    ASSERT_STR_EQ(set_bad("http.max_bodyy", "1m"), "unknown key 'http.max_bodyy'");
    ASSERT_STR_EQ(set_bad("http", "1"), "unknown key 'http'");
    set_bad("", "1");
}

TEST(config_file_nested_sets_every_key)
{
    sf_config_t c = defaults();
    ASSERT_EQ(config_load_file(&c, test_fixture("config/full.yaml"), err, sizeof(err)), 0);
    ASSERT_STR_EQ(c.listen, "[::1]:9090");
    ASSERT_EQ(c.workers, 4);
    ASSERT_EQ(c.drain_timeout_ms, 120000);
    ASSERT_STR_EQ(c.log.level, "debug");
    ASSERT_STR_EQ(c.log.file, "/var/log/scifind/scifind.log");
    ASSERT(!c.log.access);
    ASSERT_DBL_EQ(c.log.access_sample, 0.25);
    ASSERT(!c.log.access_skip_health);
    ASSERT_EQ(c.http.max_connections, 500);
    ASSERT_EQ(c.http.max_url_bytes, 4096);
    ASSERT_EQ(c.http.max_header_bytes, 32768);
    ASSERT_EQ(c.http.max_headers, 100);
    ASSERT_EQ(c.http.max_body_bytes, 2097152);
    ASSERT_EQ(c.http.max_requests_per_conn, 1000);
    ASSERT_EQ(c.http.max_pending_output, 1073741824);
    ASSERT_EQ(c.http.header_timeout_ms, 250);
    ASSERT_EQ(c.http.body_timeout_ms, 5000);
    ASSERT_EQ(c.http.idle_timeout_ms, 3600000);
    ASSERT_EQ(c.http.write_timeout_ms, 1500);
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), 0);
}

TEST(config_file_dotted_keys_at_top)
{
    sf_config_t c = defaults();
    ASSERT_EQ(config_load_file(&c, test_fixture("config/dotted.yaml"), err, sizeof(err)), 0);
    ASSERT_EQ(c.http.max_body_bytes, 65536);
    ASSERT_STR_EQ(c.log.level, "warn");
    ASSERT_EQ(c.workers, -1); /* untouched keys keep their value */
}

TEST(config_file_empty_is_fine)
{
    sf_config_t c = defaults();
    sf_config_t d = defaults();
    ASSERT_EQ(config_load_file(&c, test_fixture("config/empty.yaml"), err, sizeof(err)), 0);
    ASSERT_EQ(config_load_file(&c, test_fixture("config/comments_only.yaml"), err, sizeof(err)), 0);
    ASSERT_MEM_EQ(&c, &d, sizeof(c));
}

TEST(config_file_null_string_is_empty)
{
    sf_config_t c = set_ok("log.file", "/tmp/a.log");
    ASSERT_EQ(config_load_file(&c, test_fixture("config/null_file.yaml"), err, sizeof(err)), 0);
    ASSERT_STR_EQ(c.log.file, "");
}

TEST(config_file_bad_value_names_file_line_key)
{
    const char *e = load_bad("config/bad_size.yaml");
    ASSERT_STR_CONTAINS(e, "bad_size.yaml:3: key 'http.max_body_bytes': expected a size like "
                           "1048576, 64k or 1m, got 'lots'");
    ASSERT_STR_CONTAINS(load_bad("config/out_of_range.yaml"),
                        "out_of_range.yaml:2: key 'http.header_timeout': must be from 1ms to 24h");
    ASSERT_STR_CONTAINS(load_bad("config/bad_level.yaml"),
                        "bad_level.yaml:2: key 'log.level': expected one of");
}

TEST(config_file_unknown_key_names_it)
{
    ASSERT_STR_CONTAINS(load_bad("config/unknown_key.yaml"),
                        "unknown_key.yaml:5: unknown key 'http.max_bodyy'");
    ASSERT_STR_CONTAINS(load_bad("config/unknown_section.yaml"),
                        "unknown_section.yaml:1: unknown key 'htp'");
}

TEST(config_file_structure_errors)
{
    ASSERT_STR_CONTAINS(load_bad("config/list_value.yaml"),
                        "list_value.yaml:1: key 'listen': expected a single value, got a list");
    ASSERT_STR_CONTAINS(load_bad("config/mapping_for_scalar.yaml"),
                        "mapping_for_scalar.yaml:1: key 'workers': expected a single value, got "
                        "a mapping");
    ASSERT_STR_CONTAINS(load_bad("config/duplicate.yaml"),
                        "duplicate.yaml:2: key 'workers' is given twice");
    ASSERT_STR_CONTAINS(load_bad("config/top_scalar.yaml"),
                        "top_scalar.yaml:1: expected a mapping");
    ASSERT_STR_CONTAINS(load_bad("config/two_docs.yaml"),
                        "two_docs.yaml:2: only one YAML document");
    const char *e = load_bad("config/syntax_error.yaml");
    ASSERT_STR_CONTAINS(e, "syntax_error.yaml:");
    ASSERT_STR_CONTAINS(e, "YAML syntax error");
}

TEST(config_file_missing_names_path)
{
    const char *e = load_bad("config/does_not_exist.yaml");
    ASSERT_STR_CONTAINS(e, "does_not_exist.yaml: No such file or directory");
}

static int warned;
static char warned_name[128];

static void on_warn(const char *name)
{
    warned++;
    snprintf(warned_name, sizeof(warned_name), "%s", name);
}

TEST(config_env_overrides_file)
{
    sf_config_t c = defaults();
    ASSERT_EQ(config_load_file(&c, test_fixture("config/full.yaml"), err, sizeof(err)), 0);
    char *env[] = {"PATH=/usr/bin",
                   "SCIFIND_WORKERS=8",
                   "SCIFIND_LISTEN=0.0.0.0:80",
                   "SCIFIND_LOG_LEVEL=error",
                   "SCIFIND_HTTP_MAX_BODY_BYTES=16k",
                   "SCIFIND_DRAIN_TIMEOUT=3s",
                   "SCIFIND_LOG_ACCESS=yes",
                   "SCIFIND_LOG_FILE=",
                   "NOT_SCIFIND_WORKERS=99",
                   NULL};
    warned = 0;
    ASSERT_EQ(config_load_env(&c, env, on_warn, err, sizeof(err)), 0);
    ASSERT_EQ(warned, 0);
    ASSERT_EQ(c.workers, 8);
    ASSERT_STR_EQ(c.listen, "0.0.0.0:80");
    ASSERT_STR_EQ(c.log.level, "error");
    ASSERT_EQ(c.http.max_body_bytes, 16384);
    ASSERT_EQ(c.drain_timeout_ms, 3000);
    ASSERT(c.log.access);
    ASSERT_STR_EQ(c.log.file, "");
    ASSERT_EQ(c.http.max_headers, 100); /* from the file, no env */
}

TEST(config_env_unknown_names_are_warned)
{
    sf_config_t c = defaults();
    sf_config_t d = defaults();
    char *env[] = {"SCIFIND_WORKRES=3", "SCIFIND_=x", "SCIFIND_NOVALUE", NULL};
    warned = 0;
    ASSERT_EQ(config_load_env(&c, env, on_warn, err, sizeof(err)), 0);
    ASSERT_EQ(warned, 2);
    ASSERT_STR_EQ(warned_name, "SCIFIND_");
    ASSERT_MEM_EQ(&c, &d, sizeof(c));
    char *env2[] = {"SCIFIND_WORKRES=3", NULL};
    warned = 0;
    ASSERT_EQ(config_load_env(&c, env2, on_warn, err, sizeof(err)), 0);
    ASSERT_EQ(warned, 1);
    ASSERT_STR_EQ(warned_name, "SCIFIND_WORKRES");
    ASSERT_EQ(config_load_env(&c, env2, NULL, err, sizeof(err)), 0);
    ASSERT_EQ(config_load_env(&c, NULL, NULL, err, sizeof(err)), 0);
}

TEST(config_env_bad_value_names_variable)
{
    sf_config_t c = defaults();
    char *env[] = {"SCIFIND_HTTP_MAX_BODY_BYTES=lots", NULL};
    ASSERT_EQ(config_load_env(&c, env, NULL, err, sizeof(err)), -1);
    ASSERT_STR_EQ(err, "environment SCIFIND_HTTP_MAX_BODY_BYTES: key 'http.max_body_bytes': "
                       "expected a size like 1048576, 64k or 1m, got 'lots'");
}

static int listen_ok(const char *s, const char *host, int port)
{
    char h[256];
    int p = -1;
    if (config_parse_listen(s, h, sizeof(h), &p) != 0) return 0;
    return strcmp(h, host) == 0 && p == port;
}

static int listen_bad(const char *s)
{
    char h[256];
    int p;
    return config_parse_listen(s, h, sizeof(h), &p) == -1;
}

TEST(config_parse_listen_forms)
{
    ASSERT(listen_ok("127.0.0.1:8080", "127.0.0.1", 8080));
    ASSERT(listen_ok("0.0.0.0:1", "0.0.0.0", 1));
    ASSERT(listen_ok("[::1]:65535", "::1", 65535));
    ASSERT(listen_ok("[::]:80", "::", 80));
    ASSERT(listen_ok("[fe80::1:2]:443", "fe80::1:2", 443));
    ASSERT(listen_ok("localhost:8080", "localhost", 8080));
    ASSERT(listen_ok("api.example-1.org:80", "api.example-1.org", 80));
    ASSERT(listen_bad("::1:8080"));        /* IPv6 without brackets */
    ASSERT(listen_bad("127.0.0.1"));       /* no port */
    ASSERT(listen_bad("127.0.0.1:"));      /* empty port */
    ASSERT(listen_bad("127.0.0.1:0"));     /* port 0 */
    ASSERT(listen_bad("127.0.0.1:65536")); /* port too big */
    ASSERT(listen_bad("127.0.0.1:80x"));
    ASSERT(listen_bad("127.0.0.1:-80"));
    ASSERT(listen_bad(":8080"));
    ASSERT(listen_bad("256.1.1.1:80"));
    ASSERT(listen_bad("1.2.3:80"));
    ASSERT(listen_bad("[::1]8080"));
    ASSERT(listen_bad("[::1:8080"));
    ASSERT(listen_bad("[]:80"));
    ASSERT(listen_bad("[127.0.0.1]:80"));
    ASSERT(listen_bad("[zz::1]:80"));
    ASSERT(listen_bad("bad host:80"));
    ASSERT(listen_bad("-bad.example:80"));
    ASSERT(listen_bad("a..b:80"));
    ASSERT(listen_bad(""));
    ASSERT(listen_bad(NULL));
    char small[4];
    int p;
    ASSERT_EQ(config_parse_listen("localhost:80", small, sizeof(small), &p), -1);
}

TEST(config_validate_checks_listen)
{
    sf_config_t c = set_ok("listen", "::1:8080");
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "key 'listen'");
    ASSERT_STR_CONTAINS(err, "'::1:8080'");
    c = set_ok("listen", "[::1]:8080");
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), 0);
}

TEST(config_validate_checks_first_order)
{
    sf_config_t c = set_ok("search.first_order", "openalex, arxiv");
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), 0);
    source_t order[SRC_COUNT];
    ASSERT_EQ(source_parse_list(c.search.first_order, order, err, sizeof err), 2);
    ASSERT_EQ(order[0], SRC_OPENALEX);
    ASSERT_EQ(order[1], SRC_ARXIV);
    c = set_ok("search.first_order", "openalex,scopus");
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "key 'search.first_order': unknown provider 'scopus'");
    c = set_ok("search.first_order", "arxiv,openalex,arxiv");
    ASSERT_EQ(config_validate(&c, err, sizeof(err)), -1);
    ASSERT_STR_CONTAINS(err, "repeated provider 'arxiv'");
}

TEST(config_print_keys_lists_every_key)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    config_print_keys(f);
    fclose(f);
    ASSERT_STR_CONTAINS(buf, "http.max_body_bytes");
    ASSERT_STR_CONTAINS(buf, "SCIFIND_HTTP_MAX_BODY_BYTES");
    ASSERT_STR_CONTAINS(buf, "SCIFIND_DRAIN_TIMEOUT");
    ASSERT_STR_CONTAINS(buf, "SCIFIND_LOG_LEVEL");
    int lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    ASSERT(lines >= 19); /* one line per key; the loop below checks each */
    /* every env name printed is accepted by config_load_env */
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[64], env[64], type[64], def[128];
        ASSERT_EQ(sscanf(line, "%63s %63s %63s %127s", key, env, type, def), 4);
        ASSERT_EQ(strncmp(env, "SCIFIND_", 8), 0);
        sf_config_t c = defaults();
        char kv[256];
        snprintf(kv, sizeof(kv), "%s=%s", env, strcmp(def, "\"\"") == 0 ? "" : def);
        char *envp[] = {kv, NULL};
        warned = 0;
        ASSERT_EQ(config_load_env(&c, envp, on_warn, err, sizeof(err)), 0);
        ASSERT_EQ(warned, 0);
        ASSERT_EQ(config_set(&c, key, strcmp(def, "\"\"") == 0 ? "" : def, err, sizeof(err)), 0);
    }
    free(buf);
}

TEST_MAIN()
