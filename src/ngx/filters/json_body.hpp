// The body filter of a JSON response: kept (bounded) as it passes to read its usage at the
// end, or held whole to rename its model.
#pragma once

#include "ngx/request/ctx.hpp"

// NGX_OK with the chain to pass on in *pass, NGX_DONE when there is nothing to pass yet, or
// NGX_ERROR.
ngx_int_t ngx_http_aigw_json_body(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                 ngx_chain_t* in, ngx_chain_t** pass);
