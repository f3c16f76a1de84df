// $aigw_* variables for log_format and proxy_set_header.
#pragma once

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf);
