// The upstream's response head; see upstream_head.hpp.
#include "ngx/filters/upstream_head.hpp"

#include <string_view>

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/filters/translate.hpp"
#include "ngx/media/tasks.hpp"
#include "ngx/proxy/fallback.hpp"
#include "ngx/proxy/tries.hpp"
#include "ngx/util/headers.hpp"
#include "ngx/util/log_value.hpp"

namespace {

// Hop-by-hop headers (RFC 9110 7.6.1) and those NGINX writes itself.
const std::string_view unforwarded_headers[] = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "content-length", "x-request-id", "request-id",
};

bool media_type_is(const ngx_str_t& ct, std::string_view type) {
    if (ct.len < type.size() || ngx_strncasecmp(ct.data, (u_char*)type.data(), type.size()) != 0) {
        return false;
    }
    return ct.len == type.size() || ct.data[type.size()] == ';' || ct.data[type.size()] == ' ';
}

}  // namespace

ngx_int_t ngx_http_aigw_upstream_head(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx) {
    ngx_http_request_t* m = sr->main;
    ngx_uint_t status = sr->headers_out.status;
    const ngx_str_t& ct = sr->headers_out.content_type;
    bool json = media_type_is(ct, "application/json");
    bool sse = media_type_is(ct, "text/event-stream");
    ctx->response.upstream_status = status;
    ngx_http_aigw_try_head(ctx);

    if (ngx_http_aigw_attempt_answered(sr, ctx, status)) {
        // 429 or 5xx before any byte reached the client: the attempt's end tries the next
        // channel. The body is not read, but a 429 whose wait is in its body (Google's
        // RetryInfo) is kept for the attempt's end to read it.
        ctx->response.swallow = 1;
        if (status == NGX_HTTP_TOO_MANY_REQUESTS && ctx->attempt.retry_after_ms == 0 &&
            ngx_http_aigw_upstream_dialect(ctx).retry_delay_in_body()) {
            ctx->response.keep_swallowed = 1;
            return NGX_DONE;
        }
        sr->header_only = 1;
        return NGX_DONE;
    }

    if (status >= NGX_HTTP_BAD_REQUEST && !json) {
        // An HTML or empty error page from the upstream (or a proxy before it): the client
        // gets our JSON error instead, when the attempt ends. Stop reading
        // the body.
        aigw::ngx::log_value uri(sr->uri);
        aigw::ngx::log_value type(ct);
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "aigw: upstream answered \"%*s\" with HTTP %ui and content type \"%*s\", "
                      "not a JSON error",
                      uri.len, uri.data, status, type.len, type.data);
        ctx->response.swallow = 1;
        ctx->response.swallowed_status = status;
        sr->header_only = 1;
        return NGX_DONE;
    }

    if (ngx_http_aigw_task_holds(ctx, status, json) && !m->header_only) {
        // A video task's answer: held whole; the task code records it, then answers.
        if (ngx_http_aigw_body_create(sr, ctx) == nullptr) {
            return NGX_ERROR;
        }
        ctx->response.json_keep = 1;
        ctx->response.json_task = 1;
        ctx->response.own_response = 1;
        return NGX_OK;
    }

    if (ctx->content.filter_models && !(status == NGX_HTTP_OK && json)) {
        ctx->content.filter_models = 0;  // an error passes as it is; only a list is narrowed
    }

    // A translated answer is the client's API's: its media type, not the upstream's
    // parameters or attachment headers (Google's SSE has Content-Disposition: attachment).
    bool translated = ctx->attempt.translate && (sse || json);
    m->headers_out.status = status;
    if (translated) {
        static ngx_str_t json_type = ngx_string("application/json");
        static ngx_str_t sse_type = ngx_string("text/event-stream");
        m->headers_out.content_type = sse ? sse_type : json_type;
        m->headers_out.content_type_len = m->headers_out.content_type.len;
        m->headers_out.charset.len = 0;
    } else {
        m->headers_out.content_type = ct;
        m->headers_out.content_type_len = sr->headers_out.content_type_len;
        m->headers_out.charset = sr->headers_out.charset;
    }
    m->headers_out.content_type_lowcase = nullptr;
    m->headers_out.content_length = nullptr;
    m->headers_out.content_length_n =
        (sse || ctx->content.filter_models) ? -1 : sr->headers_out.content_length_n;
    m->headers_out.last_modified_time = -1;

    bool ok = true;
    aigw::ngx::for_each_header(sr->headers_out.headers, [&](ngx_table_elt_t& h) {
        if (h.hash == 0) {
            return true;  // deleted
        }
        // The gateway's own limits replace the provider account's, which the client shares
        // with everyone behind the gateway.
        if (ctx->usage.ratelimit_headers && h.key.len > 12 &&
            ngx_strncasecmp(h.key.data, (u_char*)"x-ratelimit-", 12) == 0) {
            return true;
        }
        if (translated && aigw::ngx::name_is(h.key, "content-disposition")) {
            return true;
        }
        for (std::string_view name : unforwarded_headers) {
            if (!aigw::ngx::name_is(h.key, name)) {
                continue;
            }
            // The upstream's own id (OpenAI's x-request-id, Anthropic's request-id) stays
            // visible next to the gateway's.
            if (name == "x-request-id" || name == "request-id") {
                ok = ngx_http_aigw_set_header(m, "X-Upstream-Request-Id", h.value) == NGX_OK;
            }
            return ok;
        }
        ok = ngx_http_aigw_set_header(m, aigw::ngx::view(h.key), h.value) == NGX_OK;
        return ok;
    });
    if (!ok) {
        return NGX_ERROR;
    }

    // Usage is read from successful answers of the endpoints that report it; an answer of
    // another dialect is translated whole, errors included.
    bool account = status == NGX_HTTP_OK && ctx->content.endpoint != nullptr &&
                   ctx->content.endpoint->billed && (sse || json) && !m->header_only;
    bool translate = ctx->attempt.translate && (sse || json) && !m->header_only;
    if (account || translate) {
        ngx_http_aigw_body_t* st = ngx_http_aigw_body_create(sr, ctx);
        if (st == nullptr) {
            return NGX_ERROR;
        }
        if (translate && sse) {
            ngx_http_aigw_translate_start(ctx, st);
        }
    }
    if (translate && !sse) {
        ctx->response.json_keep = 1;
        ctx->response.json_translate = 1;
        m->headers_out.content_length_n = -1;
    } else if (account && !sse) {
        ctx->response.json_keep = 1;
        ctx->response.json_rename = ctx->attempt.rename_model;
        if (ctx->response.json_rename) {
            m->headers_out.content_length_n = -1;
        }
    }

    if (sse) {
        ctx->response.sse = 1;
        // Events must reach the client as they come: no buffering here, in a proxy in
        // front of us, or in gzip.
        static ngx_str_t no = ngx_string("no");
        if (ngx_http_aigw_set_header(m, "X-Accel-Buffering", no) != NGX_OK) {
            return NGX_ERROR;
        }
        m->gzip_tested = 1;
        m->gzip_ok = 0;
        if (sr->upstream != nullptr) {
            sr->upstream->buffering = 0;
        }
    }

    ctx->response.own_response = 1;
    if (ctx->response.json_translate) {
        return NGX_OK;  // main's headers go with the translated body (json_body.cpp)
    }
    ngx_int_t rc = ngx_http_send_header(m);
    ctx->response.header_sent = 1;
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }
    return NGX_OK;
}
