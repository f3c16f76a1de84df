// The request id; see request_id.hpp.
#include "ngx/request/request_id.hpp"

#include "aigw/request_id.hpp"
#include "ngx/request/ctx.hpp"
#include "ngx/util/headers.hpp"

// The client's X-Request-Id when it is safe to echo, else a fresh "req_<32 hex>".
ngx_str_t* ngx_http_aigw_request_id(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return nullptr;
    }
    if (ctx->request_id.len) {
        return &ctx->request_id;
    }
    r = r->main;

    aigw::ngx::for_each_header(r->headers_in.headers, [ctx](ngx_table_elt_t& h) {
        if (aigw::ngx::name_is(h.key, "x-request-id") &&
            aigw::acceptable_client_request_id(aigw::ngx::view(h.value))) {
            ctx->request_id = h.value;
            return false;
        }
        return true;
    });
    if (ctx->request_id.len) {
        ctx->client_request_id = 1;
        return &ctx->request_id;
    }

    auto* id = static_cast<u_char*>(ngx_pnalloc(r->pool, aigw::request_id_len));
    if (id == nullptr || !aigw::make_request_id(reinterpret_cast<char*>(id))) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "aigw: no randomness for a request id");
        return nullptr;
    }
    ctx->request_id.data = id;
    ctx->request_id.len = aigw::request_id_len;
    return &ctx->request_id;
}
