// What the content phase decides about a request's model: whether the key may use it, which
// aigw_model entry serves it (or the aigw_pass location), and at which price; a model without
// a price is refused when aigw_price_missing says deny.
#pragma once

#include <string_view>

#include "aigw/api/request.hpp"
#include "ngx/request/ctx.hpp"

// The key may not use `model`: 403, logged. Returns the code to finalize with.
ngx_int_t ngx_http_aigw_reject_model(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                     std::string_view model);

// Routes and prices a parsed request (content.model is set). NGX_DECLINED when the request
// goes on to admission; else it was answered and this is the code to finalize with.
ngx_int_t ngx_http_aigw_route(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                              const aigw::request_fields& f);
