/* Refcounted immutable bytes: one allocation holding the header, the bytes
 * and a trailing NUL, so a blob's data can also be used as a C string. */
#include "core/blob.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

blob_t *blob_alloc(size_t len)
{
    if (len > SIZE_MAX - sizeof(blob_t) - 1) return NULL;
    blob_t *b = malloc(sizeof(blob_t) + len + 1);
    if (b == NULL) return NULL;
    b->refs = 1;
    b->len = len;
    b->data[len] = '\0';
    return b;
}

blob_t *blob_new(const void *data, size_t len)
{
    blob_t *b = blob_alloc(len);
    if (b == NULL) return NULL;
    if (len > 0) memcpy(b->data, data, len);
    return b;
}

blob_t *blob_ref(blob_t *b)
{
    assert(b->refs > 0);
    b->refs++;
    return b;
}

void blob_unref(blob_t *b)
{
    if (b == NULL) return;
    assert(b->refs > 0);
    if (--b->refs == 0) free(b);
}
