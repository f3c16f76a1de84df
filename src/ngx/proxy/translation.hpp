// Requests to a channel of another dialect than the client's: the client's body is read once
// into the pivot (api::request) and written in the channel's dialect for each attempt that
// goes to such a channel. Same-dialect channels get the client's bytes (channel_body.hpp).
// The answer's way back is the filters' (filters/translate.hpp).
#pragma once

#include <string>
#include <string_view>

#include "aigw/api/request.hpp"
#include "ngx/request/ctx.hpp"

struct ngx_http_aigw_translation_t {
    aigw::api::request request;  // the client's request; its model is the attempt's
};

// The content phase, once the request is routed. A chat request some candidate channel must
// get in another dialect is read whole into content.translation, or refused (400 in the
// client's words) when the pivot cannot carry it. Other endpoints keep only the candidates
// that speak the client's dialect; when none is left, count_tokens is answered by the
// gateway and anything else refused. NGX_DECLINED when the request goes on; else it was
// answered and this is the code to finalize with.
ngx_int_t ngx_http_aigw_translation_prepare(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The current attempt's body for its channel of another dialect: the pivot with the model
// `upstream_model`, in the channel's dialect. May throw std::bad_alloc.
std::string ngx_http_aigw_translated_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                          std::string_view upstream_model);
