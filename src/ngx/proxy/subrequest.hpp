// The subrequest of an attempt: to the channel's internal location, or to the aigw_pass
// location, with the attempt's body (content.* and attempt.upstream_body).
#pragma once

#include "ngx/request/ctx.hpp"

// Starts the current attempt's subrequest and resets what the previous attempt left in the
// context. NGX_OK or NGX_ERROR.
ngx_int_t ngx_http_aigw_subrequest_start(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);
