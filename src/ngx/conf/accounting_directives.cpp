// Directives of accounting: aigw_price (and the names whose Redis price is read),
// aigw_billing, aigw_quota_alerts, aigw_reserve_tokens, aigw_usage_log and aigw_tokenizer, with
// the defaults and checks of their parts once the http block is read.
#include <string>
#include <utility>
#include <vector>

#include "aigw/accounting/pricing.hpp"
#include "aigw/accounting/encoding_table.hpp"
#include "ngx/conf/directive_handlers.hpp"
#include "ngx/conf/options.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/pool.hpp"

namespace {

using aigw::ngx::conf_read;

char* add_price(ngx_conf_t* cf, ngx_http_aigw_prices_conf_t* prices) {
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    char* rc = aigw::ngx::conf_pairs(cf, 2, [&](const ngx_str_t&, std::string_view name,
                                                ngx_str_t v) {
        fields.emplace_back(name, aigw::ngx::view(v));
        return conf_read::ok;
    });
    if (rc != NGX_CONF_OK) {
        return rc;
    }
    aigw::price_parse_result parsed = aigw::parse_price_fields(fields);
    if (!parsed.ok) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_price\" for \"%V\": %s",
                           &value[1], parsed.error.c_str());
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (prices->table == nullptr) {
        prices->table = aigw::ngx::pool_new<aigw::price_table>(cf->pool);
        if (prices->table == nullptr) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    if (ngx_http_aigw_prices_note_model(cf, prices, aigw::ngx::view(value[1])) != NGX_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    std::string err = prices->table->add(aigw::ngx::view(value[1]), parsed.price);
    if (!err.empty()) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_price\": %s", err.c_str());
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

char* set_billing(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf) {
    if (conf->enabled != NGX_CONF_UNSET) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (ngx_strcmp(value[1].data, "on") == 0) {
        conf->enabled = 1;
    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        conf->enabled = 0;
    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_billing\" value \"%V\": \"on\" or \"off\"", &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return aigw::ngx::conf_options(
        cf, 2,
        {
            {"flush", [conf](ngx_str_t v) { return aigw::ngx::read_msec(v, &conf->flush, false); },
             "time"},
            {"lease", [conf](ngx_str_t v) { return aigw::ngx::read_msec(v, &conf->lease, false); },
             "time"},
        });
}

char* set_quota_alerts(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf) {
    if (conf->alerts_set) {
        return const_cast<char*>("is duplicate");
    }
    conf->alerts_set = 1;
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_null(&conf->alerts);
        return NGX_CONF_OK;
    }
    std::string list;
    for (ngx_uint_t i = 1; i < cf->args->nelts; i++) {
        ngx_str_t v = value[i];
        if (v.len && v.data[v.len - 1] == '%') {
            v.len--;
        }
        ngx_int_t n = ngx_atoi(v.data, v.len);
        if (n == NGX_ERROR || n < 1 || n > 100) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_quota_alerts\" threshold \"%V\": "
                               "a percentage from 1 to 100, or \"off\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        list += (list.empty() ? "" : ",") + std::to_string(n);
    }
    if (!aigw::ngx::pool_copy(cf->pool, list, &conf->alerts)) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

char* set_reserve_tokens(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf) {
    if (conf->reserve_tokens != NGX_CONF_UNSET_UINT) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    ngx_int_t n = ngx_atoi(value[1].data, value[1].len);
    if (n == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_reserve_tokens\" value \"%V\": a number of tokens",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    conf->reserve_tokens = static_cast<ngx_uint_t>(n);
    conf->reserve_learn = 1;
    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "fixed") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_reserve_tokens\" parameter \"%V\": \"fixed\"",
                               &value[2]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        conf->reserve_learn = 0;
    }
    return NGX_CONF_OK;
}

// A journal smaller than this could not hold one record of the largest kind.
constexpr off_t journal_min = 64 * 1024;
constexpr off_t journal_default = 256 * 1024 * 1024;

char* set_usage_log(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf) {
    if (conf->enabled != NGX_CONF_UNSET) {
        return const_cast<char*>("is duplicate");
    }
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_usage_log off\" takes no parameters");
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        conf->enabled = 0;
        return NGX_CONF_OK;
    }
    if (!(value[1].len == 5 && ngx_strncmp(value[1].data, "redis", 5) == 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_usage_log\" target \"%V\": \"redis\" or \"off\"",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    conf->enabled = 1;
    auto count = [](ngx_str_t v, ngx_uint_t* slot) {
        ngx_int_t n = 0;
        conf_read r = aigw::ngx::read_number(v, &n, false);
        if (r == conf_read::ok) {
            *slot = static_cast<ngx_uint_t>(n);
        }
        return r;
    };
    return aigw::ngx::conf_options(
        cf, 2,
        {
            {"maxlen", [&](ngx_str_t v) { return count(v, &conf->maxlen); }},
            {"queue", [&](ngx_str_t v) { return count(v, &conf->queue); }},
            {"journal",
             [&](ngx_str_t v) {
                 if (v.len == 3 && ngx_strncmp(v.data, "off", 3) == 0) {
                     conf->journal = 0;
                     return conf_read::ok;
                 }
                 off_t size = ngx_parse_offset(&v);
                 if (size < journal_min) {
                     return conf_read::bad;
                 }
                 conf->journal = size;
                 return conf_read::ok;
             },
             "journal size (at least 64k, or off)"},
            {"journal_path",
             [&](ngx_str_t v) {
                 conf->journal_path = v;
                 return ngx_conf_full_name(cf->cycle, &conf->journal_path, 0) == NGX_OK
                            ? conf_read::ok
                            : conf_read::reported;
             },
             "path"},
        });
}

char* add_tokenizer(ngx_conf_t* cf, ngx_http_aigw_main_conf_t* conf) {
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    aigw::tokenizer::encoding_id id;
    if (!aigw::tokenizer::parse_encoding(aigw::ngx::view(value[2]), id)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_tokenizer\" encoding \"%V\" for \"%V\": "
                           "\"o200k_base\", \"cl100k_base\" or \"estimate\"",
                           &value[2], &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (conf->tokenizers == nullptr) {
        conf->tokenizers = aigw::ngx::pool_new<aigw::tokenizer::encoding_table>(cf->pool);
        if (conf->tokenizers == nullptr) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    std::string err = conf->tokenizers->add(aigw::ngx::view(value[1]), id);
    if (!err.empty()) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_tokenizer\": %s", err.c_str());
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

}  // namespace

// aigw_price MODEL input=<USD per 1M> output=<USD per 1M> [cached_input=...] [cache_write=...]
//            [request=<USD>] [image=<USD> [image_hd=...] [image_large=...] [image_hd_large=...]]
//            [video_second=<USD> [video_second_large=...]];
char* ngx_http_aigw_price(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return add_price(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->prices);
    });
}

// aigw_billing on|off [flush=1s] [lease=30s];
char* ngx_http_aigw_billing(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return set_billing(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->billing);
    });
}

// aigw_quota_alerts 80 100 | off;
char* ngx_http_aigw_quota_alerts(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return set_quota_alerts(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->billing);
    });
}

// aigw_reserve_tokens N [fixed];
char* ngx_http_aigw_reserve_tokens(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return set_reserve_tokens(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->billing);
    });
}

// aigw_usage_log redis [maxlen=1000000] [queue=10000] | off;
char* ngx_http_aigw_usage_log(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return set_usage_log(cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->usage_log);
    });
}

// aigw_tokenizer MODEL o200k_base|cl100k_base|estimate;
char* ngx_http_aigw_tokenizer(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    return aigw::ngx::guard_directive(cf, cmd, [&] {
        return add_tokenizer(cf, static_cast<ngx_http_aigw_main_conf_t*>(conf));
    });
}

ngx_int_t ngx_http_aigw_prices_note_model(ngx_conf_t* cf, ngx_http_aigw_prices_conf_t* conf,
                                          std::string_view model) {
    if (model.empty() || model.back() == '*') {
        return NGX_OK;  // patterns have no hash of their own
    }
    if (conf->names == nullptr) {
        conf->names = aigw::ngx::pool_new<std::set<std::string>>(cf->pool);
        if (conf->names == nullptr) {
            return NGX_ERROR;
        }
    }
    conf->names->emplace(model);
    return NGX_OK;
}

void ngx_http_aigw_prices_init(ngx_http_aigw_prices_conf_t* conf, bool have_redis) {
    if (conf->refresh == NGX_CONF_UNSET_MSEC) {
        conf->refresh = have_redis ? 10000 : 0;
    }
    if (!have_redis) {
        conf->refresh = 0;
    }
}

void ngx_http_aigw_billing_create(ngx_http_aigw_billing_conf_t* conf) {
    conf->enabled = NGX_CONF_UNSET;
    conf->flush = NGX_CONF_UNSET_MSEC;
    conf->lease = NGX_CONF_UNSET_MSEC;
    conf->rpm = NGX_CONF_UNSET_UINT;
    conf->tpm = NGX_CONF_UNSET_UINT;
    conf->reserve_tokens = NGX_CONF_UNSET_UINT;
    conf->reserve_learn = NGX_CONF_UNSET;
}

char* ngx_http_aigw_billing_init(ngx_conf_t* cf, ngx_http_aigw_billing_conf_t* conf,
                                 bool have_redis) {
    if (conf->enabled == NGX_CONF_UNSET) {
        conf->enabled = have_redis ? 1 : 0;
    } else if (conf->enabled && !have_redis) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_billing on\" needs \"aigw_redis\"");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    ngx_conf_init_msec_value(conf->flush, 1000);
    ngx_conf_init_msec_value(conf->lease, 30000);
    ngx_conf_init_uint_value(conf->rpm, 0);
    ngx_conf_init_uint_value(conf->tpm, 0);
    ngx_conf_init_uint_value(conf->reserve_tokens, 1024);
    ngx_conf_init_value(conf->reserve_learn, 1);
    if (!conf->alerts_set) {
        ngx_str_set(&conf->alerts, "80,100");
    }
    if (conf->lease < 4 * conf->flush) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aigw_billing\" lease=%Mms must be at least four times "
                           "flush=%Mms, so leases are renewed before they lapse",
                           conf->lease, conf->flush);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

char* ngx_http_aigw_usage_log_init(ngx_conf_t* cf, ngx_http_aigw_usage_log_conf_t* conf,
                                   bool have_redis) {
    if (conf->enabled == NGX_CONF_UNSET) {
        conf->enabled = have_redis ? 1 : 0;
    } else if (conf->enabled && !have_redis) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_usage_log redis\" needs \"aigw_redis\"");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (conf->maxlen == NGX_CONF_UNSET_UINT) {
        conf->maxlen = 1000000;
    }
    if (conf->queue == NGX_CONF_UNSET_UINT) {
        conf->queue = 10000;
    }
    if (conf->journal == NGX_CONF_UNSET) {
        conf->journal = journal_default;
    }
    if (!conf->enabled || conf->journal == 0) {
        return NGX_CONF_OK;
    }
    // NGINX's temp path: the journals sit beside the http level's client_body_temp_path
    // (Debian's: /var/lib/nginx/aigw_usage), unless journal_path= says otherwise.
    if (conf->journal_path.len == 0) {
        auto* clcf = static_cast<ngx_http_core_loc_conf_t*>(
            ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module));
        ngx_str_t body;
        if (clcf->client_body_temp_path != nullptr) {
            body = clcf->client_body_temp_path->name;
        } else {
            ngx_str_set(&body, NGX_HTTP_CLIENT_TEMP_PATH);
            if (ngx_conf_full_name(cf->cycle, &body, 0) != NGX_OK) {
                return static_cast<char*>(NGX_CONF_ERROR);
            }
        }
        std::string dir(reinterpret_cast<const char*>(body.data), body.len);
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        size_t slash = dir.rfind('/');
        dir = slash == std::string::npos || slash == 0 ? std::string("/")
                                                       : dir.substr(0, slash + 1);
        dir += "aigw_usage";
        // NUL-terminated: NGINX creates the directory with mkdir(name.data).
        auto* p = static_cast<u_char*>(ngx_pnalloc(cf->pool, dir.size() + 1));
        if (p == nullptr) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        ngx_memcpy(p, dir.c_str(), dir.size() + 1);
        conf->journal_path.data = p;
        conf->journal_path.len = dir.size();
    }
    // NGINX creates it (as root, for the workers' user) before the workers start.
    auto* path = static_cast<ngx_path_t*>(ngx_pcalloc(cf->pool, sizeof(ngx_path_t)));
    if (path == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    path->name = conf->journal_path;
    path->conf_file = cf->conf_file->file.name.data;
    path->line = cf->conf_file->line;
    if (ngx_add_path(cf, &path) != NGX_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}
