// An NGINX error page (413 from client_max_body_size, 400, 408, 500 ...) in a gateway
// location, or with aigw_error_pages on anywhere else (NGINX's own pages only there): same
// status, the client dialect's JSON body, so a client never sees HTML. A phase that answered
// by returning a status may have prepared the exact error (ngx_http_aigw_prepare_error);
// otherwise the status's generic one is used.
#pragma once

#include "ngx/request/ctx.hpp"

// Whether the main request's response is an error page NGINX writes itself: a request it
// refuses while reading the head (before any location applies), or a location's error that
// NGINX answers with its page (`return 404;`, a missing file, a body over
// client_max_body_size, `deny` ...). Not a response a location sends with its own content
// (`return 404 "text"`, a file, a proxied upstream's answer) nor the page an error_page names.
bool ngx_http_aigw_nginx_error_page(ngx_http_request_t* r);

// The head: JSON content type and length; the body is replaced. NGX_OK or NGX_ERROR.
ngx_int_t ngx_http_aigw_error_page_head(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The body: NGINX's page consumed, ours passed once. NGX_OK with the chain to pass on in
// *pass, NGX_DONE when nothing is to be passed, or NGX_ERROR.
ngx_int_t ngx_http_aigw_error_page_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                        ngx_chain_t* in, ngx_chain_t** pass);
