// Video tasks' directives: aigw_task_poller URL [interval=] [batch=] [per_channel=],
// aigw_task_poll (the location the poller asks), aigw_callback_pass LOCATION,
// aigw_callback_secret SECRET, aigw_callback_allow CIDR|NAME ...
#include <openssl/rand.h>

#include "aigw/keys/cidr.hpp"
#include "ngx/conf/directive_handlers.hpp"
#include "ngx/media/tasks.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/pool.hpp"

namespace {

char* task_poller(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf) {
    ngx_http_aigw_tasks_conf_t& tc = amcf->tasks;
    if (tc.poller != nullptr) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    auto* u = static_cast<ngx_url_t*>(ngx_pcalloc(cf->pool, sizeof(ngx_url_t)));
    if (u == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    ngx_str_t url = value[1];
    constexpr std::string_view scheme = "http://";
    if (url.len <= scheme.size() ||
        ngx_strncmp(url.data, scheme.data(), scheme.size()) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aigw_task_poller\" needs an http:// URL of this server's "
                           "aigw_task_poll location, not \"%V\"",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    u->url.data = url.data + scheme.size();
    u->url.len = url.len - scheme.size();
    u->default_port = 80;
    u->uri_part = 1;
    if (ngx_parse_url(cf->pool, u) != NGX_OK || u->naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_task_poller\" URL \"%V\": %s",
                           &value[1], u->err ? u->err : "no address");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    tc.poller = u;
    if (u->uri.len) {
        tc.poller_uri = u->uri;
    } else {
        ngx_str_set(&tc.poller_uri, "/");
    }
    for (ngx_uint_t i = 2; i < cf->args->nelts; i++) {
        std::string_view arg = aigw::ngx::view(value[i]);
        size_t eq = arg.find('=');
        std::string_view name = arg.substr(0, eq);
        ngx_str_t v;
        v.data = value[i].data + (eq == std::string_view::npos ? arg.size() : eq + 1);
        v.len = eq == std::string_view::npos ? 0 : arg.size() - eq - 1;
        if (name == "interval") {
            ngx_msec_t ms = ngx_parse_time(&v, 0);
            if (ms == static_cast<ngx_msec_t>(NGX_ERROR) || ms < 100) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"aigw_task_poller\" interval \"%V\" (at least 100ms)",
                                   &v);
                return static_cast<char*>(NGX_CONF_ERROR);
            }
            tc.poll_interval = ms;
            continue;
        }
        if (name == "batch" || name == "per_channel") {
            ngx_int_t n = ngx_atoi(v.data, v.len);
            if (n == NGX_ERROR || n < 1 || n > 1000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"aigw_task_poller\" %*s \"%V\" (1 to 1000)",
                                   name.size(), name.data(), &v);
                return static_cast<char*>(NGX_CONF_ERROR);
            }
            (name == "batch" ? tc.poll_batch : tc.poll_per_channel) = static_cast<ngx_uint_t>(n);
            continue;
        }
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "unknown \"aigw_task_poller\" parameter \"%V\"",
                           &value[i]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

char* task_poll(ngx_conf_t* cf) {
    auto* clcf = static_cast<ngx_http_core_loc_conf_t*>(
        ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
    clcf->handler = ngx_http_aigw_task_poll_handler;
    return NGX_CONF_OK;
}

char* callback_pass(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf) {
    if (amcf->tasks.callback_pass.len) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aigw_callback_pass\" names a location (\"/...\"), not \"%V\"",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    amcf->tasks.callback_pass = value[1];
    return NGX_CONF_OK;
}

char* callback_secret(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf) {
    if (amcf->tasks.callback_secret.len) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (value[1].len < 16) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aigw_callback_secret\" must be at least 16 bytes long");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    amcf->tasks.callback_secret = value[1];
    return NGX_CONF_OK;
}

char* callback_allow(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf) {
    ngx_http_aigw_tasks_conf_t& tc = amcf->tasks;
    if (tc.callback_allow == nullptr) {
        tc.callback_allow = aigw::ngx::pool_new<std::vector<aigw::cidr_block>>(cf->pool);
        tc.callback_allow_hosts = aigw::ngx::pool_new<std::vector<std::string>>(cf->pool);
        if (tc.callback_allow == nullptr || tc.callback_allow_hosts == nullptr) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    for (ngx_uint_t i = 1; i < cf->args->nelts; i++) {
        std::string_view item = aigw::ngx::view(value[i]);
        aigw::cidr_parse_result c = aigw::parse_cidr(item);
        if (c.ok) {
            tc.callback_allow->push_back(c.block);
            continue;
        }
        bool name = !item.empty() && item.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789.-") == std::string_view::npos;
        if (!name || item.find_first_not_of("0123456789.") == std::string_view::npos) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_callback_allow\" item \"%V\": an address, a CIDR "
                               "block or a host name",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        tc.callback_allow_hosts->emplace_back(item);
    }
    return NGX_CONF_OK;
}

ngx_http_aigw_main_conf_t* main_conf(void* conf) {
    return static_cast<ngx_http_aigw_main_conf_t*>(conf);
}

}  // namespace

char* ngx_http_aigw_task_poller(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_task_poller", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return task_poller(cf, main_conf(conf)); });
}

char* ngx_http_aigw_task_poll(ngx_conf_t* cf, ngx_command_t*, void*) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_task_poll", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return task_poll(cf); });
}

char* ngx_http_aigw_callback_pass(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_callback_pass", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return callback_pass(cf, main_conf(conf)); });
}

char* ngx_http_aigw_callback_secret(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_callback_secret", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return callback_secret(cf, main_conf(conf)); });
}

char* ngx_http_aigw_callback_allow(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return aigw::ngx::guard_conf(cf, "aigw_callback_allow", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return callback_allow(cf, main_conf(conf)); });
}

char* ngx_http_aigw_tasks_init(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* amcf) {
    ngx_http_aigw_tasks_conf_t& tc = amcf->tasks;
    ngx_conf_init_msec_value(tc.poll_interval, 1000);
    ngx_conf_init_uint_value(tc.poll_batch, 8);
    ngx_conf_init_uint_value(tc.poll_per_channel, 4);
    if (tc.poller != nullptr && amcf->redis.host.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_task_poller\" needs \"aigw_redis\"");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (tc.callback_pass.len && (tc.callback_secret.len == 0 || tc.poller == nullptr)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aigw_callback_pass\" needs \"aigw_callback_secret\" (to sign "
                           "deliveries) and \"aigw_task_poller\" (to deliver them)");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    unsigned char random[16];
    if (RAND_bytes(random, sizeof(random)) != 1) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    ngx_hex_dump(tc.poll_token, random, sizeof(random));
    return NGX_CONF_OK;
}
