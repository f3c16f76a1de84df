// The handlers of the directives that are not one of NGINX's slot setters, and the defaults
// and checks of their parts once the http block is read. The command table (directives.cpp)
// names them; each topic's file defines them.
#pragma once

#include <string_view>

#include "ngx/conf/conf.hpp"

// routing_directives.cpp
char* ngx_http_aigw_pass(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_channel(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_model(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;

// redis_directives.cpp
char* ngx_http_aigw_redis(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_key_cache(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;

// accounting_directives.cpp
char* ngx_http_aigw_usage_log(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_price(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_billing(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_quota_alerts(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_reserve_tokens(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_tokenizer(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;

// status_directives.cpp
char* ngx_http_aigw_status_zone(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_status(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;

// task_directives.cpp
char* ngx_http_aigw_task_poller(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_task_poll(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_callback_pass(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_callback_secret(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
char* ngx_http_aigw_callback_allow(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
// Defaults and checks once the http block is read; the node's poll token.
char* ngx_http_aigw_tasks_init(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf);

// Remembers a model name whose Redis price is read (aigw_price and aigw_model call this).
ngx_int_t ngx_http_aigw_prices_note_model(ngx_conf_t* cf, ngx_http_aigw_prices_conf_t* conf,
                                          std::string_view model);
void ngx_http_aigw_billing_create(ngx_http_aigw_billing_conf_t* conf);
// Defaults, and the checks that need the whole http block: NGX_CONF_OK or NGX_CONF_ERROR.
char* ngx_http_aigw_billing_init(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf,
                                 bool have_redis);
char* ngx_http_aigw_usage_log_init(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf,
                                   bool have_redis);
void ngx_http_aigw_prices_init(ngx_http_aigw_prices_conf_t* conf, bool have_redis);
