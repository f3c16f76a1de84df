// The body an attempt sends; see channel_body.hpp.
#include "ngx/proxy/channel_body.hpp"

#include "aigw/dialects/dialect.hpp"
#include "aigw/dialects/endpoints.hpp"
#include "aigw/api/request.hpp"
#include "aigw/text/json_splice.hpp"
#include "ngx/media/multipart_body.hpp"
#include "ngx/proxy/translation.hpp"
#include "ngx/util/pool.hpp"

namespace {

// The body the next subrequest sends: `data` as one memory buffer.
ngx_int_t set_upstream_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, u_char* data,
                            size_t len) {
    auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
    ngx_chain_t* cl = ngx_alloc_chain_link(r->pool);
    if (b == nullptr || cl == nullptr) {
        return NGX_ERROR;
    }
    b->pos = data;
    b->last = data + len;
    b->start = b->pos;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    cl->buf = b;
    cl->next = nullptr;
    ctx->attempt.upstream_body = cl;
    ctx->attempt.upstream_body_len = static_cast<off_t>(len);
    return NGX_OK;
}

// The body the next subrequest sends: the client's `data` with `edits` made, as the client's
// bytes between the edits (not copied: an agent's body is tens of KB) and each edit's text.
ngx_int_t set_upstream_pieces(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx, u_char* data,
                              size_t len, const std::vector<aigw::json_edit>& edits) {
    ngx_chain_t* head = nullptr;
    ngx_chain_t** tail = &head;
    size_t total = 0;
    auto add = [&](u_char* from, size_t n) {
        if (n == 0) {
            return true;
        }
        auto* b = static_cast<ngx_buf_t*>(ngx_calloc_buf(r->pool));
        ngx_chain_t* cl = ngx_alloc_chain_link(r->pool);
        if (b == nullptr || cl == nullptr) {
            return false;
        }
        b->memory = 1;
        b->pos = b->start = from;
        b->last = b->end = from + n;
        cl->buf = b;
        cl->next = nullptr;
        *tail = cl;
        tail = &cl->next;
        total += n;
        return true;
    };
    size_t at = 0;
    for (const aigw::json_edit& e : edits) {
        ngx_str_t text;
        if (!add(data + at, e.begin - at) || !aigw::ngx::pool_copy(r->pool, e.text, &text) ||
            !add(text.data, text.len)) {
            return NGX_ERROR;
        }
        at = e.end;
    }
    if (!add(data + at, len - at)) {
        return NGX_ERROR;
    }
    if (head == nullptr) {
        return set_upstream_body(r, ctx, data, 0);
    }
    for (ngx_chain_t* cl = head; cl; cl = cl->next) {
        cl->buf->last_buf = cl->next == nullptr;
    }
    ctx->attempt.upstream_body = head;
    ctx->attempt.upstream_body_len = static_cast<off_t>(total);
    return NGX_OK;
}

}  // namespace

// The body of the next attempt: the client's bytes, with the model spliced to `upstream_model`
// when given, and stream_options.include_usage added to a stream so the upstream reports the
// usage (the filters strip that chunk again when the client did not ask for it).
ngx_int_t ngx_http_aigw_channel_body(ngx_http_request_t* r, ngx_http_aigw_ctx_t* ctx,
                                    std::optional<std::string_view> upstream_model) {
    ctx->attempt.client_asked_usage = 0;
    ctx->attempt.inject_usage = 0;
    if (ctx->attempt.translate) {
        // A channel of another dialect: the pivot written in its dialect (translation.hpp).
        ngx_str_t body;
        if (!aigw::ngx::pool_copy(
                r->pool,
                ngx_http_aigw_translated_body(
                    r, ctx, upstream_model ? *upstream_model : aigw::ngx::view(ctx->content.model)),
                &body)) {
            return NGX_ERROR;
        }
        return set_upstream_body(r, ctx, body.data, body.len);
    }
    if (ctx->content.endpoint->model_in_path) {
        upstream_model.reset();  // the path names it (subrequest.cpp), the body does not
    }
    if (ctx->media.raw_body) {
        return NGX_OK;  // a remix's body, set when it was read (media/tasks.cpp)
    }
    if (ctx->media.multipart) {
        // Files are not copied: the client's buffers, cut around the model's value.
        return ngx_http_aigw_multipart_upstream_body(r, ctx, upstream_model);
    }
    // Passthrough: the client speaks the channel's dialect. The include_usage request is
    // OpenAI chat's own.
    bool usage = ctx->content.stream && ctx->content.endpoint->streamable &&
                 ngx_http_aigw_upstream_dialect(ctx).id() == aigw::dialect_id::openai_chat &&
                 !aigw::is_image_endpoint(ctx->content.endpoint->id);
    if (!upstream_model && !usage) {
        return set_upstream_body(r, ctx, ctx->content.client_body, ctx->content.client_body_len);
    }
    aigw::request_fields f;
    f.status = aigw::request_parse_status::ok;
    f.has_model = upstream_model.has_value();
    f.model_token_begin = ctx->content.model_token_begin;
    f.model_token_end = ctx->content.model_token_end;
    f.has_stream_options = ctx->content.has_stream_options;
    f.stream_options_begin = ctx->content.stream_options_begin;
    aigw::request_edits rw = aigw::rewrite_request_edits(
        {reinterpret_cast<const char*>(ctx->content.client_body), ctx->content.client_body_len}, f,
        upstream_model, usage);
    ctx->attempt.client_asked_usage = rw.client_asked_usage;
    ctx->attempt.inject_usage = usage && !rw.client_asked_usage;
    return set_upstream_pieces(r, ctx, ctx->content.client_body, ctx->content.client_body_len,
                               rw.edits);
}
