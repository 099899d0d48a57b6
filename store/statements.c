/* The text of the store's prepared statements (store_stmt_id_t in
 * store.h says what each takes and gives). The functions they call are in
 * store/migrations/. */
#include "store/store_internal.h"

/* Where a paper row matches the category filter: exact, or a prefix ending at a '.'. */
#define SQL_CATEGORY_MATCH(param)                                                                  \
    "EXISTS (SELECT 1 FROM unnest(p.categories) AS c WHERE lower(c) = lower(" param "::text)"      \
    " OR starts_with(lower(c), lower(" param "::text) || '.'))"

const store_stmt_t store__stmts[STORE_Q_COUNT] = {
    [STORE_Q_UPSERT_PAPERS] = {"sf_upsert_papers", "SELECT scifind_upsert_papers($1::jsonb)"},
    [STORE_Q_INSERT_QUERIES] =
        {"sf_insert_queries", "INSERT INTO search_queries (query_text, query_key, results, took_ms)"
                              " SELECT x.q, x.k, x.r, x.t FROM jsonb_to_recordset($1::jsonb)"
                              " AS x(q text, k text, r integer, t integer)"},
    [STORE_Q_CACHE_PUT] = {"sf_cache_put",
                           "INSERT INTO search_cache (key_hash, key, status, body, created_at,"
                           " expires_at, total, took_ms) VALUES ($1, $2, $3::integer, $4, now(),"
                           " now() + $5::bigint * interval '1 millisecond', $6::bigint,"
                           " $7::double precision)"
                           " ON CONFLICT (key_hash) DO UPDATE SET key = EXCLUDED.key,"
                           " status = EXCLUDED.status, body = EXCLUDED.body,"
                           " created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,"
                           " total = EXCLUDED.total, took_ms = EXCLUDED.took_ms"},
    [STORE_Q_CACHE_PURGE] = {"sf_cache_purge",
                             "DELETE FROM search_cache WHERE key_hash IN (SELECT key_hash"
                             " FROM search_cache WHERE expires_at < now() LIMIT 1000)"},
    [STORE_Q_CACHE_DELETE] = {"sf_cache_delete", "DELETE FROM search_cache WHERE key_hash = $1"},
    /* TRUNCATE: the table may hold gigabytes of answers; a DELETE would
     * take long and leave it bloated. */
    [STORE_Q_CACHE_CLEAR] = {"sf_cache_clear", "TRUNCATE search_cache"},
    [STORE_Q_API_KEYS] = {"sf_api_keys",
                          "SELECT key_hash, array_to_string(scopes, ','), coalesce(rate_limit, 0)"
                          " FROM api_keys WHERE revoked_at IS NULL"},
    [STORE_Q_SEARCH] =
        {"sf_search",
         "SELECT scifind_paper_json(p)::text"
         " FROM papers p, websearch_to_tsquery('english', $1::text) AS q"
         " WHERE p.deleted_at IS NULL AND p.tsv @@ q"
         " AND ($2::integer IS NULL OR p.year >= $2::integer)"
         " AND ($3::integer IS NULL OR p.year <= $3::integer)"
         " AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM unnest(p.authors) AS a"
         " WHERE strpos(lower(a), $4::text) > 0))"
         " AND ($5::text IS NULL OR " SQL_CATEGORY_MATCH(
             "$5") ")"
                   " AND (NOT $6::boolean OR p.open_access OR p.pdf_url IS NOT NULL)"
                   " ORDER BY CASE WHEN $7::text = 'date' THEN p.published_at END DESC NULLS LAST,"
                   " CASE WHEN $7::text = 'citations' THEN p.citations END DESC NULLS LAST,"
                   " ts_rank_cd(p.tsv, q) DESC, p.id DESC"
                   " LIMIT $8::integer"},
    [STORE_Q_PAPER_BY_ID] = {"sf_paper_by_id", "SELECT scifind_paper_json(p)::text FROM papers p"
                                               " WHERE p.id = $1::bigint AND p.deleted_at IS NULL"},
    [STORE_Q_PAPER_BY_DOI] = {"sf_paper_by_doi",
                              "SELECT scifind_paper_json(p)::text FROM papers p"
                              " WHERE p.doi = $1::text AND p.deleted_at IS NULL"},
    [STORE_Q_PAPER_BY_ARXIV] = {"sf_paper_by_arxiv",
                                "SELECT scifind_paper_json(p)::text FROM papers p"
                                " WHERE p.arxiv_id = $1::text AND p.deleted_at IS NULL"},
    /* @> on source_ids: the GIN index papers_source_ids_idx (jsonb_path_ops) answers it. */
    [STORE_Q_PAPER_BY_SOURCE] = {"sf_paper_by_source",
                                 "SELECT scifind_paper_json(p)::text FROM papers p"
                                 " WHERE p.source_ids @> jsonb_build_object($1::text, $2::text)"
                                 " AND p.deleted_at IS NULL ORDER BY p.id LIMIT 1"},
    [STORE_Q_PAPERS_LIST] = {"sf_papers_list",
                             "SELECT scifind_paper_json(p)::text, p.id FROM papers p"
                             " WHERE p.deleted_at IS NULL"
                             " AND ($1::bigint IS NULL OR p.id < $1::bigint)"
                             " AND ($2::text IS NULL OR p.sources @> ARRAY[$2::text])"
                             " AND ($3::integer IS NULL OR p.year = $3::integer)"
                             " AND ($4::text IS NULL OR " SQL_CATEGORY_MATCH(
                                 "$4") ")"
                                       " ORDER BY p.id DESC LIMIT $5::integer"},
    [STORE_Q_POPULAR] = {"sf_popular",
                         "SELECT coalesce(json_agg(json_build_object('query', t.query_text,"
                         " 'count', t.n, 'last_seen', to_char(t.last AT TIME ZONE 'UTC',"
                         " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY t.n DESC, t.query_text),"
                         " '[]')::text FROM (SELECT query_text, count(*) AS n,"
                         " max(created_at) AS last FROM search_queries"
                         " WHERE created_at > now() - $1::bigint * interval '1 second'"
                         " GROUP BY query_text ORDER BY n DESC, query_text"
                         " LIMIT $2::integer) AS t"},
    [STORE_Q_CACHE_GET] =
        {"sf_cache_get",
         "SELECT body, status, floor(extract(epoch FROM now() - created_at))::bigint,"
         " total, took_ms FROM search_cache WHERE key_hash = $1 AND key = $2"
         " AND expires_at > now() AND total IS NOT NULL AND took_ms IS NOT NULL"},
};
