// The content phase of a gateway location (the handler aigw on sets).
#pragma once

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_handler(ngx_http_request_t* r) noexcept;
