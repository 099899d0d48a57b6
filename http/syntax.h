/* RFC 9112 / 9110 checks that llhttp 8.1 (even in strict mode) leaves to
 * its caller: the bytes of the request head, the Host field, the request
 * target's forms and its percent-encoding. Pure functions on bytes; the
 * connection (conn.c) calls them. */
#ifndef SF_HTTP_SYNTAX_H
#define SF_HTTP_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>

/* State of the scan of one request head (request line, fields, blank
 * line), carried across reads. Zero is "at the start of a head". */
typedef struct http_head_scan {
    bool done;        /* the blank line ending the head was seen */
    bool after_cr;    /* the last byte was a CR: the next must be LF */
    bool in_line;     /* bytes were seen since the last CRLF */
    bool seen_a_line; /* a non-empty line (the request line) was seen */
} http_head_scan_t;

/* Scans n bytes of a request head. Every line ends in CRLF (a bare CR or a
 * bare LF is refused: RFC 9112 2.2), and no control byte but HT, and no
 * DEL, appears. Empty lines before the request line are left to llhttp.
 * Returns the number of bytes that belong to the head (n when it goes on
 * past them, less when its blank line ends inside them: s->done is then
 * set), or -1 with *why set to a static reason. */
long http_head_scan(http_head_scan_t *s, const char *p, size_t n, const char **why);

/* True when v (n bytes) is a valid Host field value: uri-host [":" port],
 * uri-host a reg-name (unreserved, pct-encoded, sub-delims) or an IP
 * literal in brackets, possibly empty (RFC 9112 3.2, RFC 3986 3.2.2). */
bool http_host_valid(const char *v, size_t n);

/* True when every '%' of s (n bytes) starts a %XX escape. */
bool http_percent_valid(const char *s, size_t n);

/* The origin-form part of an absolute-form target ("http://host/p?q" ->
 * "/p?q"; RFC 9112 3.2.2), or NULL when target (n bytes) is not in
 * absolute form. *authority and *authority_len receive the host part;
 * *rest_len the length of what is returned (0 means "/"). */
const char *http_absolute_form(const char *target, size_t n, const char **authority,
                               size_t *authority_len, size_t *rest_len);

#endif
