// The head of an attempt's response (the upstream's status and headers), on its way to the
// client. A retryable failure or a non-JSON error page is swallowed (the attempt's end tries
// another channel or answers itself); otherwise the status and headers are copied onto the
// main request and sent, and the body filter to use is chosen (stream, JSON, model list).
#pragma once

#include "ngx/request/ctx.hpp"

// NGX_OK: the subrequest's head goes on to the next filter; NGX_DONE: swallowed, it does
// not; NGX_ERROR.
ngx_int_t ngx_http_aigw_upstream_head(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx);
