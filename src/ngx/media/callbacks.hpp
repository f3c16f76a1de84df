// Callbacks of video tasks: a client names a URL in the X-Aigw-Callback-Url header of a new
// task; once the task ends the node's poller POSTs the final video object there, signed
// (X-Aigw-Signature: t=<unix>,v1=<HMAC-SHA256 hex of "<t>.<body>">), through the
// aigw_callback_pass location (proxy_pass $aigw_callback_url), retried with backoff.
#pragma once

#include <string>

#include "aigw/api/error.hpp"
#include "aigw/media/task.hpp"
#include "ngx/request/ctx.hpp"

// Reads and checks a new task's callback URL into ctx->media.callback_url. False when it is
// refused (callbacks off, a scheme or address the rules forbid): *refused is the client's
// error (status 0: out of memory).
bool ngx_http_aigw_callback_from_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                         aigw::api_error* refused);

// A poll refreshed `rec` (the client would see `object`): its callback is delivered when due,
// then the poller gets its answer. Finalizes the request.
void ngx_http_aigw_task_polled(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                               aigw::task_record* rec, const std::string& object);

// A poll found no such task: the poller drops it. Returns the code to finalize with.
ngx_int_t ngx_http_aigw_task_poll_gone(ngx_http_request_t* r, const std::string& id);
