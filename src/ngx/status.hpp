// aigw_status: the location handler that answers the node's metrics as JSON, Prometheus text
// or the status page; see status.cpp.
#pragma once

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_status_handler(ngx_http_request_t* r) noexcept;
