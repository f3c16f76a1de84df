// Attempts: a routed request tries its channels in the router's order (priority, weights,
// health) until one answers; an aigw_pass request has one attempt, at the fixed location.
#pragma once

#include "ngx/request/ctx.hpp"

// The first attempt of a request with a JSON body, once admitted: NGX_OK when its subrequest
// started; NGX_DECLINED when a routed request found no channel; else NGX_ERROR.
ngx_int_t ngx_http_aigw_first_attempt(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The one attempt of a request without a body (GET, HEAD) at the aigw_pass location.
ngx_int_t ngx_http_aigw_attempt_without_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
