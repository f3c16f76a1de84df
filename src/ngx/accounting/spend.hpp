// Billing at run time: quotas, rate limits and their settlement in Redis (the design is in
// aigw/accounting/billing.hpp; the directives are in conf/accounting_directives.cpp).
// Each worker keeps the accounts it serves (the key's, and its group's) with their leases;
// a request is admitted from memory when the leases cover its reservation, else it waits for
// one settlement script round trip that renews them. Settlements of what was spent go in
// batches on a timer, one EVALSHA per account and interval.
#pragma once

#include "ngx/ngx.hpp"

struct ngx_http_aigw_ctx_t;

// Per request; in the request pool, trivially destructible.
struct ngx_http_aigw_billing_t;

// go: the request may proceed; else it was answered (402, 429, 503, 500) and is to be
// finalized with rc.
typedef void (*ngx_http_aigw_admitted_pt)(ngx_http_request_t* r, bool go, ngx_int_t rc);

// Admits the request against its key's and group's quota and rate limits (no key, billing
// off, or an endpoint that bills nothing such as count_tokens: admitted). `max_tokens` (-1:
// not given) and `choices` come from the body. `admitted` is called with the verdict: at once
// when the leases in memory decide it, else from the event loop once Redis answered a
// settlement.
void ngx_http_aigw_billing_admit(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                 int64_t max_tokens, int64_t choices,
                                 ngx_http_aigw_admitted_pt admitted);

// The request ended (its cost and tokens are final): the reservation becomes the actual
// spend. Also stops a wait. Safe to call more than once.
void ngx_http_aigw_billing_finish(ngx_http_aigw_ctx_t* ctx) noexcept;

// The worker's accounts and settlement timer (worker.cpp starts and stops them). Billing that
// cannot start is logged and off for this worker.
void ngx_http_aigw_billing_start(ngx_cycle_t* cycle);
void ngx_http_aigw_billing_stop(ngx_cycle_t* cycle);
