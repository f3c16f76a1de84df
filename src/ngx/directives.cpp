// Directives, location configuration and its validation.
#include "ngx/aigw_module.hpp"

static char* ngx_http_aigw_pass(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;

ngx_command_t ngx_http_aigw_commands[] = {
    {ngx_string("aigw"), NGX_HTTP_LOC_CONF | NGX_CONF_FLAG, ngx_conf_set_flag_slot,
     NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_aigw_loc_conf_t, enable), nullptr},

    {ngx_string("aigw_pass"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_aigw_pass, NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_aigw_loc_conf_t, pass),
     nullptr},

    ngx_null_command};

void* ngx_http_aigw_create_loc_conf(ngx_conf_t* cf) noexcept {
    auto* conf = static_cast<ngx_http_aigw_loc_conf_t*>(
        ngx_pcalloc(cf->pool, sizeof(ngx_http_aigw_loc_conf_t)));
    if (conf == nullptr) {
        return nullptr;
    }
    // pass: zeroed by ngx_pcalloc (unset)
    conf->enable = NGX_CONF_UNSET;
    return conf;
}

char* ngx_http_aigw_merge_loc_conf(ngx_conf_t* cf, void* parent, void* child) noexcept {
    auto* prev = static_cast<ngx_http_aigw_loc_conf_t*>(parent);
    auto* conf = static_cast<ngx_http_aigw_loc_conf_t*>(child);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->pass, prev->pass, "");

    if (conf->enable) {
        if (conf->pass.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"aigw on\" needs \"aigw_pass\" to name the channel location");
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        auto* clcf = static_cast<ngx_http_core_loc_conf_t*>(
            ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
        clcf->handler = ngx_http_aigw_handler;
    }
    return NGX_CONF_OK;
}

// aigw_pass /_aigw/openai;  the prefix of an internal location holding proxy_pass.
static char* ngx_http_aigw_pass(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(conf);
    if (alcf->pass.data != nullptr) {
        return const_cast<char*>("is duplicate");
    }
    ngx_str_t* value = static_cast<ngx_str_t*>(cf->args->elts);
    ngx_str_t pass = value[1];
    if (pass.len < 2 || pass.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_pass\" value \"%V\": expected the prefix of a location "
                           "such as /_aigw/openai",
                           &pass);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    for (size_t i = 0; i < pass.len; i++) {
        u_char c = pass.data[i];
        if (c <= ' ' || c == '?' || c == '#' || c == '%' || c >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_pass\" value \"%V\": only a plain path is allowed",
                               &pass);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    // The request path ("/v1/...") is appended, so a trailing slash would double it.
    while (pass.len > 1 && pass.data[pass.len - 1] == '/') {
        pass.len--;
    }
    alcf->pass = pass;
    return NGX_CONF_OK;
}
