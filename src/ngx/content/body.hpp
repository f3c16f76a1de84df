// The request body: read (from memory or NGINX's temp file) into one padded buffer, parsed
// (model, stream, limits, duplicate members), and handed to routing and admission.
#pragma once

#include "ngx/ngx.hpp"

// Starts reading the body; what follows happens once it is in. Returns what the content
// handler returns (NGX_DONE, or an error status).
ngx_int_t ngx_http_aigw_read_body(ngx_http_request_t* r);
