// aigw_status_zone SIZE | off, and aigw_status (a location that answers the metrics).
#include "ngx/conf/directive_handlers.hpp"
#include "ngx/status.hpp"
#include "ngx/util/guard.hpp"

namespace {

// The smallest zone: what 8 channels and 16 models and groups take, with room.
constexpr ssize_t status_zone_min = 128 * 1024;

char* status_zone(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* conf) {
    ngx_http_aigw_status_conf_t& sc = conf->status;
    if (sc.enabled != NGX_CONF_UNSET) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (aigw::ngx::view(value[1]) == "off") {
        sc.enabled = 0;
        return NGX_CONF_OK;
    }
    ssize_t size = ngx_parse_size(&value[1]);
    if (size == NGX_ERROR || size < status_zone_min) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_status_zone\" size \"%V\": \"off\" or a size of at "
                           "least 128k (as 1m)",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    sc.enabled = 1;
    sc.size = static_cast<size_t>(size);
    return NGX_CONF_OK;
}

char* status(ngx_conf_t* cf) {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_aigw_module));
    auto* clcf = static_cast<ngx_http_core_loc_conf_t*>(
        ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ngx_http_aigw_status_handler;
    amcf->status.locations++;
    return NGX_CONF_OK;
}

}  // namespace

char* ngx_http_aigw_status_zone(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_status_zone", static_cast<char*>(NGX_CONF_ERROR), [&] {
        return status_zone(cf, static_cast<ngx_http_aigw_main_conf_t*>(conf));
    });
}

char* ngx_http_aigw_status(ngx_conf_t* cf, ngx_command_t*, void*) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_status", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return status(cf); });
}
