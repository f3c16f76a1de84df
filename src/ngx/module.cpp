// The module object, and the registration of its phase handlers, filters and variables; the
// tokenizer's indexes built in the master; the worker's parts start and stop in worker.cpp.
#include "aigw/accounting/tokenizer.hpp"
#include "ngx/access/access.hpp"
#include "ngx/access/rewrite.hpp"
#include "ngx/accounting/records.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/conf/directives.hpp"
#include "ngx/filters/chain.hpp"
#include "ngx/metrics.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/variables.hpp"
#include "ngx/worker.hpp"

static ngx_int_t ngx_http_aigw_preconfiguration(ngx_conf_t* cf) noexcept;
static ngx_int_t ngx_http_aigw_postconfiguration(ngx_conf_t* cf) noexcept;
static ngx_int_t ngx_http_aigw_init_module(ngx_cycle_t* cycle) noexcept;

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
    ngx_http_aigw_init_module,  // init module
    ngx_http_aigw_worker_start, // init process
    nullptr,                    // init thread
    nullptr,                    // exit thread
    ngx_http_aigw_worker_stop,  // exit process
    nullptr,                    // exit master
    NGX_MODULE_V1_PADDING};

static ngx_int_t ngx_http_aigw_preconfiguration(ngx_conf_t* cf) noexcept {
    return aigw::ngx::guard_conf(cf, "preconfiguration", static_cast<ngx_int_t>(NGX_ERROR),
                                 [cf] { return ngx_http_aigw_add_variables(cf); });
}

// Rewrite (a ?key= credential taken out), access (the client key) and log (the usage record);
// the content handler is set per location by "aigw on" (conf/directives.cpp).
static ngx_int_t ngx_http_aigw_add_handlers(ngx_conf_t* cf) {
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

static ngx_int_t ngx_http_aigw_postconfiguration(ngx_conf_t* cf) noexcept {
    return aigw::ngx::guard_conf(cf, "postconfiguration", static_cast<ngx_int_t>(NGX_ERROR),
                                 [cf] { return ngx_http_aigw_add_handlers(cf); });
}

// In the master, once the configuration is read (and on each reload): the tokenizer's lookup
// indexes (7.5 MB of heap) are built here, before the workers fork, so that every worker
// shares them copy-on-write instead of building its own. Its tables are in the module's
// read-only data already. Built once per master process: a reload finds them there.
static ngx_int_t ngx_http_aigw_init_module(ngx_cycle_t* cycle) noexcept {
    return aigw::ngx::guard(cycle->log, "init module", static_cast<ngx_int_t>(NGX_ERROR), [cycle] {
        if (ngx_http_aigw_main_conf(cycle) == nullptr) {
            ngx_http_aigw_metrics_use(cycle);
            return static_cast<ngx_int_t>(NGX_OK);  // no http block
        }
        ngx_http_aigw_metrics_use(cycle);
        ngx_http_aigw_records_open_dir(cycle, &ngx_http_aigw_main_conf(cycle)->usage_log);
        if (!aigw::tokenizer::preload()) {
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0,
                          "aigw: the tokenizer's indexes could not be built (out of memory?): "
                          "token counts the upstream does not report are estimated");
        }
        return static_cast<ngx_int_t>(NGX_OK);
    });
}
