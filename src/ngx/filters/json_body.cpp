// The body filter of a JSON response; see json_body.hpp.
#include "ngx/filters/json_body.hpp"

#include <stdexcept>

#include "aigw/dialects/dialect.hpp"
#include "aigw/text/json_splice.hpp"
#include "ngx/accounting/response_usage.hpp"
#include "ngx/filters/buffers.hpp"
#include "ngx/filters/translate.hpp"
#include "ngx/util/log_value.hpp"

namespace {

// The whole answer of a channel of another dialect, in the client's dialect: main's headers
// waited for it (its status and length are known only now), then the body.
ngx_int_t translated(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st,
                     ngx_chain_t* last, ngx_chain_t** pass) {
    ngx_http_request_t* m = sr->main;
    ngx_uint_t status = ctx->response.upstream_status;
    std::string body = ngx_http_aigw_translate_json(sr, ctx, st, &status);
    m->headers_out.status = status;
    m->headers_out.content_length_n = static_cast<off_t>(body.size());
    ngx_int_t rc = ngx_http_send_header(m);
    ctx->response.header_sent = 1;
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }
    return ngx_http_aigw_whole_body(sr, body, last, pass);
}

// The answer with the public model name. When the usage read found the model (an answer in
// the client's own dialect, read by that dialect's reader: the member its rename changes), it
// is replaced there; otherwise the client's dialect parses the answer for it.
std::string renamed(ngx_http_aigw_ctx_t* ctx, ngx_http_aigw_body_t* st) {
    std::string_view model = aigw::ngx::view(ctx->content.model);
    const aigw::dialect& client = ngx_http_aigw_client_dialect(ctx);
    const aigw::usage_parser::model_token& at = st->json_model;
    if (at.found() && at.end <= st->json.size() &&
        client.id() == ngx_http_aigw_upstream_dialect(ctx).id()) {
        std::string_view token = std::string_view(st->json).substr(at.begin, at.end - at.begin);
        if (token.size() == model.size() + 2 && token.substr(1, model.size()) == model) {
            return st->json;  // already the public name
        }
        try {
            return aigw::splice_model(st->json, at.begin, at.end, model);
        } catch (const std::invalid_argument&) {
            return st->json;  // a name that is not UTF-8 (a Gemini path's): the answer's own
        }
    }
    return client.rename_response_model(st->json, model);
}

}  // namespace

// A JSON response: kept (bounded) as it passes, to read its usage at the end; past the bound
// its usage is read by the usage scanner instead. When the model is renamed the body is held
// whole and sent renamed at the end; one too large to hold goes on unrenamed (its usage still
// read).
ngx_int_t ngx_http_aigw_json_body(ngx_http_request_t* sr, ngx_http_aigw_ctx_t* ctx,
                                 ngx_chain_t* in, ngx_chain_t** pass) {
    ngx_http_aigw_body_t* st = ctx->usage.body;
    ngx_chain_t* last = nullptr;
    ngx_chain_t* out = in;  // what goes on now when the body is not held
    for (ngx_chain_t* cl = in; cl; cl = cl->next) {
        ngx_buf_t* b = cl->buf;
        size_t size = b->in_file ? 0 : static_cast<size_t>(b->last - b->pos);
        if (ctx->response.json_translate && st->json.size() + size > ngx_http_aigw_json_keep_max) {
            // Another dialect's answer cannot go on as it is, nor be translated unread.
            aigw::ngx::log_value uri(sr->uri);
            ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                          "aigw: response of \"%*s\" to translate is larger than %uz bytes",
                          uri.len, uri.data, ngx_http_aigw_json_keep_max);
            return NGX_ERROR;
        }
        if (ctx->response.json_rename && st->json.size() + size > ngx_http_aigw_json_keep_max) {
            aigw::ngx::log_value uri(sr->uri);
            ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                          "aigw: response of \"%*s\" is larger than %uz bytes: its model is not "
                          "renamed",
                          uri.len, uri.data, ngx_http_aigw_json_keep_max);
            ctx->response.json_rename = 0;
            // What was held goes first (the links before cl were consumed into it), then
            // the rest as it comes.
            out = cl;
            if (!st->json.empty()) {
                out = ngx_http_aigw_own_buf(sr, ctx, st->json.data(), st->json.size());
                if (out == nullptr) {
                    return NGX_ERROR;
                }
                out->next = cl;
            }
        }
        if (size) {
            ngx_http_aigw_json_bytes(st, b->pos, size);
        }
        if (ctx->response.json_rename || ctx->response.json_translate ||
            ctx->response.json_task) {
            b->pos = b->last;
        }
        if (b->last_in_chain || b->last_buf) {
            last = cl;
        }
    }
    if (last != nullptr && ctx->response.upstream_status < NGX_HTTP_BAD_REQUEST) {
        ngx_http_aigw_account_json(ctx, st);
    }
    if (ctx->response.json_task) {
        return NGX_DONE;  // the task code answers once the attempt ended (media/tasks.cpp)
    }
    if (ctx->response.json_translate) {
        if (last == nullptr) {
            return NGX_DONE;
        }
        return translated(sr, ctx, st, last, pass);
    }
    if (!ctx->response.json_rename) {
        *pass = out;
        return NGX_OK;
    }
    if (last == nullptr) {
        return NGX_DONE;
    }
    return ngx_http_aigw_whole_body(sr, renamed(ctx, st), last, pass);
}
