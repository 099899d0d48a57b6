// simdjson's DOM parser, for bench_parse.c: the body is copied into a
// padded buffer (simdjson reads up to 64 bytes past the end) and parsed.
#include <simdjson.h>

#include <cstddef>

extern "C" long bench_simdjson_parse(const char *body, size_t len)
{
    static simdjson::dom::parser parser;
    simdjson::padded_string padded(body, len);
    simdjson::dom::element doc;
    if (parser.parse(padded).get(doc) != simdjson::SUCCESS) return -1;
    return doc.is_object() ? 1 : 0;
}
