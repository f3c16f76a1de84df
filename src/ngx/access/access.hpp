// The access phase of a gateway location: the client key, from the shared-memory key cache
// or from Redis without blocking.
#pragma once

#include <cstddef>

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_access_handler(ngx_http_request_t* r) noexcept;

// A message on the key invalidation channel: the SHA-256 hex of a key that changed, whose
// cache entry goes. nullptr after (re)subscribing, when messages may have been lost: every
// entry stops being fresh.
void ngx_http_aigw_key_invalidated(const char* data, size_t len);
