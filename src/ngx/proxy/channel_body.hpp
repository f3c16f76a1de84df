// The body an attempt sends to its channel: the client's bytes, the model spliced to the
// channel's upstream name when it differs, and stream_options.include_usage added to a stream
// (passthrough: every other byte as the client sent it).
#pragma once

#include <optional>
#include <string_view>

#include "ngx/request/ctx.hpp"

// Sets attempt.upstream_body (and the usage flags). NGX_OK or NGX_ERROR.
ngx_int_t ngx_http_aigw_channel_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                    std::optional<std::string_view> upstream_model);
