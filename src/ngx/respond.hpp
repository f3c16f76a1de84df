// Responses the gateway writes itself: OpenAI-shaped errors and JSON bodies.
#pragma once

#include <string>
#include <string_view>

#include "aigw/api/error.hpp"
#include "ngx/request/ctx.hpp"

// Sends a copy of `s` (request pool) down the body filters, flushed; `last` ends the response.
ngx_int_t ngx_http_aigw_output_string(ngx_http_request_t* r, std::string_view s, bool last);
// The error's code for the usage record.
void ngx_http_aigw_note_error(ngx_http_aigw_ctx_t* ctx, const aigw::api_error& e);
// Sends `body` (JSON) with `status` as the whole response of the main request. The caller
// finalizes the request with the returned code.
ngx_int_t ngx_http_aigw_send_json(ngx_http_request_t* r, ngx_uint_t status,
                                  const std::string& body);
// Sends an OpenAI error as the whole response of the main request.
ngx_int_t ngx_http_aigw_send_error(ngx_http_request_t* r, const aigw::api_error& e);
// Keeps `e` as the body of the error page NGINX will send for the returned status (for
// phases that answer by returning a status, like access).
ngx_int_t ngx_http_aigw_prepare_error(ngx_http_request_t* r, const aigw::api_error& e);
// Ends a stream that already started: an SSE error event (`encoded` when a translated
// stream's encoder wrote it, else the client dialect's), then the end of the response.
ngx_int_t ngx_http_aigw_send_sse_error(ngx_http_request_t* r, const aigw::api_error& e,
                                       std::string_view encoded = {});
