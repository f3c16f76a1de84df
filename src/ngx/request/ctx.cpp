// The per-request context; see ctx.hpp.
#include "ngx/request/ctx.hpp"

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "ngx/conf/conf.hpp"
#include "ngx/util/headers.hpp"

ngx_http_aigw_ctx_t* ngx_http_aigw_get_ctx(ngx_http_request_t* r) {
    r = r->main;
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_find_ctx(r);
    if (ctx != nullptr) {
        return ctx;
    }
    ctx = static_cast<ngx_http_aigw_ctx_t*>(ngx_pcalloc(r->pool, sizeof(ngx_http_aigw_ctx_t)));
    if (ctx == nullptr) {
        return nullptr;
    }
    ctx->main = r;
    ctx->t0 = ngx_current_msec;
    ngx_http_set_ctx(r, ctx, ngx_http_aigw_module);
    return ctx;
}

void ngx_http_aigw_classify(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (ctx->content.classified) {
        return;
    }
    ctx->content.classified = 1;
    std::string_view path = aigw::api_path(aigw::ngx::view(r->uri));
    const aigw::endpoint_info* ep = aigw::find_endpoint(path);
    ctx->content.endpoint = ep;
    if (ep == nullptr) {
        if (path.substr(0, 8) == "/v1beta/") {
            ctx->content.dialect = aigw::dialect_id::gemini;  // Gemini's API: its error shape
        }
        return;
    }
    ctx->content.dialect = ep->dialect;
    if ((ep->id == aigw::endpoint_id::models || ep->id == aigw::endpoint_id::model_retrieve) &&
        ep->dialect == aigw::dialect_id::openai_chat &&
        aigw::ngx::has_header(r->headers_in.headers, "anthropic-version")) {
        // The Anthropic SDKs list models at the same path, with the header every request of
        // theirs carries: they get Anthropic's list and errors.
        ctx->content.dialect = aigw::dialect_id::anthropic;
    }
}

const aigw::dialect& ngx_http_aigw_client_dialect(const ngx_http_aigw_ctx_t* ctx) noexcept {
    if (ctx == nullptr) {
        return aigw::dialect_of(aigw::dialect_id::openai_chat);
    }
    return aigw::dialect_of(ctx->content.dialect);
}

const aigw::dialect& ngx_http_aigw_upstream_dialect(const ngx_http_aigw_ctx_t* ctx) noexcept {
    if (ctx != nullptr && ctx->attempt.channel != nullptr) {
        return aigw::dialect_of(
            ngx_http_aigw_channel_dialect(ctx->attempt.channel, ctx->content.dialect));
    }
    return ngx_http_aigw_client_dialect(ctx);
}

aigw::dialect_id ngx_http_aigw_channel_dialect(const ngx_http_aigw_channel_t* channel,
                                               aigw::dialect_id client) noexcept {
    if (client == aigw::dialect_id::openai_responses && channel->responses) {
        return aigw::dialect_id::openai_responses;
    }
    return channel->dialect;
}
