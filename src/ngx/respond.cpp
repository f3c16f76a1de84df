// Responses the gateway writes itself; see respond.hpp.
#include "ngx/respond.hpp"

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/pool.hpp"

ngx_int_t ngx_http_aigw_output_string(ngx_http_request_t* r, std::string_view s, bool last) {
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
    if (b == nullptr) {
        return NGX_ERROR;
    }
    if (!s.empty()) {
        ngx_str_t copy;
        if (!aigw::ngx::pool_copy(r->pool, s, &copy)) {
            return NGX_ERROR;
        }
        b->pos = copy.data;
        b->last = copy.data + copy.len;
        b->memory = 1;
    }
    b->flush = 1;
    if (last) {
        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;
    }
    if (ngx_buf_size(b) == 0 && !last) {
        b->sync = 1;
    }
    ngx_chain_t out = {b, nullptr};
    return ngx_http_output_filter(r, &out);
}

// The error's code for the usage record. Codes are string literals (core api/error.cpp).
void ngx_http_aigw_note_error(ngx_http_aigw_ctx_t* ctx, const aigw::api_error& e) {
    ctx->reply.error_code.data = reinterpret_cast<u_char*>(const_cast<char*>(e.code.data()));
    ctx->reply.error_code.len = e.code.size();
}

// Sends `body` (JSON) with `status` as the whole response of the main request. The caller
// finalizes the request with the returned code.
ngx_int_t ngx_http_aigw_send_json(ngx_http_request_t* r, ngx_uint_t status,
                                  const std::string& body) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_ERROR;
    }
    if (r->header_sent) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "aigw: cannot send a %ui response after the response started", status);
        return NGX_ERROR;
    }
    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    ctx->response.own_response = 1;
    r->headers_out.status = status;
    if (status == 426) {
        // Not in NGINX's table of status lines, which would send "426 " without a reason.
        ngx_str_set(&r->headers_out.status_line, "426 Upgrade Required");
    }
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = nullptr;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length_n = static_cast<off_t>(body.size());
    r->headers_out.content_length = nullptr;
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    ngx_int_t rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }
    return ngx_http_aigw_output_string(r, body, true);
}

// Sends an OpenAI error as the whole response of the main request.
ngx_int_t ngx_http_aigw_send_error(ngx_http_request_t* r, const aigw::api_error& e) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_ERROR;
    }
    if (e.status == NGX_HTTP_NOT_ALLOWED && ctx->content.endpoint != nullptr && !r->header_sent) {
        std::string_view m = aigw::method_name(ctx->content.endpoint->method);
        ngx_str_t allow{m.size(), reinterpret_cast<u_char*>(const_cast<char*>(m.data()))};
        if (ngx_http_aigw_set_header(r, "Allow", allow) != NGX_OK) {
            return NGX_ERROR;
        }
    }
    ngx_http_aigw_note_error(ctx, e);
    return ngx_http_aigw_send_json(r, static_cast<ngx_uint_t>(e.status),
                                   ngx_http_aigw_client_dialect(ctx).error_body(e));
}

// Ends a stream that already started: an SSE error event the OpenAI SDKs raise as an
// APIError, then the end of the response.
ngx_int_t ngx_http_aigw_send_sse_error(ngx_http_request_t* r, const aigw::api_error& e,
                                       std::string_view encoded) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx != nullptr) {
        ngx_http_aigw_note_error(ctx, e);
    }
    if (!encoded.empty()) {
        return ngx_http_aigw_output_string(r, encoded, true);
    }
    return ngx_http_aigw_output_string(r, ngx_http_aigw_client_dialect(ctx).error_event(e), true);
}

ngx_int_t ngx_http_aigw_prepare_error(ngx_http_request_t* r, const aigw::api_error& e) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!aigw::ngx::pool_copy(r->pool, ngx_http_aigw_client_dialect(ctx).error_body(e),
                              &ctx->reply.replacement)) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->reply.prepared_error = 1;
    ngx_http_aigw_note_error(ctx, e);
    return e.status;
}
