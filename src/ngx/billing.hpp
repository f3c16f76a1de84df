// Quotas, rate limits and their settlement in Redis (the design is in aigw/billing.hpp).
// Each worker keeps the accounts it serves (the key's, and its group's) with their leases;
// a request is admitted from memory when the leases cover its reservation, else it waits for
// one settlement script round trip that renews them. Settlements of what was spent go in
// batches on a timer, one EVALSHA per account and interval.
#pragma once

#include "ngx/ngx.hpp"

struct ngx_http_aigw_ctx_t;

struct ngx_http_aigw_billing_conf_t {
    ngx_flag_t enabled;          // aigw_billing on|off: NGX_CONF_UNSET until set
    ngx_msec_t flush;            // flush=: the settlement interval
    ngx_msec_t lease;            // lease=: how long a lease lives without renewal
    ngx_uint_t rpm;              // aigw_rpm: keys without their own rpm; 0: none
    ngx_uint_t tpm;              // aigw_tpm
    ngx_uint_t reserve_tokens;   // aigw_reserve_tokens: output reserved without max_tokens
    ngx_flag_t reserve_learn;    // off with `fixed`: reservations not sized by past completions
    ngx_str_t alerts;            // aigw_quota_alerts: "80,100"; empty: off
    unsigned alerts_set:1;
};

// Per request; in the request pool, trivially destructible.
struct ngx_http_aigw_billing_t;

// go: the request may proceed; else it was answered (402, 429, 503, 500) and is to be
// finalized with rc.
typedef void (*ngx_http_aigw_admitted_pt)(ngx_http_request_t* r, bool go, ngx_int_t rc);

// aigw_billing on|off [flush=1s] [lease=30s];
char* ngx_http_aigw_billing_directive(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf);
// aigw_quota_alerts PERCENT ... | off;
char* ngx_http_aigw_quota_alerts_directive(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf);
// aigw_reserve_tokens N [fixed];
char* ngx_http_aigw_reserve_tokens_directive(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf);
void ngx_http_aigw_billing_create(ngx_http_aigw_billing_conf_t* conf);
char* ngx_http_aigw_billing_init(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf,
                                 bool have_redis);

// Admits the request against its key's and group's quota and rate limits (no key, or billing
// off: admitted). `max_tokens` (-1: not given) and `choices` come from the body. `admitted`
// is called with the verdict: at once when the leases in memory decide it, else from the
// event loop once Redis answered a settlement.
void ngx_http_aigw_billing_admit(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                 int64_t max_tokens, int64_t choices,
                                 ngx_http_aigw_admitted_pt admitted);

// The request ended (its cost and tokens are final): the reservation becomes the actual
// spend. Also stops a wait. Safe to call more than once.
void ngx_http_aigw_billing_finish(ngx_http_aigw_ctx_t* ctx) noexcept;

void ngx_http_aigw_billing_init_process(ngx_cycle_t* cycle) noexcept;
void ngx_http_aigw_billing_exit_process(ngx_cycle_t* cycle) noexcept;
