// Reading and parsing the request body; see body.hpp.
#include "ngx/content/body.hpp"

#include "aigw/accounting/prompt_count.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/dialects/dialect.hpp"
#include "aigw/text/log_value.hpp"
#include "ngx/access/key_models.hpp"
#include "ngx/content/admission.hpp"
#include "ngx/content/route.hpp"
#include "ngx/media/charges.hpp"
#include "ngx/proxy/translation.hpp"
#include "ngx/respond.hpp"
#include "ngx/util/guard.hpp"
#include "ngx/util/log_value.hpp"
#include "ngx/util/pool.hpp"

namespace {

// The body as one contiguous buffer with simdjson's padding after it, read from memory
// buffers or from the temp file NGINX spooled it to.
u_char* body_bytes(ngx_http_request_t* r, size_t* len) {
    ngx_http_request_body_t* rb = r->request_body;
    size_t total = 0;
    if (rb != nullptr) {
        for (ngx_chain_t* cl = rb->bufs; cl; cl = cl->next) {
            total += static_cast<size_t>(ngx_buf_size(cl->buf));
        }
    }
    auto* data = static_cast<u_char*>(
        aigw::ngx::pool_large_buffer(r->pool, total + aigw::json_padding));
    if (data == nullptr) {
        return nullptr;
    }
    u_char* p = data;
    if (rb != nullptr) {
        for (ngx_chain_t* cl = rb->bufs; cl; cl = cl->next) {
            ngx_buf_t* b = cl->buf;
            if (b->in_file) {
                size_t n = static_cast<size_t>(b->file_last - b->file_pos);
                ssize_t got = ngx_read_file(b->file, p, n, b->file_pos);
                if (got != static_cast<ssize_t>(n)) {
                    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                                  "aigw: short read of the request body file \"%V\"",
                                  &b->file->name);
                    return nullptr;
                }
                p += n;
            } else {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }
        }
    }
    ngx_memzero(p, aigw::json_padding);
    *len = total;
    return data;
}


// The client's error for a body the parser refused.
aigw::api_error parse_error(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                            const aigw::request_fields& f) {
    switch (f.status) {
    case aigw::request_parse_status::ok:
        break;
    case aigw::request_parse_status::invalid_json:
        return aigw::invalid_json_error(f.error_detail);
    case aigw::request_parse_status::not_an_object:
        return aigw::not_an_object_error();
    case aigw::request_parse_status::model_missing:
        return aigw::missing_model_error();
    case aigw::request_parse_status::model_not_string:
        return aigw::invalid_type_error("model", "a string", f.wrong_type);
    case aigw::request_parse_status::stream_not_bool:
        return aigw::invalid_type_error("stream", "a boolean", f.wrong_type);
    case aigw::request_parse_status::model_too_long: {
        // The record and $aigw_model show what was refused, bounded and marked as cut.
        aigw::ngx::log_value shown(f.model, f.model_size);
        if (!aigw::ngx::pool_copy(r->pool, {shown.data, shown.len}, &ctx->content.model)) {
            ctx->content.model = ngx_null_string;
        }
        return aigw::string_too_long_error("model", aigw::model_name_max, f.model_size);
    }
    case aigw::request_parse_status::duplicate_member:
        return aigw::duplicate_member_error(f.duplicate);
    }
    return {};
}

// For an endpoint whose path names the model: the model and the stream from the path, with
// the bound a body's model has.
void path_fields(ngx_http_request_t* r, const aigw::endpoint_info& ep, aigw::request_fields& f) {
    std::string_view model = aigw::path_model(ep, aigw::api_path(aigw::ngx::view(r->uri)));
    f.has_model = true;
    f.model_token_begin = 0;
    f.model_token_end = 0;
    f.stream = ep.always_stream;
    if (model.size() > aigw::model_name_max) {
        f.status = aigw::request_parse_status::model_too_long;
        f.model_size = model.size();
        model = model.substr(0, aigw::utf8_prefix_length(model, aigw::model_name_max));
    }
    f.model.assign(model.data(), model.size());
}

// The body is in: parse it, check the model against the key, route, price, admit.
void body_read(ngx_http_request_t* r) {
    ngx_http_aigw_ctx_t* ctx = ngx_http_aigw_get_ctx(r);
    if (ctx == nullptr) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    size_t len = 0;
    u_char* data = body_bytes(r, &len);
    if (data == nullptr) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    const aigw::endpoint_info& ep = *ctx->content.endpoint;
    // The body stays as it is and where it is until the request ends: a prompt count made
    // before this returns (a reservation's) walks the read's index of it.
    aigw::body_read_scope read_scope;
    aigw::request_fields f = ngx_http_aigw_client_dialect(ctx).read_request(
        reinterpret_cast<const char*>(data), len, len + aigw::json_padding,
        ep.model_required && !ep.model_in_path);
    if (f.status == aigw::request_parse_status::ok && ep.model_in_path) {
        // Gemini: the path names the model and the method the stream; the body neither.
        path_fields(r, ep, f);
    }
    if (f.status != aigw::request_parse_status::ok) {
        aigw::api_error err = parse_error(r, ctx, f);
        // Messages of the parse errors quote no client bytes.
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "aigw: rejected request: %s",
                      err.message.c_str());
        ngx_http_finalize_request(r, ngx_http_aigw_send_error(r, err));
        return;
    }

    ctx->content.client_body = data;
    ctx->content.client_body_len = len;
    ctx->content.model_token_begin = f.model_token_begin;
    ctx->content.model_token_end = f.model_token_end;
    ctx->content.has_stream_options = f.has_stream_options;
    ctx->content.stream_options_begin = f.stream_options_begin;
    ngx_http_aigw_body_parsed(r, ctx, f);
}

}  // namespace

void ngx_http_aigw_body_parsed(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                               const aigw::request_fields& f) {
    if (f.has_model) {
        if (!aigw::ngx::pool_copy(r->pool, f.model, &ctx->content.model)) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }
    ctx->content.stream = f.stream && ctx->content.endpoint->streamable;
    if (f.has_model && !ngx_http_aigw_model_allowed(ctx, f.model)) {
        ngx_http_finalize_request(r, ngx_http_aigw_reject_model(r, ctx, f.model));
        return;
    }

    ngx_int_t rc = ngx_http_aigw_route(r, ctx, f);
    if (rc == NGX_DECLINED && !ctx->media.multipart) {
        rc = ngx_http_aigw_media_json_fields(r, ctx);
    }
    if (rc == NGX_DECLINED) {
        ngx_http_aigw_media_reserve(ctx);
        rc = ngx_http_aigw_translation_prepare(r, ctx);
    }
    if (rc != NGX_DECLINED) {
        ngx_http_finalize_request(r, rc);
        return;
    }
    ngx_http_aigw_admit(r, ctx, f.max_tokens, f.choices);
}

namespace {

// NGINX calls it once the body is read.
void body_ready(ngx_http_request_t* r) noexcept {
    if (!aigw::ngx::guard(r->connection->log, "request body handler", [r] { body_read(r); })) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}

}  // namespace

ngx_int_t ngx_http_aigw_read_body(ngx_http_request_t* r) {
    r->request_body_in_single_buf = 1;
    ngx_int_t rc = ngx_http_read_client_request_body(r, body_ready);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }
    return NGX_DONE;
}
