// The end of a request; see finish.hpp.
#include "ngx/accounting/finish.hpp"

#include "aigw/accounting/pricing.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/accounting/spend.hpp"
#include "ngx/media/charges.hpp"
#include "ngx/util/guard.hpp"

namespace {

void request_done(void* data) noexcept {
    auto* ctx = static_cast<ngx_http_aigw_ctx_t*>(data);
    aigw::ngx::guard(ctx->main->connection->log, "request end",
                     [ctx] { ngx_http_aigw_usage_final(ctx); });
}

}  // namespace

ngx_int_t ngx_http_aigw_finish_at_end(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_cleanup_t* cln = ngx_http_cleanup_add(r, 0);
    if (cln == nullptr) {
        return NGX_ERROR;
    }
    cln->handler = request_done;
    cln->data = ctx;
    return NGX_OK;
}

void ngx_http_aigw_usage_final(ngx_http_aigw_ctx_t* ctx) {
    if (ctx->usage.usage_final) {
        return;
    }
    ctx->usage.usage_final = 1;
    ngx_http_aigw_count_tokens(ctx);
    if (ngx_http_aigw_billable(ctx) && ctx->content.price != nullptr) {
        aigw::usage u;
        u.prompt_tokens = ctx->usage.prompt_tokens;
        u.completion_tokens = ctx->usage.completion_tokens;
        u.cached_tokens = ctx->usage.cached_tokens;
        u.cache_write_tokens = ctx->usage.cache_write_tokens;
        ctx->usage.cost = aigw::request_cost(*ctx->content.price, u);
    }
    ngx_http_aigw_media_cost(ctx);
    ngx_http_aigw_billing_finish(ctx);
}
