// The body filter of /v1/models for a key limited to some models: the upstream's list,
// narrowed to the key's models.
#pragma once

#include "ngx/request/ctx.hpp"

// NGX_OK with the chain to pass on in *pass, NGX_DONE when there is nothing to pass yet, or
// NGX_ERROR.
ngx_int_t ngx_http_aigw_model_list_body(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                       ngx_chain_t* in, ngx_chain_t** pass);
