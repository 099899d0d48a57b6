/* The table of sources: one SOURCE(...) line per provider, and everything
 * that differs between providers expands from it (the source_t enum and
 * names, the configuration rows providers.<name>.* and their fields, the
 * merge's authority and id prefixes, the adapter table of providers/, the
 * metrics' labels). Adding a provider is one line here and one adapter file
 * providers/<name>.c that defines `const prov_def_t prov_<name>`.
 *
 *   SOURCE(ID, name, kind, authority, needs_key, base_url, rate_interval, rate_burst)
 *
 *   ID         the enum's suffix (SRC_<ID>) and the environment's
 *              (SCIFIND_<ID>_TIMEOUT...)
 *   name       in answers, metrics, keys (providers.<name>.timeout), ids
 *              ("<name>:...") and the adapter's symbol (prov_<name>)
 *   kind       HTTP: an adapter in providers/ and nine configuration rows;
 *              LOCAL: answered by the store (store/), no configuration
 *   authority  trust for titles and other descriptive fields in the merge:
 *              lower is more trusted. Crossref is the DOI registry's own
 *              metadata, OpenAlex and Semantic Scholar curate it, arXiv is
 *              what the authors typed, local is an earlier merge, Exa is
 *              scraped from the web.
 *   needs_key  1: off until providers.<name>.api_key is set
 *   base_url, rate_interval, rate_burst: the defaults of those keys (the
 *              others are the same for every provider: config_schema.c)
 *
 * The order is fixed: it is the order of per-provider entries in answers,
 * of bits in provider masks and of slots in shared memory. LOCAL sources
 * come last (SOURCE_NAMES_TEXT and SOURCE_NAMES_JSON rely on it; paper.c
 * checks it). */
#ifndef SF_SOURCES_H
#define SF_SOURCES_H

/* clang-format off */
#define SOURCE_TABLE(SOURCE) \
    SOURCE(ARXIV,            arxiv,            HTTP,  3, 0, "https://export.arxiv.org",        "3s",    "1")  \
    SOURCE(SEMANTIC_SCHOLAR, semantic_scholar, HTTP,  2, 0, "https://api.semanticscholar.org", "1s",    "1")  \
    SOURCE(EXA,              exa,              HTTP,  5, 1, "https://api.exa.ai",              "100ms", "10") \
    SOURCE(OPENALEX,         openalex,         HTTP,  1, 0, "https://api.openalex.org",        "100ms", "10") \
    SOURCE(CROSSREF,         crossref,         HTTP,  0, 0, "https://api.crossref.org",        "20ms",  "20") \
    SOURCE(LOCAL,            local,            LOCAL, 4, 0, "",                                "",      "")
/* clang-format on */

/* SOURCE_IF_HTTP(kind, x...) is x for an HTTP source and nothing for a LOCAL
 * one; SOURCE_IF_LOCAL the other way round: for expansions that concern
 * one kind only. */
#define SOURCE_IF_HTTP(kind, ...) SOURCE_IF_HTTP_##kind(__VA_ARGS__)
#define SOURCE_IF_HTTP_HTTP(...) __VA_ARGS__
#define SOURCE_IF_HTTP_LOCAL(...)
#define SOURCE_IF_LOCAL(kind, ...) SOURCE_IF_LOCAL_##kind(__VA_ARGS__)
#define SOURCE_IF_LOCAL_HTTP(...)
#define SOURCE_IF_LOCAL_LOCAL(...) __VA_ARGS__

/* Every name as one string literal, "arxiv, semantic_scholar, ..., local"
 * and "\"arxiv\",\"semantic_scholar\",...,\"local\"" (a JSON list's
 * inside), for messages and schemas written at compile time. */
#define SOURCE_NAME_TEXT_(ID, name, kind, ...) #name SOURCE_IF_HTTP(kind, ", ")
#define SOURCE_NAMES_TEXT SOURCE_TABLE(SOURCE_NAME_TEXT_)
#define SOURCE_NAME_JSON_(ID, name, kind, ...) "\"" #name "\"" SOURCE_IF_HTTP(kind, ",")
#define SOURCE_NAMES_JSON SOURCE_TABLE(SOURCE_NAME_JSON_)

#endif
