/* Calls deferred to a later turn of the loop: the way a link of the search
 * chain delivers an answer it has at once, after its fetch() has returned
 * (core/search_service.h).
 *
 * One queue per loop (made at the first sf_defer() on it), drained by a
 * uv_check handle right after the loop polled (so an answer deferred from a
 * read goes out in the same loop iteration), with a uv_idle handle beside
 * it so the loop does not block in poll while a call waits (one deferred
 * from a timer); both are active only then. A deferred call is a node inside
 * the caller's object: deferring never allocates, except for the loop's
 * queue the first time. Calls run in the order they were deferred; a call
 * deferred while the queue drains runs on the next turn, not in this one. */
#ifndef SF_DEFER_H
#define SF_DEFER_H

#include <stdbool.h>
#include <uv.h>

#include "core/queue.h"

typedef struct sf_defer sf_defer_t;
typedef void (*sf_defer_cb)(sf_defer_t *d);

struct sf_defer {
    /* private */
    sf_queue_t node;
    sf_defer_cb cb;
};

/* The object holding d, whose member field it is (in a callback). */
#define sf_defer_data(d, type, field) ((type *)((char *)(d)-offsetof(type, field)))

/* Makes d idle: sf_defer_pending() false, sf_defer_cancel() harmless. */
void sf_defer_init(sf_defer_t *d);

/* Makes loop's queue now, so that sf_defer() on it cannot fail: for links
 * that must not fail inside a callback. Returns 0 or UV_ENOMEM. */
int sf_defer_loop_init(uv_loop_t *loop);

/* Runs cb(d) on a later turn of loop, once, unless sf_defer_cancel(d) comes
 * first. d must stay valid until then and must not be pending already.
 * Returns 0, or UV_ENOMEM when the loop's queue could not be made (then cb
 * will not run; never after sf_defer_loop_init(loop) succeeded). */
int sf_defer(uv_loop_t *loop, sf_defer_t *d, sf_defer_cb cb);

/* cb of d will not run. A no-op when d is not pending. */
void sf_defer_cancel(sf_defer_t *d);

/* True while d waits for its turn. */
bool sf_defer_pending(const sf_defer_t *d);

/* Calls waiting on loop now (for tests and stats). */
size_t sf_defer_waiting(uv_loop_t *loop);

/* Closes loop's queue (its handle closes on the loop's next run; calls
 * still waiting are dropped, not run). Call before uv_loop_close(); a later
 * sf_defer() on the same loop makes a new queue. A no-op when loop never
 * had one. */
void sf_defer_loop_close(uv_loop_t *loop);

#endif
