// The body filter of a stream (text/event-stream): only whole events go to the client, each
// read for usage and time to first token on the way, some rewritten (the public model name)
// or dropped (the usage chunk the client did not ask for). Never collected whole.
#pragma once

#include "ngx/request/ctx.hpp"

// The next bytes of the upstream's stream: NGX_OK with the chain to pass on in *pass,
// NGX_DONE when there is nothing to pass yet, or NGX_ERROR.
ngx_int_t ngx_http_aigw_stream_body(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                   ngx_chain_t* in, ngx_chain_t** pass);

// After `out` (what ngx_http_aigw_stream_body passed) went to the next filter: our sent
// buffers go back to the free list.
void ngx_http_aigw_stream_sent(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                               ngx_chain_t* out);
