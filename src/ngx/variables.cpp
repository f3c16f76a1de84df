// $aigw_* variables for log_format and proxy_set_header.
#include <exception>
#include <string>

#include "aigw/keys/keys.hpp"
#include "aigw/accounting/pricing.hpp"
#include "ngx/aigw_module.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/util/pool.hpp"

enum class aigw_var {
    request_id, model, stream, upstream_status, key_id, owner, group,
    channel, upstream_model, attempts,
    prompt_tokens, completion_tokens, total_tokens, cached_tokens, reasoning_tokens,
    ttft, latency, usage_estimated, cost,
};

static ngx_int_t ngx_http_aigw_number(ngx_http_request_t* r, ngx_http_variable_value_t* v,
                                      int64_t n) {
    auto* p = static_cast<u_char*>(ngx_pnalloc(r->pool, NGX_INT64_LEN));
    if (p == nullptr) {
        return NGX_ERROR;
    }
    v->data = p;
    v->len = ngx_sprintf(p, "%L", n) - p;
    v->no_cacheable = 1;
    return NGX_OK;
}

// A field of the request's key record; not found when the request had no valid key.
static bool ngx_http_aigw_key_field(ngx_http_aigw_ctx_t* ctx, aigw_var which,
                                    ngx_http_variable_value_t* v) {
    if (ctx == nullptr || ctx->access.key == nullptr) {
        return false;
    }
    const std::string& s = which == aigw_var::key_id  ? ctx->access.key->id
                           : which == aigw_var::owner ? ctx->access.key->owner
                                                      : ctx->access.key->group;
    if (s.empty()) {
        return false;
    }
    v->data = reinterpret_cast<u_char*>(const_cast<char*>(s.data()));
    v->len = s.size();
    return true;
}

static ngx_int_t ngx_http_aigw_variable(ngx_http_request_t* r, ngx_http_variable_value_t* v,
                                        uintptr_t data) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(
        ngx_http_get_module_ctx(r->main, ngx_http_aigw_module));
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    switch (static_cast<aigw_var>(data)) {
    case aigw_var::request_id: {
        ngx_str_t* id = ngx_http_aigw_request_id(r);
        if (id == nullptr) {
            return NGX_ERROR;
        }
        v->data = id->data;
        v->len = id->len;
        return NGX_OK;
    }
    case aigw_var::model:
        if (ctx == nullptr || ctx->content.model.len == 0) {
            break;
        }
        v->data = ctx->content.model.data;
        v->len = ctx->content.model.len;
        return NGX_OK;
    case aigw_var::stream:
        if (ctx == nullptr || ctx->content.endpoint == nullptr) {
            break;
        }
        v->data = (u_char*)(ctx->content.stream ? "1" : "0");
        v->len = 1;
        return NGX_OK;
    case aigw_var::key_id:
    case aigw_var::owner:
    case aigw_var::group:
        if (ngx_http_aigw_key_field(ctx, static_cast<aigw_var>(data), v)) {
            return NGX_OK;
        }
        break;
    case aigw_var::upstream_status:
        if (ctx == nullptr || ctx->response.upstream_status == 0) {
            break;
        }
        return ngx_http_aigw_number(r, v, static_cast<int64_t>(ctx->response.upstream_status));
    case aigw_var::channel:
        if (ctx == nullptr || ctx->attempt.channel == nullptr) {
            break;
        }
        v->data = ctx->attempt.channel->name.data;
        v->len = ctx->attempt.channel->name.len;
        return NGX_OK;
    case aigw_var::upstream_model:
        if (ctx == nullptr || ctx->attempt.upstream_model.len == 0) {
            break;
        }
        v->data = ctx->attempt.upstream_model.data;
        v->len = ctx->attempt.upstream_model.len;
        return NGX_OK;
    case aigw_var::attempts:
        if (ctx == nullptr || ctx->attempt.attempts == 0) {
            break;
        }
        return ngx_http_aigw_number(r, v, static_cast<int64_t>(ctx->attempt.attempts));
    case aigw_var::prompt_tokens:
    case aigw_var::completion_tokens:
    case aigw_var::total_tokens:
    case aigw_var::cached_tokens:
    case aigw_var::reasoning_tokens:
    case aigw_var::usage_estimated: {
        // Counts are known once the response is over (the request's cleanup settles them,
        // just before the log phase).
        if (ctx == nullptr || !ctx->usage.usage_final || ctx->content.endpoint == nullptr ||
            !ctx->content.endpoint->has_json_body) {
            break;
        }
        auto which = static_cast<aigw_var>(data);
        if (which == aigw_var::usage_estimated) {
            v->data = (u_char*)(ctx->usage.usage_estimated ? "1" : "0");
            v->len = 1;
            v->no_cacheable = 1;
            return NGX_OK;
        }
        int64_t n = which == aigw_var::prompt_tokens       ? ctx->usage.prompt_tokens
                    : which == aigw_var::completion_tokens ? ctx->usage.completion_tokens
                    : which == aigw_var::total_tokens      ? ctx->usage.total_tokens
                    : which == aigw_var::cached_tokens     ? ctx->usage.cached_tokens
                                                           : ctx->usage.reasoning_tokens;
        return ngx_http_aigw_number(r, v, n);
    }
    case aigw_var::cost: {
        if (ctx == nullptr || !ctx->usage.usage_final || ctx->content.price == nullptr) {
            break;
        }
        ngx_str_t usd;
        try {
            // format_usd allocates: out of memory is an error here, never std::terminate.
            if (!aigw::ngx::pool_copy(r->pool, aigw::format_usd(ctx->usage.cost), &usd)) {
                return NGX_ERROR;
            }
        } catch (const std::exception& e) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: $aigw_cost failed: %s",
                          e.what());
            return NGX_ERROR;
        }
        v->data = usd.data;
        v->len = usd.len;
        return NGX_OK;
    }
    case aigw_var::ttft:
        if (ctx == nullptr || ctx->usage.t_first_token == 0) {
            break;
        }
        return ngx_http_aigw_number(r, v, static_cast<int64_t>(ctx->usage.t_first_token - ctx->t0));
    case aigw_var::latency:
        if (ctx == nullptr || !ctx->usage.usage_final) {
            break;
        }
        return ngx_http_aigw_number(r, v, static_cast<int64_t>(ctx->usage.t_end - ctx->t0));
    }
    v->not_found = 1;
    return NGX_OK;
}

ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf) {
    struct def {
        ngx_str_t name;
        aigw_var id;
        ngx_uint_t flags;
    };
    static def vars[] = {
        {ngx_string("aigw_request_id"), aigw_var::request_id, 0},
        {ngx_string("aigw_model"), aigw_var::model, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_stream"), aigw_var::stream, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_upstream_status"), aigw_var::upstream_status, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_key_id"), aigw_var::key_id, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_owner"), aigw_var::owner, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_group"), aigw_var::group, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_channel"), aigw_var::channel, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_upstream_model"), aigw_var::upstream_model, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_attempts"), aigw_var::attempts, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_prompt_tokens"), aigw_var::prompt_tokens, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_completion_tokens"), aigw_var::completion_tokens,
         NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_total_tokens"), aigw_var::total_tokens, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_cached_tokens"), aigw_var::cached_tokens, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_reasoning_tokens"), aigw_var::reasoning_tokens,
         NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_ttft"), aigw_var::ttft, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_latency"), aigw_var::latency, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_usage_estimated"), aigw_var::usage_estimated, NGX_HTTP_VAR_NOCACHEABLE},
        {ngx_string("aigw_cost"), aigw_var::cost, NGX_HTTP_VAR_NOCACHEABLE},
    };
    for (def& d : vars) {
        ngx_http_variable_t* var = ngx_http_add_variable(cf, &d.name, d.flags);
        if (var == nullptr) {
            return NGX_ERROR;
        }
        var->get_handler = ngx_http_aigw_variable;
        var->data = static_cast<uintptr_t>(d.id);
    }
    return NGX_OK;
}
