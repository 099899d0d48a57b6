/* Doubles in JSON: the shortest text that reads back as the same double
 * ("4.302", where printf's "%.17g", and jansson, write 4.3019999999999996).
 * Every place scifind writes a double into JSON goes through here: the log
 * (core/log.c), and the answers built as jansson trees (/v1/providers,
 * MCP), which json_num_dumps() writes instead of json_dumps(). */
#ifndef SF_JSON_NUM_H
#define SF_JSON_NUM_H

#include <jansson.h>
#include <stddef.h>

/* Room json_num_format() needs, the terminating NUL included. */
#define JSON_NUM_MAX 32

/* Writes v into buf (JSON_NUM_MAX bytes): the shortest of %.15g, %.16g and
 * %.17g that strtod() reads back as v exactly; "null" for NaN and the
 * infinities, which JSON does not have. Returns the length written. */
size_t json_num_format(double v, char *buf);

/* json_dumps(json, JSON_COMPACT), the same bytes, but for reals, which
 * are written by json_num_format() (with ".0" added to a real that would
 * read as an integer, as jansson does). Returns a malloc'd string the
 * caller frees, or NULL when out of memory or json is NULL. */
char *json_num_dumps(const json_t *json);

#endif
