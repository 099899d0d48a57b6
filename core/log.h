/* Logging: one JSON object per line, to stderr or a file.
 * Every line has "ts" (RFC 3339 UTC with milliseconds), "level", "pid" and
 * "msg"; callers add fields as key/value pairs. The access log is the same
 * stream with "msg":"access". A line is written with one write(2) so lines
 * from several processes sharing a file never interleave. */
#ifndef SF_LOG_H
#define SF_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* Parses "debug", "info", "warn", "error". Returns 0, or -1 if unknown. */
int log_level_parse(const char *s, log_level_t *out);
const char *log_level_name(log_level_t l);

/* Opens the log destination: path NULL or "" means stderr. Returns 0, or a
 * negative errno when the file cannot be opened (stderr is used then). */
int log_open(const char *path, log_level_t level);

/* Reopens the same path (SIGUSR1, after logrotate moved the file). */
int log_reopen(void);

void log_set_level(log_level_t level);
bool log_enabled(log_level_t level);

/* Closes the file, if any (stderr stays). */
void log_close(void);

/* Field list for log_write(): a type tag, a key, then the value. */
typedef enum { LF_END = 0, LF_STR, LF_INT, LF_DBL, LF_BOOL } log_field_type_t;

/* Writes one line: level, message, then fields given as
 * (LF_STR, "key", const char *) / (LF_INT, "key", int64_t) /
 * (LF_DBL, "key", double) / (LF_BOOL, "key", int) ... ending with LF_END.
 * Strings are JSON-escaped; a NULL string is written as null. Lines longer
 * than 8 KiB are cut, but stay valid JSON. */
void log_write(log_level_t level, const char *msg, ...);

/* printf-style convenience: the formatted text is the "msg". */
void log_msgf(log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msgf(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msgf(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msgf(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msgf(LOG_ERROR, __VA_ARGS__)

#endif
