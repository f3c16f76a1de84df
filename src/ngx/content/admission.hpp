// Admission: billing lets the request through (its key's and group's quota and rate limits,
// from leases in memory or after a settlement round trip), then the first attempt starts.
#pragma once

#include <cstdint>

#include "ngx/request/ctx.hpp"

// `max_tokens` (-1: not given) and `choices` come from the body. The request is finalized
// here when billing refuses it or the first attempt cannot start.
void ngx_http_aigw_admit(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, int64_t max_tokens,
                         int64_t choices);
