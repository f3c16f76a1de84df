// The command table, and the main and location configuration: created, given defaults,
// merged and checked as a whole. The handlers of single directives are in the *_directives.cpp
// files of this folder.
#include "ngx/conf/directives.hpp"

#include "ngx/content/content.hpp"
#include "ngx/metrics.hpp"
#include "ngx/proxy/channels.hpp"
#include "ngx/conf/directive_handlers.hpp"
#include "ngx/util/guard.hpp"

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

// aigw_anthropic_max_tokens, once NGINX has read the number: Anthropic refuses a max_tokens
// of 0, and a huge one is a typo.
static char* ngx_http_aigw_anthropic_max_tokens_bounds(ngx_conf_t* cf, void*,
                                                       void* data) noexcept {
    return aigw::ngx::guard_conf(
        cf, "aigw_anthropic_max_tokens", static_cast<char*>(NGX_CONF_ERROR), [&] {
            // ngx_conf_set_num_slot refused what is not a number (a sign included).
            ngx_uint_t n = *static_cast<ngx_uint_t*>(data);
            if (n >= 1 && n <= ngx_http_aigw_anthropic_max_tokens_max) {
                return static_cast<char*>(NGX_CONF_OK);
            }
            auto* value = static_cast<ngx_str_t*>(cf->args->elts);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"aigw_anthropic_max_tokens\" value \"%V\": a number "
                               "of tokens from 1 to %ui",
                               &value[1], ngx_http_aigw_anthropic_max_tokens_max);
            return static_cast<char*>(NGX_CONF_ERROR);
        });
}

static ngx_conf_post_t ngx_http_aigw_anthropic_max_tokens_post = {
    ngx_http_aigw_anthropic_max_tokens_bounds};

ngx_command_t ngx_http_aigw_commands[] = {
    {ngx_string("aigw"), NGX_HTTP_LOC_CONF | NGX_CONF_FLAG, ngx_conf_set_flag_slot,
     NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_aigw_loc_conf_t, enable), nullptr},

    {ngx_string("aigw_error_pages"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
     ngx_conf_set_flag_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_aigw_loc_conf_t, error_pages), nullptr},

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

    {ngx_string("aigw_anthropic_max_tokens"),
     NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_aigw_loc_conf_t, anthropic_max_tokens),
     &ngx_http_aigw_anthropic_max_tokens_post},

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

    {ngx_string("aigw_tokenizer"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2, ngx_http_aigw_tokenizer,
     NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_status_zone"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_http_aigw_status_zone, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_status"), NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS, ngx_http_aigw_status,
     NGX_HTTP_LOC_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_task_poller"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE,
     ngx_http_aigw_task_poller, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_task_poll"), NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS, ngx_http_aigw_task_poll,
     NGX_HTTP_LOC_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_callback_pass"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_http_aigw_callback_pass, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_callback_secret"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_http_aigw_callback_secret, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    {ngx_string("aigw_callback_allow"), NGX_HTTP_MAIN_CONF | NGX_CONF_1MORE,
     ngx_http_aigw_callback_allow, NGX_HTTP_MAIN_CONF_OFFSET, 0, nullptr},

    ngx_null_command};

namespace {

void* create_main_conf(ngx_conf_t* cf) {
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
    conf->usage_log.journal = NGX_CONF_UNSET;
    conf->usage_log.journal_dir = -1;
    ngx_http_aigw_billing_create(&conf->billing);
    conf->prices.refresh = NGX_CONF_UNSET_MSEC;
    conf->status.enabled = NGX_CONF_UNSET;
    conf->tasks.poll_interval = NGX_CONF_UNSET_MSEC;
    conf->tasks.poll_batch = NGX_CONF_UNSET_UINT;
    conf->tasks.poll_per_channel = NGX_CONF_UNSET_UINT;
    if (ngx_array_init(&conf->channels.channels, cf->pool, 4, sizeof(ngx_http_aigw_channel_t)) !=
        NGX_OK) {
        return nullptr;
    }
    return conf;
}

char* init_main_conf(ngx_conf_t* cf, void* c) {
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
    if (ngx_http_aigw_metrics_add_zone(cf, conf) != NGX_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    if (ngx_http_aigw_tasks_init(cf, conf) != NGX_CONF_OK) {
        return static_cast<char*>(NGX_CONF_ERROR);
    }
    return NGX_CONF_OK;
}

void* create_loc_conf(ngx_conf_t* cf) {
    auto* conf = static_cast<ngx_http_aigw_loc_conf_t*>(
        ngx_pcalloc(cf->pool, sizeof(ngx_http_aigw_loc_conf_t)));
    if (conf == nullptr) {
        return nullptr;
    }
    // pass: zeroed by ngx_pcalloc (unset)
    conf->enable = NGX_CONF_UNSET;
    conf->error_pages = NGX_CONF_UNSET;
    conf->keys = NGX_CONF_UNSET;
    conf->response_model = NGX_CONF_UNSET_UINT;
    conf->fallback_attempts = NGX_CONF_UNSET_UINT;
    conf->fallback_timeout = NGX_CONF_UNSET_MSEC;
    conf->anthropic_max_tokens = NGX_CONF_UNSET_UINT;
    return conf;
}

char* merge_loc_conf(ngx_conf_t* cf, void* parent, void* child) {
    auto* prev = static_cast<ngx_http_aigw_loc_conf_t*>(parent);
    auto* conf = static_cast<ngx_http_aigw_loc_conf_t*>(child);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_value(conf->error_pages, prev->error_pages, 0);
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
    ngx_conf_merge_uint_value(conf->anthropic_max_tokens, prev->anthropic_max_tokens,
                              ngx_http_aigw_anthropic_max_tokens_default);

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

}  // namespace

void* ngx_http_aigw_create_main_conf(ngx_conf_t* cf) noexcept {
    return aigw::ngx::guard_conf(cf, "main configuration", static_cast<void*>(nullptr),
                                 [&] { return create_main_conf(cf); });
}

char* ngx_http_aigw_init_main_conf(ngx_conf_t* cf, void* conf) noexcept {
    return aigw::ngx::guard_conf(cf, "main configuration", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return init_main_conf(cf, conf); });
}

void* ngx_http_aigw_create_loc_conf(ngx_conf_t* cf) noexcept {
    return aigw::ngx::guard_conf(cf, "location configuration", static_cast<void*>(nullptr),
                                 [&] { return create_loc_conf(cf); });
}

char* ngx_http_aigw_merge_loc_conf(ngx_conf_t* cf, void* parent, void* child) noexcept {
    return aigw::ngx::guard_conf(cf, "location configuration", static_cast<char*>(NGX_CONF_ERROR),
                                 [&] { return merge_loc_conf(cf, parent, child); });
}
