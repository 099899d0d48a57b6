/* JSON-lines logger. A line is built in a fixed buffer of LOG_LINE_MAX bytes
 * and handed to one write(2): on a file opened with O_APPEND, lines written by
 * several processes never interleave. When a line would not fit, the string
 * being written is cut at a character boundary, later fields are dropped and
 * "truncated":true is added, so the line is still one valid JSON object. */
#include "core/json_num.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/escape.h"

#define LOG_LINE_MAX 8192
/* Room kept at the end of the buffer for `","truncated":true}\n`. */
#define LOG_TAIL 32

static struct {
    int fd;     /* file descriptor, or -1 for stderr */
    char *path; /* file path, or NULL for stderr */
    log_level_t level;
    pid_t pid; /* cached; refreshed in a forked child */
    bool atfork_set;
} g_log = {.fd = -1, .path = NULL, .level = LOG_INFO, .pid = 0, .atfork_set = false};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *s, log_level_t *out)
{
    for (int i = 0; i < 4; i++) {
        if (s != NULL && strcmp(s, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

const char *log_level_name(log_level_t l)
{
    if ((unsigned)l > LOG_ERROR) return "unknown";
    return level_names[l];
}

static void log_after_fork(void)
{
    g_log.pid = getpid();
}

static pid_t log_pid(void)
{
    if (!g_log.atfork_set) {
        pthread_atfork(NULL, NULL, log_after_fork);
        g_log.atfork_set = true;
        g_log.pid = getpid();
    }
    return g_log.pid;
}

static int open_file(const char *path)
{
    int fd;
    do {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

int log_open(const char *path, log_level_t level)
{
    log_close();
    g_log.level = level;
    if (path == NULL || path[0] == '\0') return 0;
    int fd = open_file(path);
    if (fd < 0) return fd;
    char *copy = strdup(path);
    if (copy == NULL) {
        close(fd);
        return -ENOMEM;
    }
    g_log.fd = fd;
    g_log.path = copy;
    return 0;
}

int log_reopen(void)
{
    if (g_log.path == NULL) return 0;
    int fd = open_file(g_log.path);
    if (fd < 0) return fd; /* keep writing to the old file */
    /* dup2 replaces the old descriptor in one step: no moment without one */
    if (dup2(fd, g_log.fd) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    close(fd);
    return 0;
}

void log_set_level(log_level_t level)
{
    g_log.level = level;
}

bool log_enabled(log_level_t level)
{
    return level >= g_log.level;
}

void log_close(void)
{
    if (g_log.fd >= 0) close(g_log.fd);
    g_log.fd = -1;
    free(g_log.path);
    g_log.path = NULL;
}

/* ---- line building ---- */

typedef struct line {
    char buf[LOG_LINE_MAX];
    size_t len;
    size_t limit; /* LOG_LINE_MAX - LOG_TAIL */
    bool truncated;
} line_t;

static bool put(line_t *l, const char *s, size_t n)
{
    if (l->truncated || n > l->limit - l->len) return false;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return true;
}

static bool puts_(line_t *l, const char *s)
{
    return put(l, s, strlen(s));
}

/* Writes s as a quoted JSON string. If it does not fit, the text is cut at a
 * character boundary, the string is closed (the tail room allows it) and the
 * line is marked truncated. Returns false when cut. */
static bool put_jstr(line_t *l, const char *str)
{
    if (str == NULL) return puts_(l, "null");
    if (!put(l, "\"", 1)) return false;
    size_t n = strlen(str);
    for (size_t i = 0; i < n;) {
        /* copy a run of plain bytes at once */
        size_t run = json_plain_run(str + i, n - i);
        if (run > 0) {
            size_t room = l->limit - l->len;
            if (run > room) {
                memcpy(l->buf + l->len, str + i, room);
                l->len += room;
                goto cut;
            }
            memcpy(l->buf + l->len, str + i, run);
            l->len += run;
            i += run;
            continue;
        }
        char esc[JSON_ESCAPE_MAX];
        size_t used, k = json_escape_char(str + i, n - i, esc, &used);
        if (!put(l, esc, k)) goto cut;
        i += used;
    }
    if (put(l, "\"", 1)) return true;
cut:
    /* the tail room always holds the closing quote */
    l->buf[l->len++] = '"';
    l->truncated = true;
    return false;
}

static void put_ts(line_t *l)
{
    struct timespec ts;
    struct tm tm;
    char tmp[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(tmp, sizeof(tmp), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    put(l, tmp, (size_t)n);
}

static void put_dbl(line_t *l, double v)
{
    char tmp[JSON_NUM_MAX];
    json_num_format(v, tmp);
    puts_(l, tmp);
}

/* Adds `,"key":` then the value taken from ap. A field that does not fit
 * is removed whole (unless it is a string, which is cut). */
static void put_field(line_t *l, log_field_type_t t, const char *key, va_list *ap)
{
    size_t mark = l->len;
    bool ok = put(l, ",", 1) && put_jstr(l, key) && put(l, ":", 1);
    if (!ok) {
        l->len = mark;
        l->truncated = true;
    }
    switch (t) {
    case LF_STR: {
        const char *v = va_arg(*ap, const char *);
        if (ok) put_jstr(l, v);
        return;
    }
    case LF_INT: {
        int64_t v = va_arg(*ap, int64_t);
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
        ok = ok && put(l, tmp, (size_t)n);
        break;
    }
    case LF_DBL: {
        double v = va_arg(*ap, double);
        if (ok) {
            size_t before = l->len;
            put_dbl(l, v);
            ok = l->len > before;
        }
        break;
    }
    case LF_BOOL: {
        int v = va_arg(*ap, int);
        ok = ok && puts_(l, v ? "true" : "false");
        break;
    }
    default:
        ok = false;
        break;
    }
    if (!ok) {
        l->len = mark;
        l->truncated = true;
    }
}

static void write_all(const char *buf, size_t len)
{
    int fd = g_log.fd >= 0 ? g_log.fd : STDERR_FILENO;
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return; /* nowhere to report it */
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Builds and writes one line. fields may be NULL (no extra fields). */
static void log_emit(log_level_t level, const char *msg, va_list *fields)
{
    line_t l;
    l.len = 0;
    l.limit = LOG_LINE_MAX - LOG_TAIL;
    l.truncated = false;

    put(&l, "{\"ts\":", 6);
    put_ts(&l);
    char tmp[64];
    int n =
        snprintf(tmp, sizeof(tmp), ",\"level\":\"%s\",\"pid\":%ld,\"msg\":", log_level_name(level),
                 (long)log_pid());
    put(&l, tmp, (size_t)n);
    put_jstr(&l, msg != NULL ? msg : "");

    if (fields != NULL) {
        for (;;) {
            log_field_type_t t = (log_field_type_t)va_arg(*fields, int);
            if (t == LF_END) break;
            const char *key = va_arg(*fields, const char *);
            if (l.truncated) {
                /* still consume the value so the list stays in step */
                switch (t) {
                case LF_STR:
                    (void)va_arg(*fields, const char *);
                    break;
                case LF_INT:
                    (void)va_arg(*fields, int64_t);
                    break;
                case LF_DBL:
                    (void)va_arg(*fields, double);
                    break;
                case LF_BOOL:
                    (void)va_arg(*fields, int);
                    break;
                default:
                    goto done; /* unknown tag: cannot go on safely */
                }
                continue;
            }
            if (t > LF_BOOL) {
                l.truncated = true;
                break;
            }
            put_field(&l, t, key, fields);
        }
    }
done:
    /* the tail room holds these */
    if (l.truncated) {
        memcpy(l.buf + l.len, ",\"truncated\":true", 17);
        l.len += 17;
    }
    l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    write_all(l.buf, l.len);
}

void log_write(log_level_t level, const char *msg, ...)
{
    if (!log_enabled(level)) return;
    va_list ap;
    va_start(ap, msg);
    log_emit(level, msg, &ap);
    va_end(ap);
}

void log_msgf(log_level_t level, const char *fmt, ...)
{
    if (!log_enabled(level)) return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_emit(level, msg, NULL);
}
