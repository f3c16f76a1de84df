// Buffers of the body filters: the held bytes of an unfinished event (or a whole body being
// read), buffers of our own recycled through the response's free and busy chains, and a body
// rewritten whole.
#pragma once

#include <string>
#include <string_view>

#include "ngx/request/ctx.hpp"

// An event larger than this is passed on as it comes rather than held whole; a model list
// larger than this is refused.
inline constexpr size_t ngx_http_aigw_sse_hold_max = 1024 * 1024;

// Marks every buffer of `in` as sent (its bytes consumed).
void ngx_http_aigw_consume(ngx_chain_t* in);

// Appends bytes to response.hold, growing our buffer as needed. NGX_OK or NGX_ERROR.
ngx_int_t ngx_http_aigw_hold_append(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                    const u_char* data, size_t len);

// A buffer of ours (recycled through response.free and busy) holding `len` bytes of `data`.
ngx_chain_t* ngx_http_aigw_own_buf(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                   const char* data, size_t len);

// The memory bytes of `in` appended to response.hold, up to ngx_http_aigw_error_keep_max in
// all (the rest is dropped): a swallowed error body kept to be read. NGX_OK or NGX_ERROR.
inline constexpr size_t ngx_http_aigw_error_keep_max = 16 * 1024;
ngx_int_t ngx_http_aigw_keep_error(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                   ngx_chain_t* in);

// The bytes held, as a view ("" when nothing is).
std::string_view ngx_http_aigw_held(const ngx_http_aigw_ctx_t* ctx);

// A held buffer that will not be sent goes back to the free list.
void ngx_http_aigw_release_hold(ngx_http_aigw_ctx_t* ctx);

// A body held whole and rewritten (`body`), followed by the buffer that ended the upstream's
// body (its last_in_chain / last_buf flags, its bytes already consumed): the chain to pass
// on, in *out. NGX_OK or NGX_ERROR.
ngx_int_t ngx_http_aigw_whole_body(ngx_http_request_t* sr, const std::string& body,
                                   ngx_chain_t* last, ngx_chain_t** out);
