/* Unit tests for core/log.c: every line is written to a temporary file, read
 * back and parsed with jansson. */
#include "core/log.h"
#include "test/test.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

static char tmpdir[256];
static char logpath[300];

/* Makes a fresh temporary directory and opens the log in it. */
static void open_tmp_log(log_level_t level)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sf_test_log.XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(tmpdir));
    snprintf(logpath, sizeof(logpath), "%s/scifind.log", tmpdir);
    ASSERT_EQ(log_open(logpath, level), 0);
}

static void cleanup_tmp(void)
{
    char p[320];
    log_close();
    unlink(logpath);
    snprintf(p, sizeof(p), "%s.1", logpath);
    unlink(p);
    rmdir(tmpdir);
}

/* Reads the file at path: returns its lines parsed as JSON objects (a
 * jansson array), checking each is valid, one line per object. */
static json_t *read_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    ASSERT_NOT_NULL(f);
    json_t *arr = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        ASSERT_EQ(line[n - 1], '\n');
        json_error_t e;
        json_t *obj = json_loadb(line, (size_t)n - 1, 0, &e);
        if (obj == NULL) fprintf(stderr, "bad JSON (%s): %s\n", e.text, line);
        ASSERT_NOT_NULL(obj);
        ASSERT(json_is_object(obj));
        json_array_append_new(arr, obj);
    }
    free(line);
    fclose(f);
    return arr;
}

static const char *str_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    ASSERT_NOT_NULL(v);
    ASSERT(json_is_string(v));
    return json_string_value(v);
}

TEST(log_level_parse_and_name)
{
    log_level_t l;
    ASSERT_EQ(log_level_parse("debug", &l), 0);
    ASSERT_EQ(l, LOG_DEBUG);
    ASSERT_EQ(log_level_parse("error", &l), 0);
    ASSERT_EQ(l, LOG_ERROR);
    ASSERT_EQ(log_level_parse("warning", &l), -1);
    ASSERT_EQ(log_level_parse("", &l), -1);
    ASSERT_STR_EQ(log_level_name(LOG_WARN), "warn");
    ASSERT_STR_EQ(log_level_name(LOG_INFO), "info");
}

TEST(log_line_has_ts_level_pid_msg)
{
    open_tmp_log(LOG_INFO);
    log_info("hello %d", 42);
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 1);
    json_t *o = json_array_get(lines, 0);
    ASSERT_STR_EQ(str_field(o, "msg"), "hello 42");
    ASSERT_STR_EQ(str_field(o, "level"), "info");
    json_t *pid = json_object_get(o, "pid");
    ASSERT(json_is_integer(pid));
    ASSERT_EQ(json_integer_value(pid), getpid());

    /* ts: RFC 3339 UTC with milliseconds, close to now */
    const char *ts = str_field(o, "ts");
    ASSERT_EQ(strlen(ts), 24);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    ASSERT_NOT_NULL(rest);
    ASSERT(rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' && rest[4] == 'Z');
    time_t when = timegm(&tm);
    ASSERT_LE(llabs((long long)(when - time(NULL))), 5);
    json_decref(lines);
    cleanup_tmp();
}

TEST(log_fields_of_each_type)
{
    open_tmp_log(LOG_DEBUG);
    log_write(LOG_WARN, "access", LF_STR, "path", "/v1/search", LF_INT, "status", (int64_t)200,
              LF_INT, "big", (int64_t)INT64_MIN, LF_DBL, "ms", 1.25, LF_BOOL, "hit", 1, LF_STR,
              "none", (const char *)NULL, LF_DBL, "nan", NAN, LF_END);
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 1);
    json_t *o = json_array_get(lines, 0);
    ASSERT_STR_EQ(str_field(o, "level"), "warn");
    ASSERT_STR_EQ(str_field(o, "msg"), "access");
    ASSERT_STR_EQ(str_field(o, "path"), "/v1/search");
    ASSERT_EQ(json_integer_value(json_object_get(o, "status")), 200);
    ASSERT(json_integer_value(json_object_get(o, "big")) == INT64_MIN);
    ASSERT_DBL_EQ(json_real_value(json_object_get(o, "ms")), 1.25);
    ASSERT(json_is_true(json_object_get(o, "hit")));
    ASSERT(json_is_null(json_object_get(o, "none")));
    ASSERT(json_is_null(json_object_get(o, "nan")));
    ASSERT_NULL(json_object_get(o, "truncated"));
    json_decref(lines);
    cleanup_tmp();
}

TEST(log_escapes_quotes_newlines_and_control_bytes)
{
    open_tmp_log(LOG_INFO);
    const char *nasty = "a\"b\\c\nd\re\tf\x01g\x1fh\x7f/";
    log_write(LOG_INFO, nasty, LF_STR, "q\"key", nasty, LF_END);
    /* the raw line: one line, control bytes escaped as \u00XX */
    FILE *f = fopen(logpath, "r");
    char raw[1024];
    ASSERT_NOT_NULL(fgets(raw, sizeof(raw), f));
    ASSERT_NULL(fgets(raw + 512, 512, f)); /* exactly one line */
    fclose(f);
    ASSERT_STR_CONTAINS(raw, "a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\\u007f/");
    for (const char *p = raw; *p != '\n'; p++)
        ASSERT((unsigned char)*p >= 0x20);

    json_t *lines = read_lines(logpath);
    json_t *o = json_array_get(lines, 0);
    ASSERT_STR_EQ(str_field(o, "msg"), nasty);
    ASSERT_STR_EQ(str_field(o, "q\"key"), nasty);
    json_decref(lines);
    cleanup_tmp();
}

TEST(log_keeps_utf8_and_replaces_invalid_bytes)
{
    open_tmp_log(LOG_INFO);
    log_write(LOG_INFO, "m", LF_STR, "ok",
              "Schr\xc3\xb6"
              "dinger \xe2\x88\x80 \xf0\x9f\x93\x84",
              LF_STR, "bad",
              "a\xff"
              "b\xc3"
              "c\xed\xa0\x80"
              "d\xc0\xaf"
              "e",
              LF_STR, "cut", "z\xe2\x88", LF_END);
    json_t *lines = read_lines(logpath);
    json_t *o = json_array_get(lines, 0);
    ASSERT_STR_EQ(str_field(o, "ok"), "Schr\xc3\xb6"
                                      "dinger \xe2\x88\x80 \xf0\x9f\x93\x84");
    /* U+FFFD per bad byte: lone 0xff, truncated 2-byte, surrogate, overlong */
    ASSERT_STR_EQ(str_field(o, "bad"), "a\xef\xbf\xbd"
                                       "b\xef\xbf\xbd"
                                       "c\xef\xbf\xbd\xef\xbf\xbd"
                                       "\xef\xbf\xbd"
                                       "d\xef\xbf\xbd\xef\xbf\xbd"
                                       "e");
    ASSERT_STR_EQ(str_field(o, "cut"), "z\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(lines);
    cleanup_tmp();
}

TEST(log_level_filters_lines)
{
    open_tmp_log(LOG_WARN);
    ASSERT(!log_enabled(LOG_INFO));
    ASSERT(log_enabled(LOG_ERROR));
    log_debug("no");
    log_info("no");
    log_warn("yes 1");
    log_write(LOG_ERROR, "yes 2", LF_END);
    log_set_level(LOG_DEBUG);
    log_debug("yes 3");
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 3);
    ASSERT_STR_EQ(str_field(json_array_get(lines, 0), "msg"), "yes 1");
    ASSERT_STR_EQ(str_field(json_array_get(lines, 1), "level"), "error");
    ASSERT_STR_EQ(str_field(json_array_get(lines, 2), "level"), "debug");
    json_decref(lines);
    cleanup_tmp();
}

TEST(log_long_line_is_cut_but_valid_json)
{
    open_tmp_log(LOG_INFO);
    size_t n = 20000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "ab\"\n\xc3\xa9"[i % 6]; /* escapes and 2-byte chars across the cut */
    big[n] = '\0';
    for (int shift = 0; shift < 8; shift++) {
        log_write(LOG_INFO, "long", LF_STR, "a", big + shift, LF_INT, "after", (int64_t)1, LF_END);
        log_msgf(LOG_INFO, "%s", big + shift);
    }
    struct stat st;
    ASSERT_EQ(stat(logpath, &st), 0);
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 16);
    ASSERT_LE(st.st_size, 16 * 8192);
    for (size_t i = 0; i < 16; i++) {
        json_t *o = json_array_get(lines, i);
        ASSERT(json_is_true(json_object_get(o, "truncated")));
        ASSERT_NULL(json_object_get(o, "after"));
    }
    json_decref(lines);
    free(big);
    cleanup_tmp();
}

TEST(log_line_of_many_fields_is_cut_but_valid_json)
{
    open_tmp_log(LOG_INFO);
    char val[300];
    memset(val, 'v', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    for (int i = 0; i < 40; i++)
        log_write(LOG_INFO, "m", LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k",
                  val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val,
                  LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR,
                  "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val,
                  LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR,
                  "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val,
                  LF_STR, "k", val, LF_STR, "k", val, LF_STR, "k", val, LF_INT, "k", (int64_t)i,
                  LF_DBL, "k", 0.5, LF_BOOL, "k", 0, LF_END);
    /* 29 fields of 300 bytes do not fit in 8 KiB: every line was cut,
     * and is still whole JSON within the limit. */
    struct stat st;
    ASSERT_EQ(stat(logpath, &st), 0);
    ASSERT_LE(st.st_size, 40 * 8192);
    ASSERT_GT(st.st_size, 40 * 8000); /* cut near the limit, not early */
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 40);
    for (size_t i = 0; i < 40; i++) {
        json_t *o = json_array_get(lines, i);
        ASSERT(json_is_true(json_object_get(o, "truncated")));
        ASSERT_STR_EQ(str_field(o, "msg"), "m");
    }
    json_decref(lines);
    cleanup_tmp();
}

TEST(log_reopen_follows_a_rotated_file)
{
    open_tmp_log(LOG_INFO);
    log_info("before");
    char rotated[320];
    snprintf(rotated, sizeof(rotated), "%s.1", logpath);
    ASSERT_EQ(rename(logpath, rotated), 0);
    log_info("still old");
    ASSERT_EQ(log_reopen(), 0);
    log_info("after");
    json_t *old = read_lines(rotated);
    json_t *cur = read_lines(logpath);
    ASSERT_EQ(json_array_size(old), 2);
    ASSERT_EQ(json_array_size(cur), 1);
    ASSERT_STR_EQ(str_field(json_array_get(cur, 0), "msg"), "after");
    json_decref(old);
    json_decref(cur);
    cleanup_tmp();
}

TEST(log_open_appends_and_reports_errors)
{
    open_tmp_log(LOG_INFO);
    log_info("one");
    log_close();
    ASSERT_EQ(log_open(logpath, LOG_INFO), 0);
    log_info("two");
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 2);
    json_decref(lines);
    ASSERT_LT(log_open("/nonexistent-dir/x.log", LOG_INFO), 0);
    ASSERT_EQ(log_reopen(), 0); /* stderr: nothing to reopen */
    cleanup_tmp();
}

TEST(log_pid_follows_fork)
{
    open_tmp_log(LOG_INFO);
    log_info("parent");
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        log_info("child");
        _exit(0);
    }
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    json_t *lines = read_lines(logpath);
    ASSERT_EQ(json_array_size(lines), 2);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(lines, 0), "pid")), getpid());
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(lines, 1), "pid")), pid);
    json_decref(lines);
    cleanup_tmp();
}

TEST_MAIN()
