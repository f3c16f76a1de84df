// The rewrite phase of a gateway location: a credential in the query (?key=...) never goes
// upstream and never reaches a log.
#pragma once

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_rewrite_handler(ngx_http_request_t* r) noexcept;
