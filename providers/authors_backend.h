/* The author fetches' backend (core/author_fetch.h) over the provider
 * calls of fanout (providers/fanout.h): fills be, whose ctx is fanout. */
#ifndef SF_PROV_AUTHORS_BACKEND_H
#define SF_PROV_AUTHORS_BACKEND_H

#include "core/author_fetch.h"

struct prov_fanout;
void prov_authors_backend_init(author_backend_t *be, struct prov_fanout *fanout);

#endif
