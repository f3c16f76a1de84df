// The tries of a routed request: each attempt, from its subrequest's start to its end, in
// ctx->attempt.tries, for the usage record (`tries`) and `aigw-keys trace`. These functions
// are the one place an attempt starts and ends; an aigw_pass request (no channel) has none.
#pragma once

#include "aigw/status/attempts.hpp"
#include "ngx/request/ctx.hpp"

// A routed attempt's subrequest started: it is the running try (channel, pick time).
void ngx_http_aigw_try_started(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
// The running try's upstream answered with its head (time to headers).
void ngx_http_aigw_try_head(ngx_http_aigw_ctx_t* ctx);
// The running try ended with `outcome`; `swallowed`: it failed and another channel is tried.
// Nothing happens when no try runs, so a try ends exactly once.
void ngx_http_aigw_try_ended(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                             aigw::attempt_outcome outcome, bool swallowed);
// How the running try ended, from what the request knows once its subrequest is over: the
// client left, the upstream's status, no head (504: timeout, else could not be reached), a
// body that did not end (cut).
aigw::attempt_outcome ngx_http_aigw_try_outcome(ngx_http_request_t* r,
                                                const ngx_http_aigw_ctx_t* ctx);
// Log phase: a try still running ended with the request (the client closed the connection,
// or the request was finalized while its subrequest ran): client_closed, or cut when the
// upstream's head came and the client is still there.
void ngx_http_aigw_tries_close(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
