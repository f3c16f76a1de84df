// The per-request context; see ctx.hpp.
#include "ngx/request/ctx.hpp"

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
