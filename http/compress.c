#include "http/compress.h"
#include "core/deflate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool gz_enabled = true;
static size_t gz_min = 1024;
static int gz_level = SF_DEFLATE_LEVEL_DEFAULT;

void http_compress_configure(bool enabled, size_t min_bytes, int level)
{
    gz_enabled = enabled;
    gz_min = min_bytes;
    gz_level = level >= 1 && level <= 9 ? level : SF_DEFLATE_LEVEL_DEFAULT;
}

bool http_accepts_gzip(const http_req_t *req)
{
    const char *ae = http_req_header(req, "accept-encoding");
    if (!ae) return false;
    /* RFC 9110 12.5.3: a coding named outright wins over "*". */
    double q_gzip = -1, q_any = -1;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t')
            p++;
        size_t tlen = (size_t)(p - tok);
        double q = 1.0;
        while (*p && *p != ',') { /* parameters: only q matters */
            if (*p == ';') {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') q = strtod(p + 2, NULL);
            } else {
                p++;
            }
        }
        if ((tlen == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
            (tlen == 6 && strncasecmp(tok, "x-gzip", 6) == 0)) {
            if (q > q_gzip) q_gzip = q;
        } else if (tlen == 1 && *tok == '*') {
            if (q > q_any) q_any = q;
        }
    }
    return q_gzip >= 0 ? q_gzip > 0 : q_any > 0;
}

void *http_gzip(arena_t *arena, const void *body, size_t len, int level, size_t *outlen)
{
    return sf_gzip(arena, body, len, level, outlen);
}

void http_respond_maybe_gzip(http_req_t *req, int status, const char *content_type,
                             const char *extra_headers, const void *body, size_t len)
{
    const char *extra = extra_headers ? extra_headers : "";
    if (gz_enabled && len >= gz_min && len <= UINT32_MAX && http_accepts_gzip(req)) {
        size_t zlen;
        void *z = http_gzip(req->arena, body, len, gz_level, &zlen);
        char *h = z ? arena_sprintf(req->arena,
                                    "%sContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n", extra)
                    : NULL;
        if (h) {
            http_respond(req, status, content_type, h, z, zlen);
            return;
        }
    }
    char *h = arena_sprintf(req->arena, "%sVary: Accept-Encoding\r\n", extra);
    http_respond(req, status, content_type, h ? h : extra_headers, body, len);
}
