// The answer of a channel of another dialect than the client's (attempt.translate), turned
// into the client's dialect: a stream event by event through the pivot (the channel's decoder,
// the client's encoder), a JSON answer or error whole once it ended. The request's way there
// is proxy/translation.hpp.
#pragma once

#include <string>

#include "aigw/api/error.hpp"
#include "ngx/request/ctx.hpp"

namespace aigw {
struct sse_event;
}
struct ngx_http_aigw_body_t;
enum class ngx_http_aigw_event_action;

// A translated answer begins: the upstream dialect's decoder and the client's encoder for its
// stream. May throw std::bad_alloc.
void ngx_http_aigw_translate_start(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st);

// One whole event of the upstream's stream, once accounted: what the client gets for it, in
// st->out (replace) or nothing (drop). An event the decoder cannot read is dropped, and
// logged at debug level.
ngx_http_aigw_event_action ngx_http_aigw_translate_event(ngx_http_aigw_ctx_t* ctx,
                                                         ngx_http_aigw_body_t* st,
                                                         const aigw::sse_event& e);

// The upstream's stream ended cleanly: what the client still needs to end its own (its
// dialect's end events, when the upstream's end marker never came), or "".
std::string ngx_http_aigw_translate_stream_end(ngx_http_aigw_ctx_t* ctx,
                                               ngx_http_aigw_body_t* st);

// The stream of a translated answer broke off: the client's end of it for error `e`, through
// its encoder; "" when the answer is not a translated stream, or its end was already sent.
std::string ngx_http_aigw_translate_error(ngx_http_aigw_ctx_t* ctx, const aigw::api_error& e);

// A whole JSON answer of the upstream (kept in st->json) with HTTP `status`: the client's
// body, and in *status the client's status (an error's, or 502 for an answer that is not one
// of the upstream dialect's). May throw std::bad_alloc.
std::string ngx_http_aigw_translate_json(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                         ngx_http_aigw_body_t* st, ngx_uint_t* status);
