// The upstream body of a multipart/form-data request (multipart_read.hpp read it): the client's
// bytes passed on byte for byte but the model's value.
#pragma once

#include <optional>
#include <string_view>

#include "ngx/request/ctx.hpp"

// The body of an attempt: the client's buffers, with the model's value replaced by
// `upstream_model` when given (a chain of references into the client's buffers, memory or
// file, and one buffer holding the new name).
ngx_int_t ngx_http_aigw_multipart_upstream_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                                std::optional<std::string_view> upstream_model);
