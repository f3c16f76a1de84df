// The end of a request: its token counts (the upstream's, else estimated), its cost, and the
// billing spend that replaces its reservation. After this the usage part of the context is
// final for $aigw_* and the usage record.
#pragma once

#include "ngx/request/ctx.hpp"

// Makes the request final when it ends, however it ends: NGINX runs request cleanups just
// before the log phase. NGX_OK, or NGX_ERROR when out of memory.
ngx_int_t ngx_http_aigw_finish_at_end(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// Counts, cost and spend, final. Once: later calls do nothing.
void ngx_http_aigw_usage_final(ngx_http_aigw_ctx_t* ctx);
