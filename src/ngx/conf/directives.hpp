// The module's directives and the callbacks that create, merge and check its configuration
// (module.cpp hands them to NGINX).
#pragma once

#include "ngx/ngx.hpp"

extern ngx_command_t ngx_http_aigw_commands[];
void* ngx_http_aigw_create_main_conf(ngx_conf_t* cf) noexcept;
char* ngx_http_aigw_init_main_conf(ngx_conf_t* cf, void* conf) noexcept;
void* ngx_http_aigw_create_loc_conf(ngx_conf_t* cf) noexcept;
char* ngx_http_aigw_merge_loc_conf(ngx_conf_t* cf, void* parent, void* child) noexcept;
