// $aigw_* variables; see variables.hpp. One table: each variable's name, flags and getter.
#include "ngx/variables.hpp"

#include <string>

#include "aigw/accounting/pricing.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/keys/keys.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/request/request_id.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/pool.hpp"

namespace {

// A getter sets v and returns NGX_OK, returns NGX_DECLINED when the request has no value for
// the variable (not found), or NGX_ERROR. ctx is nullptr for a request the gateway did not
// see.
using getter = ngx_int_t (*)(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                             ngx_http_variable_value_t* v);

ngx_int_t text(ngx_http_variable_value_t* v, const ngx_str_t& s) {
    v->data = s.data;
    v->len = s.len;
    return NGX_OK;
}

ngx_int_t text(ngx_http_variable_value_t* v, const std::string& s) {
    if (s.empty()) {
        return NGX_DECLINED;
    }
    v->data = reinterpret_cast<u_char*>(const_cast<char*>(s.data()));
    v->len = s.size();
    return NGX_OK;
}

ngx_int_t flag(ngx_http_variable_value_t* v, bool on) {
    v->data = (u_char*)(on ? "1" : "0");
    v->len = 1;
    return NGX_OK;
}

ngx_int_t number(ngx_http_request_t* r, ngx_http_variable_value_t* v, int64_t n) {
    auto* p = static_cast<u_char*>(ngx_pnalloc(r->pool, NGX_INT64_LEN));
    if (p == nullptr) {
        return NGX_ERROR;
    }
    v->data = p;
    v->len = ngx_sprintf(p, "%L", n) - p;
    v->no_cacheable = 1;
    return NGX_OK;
}

// Counts are known once the response is over (the request's cleanup settles them, just
// before the log phase), and only for endpoints with a body that reports them.
bool counted(const ngx_http_aigw_ctx_t* ctx) {
    return ctx != nullptr && ctx->usage.usage_final && ctx->content.endpoint != nullptr &&
           ctx->content.endpoint->billed;
}

ngx_int_t count(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                ngx_http_variable_value_t* v, int64_t ngx_http_aigw_usage_part_t::*which) {
    return counted(ctx) ? number(r, v, ctx->usage.*which) : NGX_DECLINED;
}

ngx_int_t request_id(ngx_http_request_t* r, const ngx_http_aigw_ctx_t*,
                     ngx_http_variable_value_t* v) {
    ngx_str_t* id = ngx_http_aigw_request_id(r);
    return id == nullptr ? NGX_ERROR : text(v, *id);
}

ngx_int_t model(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                ngx_http_variable_value_t* v) {
    return ctx && ctx->content.model.len ? text(v, ctx->content.model) : NGX_DECLINED;
}

ngx_int_t stream(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                 ngx_http_variable_value_t* v) {
    return ctx && ctx->content.endpoint ? flag(v, ctx->content.stream) : NGX_DECLINED;
}

ngx_int_t upstream_status(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                          ngx_http_variable_value_t* v) {
    return ctx && ctx->response.upstream_status
               ? number(r, v, static_cast<int64_t>(ctx->response.upstream_status))
               : NGX_DECLINED;
}

// Fields of the request's key record; not found when the request had no valid key.
ngx_int_t key_id(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                 ngx_http_variable_value_t* v) {
    return ctx && ctx->access.key ? text(v, ctx->access.key->id) : NGX_DECLINED;
}

ngx_int_t owner(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                ngx_http_variable_value_t* v) {
    return ctx && ctx->access.key ? text(v, ctx->access.key->owner) : NGX_DECLINED;
}

ngx_int_t group(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                ngx_http_variable_value_t* v) {
    return ctx && ctx->access.key ? text(v, ctx->access.key->group) : NGX_DECLINED;
}

ngx_int_t channel(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                  ngx_http_variable_value_t* v) {
    return ctx && ctx->attempt.channel ? text(v, ctx->attempt.channel->name) : NGX_DECLINED;
}

ngx_int_t upstream_model(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                         ngx_http_variable_value_t* v) {
    return ctx && ctx->attempt.upstream_model.len ? text(v, ctx->attempt.upstream_model)
                                                  : NGX_DECLINED;
}

// Where a video task's callback is being delivered (aigw_callback_pass's proxy_pass).
ngx_int_t callback_url(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                       ngx_http_variable_value_t* v) {
    return ctx && ctx->media.callback_url.len ? text(v, ctx->media.callback_url) : NGX_DECLINED;
}

ngx_int_t attempts(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                   ngx_http_variable_value_t* v) {
    return ctx && ctx->attempt.attempts
               ? number(r, v, static_cast<int64_t>(ctx->attempt.attempts))
               : NGX_DECLINED;
}

ngx_int_t prompt_tokens(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                        ngx_http_variable_value_t* v) {
    return count(r, ctx, v, &ngx_http_aigw_usage_part_t::prompt_tokens);
}

ngx_int_t completion_tokens(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                            ngx_http_variable_value_t* v) {
    return count(r, ctx, v, &ngx_http_aigw_usage_part_t::completion_tokens);
}

ngx_int_t total_tokens(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                       ngx_http_variable_value_t* v) {
    return count(r, ctx, v, &ngx_http_aigw_usage_part_t::total_tokens);
}

ngx_int_t cached_tokens(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                        ngx_http_variable_value_t* v) {
    return count(r, ctx, v, &ngx_http_aigw_usage_part_t::cached_tokens);
}

ngx_int_t cache_write_tokens(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                             ngx_http_variable_value_t* v) {
    return count(r, ctx, v, &ngx_http_aigw_usage_part_t::cache_write_tokens);
}

ngx_int_t reasoning_tokens(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                           ngx_http_variable_value_t* v) {
    return count(r, ctx, v, &ngx_http_aigw_usage_part_t::reasoning_tokens);
}

ngx_int_t usage_estimated(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                          ngx_http_variable_value_t* v) {
    if (!counted(ctx)) {
        return NGX_DECLINED;
    }
    v->no_cacheable = 1;
    return flag(v, ctx->usage.counted_by != NGX_HTTP_AIGW_COUNTED_BY_UPSTREAM);
}

ngx_int_t usage_counted_by(ngx_http_request_t*, const ngx_http_aigw_ctx_t* ctx,
                           ngx_http_variable_value_t* v) {
    if (!counted(ctx)) {
        return NGX_DECLINED;
    }
    std::string_view by = ngx_http_aigw_counted_by_name(ctx->usage.counted_by);
    v->data = reinterpret_cast<u_char*>(const_cast<char*>(by.data()));
    v->len = by.size();
    v->no_cacheable = 1;
    return NGX_OK;
}

ngx_int_t ttft(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
               ngx_http_variable_value_t* v) {
    return ctx && ctx->usage.t_first_token
               ? number(r, v, static_cast<int64_t>(ctx->usage.t_first_token - ctx->t0))
               : NGX_DECLINED;
}

ngx_int_t latency(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
                  ngx_http_variable_value_t* v) {
    return ctx && ctx->usage.usage_final
               ? number(r, v, static_cast<int64_t>(ctx->usage.t_end - ctx->t0))
               : NGX_DECLINED;
}

ngx_int_t cost(ngx_http_request_t* r, const ngx_http_aigw_ctx_t* ctx,
               ngx_http_variable_value_t* v) {
    if (ctx == nullptr || !ctx->usage.usage_final || ctx->content.price == nullptr) {
        return NGX_DECLINED;
    }
    ngx_str_t usd;
    if (!aigw::ngx::pool_copy(r->pool, aigw::format_usd(ctx->usage.cost), &usd)) {
        return NGX_ERROR;
    }
    return text(v, usd);
}

struct variable {
    ngx_str_t name;
    ngx_uint_t flags;
    getter get;
};

constexpr ngx_uint_t nocache = NGX_HTTP_VAR_NOCACHEABLE;

variable variables[] = {
    {ngx_string("aigw_request_id"), 0, request_id},
    {ngx_string("aigw_model"), nocache, model},
    {ngx_string("aigw_stream"), nocache, stream},
    {ngx_string("aigw_upstream_status"), nocache, upstream_status},
    {ngx_string("aigw_key_id"), nocache, key_id},
    {ngx_string("aigw_owner"), nocache, owner},
    {ngx_string("aigw_group"), nocache, group},
    {ngx_string("aigw_channel"), nocache, channel},
    {ngx_string("aigw_upstream_model"), nocache, upstream_model},
    {ngx_string("aigw_attempts"), nocache, attempts},
    {ngx_string("aigw_prompt_tokens"), nocache, prompt_tokens},
    {ngx_string("aigw_completion_tokens"), nocache, completion_tokens},
    {ngx_string("aigw_total_tokens"), nocache, total_tokens},
    {ngx_string("aigw_cached_tokens"), nocache, cached_tokens},
    {ngx_string("aigw_cache_write_tokens"), nocache, cache_write_tokens},
    {ngx_string("aigw_reasoning_tokens"), nocache, reasoning_tokens},
    {ngx_string("aigw_ttft"), nocache, ttft},
    {ngx_string("aigw_latency"), nocache, latency},
    {ngx_string("aigw_usage_estimated"), nocache, usage_estimated},
    {ngx_string("aigw_usage_counted_by"), nocache, usage_counted_by},
    {ngx_string("aigw_cost"), nocache, cost},
    {ngx_string("aigw_callback_url"), nocache, callback_url},
};

// The get handler of every $aigw_* variable; `data` is its index in the table.
ngx_int_t get(ngx_http_request_t* r, ngx_http_variable_value_t* v, uintptr_t data) noexcept {
    const variable& var = variables[data];
    const ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r->main);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    // Getters allocate ($aigw_cost formats the cost): out of memory is an error here, never
    // std::terminate.
    ngx_int_t rc = aigw::ngx::guarded(
        static_cast<ngx_int_t>(NGX_ERROR), [&] { return var.get(r, ctx, v); },
        [&](const char* what) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: $%V failed: %s", &var.name,
                          what);
        });
    if (rc == NGX_DECLINED) {
        v->not_found = 1;
        return NGX_OK;
    }
    return rc;
}

}  // namespace

ngx_int_t ngx_http_aigw_add_variables(ngx_conf_t* cf) {
    for (size_t i = 0; i < sizeof(variables) / sizeof(variables[0]); i++) {
        ngx_http_variable_t* var =
            ngx_http_add_variable(cf, &variables[i].name, variables[i].flags);
        if (var == nullptr) {
            return NGX_ERROR;
        }
        var->get_handler = get;
        var->data = static_cast<uintptr_t>(i);
    }
    return NGX_OK;
}
