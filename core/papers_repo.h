/* The papers repository: the reads behind GET /v1/papers/{id}, GET
 * /v1/papers, the MCP tool get_paper and GET /v1/analytics/popular. The
 * store fills the table (store/store.h store_papers_repo), core/main.c
 * hands it to the HTTP handlers, which see plain values and ready JSON and
 * nothing of the database behind it.
 *
 * Every read answers through its callback exactly once, later (never
 * before the call returns), unless cancel() comes first; or the call
 * returns NULL and the callback never runs: the store cannot take a read
 * now (available() then says when to try again). The pure helpers below
 * parse what a client sends for them: ids, cursors, windows. */
#ifndef SF_CORE_PAPERS_REPO_H
#define SF_CORE_PAPERS_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/paper.h"

typedef enum {
    PAPERS_OK = 0,      /* answered (a list may be empty) */
    PAPERS_NOT_FOUND,   /* get: no such paper */
    PAPERS_TIMEOUT,     /* no answer within the store's statement timeout */
    PAPERS_UNAVAILABLE, /* the store is unreachable */
    PAPERS_FAILED,      /* the store answered with an error */
} papers_status_t;

typedef struct papers_answer {
    papers_status_t status;
    /* PAPERS_OK: get: the paper object; list: a JSON array of papers,
     * newest first; popular: a JSON array of {query, count, last_seen}.
     * NUL-terminated (len bytes before it); valid during the callback only. */
    const char *json;
    size_t len;
    int64_t next_before; /* list: before of the next page; 0: this is the last */
    int retry_after_s;   /* PAPERS_UNAVAILABLE, PAPERS_TIMEOUT: when to try again */
    /* get: the same paper as a record, for the exports (core/export.h);
     * NULL when it could not be built. Valid during the callback only. */
    const paper_t *paper;
} papers_answer_t;

typedef void (*papers_cb)(void *data, const papers_answer_t *answer);

typedef enum {
    PAPER_ID_INTERNAL = 0, /* "12345": the store's own id */
    PAPER_ID_DOI,          /* "doi:10.1000/xyz" -> normalised DOI */
    PAPER_ID_ARXIV,        /* "arxiv:2401.01234v2" -> "2401.01234" */
    PAPER_ID_S2,           /* a Semantic Scholar paperId (40 hex): source_ids.semantic_scholar */
    PAPER_ID_OPENALEX,     /* "W123": source_ids.openalex */
} paper_id_kind_t;

/* What GET /v1/papers lists; NULL and 0 mean "any". */
typedef struct papers_filter {
    int64_t before;       /* only ids below it (a page's cursor); 0: from the newest */
    const char *provider; /* a source name */
    int year;
    const char *category; /* exact, or a prefix ending at a '.' ("cs" for "cs.LG") */
    int limit;            /* page size, 1 or more */
} papers_filter_t;

typedef struct papers_repo {
    void *ctx;
    /* True when the store can take a read now; otherwise *retry_after_s
     * (not NULL) gets the seconds to the next attempt. */
    bool (*available)(void *ctx, int *retry_after_s);
    /* One paper by the id papers_parse_id() gave. */
    void *(*get)(void *ctx, paper_id_kind_t kind, const char *value, papers_cb cb, void *data);
    /* One page of papers. */
    void *(*list)(void *ctx, const papers_filter_t *filter, papers_cb cb, void *data);
    /* The limit most frequent normalised queries of the last window_s seconds. */
    void *(*popular)(void *ctx, int64_t window_s, int limit, papers_cb cb, void *data);
    /* The reader is gone: its callback will not run. */
    void (*cancel)(void *ctx, void *handle);
} papers_repo_t;

/* Parses a paper id as given in GET /v1/papers/{id}, percent-decoded
 * first. *value gets an arena string (the decimal id, the normalised DOI
 * or the arXiv id without version). Returns 0, or -1 when it is none of
 * the three forms. */
int papers_parse_id(arena_t *a, const char *text, size_t len, paper_id_kind_t *kind,
                    const char **value);

/* Keyset cursor of GET /v1/papers: an opaque token for "rows with an id
 * below last_id". out holds at least 32 bytes. */
void papers_cursor_encode(int64_t last_id, char out[32]);
/* Returns 0 and the id, or -1 when the token is not one of ours. */
int papers_cursor_decode(const char *token, size_t len, int64_t *last_id);

/* "24h", "30m", "7d", "3600s", "1w" -> seconds (1 s .. 366 d). Returns -1 when bad. */
int64_t papers_parse_window(const char *s, size_t len);

#endif
