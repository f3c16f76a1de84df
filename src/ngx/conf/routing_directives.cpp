// Directives of routing: aigw_pass (one fixed channel location), aigw_channel and aigw_model
// (the model table and the channels it routes to).
#include <cctype>
#include <string>
#include <vector>

#include "aigw/dialects/dialect.hpp"
#include "aigw/routing/model_map.hpp"
#include "ngx/conf/directive_handlers.hpp"
#include "ngx/conf/options.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/pool.hpp"

namespace {

using aigw::ngx::conf_read;

conf_read read_count(const ngx_str_t& v, uint32_t* out) {
    ngx_int_t n = ngx_atoi(v.data, v.len);
    if (n == NGX_ERROR || n > 1000000) {
        return conf_read::bad;
    }
    *out = static_cast<uint32_t>(n);
    return conf_read::ok;
}

char* add_channel(ngx_conf_t* cf, ngx_http_aigw_channels_conf_t* cc) {
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    const ngx_str_t& name = value[1];
    if (name.len == 0 || name.len > ngx_http_aigw_channel_name_max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid channel name \"%V\": 1 to %uz characters", &name,
                           ngx_http_aigw_channel_name_max);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    for (size_t i = 0; i < name.len; i++) {
        u_char c = name.data[i];
        if (!(isalnum(c) || c == '_' || c == '-' || c == '.')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid channel name \"%V\": use letters, digits, '_', '-', '.'",
                               &name);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    auto* existing = static_cast<ngx_http_aigw_channel_t*>(cc->channels.elts);
    for (ngx_uint_t i = 0; i < cc->channels.nelts; i++) {
        if (existing[i].name.len == name.len &&
            ngx_memcmp(existing[i].name.data, name.data, name.len) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "duplicate channel \"%V\"", &name);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }

    ngx_http_aigw_channel_t ch{};
    ch.name = name;
    ch.dialect = aigw::dialect_id::openai_chat;
    ch.conf.fail_timeout_ms = 30000;
    aigw::ngx::conf_messages messages;
    messages.unknown = [cf, &name](const ngx_str_t& arg) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\" for channel \"%V\"",
                           &arg, &name);
    };
    messages.bad = [cf, &name](const ngx_str_t& arg, const aigw::ngx::conf_option&,
                               const ngx_str_t&) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid value in \"%V\" for channel \"%V\"",
                           &arg, &name);
    };
    char* rc = aigw::ngx::conf_options(
        cf, 2,
        {
            {"location",
             [&ch](ngx_str_t v) {
                 bool ok = aigw::ngx::location_prefix(&v);
                 ch.location = v;
                 return ok ? conf_read::ok : conf_read::bad;
             }},
            {"provider",
             [&](ngx_str_t v) {
                 if (auto d = aigw::provider_dialect(aigw::ngx::view(v))) {
                     ch.dialect = *d;
                     return conf_read::ok;
                 }
                 std::string_view names = aigw::provider_names();
                 ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                    "unknown provider \"%V\" for channel \"%V\": the "
                                    "providers are %*s (openai: any OpenAI-compatible upstream)",
                                    &v, &name, names.size(), names.data());
                 return conf_read::reported;
             }},
            {"weight",
             [&ch](ngx_str_t v) {
                 conf_read r = read_count(v, &ch.conf.weight);
                 return r == conf_read::ok && ch.conf.weight == 0 ? conf_read::bad : r;
             }},
            {"responses",
             [&ch](ngx_str_t v) {
                 std::string_view s = aigw::ngx::view(v);
                 if (s != "on" && s != "off") {
                     return conf_read::bad;
                 }
                 ch.responses = s == "on";
                 return conf_read::ok;
             }},
            {"priority", [&ch](ngx_str_t v) { return read_count(v, &ch.conf.priority); }},
            {"max_fails", [&ch](ngx_str_t v) { return read_count(v, &ch.conf.max_fails); }},
            {"fail_timeout",
             [&ch](ngx_str_t v) {
                 ngx_msec_t t = 0;
                 conf_read r = aigw::ngx::read_msec(v, &t, false);
                 ch.conf.fail_timeout_ms = t;
                 return r;
             }},
        },
        messages);
    if (rc != NGX_CONF_OK) {
        return rc;
    }
    if (ch.responses && ch.dialect != aigw::dialect_id::openai_chat) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "responses=on for channel \"%V\": only an OpenAI channel's upstream "
                           "can serve the Responses API",
                           &name);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (ch.location.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "channel \"%V\" needs location=/prefix (an internal location with "
                           "proxy_pass)",
                           &name);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (cc->channels.nelts >= 4096) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "too many channels (at most 4096)");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    auto* slot = static_cast<ngx_http_aigw_channel_t*>(ngx_array_push(&cc->channels));
    if (slot == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    *slot = ch;
    return NGX_CONF_OK;
}

char* add_model(ngx_conf_t* cf, ngx_http_aigw_loc_conf_t* alcf) {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_aigw_module));
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (alcf->models == nullptr) {
        alcf->models = aigw::ngx::pool_new<aigw::model_map>(cf->pool);
        if (alcf->models == nullptr) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        alcf->models_created = ngx_time();
    }
    std::vector<std::string> names;
    auto* ch = static_cast<ngx_http_aigw_channel_t*>(amcf->channels.channels.elts);
    for (ngx_uint_t i = 0; i < amcf->channels.channels.nelts; i++) {
        names.emplace_back(aigw::ngx::view(ch[i].name));
    }
    std::vector<std::string_view> targets;
    for (ngx_uint_t i = 2; i < cf->args->nelts; i++) {
        targets.push_back(aigw::ngx::view(value[i]));
    }
    if (ngx_http_aigw_prices_note_model(cf, &amcf->prices, aigw::ngx::view(value[1])) != NGX_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    std::string err = alcf->models->add(aigw::ngx::view(value[1]), targets, names);
    if (!err.empty()) {
        bool unknown = err.compare(0, 16, "unknown channel ") == 0;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_model\": %s%s", err.c_str(),
                           unknown ? " (channels are declared with \"aigw_channel\" at the "
                                     "http level, before the models that use them)"
                                   : "");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

}  // namespace

// aigw_pass /_aigw/openai;  the prefix of an internal location holding proxy_pass.
char* ngx_http_aigw_pass(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&]() -> char* {
        auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(conf);
        if (alcf->pass.data != nullptr) {
            return const_cast<char*>("is duplicate");
        }
        ngx_str_t* value = static_cast<ngx_str_t*>(cf->args->elts);
        ngx_str_t pass = value[1];
        if (pass.len < 2 || pass.data[0] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_pass\" value \"%V\": expected the prefix of a "
                               "location such as /_aigw/openai",
                               &pass);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        if (!aigw::ngx::location_prefix(&pass)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_pass\" value \"%V\": only a plain path is allowed",
                               &value[1]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        alcf->pass = pass;
        return NGX_CONF_OK;
    });
}

// aigw_channel NAME location=/_aigw/NAME [provider=openai] [weight=N] [priority=N]
//              [max_fails=N] [fail_timeout=30s];
char* ngx_http_aigw_channel(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return add_channel(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->channels);
    });
}

// aigw_model PUBLIC_NAME CHANNEL[:UPSTREAM_MODEL] ...;  PUBLIC_NAME may end in '*' (a prefix).
// Channels are declared (aigw_channel, http level) before the models that use them.
char* ngx_http_aigw_model(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return add_model(cf, static_cast<ngx_http_aigw_loc_conf_t*>(conf));
    });
}
