// The module object, and the registration of its phase handlers and filters.
#include "ngx/aigw_module.hpp"
#include "ngx/conf/directives.hpp"
#include "ngx/util/log_limit.hpp"

static ngx_int_t ngx_http_aigw_preconfiguration(ngx_conf_t* cf) noexcept;
static ngx_int_t ngx_http_aigw_postconfiguration(ngx_conf_t* cf) noexcept;
static ngx_int_t ngx_http_aigw_init_process(ngx_cycle_t* cycle) noexcept;
static void ngx_http_aigw_exit_process(ngx_cycle_t* cycle) noexcept;

static ngx_http_module_t ngx_http_aigw_module_ctx = {
    ngx_http_aigw_preconfiguration,   // preconfiguration
    ngx_http_aigw_postconfiguration,  // postconfiguration
    ngx_http_aigw_create_main_conf,   // create main configuration
    ngx_http_aigw_init_main_conf,     // init main configuration
    nullptr,                          // create server configuration
    nullptr,                          // merge server configuration
    ngx_http_aigw_create_loc_conf,    // create location configuration
    ngx_http_aigw_merge_loc_conf,     // merge location configuration
};

ngx_module_t ngx_http_aigw_module = {
    NGX_MODULE_V1,
    &ngx_http_aigw_module_ctx,  // module context
    ngx_http_aigw_commands,     // module directives
    NGX_HTTP_MODULE,            // module type
    nullptr,                    // init master
    nullptr,                    // init module
    ngx_http_aigw_init_process, // init process
    nullptr,                    // init thread
    nullptr,                    // exit thread
    ngx_http_aigw_exit_process, // exit process
    nullptr,                    // exit master
    NGX_MODULE_V1_PADDING};

static ngx_int_t ngx_http_aigw_preconfiguration(ngx_conf_t* cf) noexcept {
    return ngx_http_aigw_add_variables(cf);
}

static ngx_int_t ngx_http_aigw_postconfiguration(ngx_conf_t* cf) noexcept {
    auto* cmcf = static_cast<ngx_http_core_main_conf_t*>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module));
    auto* h = static_cast<ngx_http_handler_pt*>(
        ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers));
    if (h == nullptr) {
        return NGX_ERROR;
    }
    *h = ngx_http_aigw_access_handler;
    h = static_cast<ngx_http_handler_pt*>(
        ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers));
    if (h == nullptr) {
        return NGX_ERROR;
    }
    *h = ngx_http_aigw_rewrite_handler;
    h = static_cast<ngx_http_handler_pt*>(
        ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers));
    if (h == nullptr) {
        return NGX_ERROR;
    }
    *h = ngx_http_aigw_log_handler;
    return ngx_http_aigw_filter_init(cf);
}

// Redis connections are per worker, made after the fork. Only one worker per node listens
// for key invalidations: the cache they clear is shared by all workers.
static ngx_int_t ngx_http_aigw_init_process(ngx_cycle_t* cycle) noexcept {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_cycle_get_module_main_conf(cycle, ngx_http_aigw_module));
    if (amcf == nullptr || amcf->redis.host.len == 0) {
        return NGX_OK;
    }
    bool subscribe = amcf->key_cache.zone != nullptr && ngx_worker == 0;
    ngx_int_t rc = ngx_http_aigw_redis_init_process(cycle, &amcf->redis,
                                                    subscribe ? "aigw:keys:invalidate" : nullptr,
                                                    ngx_http_aigw_key_invalidated);
    if (rc == NGX_OK) {
        ngx_http_aigw_billing_init_process(cycle);
        ngx_http_aigw_prices_init_process(cycle, &amcf->prices);
    }
    return rc;
}

static void ngx_http_aigw_exit_process(ngx_cycle_t* cycle) noexcept {
    // Redis first: freeing its connections answers pending calls, some the usage queue's.
    ngx_http_aigw_redis_exit_process();
    ngx_http_aigw_usage_log_exit_process(cycle);
    ngx_http_aigw_billing_exit_process(cycle);
    ngx_http_aigw_prices_exit_process();
    ngx_http_aigw_log_limit_exit_process();
}
