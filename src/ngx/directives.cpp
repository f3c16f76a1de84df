// Directives, location configuration and its validation.
#include <new>
#include <string>
#include <vector>

#include "aigw/routing/model_map.hpp"
#include "aigw/accounting/pricing.hpp"
#include "ngx/aigw_module.hpp"
#include "ngx/util/pool.hpp"

static char* ngx_http_aigw_pass(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_redis(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_key_cache(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_channel(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_model(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_usage_log(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_billing(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_quota_alerts(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_reserve_tokens(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;
static char* ngx_http_aigw_price(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept;

static ngx_conf_enum_t ngx_http_aigw_price_missing_modes[] = {
    {ngx_string("deny"), NGX_HTTP_AIGW_PRICE_MISSING_DENY},
    {ngx_string("free"), NGX_HTTP_AIGW_PRICE_MISSING_FREE},
    {ngx_null_string, 0}};

static ngx_conf_enum_t ngx_http_aigw_response_models[] = {
    {ngx_string("public"), NGX_HTTP_AIGW_RESPONSE_MODEL_PUBLIC},
    {ngx_string("upstream"), NGX_HTTP_AIGW_RESPONSE_MODEL_UPSTREAM},
    {ngx_null_string, 0}};

static ngx_conf_enum_t ngx_http_aigw_redis_fail_modes[] = {
    {ngx_string("closed"), NGX_HTTP_AIGW_REDIS_FAIL_CLOSED},
    {ngx_string("cached"), NGX_HTTP_AIGW_REDIS_FAIL_CACHED},
    {ngx_null_string, 0}};

ngx_command_t ngx_http_aigw_commands[] = {
    {ngx_string("aigw"), NGX_HTTP_LOC_CONF | NGX_CONF_FLAG, ngx_conf_set_flag_slot,
     NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_aigw_loc_conf_t, enable), nullptr},

    {ngx_string("aigw_pass"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_aigw_pass, NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_aigw_loc_conf_t, pass),
     nullptr},

    {ngx_string("aigw_keys"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
     ngx_conf_set_flag_slot, NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_aigw_loc_conf_t, keys),
     nullptr},

    {ngx_string("aigw_redis"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE, ngx_http_aigw_redis,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_redis_fail"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_enum_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_aigw_main_conf_t, redis_fail),
     ngx_http_aigw_redis_fail_modes},

    {ngx_string("aigw_key_cache"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE, ngx_http_aigw_key_cache,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_channel"), NGX_HTTP_MAIN_CONF | NGX_CONF_2MORE, ngx_http_aigw_channel,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_model"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_2MORE,
     ngx_http_aigw_model, NGX_HTTP_LOC_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_response_model"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_aigw_loc_conf_t, response_model), ngx_http_aigw_response_models},

    {ngx_string("aigw_fallback_attempts"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_aigw_loc_conf_t, fallback_attempts), nullptr},

    {ngx_string("aigw_fallback_timeout"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_msec_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_aigw_loc_conf_t, fallback_timeout), nullptr},

    {ngx_string("aigw_usage_log"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE, ngx_http_aigw_usage_log,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_price"), NGX_HTTP_MAIN_CONF | NGX_CONF_2MORE, ngx_http_aigw_price,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_price_missing"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_enum_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_aigw_main_conf_t, price_missing),
     ngx_http_aigw_price_missing_modes},

    {ngx_string("aigw_price_refresh"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_msec_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_aigw_main_conf_t, prices.refresh), nullptr},

    {ngx_string("aigw_billing"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE, ngx_http_aigw_billing,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_rpm"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_num_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_aigw_main_conf_t, billing.rpm), nullptr},

    {ngx_string("aigw_tpm"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_num_slot,
     NGX_HTTP_MAIN_CONF_OFFSET, offsetof(ngx_http_aigw_main_conf_t, billing.tpm), nullptr},

    {ngx_string("aigw_reserve_tokens"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE12,
     ngx_http_aigw_reserve_tokens, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_quota_alerts"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE,
     ngx_http_aigw_quota_alerts, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    ngx_null_command};

void* ngx_http_aigw_create_main_conf(ngx_conf_t* cf) noexcept {
    auto* conf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_pcalloc(cf->pool, sizeof(ngx_http_aigw_main_conf_t)));
    if (conf == nullptr) {
        return nullptr;
    }
    conf->redis_fail = NGX_CONF_UNSET_UINT;
    conf->price_missing = NGX_CONF_UNSET_UINT;
    conf->usage_log.enabled = NGX_CONF_UNSET;
    conf->usage_log.maxlen = NGX_CONF_UNSET_UINT;
    conf->usage_log.queue = NGX_CONF_UNSET_UINT;
    ngx_http_aigw_billing_create(&conf->billing);
    conf->prices.refresh = NGX_CONF_UNSET_MSEC;
    if (ngx_array_init(&conf->channels.channels, cf->pool, 4, sizeof(ngx_http_aigw_channel_t)) !=
        NGX_OK) {
        return nullptr;
    }
    return conf;
}

char* ngx_http_aigw_init_main_conf(ngx_conf_t* cf, void* c) noexcept {
    auto* conf = static_cast<ngx_http_aigw_main_conf_t*>(c);
    ngx_conf_init_uint_value(conf->redis_fail, NGX_HTTP_AIGW_REDIS_FAIL_CACHED);
    ngx_conf_init_uint_value(conf->price_missing,
                             static_cast<ngx_uint_t>(NGX_HTTP_AIGW_PRICE_MISSING_DENY));
    if (conf->key_cache.zone != nullptr && conf->redis.host.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_key_cache\" needs \"aigw_redis\"");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (ngx_http_aigw_usage_log_init(cf, &conf->usage_log, conf->redis.host.len != 0) !=
        NGX_CONF_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    ngx_http_aigw_prices_init(&conf->prices, conf->redis.host.len != 0);
    if (ngx_http_aigw_billing_init(cf, &conf->billing, conf->redis.host.len != 0) !=
        NGX_CONF_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (ngx_http_aigw_channels_add_zone(cf, &conf->channels) != NGX_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

void* ngx_http_aigw_create_loc_conf(ngx_conf_t* cf) noexcept {
    auto* conf = static_cast<ngx_http_aigw_loc_conf_t*>(
        ngx_pcalloc(cf->pool, sizeof(ngx_http_aigw_loc_conf_t)));
    if (conf == nullptr) {
        return nullptr;
    }
    // pass: zeroed by ngx_pcalloc (unset)
    conf->enable = NGX_CONF_UNSET;
    conf->keys = NGX_CONF_UNSET;
    conf->response_model = NGX_CONF_UNSET_UINT;
    conf->fallback_attempts = NGX_CONF_UNSET_UINT;
    conf->fallback_timeout = NGX_CONF_UNSET_MSEC;
    return conf;
}

char* ngx_http_aigw_merge_loc_conf(ngx_conf_t* cf, void* parent, void* child) noexcept {
    auto* prev = static_cast<ngx_http_aigw_loc_conf_t*>(parent);
    auto* conf = static_cast<ngx_http_aigw_loc_conf_t*>(child);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->pass, prev->pass, "");
    // A table is inherited whole, like proxy_set_header: a level with its own aigw_model
    // lines has only those.
    if (conf->models == nullptr) {
        conf->models = prev->models;
        conf->models_created = prev->models_created;
    }
    ngx_conf_merge_uint_value(conf->response_model, prev->response_model,
                              static_cast<ngx_uint_t>(NGX_HTTP_AIGW_RESPONSE_MODEL_PUBLIC));
    ngx_conf_merge_uint_value(conf->fallback_attempts, prev->fallback_attempts, 0);
    ngx_conf_merge_msec_value(conf->fallback_timeout, prev->fallback_timeout, 0);

    // Keys are required wherever Redis is configured, unless a location says otherwise:
    // a gateway open by accident is worse than one closed by accident.
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_aigw_module));
    ngx_conf_merge_value(conf->keys, prev->keys, amcf->redis.host.len ? 1 : 0);
    if (conf->enable && conf->keys && amcf->redis.host.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"aigw_keys on\" needs \"aigw_redis\" at the http level");
        return static_cast<char*>(NGX_CONF_ERROR);
    }

    if (conf->enable) {
        if (conf->pass.len == 0 && conf->models == nullptr) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"aigw on\" needs a model table (\"aigw_model\") or "
                               "\"aigw_pass\" to name the channel location");
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
    if (!aigw::ngx::location_prefix(&pass)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_pass\" value \"%V\": only a plain path is allowed",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    alcf->pass = pass;
    return NGX_CONF_OK;
}

// aigw_redis host:port [password=...] [db=N] [timeout=200ms];
// The host is resolved here, at configuration time: a worker never resolves names.
static char* ngx_http_aigw_redis(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(conf);
    if (amcf->redis.host.len) {
        return const_cast<char*>("is duplicate");
    }
    ngx_str_t* value = static_cast<ngx_str_t*>(cf->args->elts);
    ngx_http_aigw_redis_conf_t* rc = &amcf->redis;
    rc->name = value[1];
    rc->timeout = 200;
    rc->db = 0;

    ngx_url_t u;
    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url = value[1];
    u.no_resolve = 0;
    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_redis\" address \"%V\"%s%s",
                           &value[1], u.err ? ": " : "", u.err ? u.err : "");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (u.no_port || u.port == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"aigw_redis\" address \"%V\": a port is required (host:port)",
                           &value[1]);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    // The numeric address of the first result, as hiredis wants it.
    u_char text[NGX_SOCKADDR_STRLEN];
    size_t len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text, NGX_SOCKADDR_STRLEN, 0);
    if (!aigw::ngx::pool_copy(cf->pool, {reinterpret_cast<char*>(text), len}, &rc->host)) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    rc->port = u.port;

    for (ngx_uint_t i = 2; i < cf->args->nelts; i++) {
        ngx_str_t v;
        if (aigw::ngx::conf_option(value[i], "password=", &v)) {
            if (!aigw::ngx::pool_copy(cf->pool, aigw::ngx::view(v), &rc->password)) {
                return static_cast<char*>(NGX_CONF_ERROR);
            }
        } else if (aigw::ngx::conf_option(value[i], "db=", &v)) {
            rc->db = ngx_atoi(v.data, v.len);
            if (rc->db == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_redis\" db \"%V\"", &v);
                return static_cast<char*>(NGX_CONF_ERROR);
            }
        } else if (aigw::ngx::conf_option(value[i], "timeout=", &v)) {
            ngx_msec_t t = ngx_parse_time(&v, 0);
            if (t == (ngx_msec_t)NGX_ERROR || t == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_redis\" timeout \"%V\"", &v);
                return static_cast<char*>(NGX_CONF_ERROR);
            }
            rc->timeout = t;
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_redis\" parameter \"%V\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    }
    return NGX_CONF_OK;
}

// aigw_key_cache zone=name:10m [ttl=5s] [negative_ttl=1s] [stale=60s];
static char* ngx_http_aigw_key_cache(ngx_conf_t* cf, ngx_command_t* cmd, void* conf) noexcept {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(conf);
    ngx_http_aigw_key_cache_conf_t* kc = &amcf->key_cache;
    if (kc->zone != nullptr) {
        return const_cast<char*>("is duplicate");
    }
    ngx_str_t* value = static_cast<ngx_str_t*>(cf->args->elts);
    kc->ttl = 5000;
    kc->negative_ttl = 1000;
    kc->stale = 60000;
    ngx_str_t name = ngx_null_string;
    ssize_t size = 0;

    for (ngx_uint_t i = 1; i < cf->args->nelts; i++) {
        ngx_str_t v;
        if (aigw::ngx::conf_option(value[i], "zone=", &v)) {
            u_char* colon = static_cast<u_char*>(ngx_strlchr(v.data, v.data + v.len, ':'));
            if (colon == nullptr || colon == v.data) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"aigw_key_cache\" zone \"%V\": expected name:size", &v);
                return static_cast<char*>(NGX_CONF_ERROR);
            }
            name.data = v.data;
            name.len = colon - v.data;
            ngx_str_t s = {static_cast<size_t>(v.data + v.len - colon - 1), colon + 1};
            size = ngx_parse_size(&s);
            if (size == NGX_ERROR || size < static_cast<ssize_t>(8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"aigw_key_cache\" zone size \"%V\": at least %uz",
                                   &s, 8 * ngx_pagesize);
                return static_cast<char*>(NGX_CONF_ERROR);
            }
            continue;
        }
        ngx_msec_t* slot = nullptr;
        if (aigw::ngx::conf_option(value[i], "ttl=", &v)) {
            slot = &kc->ttl;
        } else if (aigw::ngx::conf_option(value[i], "negative_ttl=", &v)) {
            slot = &kc->negative_ttl;
        } else if (aigw::ngx::conf_option(value[i], "stale=", &v)) {
            slot = &kc->stale;
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_key_cache\" parameter \"%V\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        ngx_msec_t t = ngx_parse_time(&v, 0);
        if (t == (ngx_msec_t)NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_key_cache\" time \"%V\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        *slot = t;
    }
    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_key_cache\" needs zone=name:size");
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    kc->zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_aigw_module);
    if (kc->zone == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (kc->zone->data != nullptr) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "zone \"%V\" is already used", &name);
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    kc->zone->init = ngx_http_aigw_key_cache_init_zone;
    kc->zone->data = ngx_http_aigw_key_cache_ctx_create(cf->pool);
    if (kc->zone->data == nullptr) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

// aigw_channel NAME location=/_aigw/NAME [provider=openai] [weight=N] [priority=N]
//              [max_fails=N] [fail_timeout=30s];
static char* ngx_http_aigw_channel(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(conf);
    return ngx_http_aigw_channel_directive(cf, &amcf->channels);
}

// aigw_model PUBLIC_NAME CHANNEL[:UPSTREAM_MODEL] ...;  PUBLIC_NAME may end in '*' (a prefix).
// Channels are declared (aigw_channel, http level) before the models that use them.
static char* ngx_http_aigw_model(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    auto* alcf = static_cast<ngx_http_aigw_loc_conf_t*>(conf);
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(
        ngx_http_conf_get_module_main_conf(cf, ngx_http_aigw_module));
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    try {
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
        if (ngx_http_aigw_prices_note_model(cf, &amcf->prices, aigw::ngx::view(value[1])) !=
            NGX_OK) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        std::string err = alcf->models->add(aigw::ngx::view(value[1]), targets, names);
        if (!err.empty()) {
            bool unknown = err.compare(0, 16, "unknown channel ") == 0;
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_model\": %s%s",
                               err.c_str(),
                               unknown ? " (channels are declared with \"aigw_channel\" at the "
                                         "http level, before the models that use them)"
                                       : "");
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    } catch (const std::exception& e) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_model\" failed: %s", e.what());
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

// aigw_usage_log redis [maxlen=1000000] [queue=10000] | off;
static char* ngx_http_aigw_usage_log(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(conf);
    return ngx_http_aigw_usage_log_directive(cf, &amcf->usage_log);
}

// aigw_price MODEL input=<USD per 1M> output=<USD per 1M> [cached_input=...] [request=<USD>];
static char* ngx_http_aigw_price(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    auto* amcf = static_cast<ngx_http_aigw_main_conf_t*>(conf);
    auto* value = static_cast<ngx_str_t*>(cf->args->elts);
    std::vector<std::pair<std::string_view, std::string_view>> fields;
    for (ngx_uint_t i = 2; i < cf->args->nelts; i++) {
        std::string_view arg = aigw::ngx::view(value[i]);
        size_t eq = arg.find('=');
        if (eq == std::string_view::npos) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_price\" parameter \"%V\"",
                               &value[i]);
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        fields.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
    }
    aigw::price_parse_result parsed = aigw::parse_price_fields(fields);
    if (!parsed.ok) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_price\" for \"%V\": %s",
                           &value[1], parsed.error.c_str());
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    const aigw::model_price& price = parsed.price;
    try {
        if (amcf->prices.table == nullptr) {
            amcf->prices.table = aigw::ngx::pool_new<aigw::price_table>(cf->pool);
            if (amcf->prices.table == nullptr) {
                return static_cast<char*>(NGX_CONF_ERROR);
            }
        }
        if (ngx_http_aigw_prices_note_model(cf, &amcf->prices, aigw::ngx::view(value[1])) !=
            NGX_OK) {
            return static_cast<char*>(NGX_CONF_ERROR);
        }
        std::string err = amcf->prices.table->add(aigw::ngx::view(value[1]), price);
        if (!err.empty()) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid \"aigw_price\": %s", err.c_str());
            return static_cast<char*>(NGX_CONF_ERROR);
        }
    } catch (const std::exception& e) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"aigw_price\" failed: %s", e.what());
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

// aigw_billing on|off [flush=1s] [lease=30s];
static char* ngx_http_aigw_billing(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return ngx_http_aigw_billing_directive(
        cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->billing);
}

// aigw_quota_alerts 80 100 | off;
static char* ngx_http_aigw_quota_alerts(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return ngx_http_aigw_quota_alerts_directive(
        cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->billing);
}

// aigw_reserve_tokens N [fixed];
static char* ngx_http_aigw_reserve_tokens(ngx_conf_t* cf, ngx_command_t*, void* conf) noexcept {
    return ngx_http_aigw_reserve_tokens_directive(
        cf, &static_cast<ngx_http_aigw_main_conf_t*>(conf)->billing);
}
