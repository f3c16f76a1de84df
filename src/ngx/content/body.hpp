// The request body: read (from memory or NGINX's temp file) into one padded buffer, parsed
// (model, stream, limits, duplicate members), and handed to routing and admission.
#pragma once

#include "aigw/api/request.hpp"
#include "ngx/request/ctx.hpp"

// Starts reading the body; what follows happens once it is in. Returns what the content
// handler returns (NGX_DONE, or an error status).
ngx_int_t ngx_http_aigw_read_body(ngx_http_request_t* r);

// A body read and parsed (f.model set when the body names one; content.client_body set for a
// JSON body): the model checked against the key, routed and priced, the media fields read,
// then admission. Finalizes the request itself on a refusal.
void ngx_http_aigw_body_parsed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                               const aigw::request_fields& f);
