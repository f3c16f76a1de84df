// What prices an images or video request: the images asked for (n, size, quality) or the
// seconds of video (seconds, size), read from a JSON body (a multipart body's come from
// multipart_body.cpp), the money reserved for them before the request runs, and the cost once
// the answer is known.
#pragma once

#include "ngx/request/ctx.hpp"

// Reads a JSON body's media fields into ctx->media (a request of another endpoint: nothing).
// NGX_DECLINED to go on; else a 400 was sent and this is the code to finalize with.
ngx_int_t ngx_http_aigw_media_json_fields(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// Sets ctx->media.reserve from the fields and the model's price: n images at the dearest
// per-image price they may have, or the seconds at the per-second price (4 s, OpenAI's
// default, when not said).
void ngx_http_aigw_media_reserve(ngx_http_aigw_ctx_t* ctx);

// The request's cost when its answer is known (ctx->usage.cost is the token cost then):
// images by their tokens when the upstream counted them and the model has token prices, else
// per image (the images answered, else those asked for); a video task's its seconds.
void ngx_http_aigw_media_cost(ngx_http_aigw_ctx_t* ctx);
