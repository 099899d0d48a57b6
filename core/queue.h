/* An intrusive doubly linked queue, libuv's uv__queue shape: the node
 * lives inside the object queued, so queueing never allocates, and an
 * object knows how to leave its queue without finding it.
 *
 * A queue is a sentinel node; an empty queue points at itself. A node not
 * in any queue should be sf_queue_init()ed too, so sf_queue_remove() of it
 * is harmless and sf_queue_linked() tells. */
#ifndef SF_QUEUE_H
#define SF_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sf_queue sf_queue_t;
struct sf_queue {
    sf_queue_t *next, *prev;
};

/* The object holding node q, whose member field it is. */
#define sf_queue_data(q, type, field) ((type *)((char *)(q)-offsetof(type, field)))

/* Every node of h, front to back; the loop body must not remove q (see
 * sf_queue_move() for draining). */
#define sf_queue_foreach(q, h) for ((q) = (h)->next; (q) != (h); (q) = (q)->next)

static inline void sf_queue_init(sf_queue_t *q)
{
    q->next = q->prev = q;
}

static inline bool sf_queue_empty(const sf_queue_t *q)
{
    return q == q->next;
}

/* True when node q is in a queue (it was init()ed or removed otherwise). */
static inline bool sf_queue_linked(const sf_queue_t *q)
{
    return q != q->next;
}

/* The first node of h; h itself when empty. */
static inline sf_queue_t *sf_queue_head(const sf_queue_t *h)
{
    return h->next;
}

static inline sf_queue_t *sf_queue_tail(const sf_queue_t *h)
{
    return h->prev;
}

static inline void sf_queue_insert_tail(sf_queue_t *h, sf_queue_t *q)
{
    q->next = h;
    q->prev = h->prev;
    q->prev->next = q;
    h->prev = q;
}

static inline void sf_queue_insert_head(sf_queue_t *h, sf_queue_t *q)
{
    q->next = h->next;
    q->prev = h;
    q->next->prev = q;
    h->next = q;
}

/* Takes q out of its queue and leaves it init()ed. */
static inline void sf_queue_remove(sf_queue_t *q)
{
    q->prev->next = q->next;
    q->next->prev = q->prev;
    q->next = q->prev = q;
}

/* Moves every node of h to n (n's previous content is lost), leaving h
 * empty: the way to drain a queue whose nodes may be added or removed while
 * each is handled. */
static inline void sf_queue_move(sf_queue_t *h, sf_queue_t *n)
{
    if (sf_queue_empty(h)) {
        sf_queue_init(n);
        return;
    }
    n->next = h->next;
    n->prev = h->prev;
    n->next->prev = n;
    n->prev->next = n;
    sf_queue_init(h);
}

#endif
