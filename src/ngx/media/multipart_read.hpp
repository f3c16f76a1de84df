// multipart/form-data bodies (image edits and variations, video tasks with a reference image):
// read as NGINX stored them (memory buffers or its temp file), scanned for the small fields the
// gateway routes and prices by (model, n, size, quality, seconds, stream) without copying the
// files. multipart_body.hpp builds what goes upstream from the same buffers.
#pragma once

#include "ngx/request/ctx.hpp"

// Whether the request's Content-Type is multipart/form-data.
bool ngx_http_aigw_is_multipart(ngx_http_request_t* r);

// Starts reading a multipart body; what follows happens once it is in (the form scanned, then
// as a JSON body's fields: route, price, admission). Returns what the content handler returns.
ngx_int_t ngx_http_aigw_read_multipart(ngx_http_request_t* r);
