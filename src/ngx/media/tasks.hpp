// Video tasks: the gateway's own task records (Redis HASH aigw:task:{id}) in front of a
// channel's video API. A new task (POST /v1/videos, or a remix) goes to a channel like any
// routed request; its answer is held, recorded under a public id of the gateway's, and sent
// with that id. Every later call names the public id: the record says which channel made the
// task and under which upstream id, and that only the key that made it may see it (any other
// gets 404). A task is settled once, when it is first seen finished: completed keeps the money
// taken at creation, failed gives it back (one Lua script flips the record and the accounts).
#pragma once

#include "ngx/request/ctx.hpp"

// Before a new task's (or a remix's) first attempt: its state. NGX_OK, or NGX_ERROR.
ngx_int_t ngx_http_aigw_task_prepare(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The content handler's part for the video endpoints but a new task's POST: a task's
// retrieval, deletion, content and remix, and the list of the key's tasks. Returns what the
// content handler returns.
ngx_int_t ngx_http_aigw_video_request(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The upstream's head: whether a task's answer (2xx JSON of a new task, a retrieval, a
// deletion, a poll) is held whole for ngx_http_aigw_task_answered.
bool ngx_http_aigw_task_holds(const ngx_http_aigw_ctx_t* ctx, ngx_uint_t status, bool json);

// The attempt ended with a held answer (attempt.cpp calls it as ctx->media.task_answered): the
// record is written, then the client answered.
void ngx_http_aigw_task_answered(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx);

// The handler of `aigw_task_poll` locations: the node's poller asks it to refresh one task.
ngx_int_t ngx_http_aigw_task_poll_handler(ngx_http_request_t* r) noexcept;
