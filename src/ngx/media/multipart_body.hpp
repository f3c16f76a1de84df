// multipart/form-data bodies (image edits and variations, video tasks with a reference image):
// read as NGINX stored them (memory buffers or its temp file), scanned for the small fields the
// gateway routes and prices by (model, n, size, quality, seconds, stream) without copying the
// files, and passed on byte for byte but the model's value.
#pragma once

#include <optional>
#include <string_view>

#include "ngx/request/ctx.hpp"

// Whether the request's Content-Type is multipart/form-data.
bool ngx_http_aigw_is_multipart(ngx_http_request_t* r);

// Starts reading a multipart body; what follows happens once it is in (the form scanned, then
// as a JSON body's fields: route, price, admission). Returns what the content handler returns.
ngx_int_t ngx_http_aigw_read_multipart(ngx_http_request_t* r);

// The body of an attempt: the client's buffers, with the model's value replaced by
// `upstream_model` when given (a chain of references into the client's buffers and one buffer
// holding the new name).
ngx_int_t ngx_http_aigw_multipart_upstream_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                                std::optional<std::string_view> upstream_model);
