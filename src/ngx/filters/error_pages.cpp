// NGINX's own error pages in a gateway location; see error_pages.hpp.
#include "ngx/filters/error_pages.hpp"

#include "aigw/api/error.hpp"
#include "aigw/dialects/dialect.hpp"
#include "ngx/filters/buffers.hpp"
#include "ngx/util/pool.hpp"

namespace {

// The status NGINX answers with, as NGINX names it: 494 for a request head too large, which
// it sends as 400. ngx_http_special_response_handler keeps it only as the lingering close the
// head's reader asked for: it clears that flag for every 400 of its own, and not for 494.
int nginx_status(const ngx_http_request_t* r) {
    if (r->err_status == NGX_HTTP_BAD_REQUEST && r->lingering_close) {
        return NGX_HTTP_REQUEST_HEADER_TOO_LARGE;
    }
    return static_cast<int>(r->headers_out.status);
}

}  // namespace

bool ngx_http_aigw_nginx_error_page(ngx_http_request_t* r) {
    // ngx_http_special_response_handler sets err_status (the status ngx_http_send_header
    // sends); a location's own response leaves it 0. When an error_page names a page, the
    // request is redirected to it with err_status kept, internal set, and error_page set
    // unless recursive_error_pages is on. A request redirected by other means (try_files,
    // index) where an error_page is configured is left alone as well.
    return r->err_status >= NGX_HTTP_BAD_REQUEST && !(r->error_page && r->internal);
}

ngx_int_t ngx_http_aigw_error_page_head(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx) {
    if (!ctx->reply.prepared_error) {
        aigw::api_error e = aigw::error_for_status(nginx_status(r));
        if (!aigw::ngx::pool_copy(r->pool, ngx_http_aigw_client_dialect(ctx).error_body(e),
                                  &ctx->reply.replacement)) {
            return NGX_ERROR;
        }
    }
    ctx->response.replace_body = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = nullptr;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length = nullptr;
    r->headers_out.content_length_n = static_cast<off_t>(ctx->reply.replacement.len);
    return NGX_OK;
}

ngx_int_t ngx_http_aigw_error_page_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                        ngx_chain_t* in, ngx_chain_t** pass) {
    ngx_http_aigw_consume(in);
    if (ctx->response.replacement_sent || r->header_only) {
        return NGX_DONE;
    }
    ctx->response.replacement_sent = 1;
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
    ngx_chain_t* out = ngx_alloc_chain_link(r->pool);
    if (b == nullptr || out == nullptr) {
        return NGX_ERROR;
    }
    b->pos = ctx->reply.replacement.data;
    b->last = ctx->reply.replacement.data + ctx->reply.replacement.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;
    out->buf = b;
    out->next = nullptr;
    *pass = out;
    return NGX_OK;
}
