// An NGINX error page (413 from client_max_body_size, 400, 408, 500 ...) in a gateway
// location: same status, OpenAI JSON body, so a client never sees HTML. A phase that answered
// by returning a status may have prepared the exact error (ngx_http_aigw_prepare_error);
// otherwise the status's generic one is used.
#pragma once

#include "ngx/request/ctx.hpp"

// The head: JSON content type and length; the body is replaced. NGX_OK or NGX_ERROR.
ngx_int_t ngx_http_aigw_error_page_head(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The body: NGINX's page consumed, ours passed once. NGX_OK with the chain to pass on in
// *pass, NGX_DONE when nothing is to be passed, or NGX_ERROR.
ngx_int_t ngx_http_aigw_error_page_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                        ngx_chain_t* in, ngx_chain_t** pass);
