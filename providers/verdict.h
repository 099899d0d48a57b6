/* What a provider call's outcome means, as pure functions the fan-out's
 * call (providers/fanout.c) runs in its judge state: the verdict on an
 * answer (the search status, how the breaker counts it, whether another
 * try may help), what the answer says about our welcome at the provider
 * (suspensions, a metered budget), the retry budget and the backoff. No
 * I/O and no clock of their own: the unit tests (test/providers) give
 * them answers, times and random numbers. */
#ifndef SF_PROV_VERDICT_H
#define SF_PROV_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/paper.h"
#include "core/pstatus.h"
#include "core/shm.h"
#include "providers/client.h"
#include "providers/provider.h"
#include "providers/provider_limits.h"

/* A retry is only worth it with at least this much time left for the call. */
#define PROV_RETRY_MIN_CALL_NS (100 * 1000000ll)
/* The backoff's base: the n-th retry waits up to PROV_RETRY_BASE_NS << n. */
#define PROV_RETRY_BASE_NS (100 * 1000000ll)
/* The retry budget (Envoy's shape), per worker and provider: calls that
 * are retrying are at most this share of the calls alive ... */
#define PROV_RETRY_BUDGET_PERCENT 20
/* ... but this many may always retry. */
#define PROV_RETRY_BUDGET_MIN 3

typedef struct prov_verdict {
    search_pstatus_t status;   /* what the search is told */
    prov_call_kind_t kind;     /* how the breaker counts it */
    bool retryable;            /* another try may help */
    int64_t retry_after_ns;    /* the provider's Retry-After; 0: none given */
    prov_answer_kind_t answer; /* throttled or blocked: the provider is suspended */
    char err[300];             /* "" when none */
} prov_verdict_t;

/* Judges a finished call of src: a 2xx is parsed by src's adapter into
 * papers in a (*papers set, else left NULL); a throttling answer is
 * rate_limited and retryable, a refusal (402, 403, CAPTCHA) an error the
 * breaker does not count, a 5xx or a connection error a retryable failure,
 * another 4xx an error that is not the provider's fault, a timeout a
 * timeout. err carries the provider's own words where it gave any. */
void prov_judge(source_t src, const prov_call_t *call, arena_t *a, paper_list_t **papers,
                prov_verdict_t *v);

/* The same for a title call (prov_def_t.build_title): a non-2xx answer
 * that src's adapter says only means "no such title" (title_none) is ok
 * with no papers and a success for the breaker. */
void prov_judge_title(source_t src, const prov_call_t *call, arena_t *a, paper_list_t **papers,
                      prov_verdict_t *v);

/* The same, for a call whose 2xx body went to stream while it arrived
 * (call->streamed): the papers are what stream read, finished here (its
 * papers are already in a). Any other answer is judged by its kept body,
 * as prov_judge(). stream may be NULL. */
void prov_judge_stream(source_t src, const prov_call_t *call, prov_stream_t *stream, arena_t *a,
                       paper_list_t **papers, prov_verdict_t *v);

/* prov_judge_title() for a call whose 2xx body went to stream (as
 * prov_judge_stream()). */
void prov_judge_title_stream(source_t src, const prov_call_t *call, prov_stream_t *stream,
                             arena_t *a, paper_list_t **papers, prov_verdict_t *v);

/* How a call that is not a search reads its answer (a lookup, a batch, a
 * citation list): read() turns a 2xx body (kept whole, not streamed) into
 * papers in a (returns 0, or -1 with a message in err); NULL reads it as a
 * search answer (prov_parse()). not_found_ok: a 404 is the provider's "no
 * such paper", an answer with no papers (ok, and a success for the breaker). */
typedef int (*prov_read_fn)(void *data, const char *body, size_t len, arena_t *a,
                            paper_list_t **papers, char *err, size_t errlen);
typedef struct prov_reader {
    prov_read_fn read;
    void *data;
    bool not_found_ok;
} prov_reader_t;

/* prov_judge() with rd's way of reading the answer (rd may be NULL: the
 * search's). */
void prov_judge_with(source_t src, const prov_call_t *call, const prov_reader_t *rd, arena_t *a,
                     paper_list_t **papers, prov_verdict_t *v);

/* What the answer says about our welcome, for the whole group (lim is the
 * provider's shared slot): a throttling answer suspends the provider until
 * its Retry-After (even 0) or for providers.suspend_rate_limited, and is
 * then not retried unless a Retry-After was given; a refusal suspends it
 * for providers.suspend_blocked (said in err); a metered provider whose
 * remaining budget pays for fewer than providers.budget_reserve_calls calls
 * is suspended until its reset (an hour when none is given). */
void prov_welcome(shm_provider_t *lim, const sf_config_t *cfg, const prov_call_t *call,
                  prov_verdict_t *v, int64_t now_ns);

/* Takes a place in a provider's retry budget for a call (*holds: the call
 * already has one, which it keeps) when fewer than max(PERCENT of alive,
 * MIN) calls hold one (*retrying). False when the budget is spent. */
bool prov_retry_budget_take(size_t alive, size_t *retrying, bool *holds);

/* The wait before retry number attempt + 1 (attempt 0 is the first call):
 * the provider's Retry-After when it gave one, else full jitter over an
 * exponential base, 1 ms + random % (PROV_RETRY_BASE_NS << attempt). */
int64_t prov_backoff_ns(int attempt, int64_t retry_after_ns, uint64_t random);

/* True when a retry that waits wait_ns from now_ns still leaves
 * PROV_RETRY_MIN_CALL_NS for the call before deadline_ns. */
bool prov_retry_fits(int64_t now_ns, int64_t wait_ns, int64_t deadline_ns);

/* True when an answer the adapter says it can avoid (an error 4xx, not
 * throttling or a refusal) should be built again and sent once more: def's
 * adapt() hook said so and the call has not adapted yet. */
bool prov_adapt_again(const prov_def_t *def, const prov_call_t *call, const prov_verdict_t *v,
                      bool adapted);

#endif
