// The module's header and body filters, registered in the NGINX filter chain.
#pragma once

#include "ngx/ngx.hpp"

ngx_int_t ngx_http_aigw_filter_init(ngx_conf_t* cf);
