// A failed attempt: what the channel's answer means (a 429 or 5xx before the first byte is
// swallowed so another channel may answer), the report to the router, the log lines, and the
// client's error when no attempt is left.
#pragma once

#include "aigw/api/error.hpp"
#include "aigw/routing/router.hpp"
#include "ngx/request/ctx.hpp"

// For the filters: the current attempt answered with `status` (headers known). True when the
// answer is a retryable failure (429 or 5xx of a routed request), to be swallowed; a success
// is reported to the router.
bool ngx_http_aigw_attempt_answered(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                    ngx_uint_t status);

// How the current attempt failed, once its subrequest ended with nothing sent to the client.
aigw::attempt_failure ngx_http_aigw_attempt_failure(ngx_http_request_t* r,
                                                    ngx_http_aigw_ctx_t* ctx);
// Reports the failure to the router and logs it (rate-limited per channel and class).
void ngx_http_aigw_attempt_failed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                  aigw::attempt_failure failure);
// Every attempt failed: the client gets the last one's status class, no channel names, and
// the Retry-After of a 429. Returns the code to finalize with.
ngx_int_t ngx_http_aigw_all_failed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                   aigw::attempt_failure failure);
// The error a client gets when an attempt of aigw_pass (no fallback) failed before any byte
// was sent.
aigw::api_error ngx_http_aigw_attempt_error(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
